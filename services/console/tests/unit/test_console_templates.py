"""Every page template compiles with the console's own environment (filters included): a broken
template is found here, not by the first official who opens that page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bkpsdm.common.auth import write_key_pair
from bkpsdm.console.adapters.memory import InMemoryConsoleUnitOfWork
from bkpsdm.console.adapters.tokens import TokenIssuer
from bkpsdm.console.entrypoints.web import TEMPLATES, Web


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_the_template_compiles(template: str, tmp_path: Path) -> None:
    keys = write_key_pair(tmp_path)
    web = Web(
        unit_of_work=InMemoryConsoleUnitOfWork,
        issuer=TokenIssuer.from_file(keys.private_key, issuer="i", audience="a", ttl=timedelta(minutes=1)),
        secret=b"0" * 32,
        cookie_secure=True,
        session_ttl=timedelta(hours=1),
        time_zone=ZoneInfo("Asia/Jakarta"),
    )
    assert web.env.get_template(template).name == template
