"""Bearer JWTs: who may call, as which company, with which role."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.apps import COMPANY, JWT_SECRET, OTHER_COMPANY, make_api, token


def _get_stores(api, authorization=None):
    headers = {} if authorization is None else {"Authorization": authorization}
    return api.client.get("/integrations/woocommerce/stores", headers=headers)


def _expect_unauthorized(response):
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    problem = response.get_json()
    assert problem["type"].endswith("/unauthorized")
    assert problem["status"] == 401
    return problem


def test_a_request_without_a_token_is_401(api):
    _expect_unauthorized(_get_stores(api))


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Bearer not.a.jwt",
        f"Bearer {token(exp=datetime.now(UTC) - timedelta(seconds=5))}",
        f"Bearer {jwt.encode({'company_id': COMPANY, 'exp': 4102444800}, 'x' * 40, 'HS256')}",
        f"Bearer {jwt.encode({'company_id': COMPANY, 'exp': 4102444800}, None, 'none')}",
        f"Bearer {jwt.encode({'company_id': COMPANY}, JWT_SECRET, 'HS256')}",
        f"Bearer {token(company_id=None)}",
        f"Bearer {token(company_id='')}",
        f"Bearer {token(company_id=7)}",
        f"Bearer {token(company_id='x' * 65)}",
        f"Bearer {token(role=['admin'])}",
        f"Bearer {token(exp='4102444800')}",
        f"Bearer {token(nbf='0')}",
        f"Bearer {token(exp=True)}",
    ],
    ids=[
        "basic-scheme",
        "no-token",
        "blank-token",
        "garbage",
        "expired",
        "wrong-secret",
        "alg-none",
        "no-expiry",
        "no-company",
        "empty-company",
        "numeric-company",
        "overlong-company",
        "role-not-text",
        "exp-as-a-string",
        "nbf-as-a-string",
        "exp-as-a-boolean",
    ],
)
def test_bad_tokens_are_401_problems(api, authorization):
    _expect_unauthorized(_get_stores(api, authorization))


def test_a_valid_token_is_accepted(api):
    response = _get_stores(api, f"Bearer {token()}")
    assert response.status_code == 200
    assert response.get_json() == {"items": [], "total": 0, "offset": 0, "limit": 20}


def test_without_a_configured_key_every_token_is_refused(migrated_sqlite_template, tmp_path):
    api = make_api(migrated_sqlite_template, tmp_path, jwt_secret=None)
    try:
        problem = _expect_unauthorized(_get_stores(api, f"Bearer {token()}"))
        assert "not configured" in problem["detail"]
    finally:
        api.close()


def _pem_pair(private_key):
    private = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


@pytest.mark.parametrize(
    ("algorithm", "key"),
    [
        ("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        ("ES256", ec.generate_private_key(ec.SECP256R1())),
    ],
)
def test_public_key_tokens_with_audience_and_issuer(
    migrated_sqlite_template, tmp_path, algorithm, key
):
    private, public = _pem_pair(key)
    api = make_api(
        migrated_sqlite_template,
        tmp_path,
        jwt_secret=None,
        jwt_public_key=public,
        jwt_audience="shipcrowd-woo",
        jwt_issuer="https://auth.shipcrowd.example",
    )
    claims = {
        "company_id": COMPANY,
        "role": "member",
        "exp": datetime.now(UTC) + timedelta(minutes=5),
        "aud": "shipcrowd-woo",
        "iss": "https://auth.shipcrowd.example",
    }
    try:
        good = jwt.encode(claims, private, algorithm)
        assert _get_stores(api, f"Bearer {good}").status_code == 200
        for wrong in ({"aud": "another-service"}, {"iss": "https://evil.example"}):
            forged = jwt.encode(claims | wrong, private, algorithm)
            _expect_unauthorized(_get_stores(api, f"Bearer {forged}"))
        # An HS256 token "signed" with the public key text must not pass (algorithm confusion).
        _expect_unauthorized(_get_stores(api, f"Bearer {token()}"))
    finally:
        api.close()


ADMIN_ONLY = [
    (
        "POST",
        "/install",
        {"store_url": "https://x.example", "consumer_key": "ck_1", "consumer_secret": "cs_1"},
    ),
    ("DELETE", "/stores/{id}", None),
    ("PUT", "/stores/{id}/credentials", {"consumer_key": "ck_1", "consumer_secret": "cs_1"}),
    ("POST", "/stores/{id}/webhooks/register", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
def test_admin_only_routes_are_403_for_members(api, installed, method, path, body):
    response = api.call(method, path.format(id=installed["id"]), role="member", json=body)
    assert response.status_code == 403
    assert response.get_json()["type"].endswith("/forbidden")
    assert api.call("GET", f"/stores/{installed['id']}").get_json()["is_active"]


STORE_ROUTES = [
    ("GET", "/stores/{id}", None),
    ("POST", "/stores/{id}/test", None),
    ("DELETE", "/stores/{id}", None),
    ("POST", "/stores/{id}/pause", None),
    ("POST", "/stores/{id}/resume", None),
    ("PUT", "/stores/{id}/credentials", {"consumer_key": "ck_1", "consumer_secret": "cs_1"}),
    ("POST", "/stores/{id}/webhooks/register", None),
    ("POST", "/stores/{id}/sync/orders", {"mode": "full"}),
    ("POST", "/stores/{id}/sync/inventory", {}),
    ("GET", "/stores/{id}/sync/logs", None),
    ("GET", "/stores/{id}/sync/stats", None),
    ("POST", "/stores/{id}/mappings/auto", None),
    ("GET", "/stores/{id}/mappings", None),
    ("POST", "/stores/{id}/mappings", {"woo_product_id": 1, "shipcrowd_sku": "S"}),
    ("GET", "/stores/{id}/mappings/stats", None),
    ("POST", "/stores/{id}/mappings/import", None),
    ("GET", "/stores/{id}/mappings/export", None),
]


@pytest.mark.parametrize(("method", "path", "body"), STORE_ROUTES)
def test_another_companys_store_is_404_not_403(api, installed, method, path, body):
    response = api.call(method, path.format(id=installed["id"]), OTHER_COMPANY, json=body)
    assert response.status_code == 404
    assert response.get_json()["type"].endswith("/not-found")
    assert installed["id"] not in response.get_data(as_text=True)


def test_another_companys_job_and_mapping_are_404(api, installed):
    job = api.call("POST", f"/stores/{installed['id']}/sync/orders", json={}).get_json()
    mapping = api.call(
        "POST",
        f"/stores/{installed['id']}/mappings",
        json={"woo_product_id": 1, "shipcrowd_sku": "SKU-1"},
    ).get_json()
    assert api.call("GET", f"/sync/jobs/{job['id']}", OTHER_COMPANY).status_code == 404
    for method, path, body in (
        ("DELETE", f"/mappings/{mapping['id']}", None),
        ("POST", f"/mappings/{mapping['id']}/toggle", {"active": False}),
    ):
        assert api.call(method, path, OTHER_COMPANY, json=body).status_code == 404
    assert api.call("GET", f"/sync/jobs/{job['id']}").status_code == 200


def test_another_companys_stores_are_not_listed(api, installed):
    assert api.call("GET", "/stores", OTHER_COMPANY).get_json()["total"] == 0
    assert api.call("GET", "/stores").get_json()["total"] == 1
