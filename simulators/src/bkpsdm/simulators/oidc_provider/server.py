"""Run the provider under a real uvicorn server in a background thread, for tests and benches."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from bkpsdm.simulators.oidc_provider.app import SimConfig, create_app


@contextmanager
def serve_in_thread(
    config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[tuple[str, FastAPI]]:
    """Yields (issuer URL, app); the socket is bound first, so the issuer names the real port.
    `app.state.config` may be changed while it runs (a redirect URI learnt later)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    config = (config or SimConfig()).model_copy(update={"issuer": base_url})
    app = create_app(config)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="oidc-sim", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("OpenID provider simulator did not start")
        time.sleep(0.01)
    try:
        yield base_url, app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
