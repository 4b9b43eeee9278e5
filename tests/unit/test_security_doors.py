"""The doors the security trial of issue 16 found open, each kept shut by a test named after it.

The API is the real application over the real PostgreSQL (FastAPI's test client); each test
sends what the trial sent and expects a refusal with a reason, never a 500 and never a stored
value that breaks a reader later.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from casebook.api.doors import MAX_BODY
from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from tests.unit.conftest import AGENT

OPEN311 = "/open311/v2"


@pytest.fixture
def supervisor(auth: AuthService) -> dict[str, str]:
    name = f"sup-{auth.now().strftime('%y%m%d%H%M%S%f')}"
    auth.create_user(name, Role.SUPERVISOR, password="a-long-password")
    return {"Authorization": f"Bearer {auth.login(name, 'a-long-password')}"}


@pytest.fixture
def keys(auth: AuthService) -> dict[str, str]:
    stamp = auth.now().timestamp()
    return {
        "web": auth.create_api_key(f"web-{stamp}", "web"),
        "mailbox": auth.create_api_key(f"mailbox-{stamp}", "mailbox-mayor"),
    }


def _report(api: TestClient, key: str, **fields: str) -> object:
    data = {"service_code": "urban.sanitation", "address_string": "五津镇正街", "description": "垃圾没人清运"}
    return api.post(f"{OPEN311}/requests.json", data={**data, **fields, "api_key": key})


# --- control characters ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        "description=ctl%01%1b%07x&service_code=urban.sanitation&address_string=x",  # the trial's
        "description=a%00b&service_code=urban.sanitation&address_string=x",  # NUL, form-encoded
        "description=bell\x07&service_code=urban.sanitation&address_string=x",  # raw
        "description=del%7Fx&service_code=urban.sanitation&address_string=x",  # DEL
        "description=c1%C2%9Bx&service_code=urban.sanitation&address_string=x",  # a C1 control (CSI)
        "description=%E2%80%AEevil&service_code=urban.sanitation&address_string=x",  # right-to-left override
        "description=\u2068isolate&service_code=urban.sanitation&address_string=x",  # raw direction isolate
    ],
    ids=["percent-encoded", "nul-percent-encoded", "raw", "del", "c1", "rtl-override", "raw-isolate"],
)
def test_security_control_characters_in_an_open311_form_are_refused(
    api: TestClient, keys: dict[str, str], body: str
) -> None:
    answer = api.post(
        f"{OPEN311}/requests.xml",
        content=f"{body}&api_key={keys['web']}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 400, answer.text
    error = ET.fromstring(answer.content).find("error")
    assert error is not None and "character" in (error.findtext("description") or "")


def test_security_control_characters_in_json_are_refused_even_split_across_chunks(
    api: TestClient, supervisor: dict[str, str]
) -> None:
    body = json.dumps({"channel": "web", "description": "x\u001by"}).encode()  # \u001b escaped by json
    assert b"\\u001b" in body
    answer = api.post("/api/v1/cases", content=body, headers={**supervisor, "Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["error"] == "control_character", answer.text

    nul = json.dumps({"channel": "web", "description": "a\u0000b"}).encode()
    cut = nul.index(b"\\u0000") + 3  # "\u0" in one chunk, "000" in the next

    def chunks() -> Iterator[bytes]:
        yield nul[:cut]
        yield nul[cut:]

    answer = api.post("/api/v1/cases", content=chunks(), headers={**supervisor, "Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["error"] == "nul_character", answer.text


def test_security_an_escaped_backslash_before_u_is_words_not_a_control_character(
    api: TestClient, supervisor: dict[str, str]
) -> None:
    body = json.dumps({"channel": "web", "description": "路径 C:\\u0001 写错了"}).encode()  # a backslash, then u0001
    answer = api.post("/api/v1/cases", content=body, headers={**supervisor, "Content-Type": "application/json"})
    assert answer.status_code in (200, 201), answer.text


def test_security_open311_xml_parses_whatever_a_case_holds(
    api: TestClient, keys: dict[str, str], book: CaseBook
) -> None:
    # a case stored before the doors were shut (or imported, or edited by hand)
    case = book.open(NewAppeal(channel="web", description="旧案\x01\x1b\x07件"), AGENT)
    answer = api.get(f"{OPEN311}/requests/{case.number}.xml", params={"api_key": keys["web"]})
    assert answer.status_code == 200
    request = ET.fromstring(answer.content).find("request")
    assert request is not None and request.findtext("description") == "旧案件"
    listing = api.get(f"{OPEN311}/requests.xml", params={"api_key": keys["web"]})
    assert ET.fromstring(listing.content).tag == "service_requests"


# --- Open311 keys read their own channel -------------------------------------------------------------------
def test_security_an_open311_key_reads_only_its_own_channels_requests(
    api: TestClient, keys: dict[str, str], book: CaseBook
) -> None:
    web = _report(api, keys["web"])
    assert web.status_code == 200, web.text  # type: ignore[attr-defined]
    number = web.json()[0]["service_request_id"]  # type: ignore[attr-defined]
    phone = book.open(NewAppeal(channel="phone", description="电话里说的事，地址和回复"), AGENT).number

    def readable(key: str, case: str) -> bool:
        return api.get(f"{OPEN311}/requests/{case}.json", params={"api_key": key}).status_code == 200

    assert readable(keys["web"], number)
    assert not readable(keys["mailbox"], number)  # another channel's key: "not found", as a missing one
    assert not readable(keys["web"], phone) and not readable(keys["mailbox"], phone)
    listed = api.get(f"{OPEN311}/requests.json", params={"api_key": keys["mailbox"]}).json()
    assert number not in {r["service_request_id"] for r in listed}
    assert phone not in {r["service_request_id"] for r in listed}
    missing = api.get(f"{OPEN311}/requests/{phone}.json", params={"api_key": keys["mailbox"]})
    assert missing.json() == [{"code": 404, "description": f"no service request {phone}"}]


# --- dates and cursors at the edges -------------------------------------------------------------------------
@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "1800-01-01T00:00:00Z"])
def test_security_dates_beyond_any_case_give_a_reason_not_a_500(
    api: TestClient, supervisor: dict[str, str], keys: dict[str, str], moment: str
) -> None:
    listed = api.get("/api/v1/cases", params={"received_from": moment}, headers=supervisor)
    assert listed.status_code == 422 and "2000" in listed.text, listed.text
    open311 = api.get(f"{OPEN311}/requests.json", params={"api_key": keys["web"], "start_date": moment})
    assert open311.status_code == 400 and "2000" in open311.text, open311.text


@pytest.mark.parametrize("cursor", [f"2026-12-01T00:00:00+00:00|{2**64}", "9999-12-31T23:59:59-14:00|1", "-|-1"])
def test_security_a_forged_list_cursor_gives_a_reason_not_a_500(
    api: TestClient, supervisor: dict[str, str], cursor: str
) -> None:
    forged = base64.urlsafe_b64encode(cursor.encode()).decode()
    answer = api.get("/api/v1/cases", params={"cursor": forged}, headers=supervisor)
    assert answer.status_code == 422 and "cursor" in answer.text, answer.text


# --- bodies before authentication -------------------------------------------------------------------------
def test_security_a_large_body_is_refused_before_authentication(api: TestClient) -> None:
    big = b'{"description": "' + b"x" * (MAX_BODY + 1) + b'"}'
    declared = api.post("/api/v1/cases", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and declared.json()["error"] == "too_large"

    def undeclared() -> Iterator[bytes]:  # chunked: no length to read beforehand
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    chunked = api.post("/api/v1/cases", content=undeclared(), headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413
    assert api.post("/api/v1/cases", json={"description": "x"}).status_code == 401  # a small one: who are you?


# --- rate limits -------------------------------------------------------------------------------------
def test_security_an_open311_key_is_rate_limited_and_told_when_to_come_back(
    book: CaseBook, auth: AuthService, keys: dict[str, str]
) -> None:
    from casebook.api.app import create_app
    from casebook.api.deps import Services
    from casebook.open311.limits import RateLimiter
    from casebook.reports.services import ReportService

    now = [0.0]
    services = Services(
        book,
        auth,
        ReportService(book.sessions, book.recordings_dir),
        open311_limits=RateLimiter(5, monotonic=lambda: now[0]),
    )
    with TestClient(create_app(services), raise_server_exceptions=False) as api:
        answers = [_report(api, keys["web"]).status_code for _ in range(6)]  # type: ignore[attr-defined]
        assert answers == [200] * 5 + [429]
        refused = _report(api, keys["web"])
        assert refused.headers["Retry-After"] == "12" and "too many requests" in refused.text  # type: ignore[attr-defined]
        reads = api.get(f"{OPEN311}/requests.xml", params={"api_key": keys["mailbox"]})
        assert reads.status_code == 200  # another key has its own budget
        ET.fromstring(api.get(f"{OPEN311}/requests.xml", params={"api_key": keys["web"]}).text)  # an error, in XML
        now[0] += 12  # a request's worth of budget comes back every 12 s at 5 a minute
        assert _report(api, keys["web"]).status_code == 200  # type: ignore[attr-defined]


# --- uploads -------------------------------------------------------------------------------------------
def _chunks(total_mb: int, sent: list[int]) -> object:
    boundary_start = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'

    def body() -> object:
        yield boundary_start
        for _ in range(total_mb):
            sent.append(1)
            yield b"a" * 2**20
        yield b"\r\n--XyZ--\r\n"

    return body()


def test_security_an_anonymous_upload_is_refused_before_its_body_is_read(api: TestClient, book: CaseBook) -> None:
    number = book.open(NewAppeal(channel="web", description="路灯不亮"), AGENT).number
    sent: list[int] = []
    answer = api.post(
        f"/api/v1/cases/{number}/attachments",
        content=_chunks(50, sent),  # chunked: no Content-Length to refuse it by
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert answer.status_code == 401 and answer.json()["error"] == "not_logged_in"
    assert len(sent) < 5, f"{len(sent)} MB were read from a stranger"


def test_security_a_chunked_upload_over_the_limit_is_cut_at_it(
    api: TestClient, book: CaseBook, supervisor: dict[str, str]
) -> None:
    number = book.open(NewAppeal(channel="web", description="路灯不亮"), AGENT).number
    sent: list[int] = []
    answer = api.post(
        f"/api/v1/cases/{number}/attachments",
        content=_chunks(40, sent),
        headers={**supervisor, "Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    # (the test client sends the rest of its body after the answer; a real server closes instead)
    assert answer.status_code == 413 and "10 MB" in answer.json()["detail"]
