"""A schema-based fuzz of the workbench API (schemathesis over /openapi.json): no input makes it answer 500.

Bounded: a few dozen generated requests per operation, sent as an admin (every role check passes, so the
requests reach the handlers) and, for the role checks themselves, without a key.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is not installed (pip install -e .[dev])"
)
from schemathesis.checks import not_a_server_error  # noqa: E402

from tests.service.conftest import prepare_store  # noqa: E402

MAX_EXAMPLES = 25


@pytest.fixture
def fuzzed(store_target, checked_template, tmp_path):
    from parcelaudit.service import create_app, load_settings

    keys = prepare_store(store_target, checked_template)
    app = create_app(store_target, load_settings(key_file=tmp_path / "log.key", checkpoint_every=7))
    app.state.fuzz_key = keys["ada"]
    yield app
    app.state.store.close()


def test_no_request_makes_the_api_fail(fuzzed):
    from hypothesis import given

    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    key = {"Authorization": f"Bearer {fuzzed.state.fuzz_key}"}
    tried = 0
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def fuzz(case):
            nonlocal tried
            tried += 1
            response = case.call(headers=key)
            case.validate_response(response, checks=[not_a_server_error])
            anonymous = case.call()
            case.validate_response(anonymous, checks=[not_a_server_error])
            if case.path.startswith("/api/"):
                assert anonymous.status_code in (401, 404, 405, 422), (case.path, anonymous.status_code)

        fuzz()
    assert tried >= len(operations)
