"""Every HTTP endpoint fuzzed from the OpenAPI schema (schemathesis): no input gives a 5xx.

Runs as an admin of every site (so requests get past the permission checks into the handlers),
with a few real tickets and calls in the database. Bounded: a few examples per operation.
Streaming endpoints (the live Server-Sent Events feed) never finish a response and are left
out; they are tested by the dashboard's own tests.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from frontdesk.ids import new_id

from .helpers import PASSWORD, Central, Edge, call_events

EXAMPLES = 8


@pytest.fixture(scope="module")
def fuzz_central(tmp_path_factory):
    # the schema is served only with [auth] api_docs on
    c = Central(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'central.db'}", {"auth": {"api_docs": True}})
    c.accounts.add_user("fuzzer", PASSWORD, "admin", ["*"])
    edge = Edge(c.store)
    for _ in range(3):
        edge.send(*call_events(edge, new_id()))
    c.token = c.accounts.login("fuzzer", PASSWORD, "token")[0]
    yield c
    c.close()


def test_no_server_errors(fuzz_central):
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_central.app).exclude(path_regex=r"/live")
    headers = {"Authorization": f"Bearer {fuzz_central.token}"}
    failures: list[str] = []
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        tried.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")

        fuzz()
    print(f"fuzzed {len(tried)} operations")
    assert len(tried) >= 25, tried  # every router is in the schema
    assert not failures, "\n".join(failures[:20])
