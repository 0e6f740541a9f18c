"""schemathesis generates requests from /openapi.json and runs them through the app: no
answer is a 5xx, and every answer matches the document (status, media type, schema)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shipcrowd_woo.entrypoints.api.openapi import openapi_document
from tests.apps import bearer, make_api
from tests.leaks import WATCH

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def served_app(migrated_sqlite_template, tmp_path_factory):
    api = make_api(migrated_sqlite_template, tmp_path_factory.mktemp("openapi"))
    yield api, api.install()["id"]
    api.close()


# The document the app serves at /openapi.json (test_operations checks it is the one served
# and that it names every route). Loaded from the module, not through a pytest fixture:
# schemathesis' from_fixture does not work under pytest 9.
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_app_keeps_to_its_document(case, served_app, figures):
    api, store_id = served_app
    calls = [case.call_and_validate(app=api.app, headers=bearer(), checks=CHECKS)]
    if "store_id" in (case.path_parameters or {}):
        # The same request again on a store that exists, so the happy paths are checked too.
        case.path_parameters["store_id"] = store_id
        calls.append(case.call_and_validate(app=api.app, headers=bearer(), checks=CHECKS))
    for response in calls:
        WATCH.search(response.text, f"answer to {case.method} {case.formatted_path}")
        figures["hostile input"]["management API requests tried (schemathesis)"] += 1
        figures["hostile input"]["management API answers 5xx"] += response.status_code >= 500
