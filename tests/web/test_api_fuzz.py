"""Property-based test of the whole OpenAPI schema (schemathesis) with every role's token:
no answer is a server error, and every answer conforms to the schema.

Bounded for CI: ``OPENKAM_FUZZ_EXAMPLES`` generated examples per operation and role
(default 2, no shrinking), plus invalid input (schemathesis' negative mode) and a fixed set
of boundary values. Search harder locally with e.g. ``OPENKAM_FUZZ_EXAMPLES=50``.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

sys.path.insert(0, str(Path(__file__).parent))
import test_permission_matrix  # noqa: E402

WHO = test_permission_matrix.WHO
# The fixtures: the same data as the permission matrix, built once for this module.
world_rows = test_permission_matrix.world_rows
world = test_permission_matrix.world

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
EXAMPLES = int(os.environ.get("OPENKAM_FUZZ_EXAMPLES", "2"))
ROLES = sorted(WHO)

#: Path parameters point at rows that exist, so that operations reach their code.
PATH_VALUES = {
    "account_id": "A1",
    "contact_id": "C1",
    "person_id": "P-Alice",
    "product_id": "P1",
    "number": 1,
}


@pytest.fixture
def tokens(world):
    return {role: Token.objects.create(user=world["users"][WHO[role]]).key for role in WHO}


@pytest.fixture
def api_schema(tokens):
    from openkam.web.wsgi import application

    # The bare WSGI handler closes the database connection at the end of every request, which
    # ends the test's transaction on PostgreSQL; Django's test client detaches the same
    # handlers for the same reason.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json",
            application,
            headers={"Authorization": f"Token {tokens['admin']}"},
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def run_operations(api_schema, headers, mode: GenerationMode, checks) -> list[str]:
    """Every operation with ``EXAMPLES`` generated cases; the failures, one per operation."""
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        names = re.findall(r"{(\w+)}", operation.path)
        fixed = {n: PATH_VALUES[n] for n in names if n in PATH_VALUES}
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed or None)

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def call(case):
            case.call_and_validate(headers=headers, checks=checks)

        try:
            call()
        except Unsatisfiable:
            # Negative mode: nothing of this operation can be made invalid (no parameters,
            # or only the fixed path parameters).
            continue
        # Schemathesis reports its failures as a BaseExceptionGroup, not an Exception.
        except (Exception, BaseExceptionGroup) as exc:  # every operation tried, all reported
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_the_api_never_fails_and_keeps_to_its_schema(api_schema, tokens, role):
    """Every operation, with valid generated parameters and bodies, as ``role``."""
    headers = {"Authorization": f"Token {tokens[role]}"}
    failures = run_operations(api_schema, headers, GenerationMode.POSITIVE, CHECKS)
    assert not failures, f"{len(failures)} operation(s) failed as {role}:\n\n" + "\n\n".join(
        failures
    )


@pytest.mark.slow
def test_invalid_input_is_refused_never_a_server_error(api_schema, tokens):
    """Schemathesis' negative mode: values that break the schema, as an admin (who passes
    every permission check and so reaches the validation)."""
    headers = {"Authorization": f"Token {tokens['admin']}"}
    failures = run_operations(api_schema, headers, GenerationMode.NEGATIVE, [not_a_server_error])
    assert not failures, "\n\n".join(failures)


# --- fixed boundary values: the kinds of input fuzzing found ---------------------------------

HUGE = "9" * 30


def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict):
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            yield path, method, op


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_boundary_values_answer_with_a_message(world, tokens, role):
    """Huge, negative and non-numeric query numbers, bodies that are not objects, nulls in
    every field, and OPTIONS on every path: a 2xx or 4xx, never a 5xx."""
    api = APIClient()
    api.raise_request_exception = False  # a server error is an answer to record here
    api.credentials(HTTP_AUTHORIZATION=f"Token {tokens[role]}")
    problems = []

    def url_of(path):
        return re.sub(r"{(\w+)}", lambda m: str(PATH_VALUES.get(m.group(1), 1)), path)

    def expect_no_5xx(method, url, **kwargs):
        response = getattr(api, method)(url, **kwargs)
        if response.status_code >= 500:
            problems.append(f"{method.upper()} {url} {kwargs.get('data', '')!r}")

    schema = _schema()
    for path, method, op in _operations(schema):
        url = url_of(path)
        if method == "get":
            for param in op.get("parameters", []):
                if param["in"] != "query":
                    continue
                for value in (HUGE, "-" + HUGE, "-1", "0", "abc", "1.5", ""):
                    expect_no_5xx("get", url, data={param["name"]: value})
        if method in ("post", "put", "patch") and "multipart" not in str(op.get("requestBody")):
            body_schema = (
                op.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
            )
            fields = list(_properties(body_schema, schema))
            for body in ([], "text", 5, None, {f: None for f in fields}, {"version": HUGE}):
                expect_no_5xx(method, url, data=body, format="json")
        expect_no_5xx("options", url)
    assert not problems, "server errors on:\n" + "\n".join(problems)


def _properties(body: dict, schema: dict):
    ref = body.get("$ref")
    if ref:
        body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return body.get("properties", {}).keys()
