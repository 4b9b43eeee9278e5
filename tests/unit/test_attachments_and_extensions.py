"""Files on cases and more time to reply.

A file's kind is read from its content, never from its name: photos, PDF, Word/Excel and plain
text are kept; a program, a web page, an archive or a file whose name lies is refused with the
reason. Files are served as downloads to whoever may read the case, by token or by a ticket for
that one file (what a browser's <audio> or download link carries). A unit asks for more time; a
supervisor grants it (the reply clock moves) or refuses it with a reason.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from casebook.auth.services import AuthService
from casebook.cases.attachments import MAX_BYTES, MAX_PER_CASE, TooLarge, UnsupportedFile, clean_name, sniff
from casebook.cases.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from casebook.cases.intake import NewAppeal
from casebook.cases.offers import offered
from casebook.cases.queries import detail
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from tests.files import PAGE, PDF, PROGRAM, docx, plain_zip, png
from tests.unit.conftest import AGENT, SUPERVISOR, fresh, handler

ENV, WATER = handler("env"), handler("water")


def _dispatched(book: CaseBook, lead: str = "env") -> str:
    appeal = NewAppeal(channel="web", description="河边有死猪，很臭", caller_phone="13800000201")
    number = book.open(appeal, AGENT).number
    book.register(number, AGENT, category="environment.noise")
    book.dispatch(number, AGENT, lead=lead, deadline_hours=48)
    return number


# --- what a file is --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (png(), "现场照片.png", "image/png"),
        (b"\xff\xd8\xff\xe0" + bytes(32), "photo.JPG", "image/jpeg"),
        (PDF, "整改通知.pdf", "application/pdf"),
        (docx(), "reply.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("已现场核查，死猪已清理。".encode(), "note.txt", "text/plain"),
    ],
)
def test_a_file_is_known_by_its_content(data: bytes, name: str, kind: str) -> None:
    assert sniff(data, name) == kind


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (PROGRAM, "setup.exe", "not one the center keeps"),
        (PAGE, "page.html", "not one the center keeps"),
        (PAGE, "photo.txt", "not one the center keeps"),  # markup is not plain text
        (plain_zip(), "photos.zip", "not one the center keeps"),
        (PDF, "photo.jpg", "content is application/pdf but its name ends in .jpg"),
        (png(), "photo", "ends in (nothing)"),
    ],
)
def test_a_program_a_page_an_archive_or_a_lying_name_is_refused_with_the_reason(
    data: bytes, name: str, reason: str
) -> None:
    with pytest.raises(UnsupportedFile, match=reason.replace("(", r"\(").replace(")", r"\)")):
        sniff(data, name)


def test_a_name_loses_its_folders_and_control_characters() -> None:
    assert clean_name("C:\\Users\\li\\现场\x00照片.png") == "现场照片.png"
    assert clean_name("../../etc/passwd.txt") == "passwd.txt"
    assert len(clean_name("长" * 300 + ".png")) == 200 and clean_name("长" * 300 + ".png").endswith(".png")
    with pytest.raises(InvalidInput):
        clean_name("///")


# --- attaching ---------------------------------------------------------------------------------------


def test_the_lead_unit_attaches_a_photo_kept_by_its_checksum_in_the_timeline(book: CaseBook) -> None:
    number = _dispatched(book)
    photo = png()
    row = book.attach(number, ENV, name="现场照片.png", data=photo)
    assert (row.media_type, row.size_bytes, row.unit_code) == ("image/png", len(photo), "env")
    assert row.sha256 == hashlib.sha256(photo).hexdigest()
    assert Path(row.path).read_bytes() == photo and Path(row.path).name == row.sha256
    with book.sessions() as s:
        seen = detail(s, number, SUPERVISOR, book.clock.now())
    assert [(f.name, f.media_type) for f in seen.attachments] == [("现场照片.png", "image/png")]
    assert seen.events[-1].kind == "attached" and seen.events[-1].detail["name"] == "现场照片.png"


def test_attaching_is_refused_with_a_reason_and_keeps_nothing(book: CaseBook, tmp_path: Path) -> None:
    number = _dispatched(book)
    with pytest.raises(NotFound):  # another unit's case is not there for water
        book.attach(number, WATER, name="a.png", data=png())
    with pytest.raises(TooLarge, match=r"at most 10\.0 MB"):
        book.attach(number, ENV, name="big.pdf", data=PDF + bytes(MAX_BYTES))
    with pytest.raises(UnsupportedFile):
        book.attach(number, ENV, name="photo.jpg", data=PROGRAM)
    with pytest.raises(InvalidInput, match="empty"):
        book.attach(number, ENV, name="a.png", data=b"")
    with book.sessions() as s:
        assert detail(s, number, SUPERVISOR, book.clock.now()).attachments == []
    assert not any(p.is_file() for p in (tmp_path / "attachments").rglob("*"))
    closed = book.open(NewAppeal(channel="web", description="不是诉求，撤回"), AGENT).number
    book.close(closed, SUPERVISOR, reason="withdrawn")
    with pytest.raises(InvalidTransition, match="closed"):
        book.attach(closed, SUPERVISOR, name="a.png", data=png())


def test_a_case_holds_a_bounded_number_of_files(book: CaseBook) -> None:
    number = _dispatched(book)
    for i in range(MAX_PER_CASE):
        book.attach(number, ENV, name=f"photo-{i}.png", data=png(8 + i, 8))
    with pytest.raises(InvalidInput, match=f"at most {MAX_PER_CASE} files"):
        book.attach(number, ENV, name="one-more.png", data=png())


# --- over the API: downloads and tickets ----------------------------------------------------------


@pytest.fixture
def people(auth: AuthService) -> dict[str, dict[str, str]]:
    stamp = auth.now().strftime("%y%m%d%H%M%S%f")
    headers = {}
    people = (("env", "unit_handler", "env"), ("water", "unit_handler", "water"), ("sup", "supervisor", None))
    for name, role, unit in people:
        auth.create_user(f"{name}-{stamp}", role, unit=unit, password="a-long-password")
        headers[name] = {"Authorization": f"Bearer {auth.login(f'{name}-{stamp}', 'a-long-password')}"}
    return headers


def test_a_file_is_uploaded_then_served_as_a_download_that_never_runs(
    book: CaseBook, api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    number = _dispatched(book)
    sent = api.post(
        f"/api/v1/cases/{number}/attachments",
        files={"file": ("现场照片.png", png(), "application/octet-stream")},
        headers=people["env"],
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["media_type"] == "image/png"  # what its content is, not what was declared
    path = f"/api/v1/cases/{number}/attachments/{sent.json()['id']}"
    got = api.get(path, headers=people["sup"])
    assert got.status_code == 200 and got.content == png()
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert api.get(path, headers=people["water"]).status_code == 404  # not water's case
    assert api.get(path).status_code == 401


def test_a_refused_upload_says_why_in_a_4xx(book: CaseBook, api: TestClient, people: dict[str, dict[str, str]]) -> None:
    number = _dispatched(book)
    url = f"/api/v1/cases/{number}/attachments"
    big = api.post(url, files={"file": ("scan.pdf", PDF + bytes(MAX_BYTES), "application/pdf")}, headers=people["env"])
    assert big.status_code == 413 and "at most 10.0 MB" in big.json()["detail"]
    huge_file = {"file": ("scan.pdf", PDF + bytes(3 * MAX_BYTES), "application/pdf")}
    huge = api.post(url, files=huge_file, headers=people["env"])
    assert huge.status_code == 413 and "at most 10 MB" in huge.json()["detail"]  # refused before it is read
    page = api.post(url, files={"file": ("photo.jpg", PAGE, "image/jpeg")}, headers=people["env"])
    assert page.status_code == 415 and "not one the center keeps" in page.json()["detail"]
    none = api.post(url, headers=people["env"])
    assert none.status_code == 422
    with book.sessions() as s:
        assert detail(s, number, SUPERVISOR, book.clock.now()).attachments == []


def test_a_ticket_opens_one_file_for_a_while_and_nothing_else(
    book: CaseBook, api: TestClient, people: dict[str, dict[str, str]], clock: FixedClock
) -> None:
    number = _dispatched(book)
    first = book.attach(number, ENV, name="a.png", data=png())
    second = book.attach(number, ENV, name="b.pdf", data=PDF)
    path = f"/api/v1/cases/{number}/attachments/{first.id}"
    link = api.post("/api/v1/cases/links", json={"path": path}, headers=people["env"])
    assert link.status_code == 201, link.text
    url = link.json()["url"]
    assert api.get(url).status_code == 200  # no header: the ticket is enough for this file
    other = url.replace(f"/attachments/{first.id}?", f"/attachments/{second.id}?")
    assert api.get(other).status_code == 401  # not for another file
    ticket = url.split("ticket=")[1]
    assert api.get(f"/api/v1/cases/{number}", headers={"Authorization": f"Bearer {ticket}"}).status_code == 401
    assert api.post("/api/v1/cases/links", json={"path": path}, headers=people["water"]).status_code == 404
    refused = api.post("/api/v1/cases/links", json={"path": "/api/v1/reports/monthly/2027-01"}, headers=people["sup"])
    assert refused.status_code == 422 and "recordings, attachments" in refused.json()["detail"]
    clock.advance(hours=2)
    assert api.get(url).status_code == 401  # an hour's ticket has ended


def test_a_recording_streams_and_seeks_by_ranges(
    book: CaseBook, api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    call_id = f"call-{book.clock.now().timestamp()}"
    appeal = NewAppeal(channel="line-12345", description="电话留言", caller_phone="13800000202", call_id=call_id)
    number = book.open(appeal, AGENT).number
    audio = b"RIFF" + bytes(4) + b"WAVE" + bytes(4000)
    book.attach_recording(call_id, "message", audio, "audio/wav", 0.25)
    link = api.post(
        "/api/v1/cases/links", json={"path": f"/api/v1/cases/{number}/recordings/message"}, headers=people["sup"]
    )
    part = api.get(link.json()["url"], headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == audio[1000:2000]
    assert part.headers["accept-ranges"] == "bytes"


# --- more time ------------------------------------------------------------------------------------------


def test_the_unit_asks_for_more_time_and_a_supervisor_grants_it(book: CaseBook, clock: FixedClock) -> None:
    number = _dispatched(book)
    due = fresh(book, number).reply_due
    assert due is not None
    with book.sessions() as s:
        assert "extension" in offered(book.get(s, number), ENV)
    book.ask_extension(number, ENV, until=due + timedelta(days=5), reason="需要环保、水务联合取样")
    with book.sessions() as s:
        case = book.get(s, number)
        assert "extension" not in offered(case, ENV)  # one request waits at a time
        assert "extension/decision" in offered(case, SUPERVISOR)
        assert "extension/decision" not in offered(case, ENV)
    with pytest.raises(InvalidTransition, match="already waiting"):
        book.ask_extension(number, ENV, until=due + timedelta(days=6), reason="again")
    with pytest.raises(Forbidden):
        book.decide_extension(number, ENV, granted=True)
    book.decide_extension(number, SUPERVISOR, granted=True)
    assert fresh(book, number).reply_due == due + timedelta(days=5)
    with book.sessions() as s:
        seen = detail(s, number, SUPERVISOR, clock.now())
    assert [e.kind for e in seen.events][-2:] == ["extension_asked", "extension_granted"]
    assert seen.extensions[0].granted is True and seen.extensions[0].reply_due_before == due


def test_more_time_is_refused_with_a_reason_and_the_clock_stays(book: CaseBook) -> None:
    number = _dispatched(book)
    due = fresh(book, number).reply_due
    assert due is not None
    with pytest.raises(InvalidInput, match="after the current reply deadline"):
        book.ask_extension(number, ENV, until=due - timedelta(hours=1), reason="x")
    with pytest.raises(InvalidInput, match="at most 90 days"):
        book.ask_extension(number, ENV, until=due + timedelta(days=120), reason="x")
    with pytest.raises(NotFound):
        book.ask_extension(number, WATER, until=due + timedelta(days=1), reason="x")
    with pytest.raises(InvalidTransition, match="no request"):
        book.decide_extension(number, SUPERVISOR, granted=True)
    book.ask_extension(number, ENV, until=due + timedelta(days=3), reason="等待检测报告")
    with pytest.raises(InvalidInput, match="say why"):
        book.decide_extension(number, SUPERVISOR, granted=False)
    book.decide_extension(number, SUPERVISOR, granted=False, answer="按期办理，检测可并行")
    assert fresh(book, number).reply_due == due
    with book.sessions() as s:
        assert "extension" in offered(book.get(s, number), ENV)  # it may ask again
