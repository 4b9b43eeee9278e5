"""What every answer carries, the API's documentation, /status and /metrics (issue 16's trial).

The platform's own application (`Platform.api`) over the real PostgreSQL, through FastAPI's test
client; the pages themselves are opened in Chromium by tests/e2e/test_pages_security.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from hotline.platform import Platform
from tests.unit.conftest import api_platform

PAGES = ["/", "/cases", "/cases/2612030001", "/admin", "/agent", "/wallboard", "/dashboard", "/docs", "/redoc"]


@pytest.fixture
def site(seeded_pg: str, tmp_path: Path) -> Iterator[tuple[TestClient, Platform]]:
    platform = api_platform(seeded_pg, tmp_path / "data", metrics_token=SecretStr("scrape-token-of-the-center"))
    with TestClient(platform.api(telephony=False)) as client:
        yield client, platform
    platform.casebook.close()


def _admin(platform: Platform) -> dict[str, str]:
    name = f"pages-admin-{time.time_ns()}"
    platform.auth.create_user(name, "admin", password="a-long-password")
    return {"Authorization": f"Bearer {platform.auth.login(name, 'a-long-password')}"}


@pytest.mark.parametrize("path", [*PAGES, "/api/v1/me", "/openapi.json", "/status"])
def test_security_every_answer_carries_the_browser_safety_headers(site: tuple[TestClient, Platform], path: str) -> None:
    answer = site[0].get(path)
    csp = answer.headers["content-security-policy"]
    scripts = re.search(r"script-src ([^;]*)", csp)
    assert scripts is not None and scripts.group(1) == "'self'"  # never inline, never another site's
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "ws://127.0.0.1:8088" in csp  # the agent page's browser phone reaches Asterisk
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", PAGES)
def test_security_no_page_has_an_inline_script(site: tuple[TestClient, Platform], path: str) -> None:
    html = site[0].get(path).text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"\son[a-z]+=", html) == []  # no onclick="..." either


def test_security_the_api_documentation_is_served_from_the_platforms_own_copy(
    site: tuple[TestClient, Platform],
) -> None:
    client = site[0]
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources and all(s.startswith("/") for s in sources), sources  # no CDN
        for source in sources:
            assert client.get(source).status_code == 200, source
    assert client.get("/pages/lib/redoc/../package.json").status_code == 404
    assert client.get("/pages/lib/left-pad/index.js").status_code == 404


def test_security_the_api_declares_its_bearer_scheme(site: tuple[TestClient, Platform]) -> None:
    schema = site[0].get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= next(iter(schemes.values())).items()
    assert schema["paths"]["/api/v1/cases"]["get"]["security"]  # what "Authorize" in /docs fills in
    assert "security" not in schema["paths"]["/api/v1/auth/login"]["post"]


def test_security_status_tells_strangers_only_what_is_up(site: tuple[TestClient, Platform]) -> None:
    client, platform = site
    public = client.get("/status").json()
    assert public == {"ok": True, "components": {"database": {"ok": True, "detail": {}}}}
    detailed = client.get("/status", headers=_admin(platform)).json()
    assert detailed["components"]["database"]["detail"] == {"ok": True}


def test_security_metrics_answer_only_the_scrapes_token_when_one_is_set(site: tuple[TestClient, Platform]) -> None:
    client = site[0]
    refused = client.get("/metrics")
    assert refused.status_code == 401 and "HOTLINE_METRICS_TOKEN" in refused.text
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-of-the-center"})
    assert scraped.status_code == 200 and "hotline_" in scraped.text
