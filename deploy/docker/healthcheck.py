"""The image's HEALTHCHECK: exit 0 when HEALTHCHECK_URL answers, 1 otherwise.

`http://...` must answer 2xx (a service's /health/live, a simulator's page); `tcp://host:port`
must accept a connection (the ZKTeco terminal simulator speaks no HTTP). Standard library
only: the image has no curl.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.request
from urllib.parse import urlsplit


def healthy(url: str, timeout_s: float = 3.0) -> bool:
    parts = urlsplit(url)
    try:
        if parts.scheme == "tcp":
            with socket.create_connection(
                (parts.hostname or "127.0.0.1", parts.port or 0), timeout=timeout_s
            ):
                return True
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return 200 <= int(response.status) < 300
    except OSError:
        return False


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("HEALTHCHECK_URL", "")
    sys.exit(0 if target and healthy(target) else 1)
