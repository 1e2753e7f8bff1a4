"""The console is pages for people: it publishes no OpenAPI document (a fuzzer pointed at it
would find nothing to test); the services behind it publish theirs."""

from __future__ import annotations

from bkpsdm.console.bootstrap import bootstrap
from bkpsdm.console.settings import ConsoleSettings


def test_the_console_serves_no_openapi_document() -> None:
    _, app = bootstrap(ConsoleSettings())
    paths = {getattr(route, "path", None) for route in app.routes}
    assert app.openapi_url is None
    assert "/openapi.json" not in paths
    assert "/docs" not in paths
    assert "/health/ready" in paths
