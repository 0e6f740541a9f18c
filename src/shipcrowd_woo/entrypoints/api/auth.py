"""Bearer JWT authentication (PyJWT): HS256 with a shared secret, or RS256/ES256 with a public
key. Tokens carry the company and the role; `alg: none`, expired, mis-signed or incomplete
tokens are 401."""

from typing import Any

import attrs
import jwt

from shipcrowd_woo.domain.ids import CompanyId
from shipcrowd_woo.entrypoints.api.problems import ApiProblem
from shipcrowd_woo.entrypoints.settings import Settings

ADMIN = "admin"
MAX_COMPANY_ID_LENGTH = 64


# The claims RFC 7519 makes NumericDates.
TIME_CLAIMS = ("exp", "nbf", "iat")


@attrs.frozen
class Principal:
    """Who is calling: a company and a role."""

    company_id: CompanyId
    role: str
    subject: str

    @property
    def is_admin(self) -> bool:
        """Admins may install, disconnect, change credentials and register webhooks."""
        return self.role == ADMIN


def _unauthorized(detail: str) -> ApiProblem:
    return ApiProblem(
        401,
        "unauthorized",
        "Authentication required",
        detail,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


class TokenVerifier:
    """Checks bearer tokens against the configured key."""

    def __init__(self, settings: Settings) -> None:
        self._key: Any = None
        self._algorithms: list[str] = []
        if settings.jwt_public_key:
            self._key = settings.jwt_public_key
            self._algorithms = ["RS256", "ES256"]
        elif settings.jwt_secret:
            self._key = settings.jwt_secret
            self._algorithms = ["HS256"]
        self._audience = settings.jwt_audience
        self._issuer = settings.jwt_issuer

    def principal(self, authorization: str | None) -> Principal:
        """The caller of a request with this Authorization header, or a 401 problem."""
        if not self._algorithms:
            raise _unauthorized("token verification is not configured on this server")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("a bearer token is required")
        try:
            claims = jwt.decode(
                token.strip(),
                self._key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp"], "verify_aud": self._audience is not None},
            )
        except jwt.PyJWTError as error:
            raise _unauthorized(f"the token is not valid ({type(error).__name__})") from None
        # PyJWT takes "exp": "4102444800" through int(); RFC 7519 §2 makes the time claims
        # NumericDates, JSON numbers, and a token that spells them otherwise is refused.
        for claim in TIME_CLAIMS:
            value = claims.get(claim, 0)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _unauthorized(f"the token's {claim} is not a number")
        company = claims.get("company_id")
        role = claims.get("role", "member")
        if not isinstance(company, str) or not 0 < len(company) <= MAX_COMPANY_ID_LENGTH:
            raise _unauthorized("the token names no company")
        if not isinstance(role, str):
            raise _unauthorized("the token's role is not text")
        return Principal(CompanyId(company), role, str(claims.get("sub", "")))
