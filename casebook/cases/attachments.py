"""Attachments on cases: the photo a unit sends with its reply, the document a citizen brought.

What a file is comes from its first bytes, never from its name or from the type the browser
declared: a "photo.jpg" that is an HTML page or a program is refused, with the reason. Only photos
(JPEG, PNG, GIF, WebP), PDF, Word and Excel documents and plain text are kept, at most
`MAX_BYTES` each and `MAX_PER_CASE` per case. Files are kept outside the database, named by their
SHA-256 (`<root>/YYYY/MM/<sha256>`), written whole or not at all; the API always serves them as
downloads with the type found here and `nosniff`, so a browser never runs one.

A mixin of `CaseBook` (casebook/cases/services.py) along its own seam, with the store as its own
class, as recordings.py has, so that another store (object storage, a NAS) replaces only the class.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casebook.auth.policy import Actor
from casebook.cases.errors import CasebookError, InvalidInput, InvalidTransition, NotFound
from casebook.cases.lifecycle import OPEN_STATES, Status
from casebook.cases.part import BookPart
from casebook.cases.queries import check_visible
from casebook.db.models import Attachment, Case
from common.files import write_durably

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_CASE = 20
ACCEPTED = (
    "照片(JPEG、PNG、GIF、WebP)、PDF、Word/Excel 文档或纯文本 / "
    "photos (JPEG, PNG, GIF, WebP), PDF, Word or Excel documents, plain text"
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# the name's ending each type may carry
ENDINGS: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    "text/plain": (".txt",),
}
IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


class TooLarge(CasebookError):
    status_code = 413
    error_id = "too_large"


class UnsupportedFile(CasebookError):
    status_code = 415
    error_id = "unsupported_file"


def sniff(data: bytes, name: str) -> str:
    """The media type of `data` as its content shows it, checked against the name's ending;
    `UnsupportedFile` with the reason otherwise."""
    found = _by_content(data)
    if found is None:
        raise UnsupportedFile(f"this file is not one the center keeps; send {ACCEPTED}")
    ending = Path(name).suffix.lower()
    if ending not in ENDINGS[found]:
        expected = " or ".join(ENDINGS[found])
        raise UnsupportedFile(
            f"the file's content is {found} but its name ends in {ending or '(nothing)'}; "
            f"rename it to end in {expected}, or send the file it names"
        )
    return found


def _by_content(data: bytes) -> str | None:
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return _office(data)
    return _plain_text(data)


def _office(data: bytes) -> str | None:
    """A Word or Excel file is a zip with its main part; any other zip (a program, an archive of
    anything) is refused."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _plain_text(data: bytes) -> str | None:
    """UTF-8 text without control bytes, and not markup a browser would render as a page."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text):
        return None
    if re.match(r"\s*<(!doctype|html|svg|script|\?xml)", text[:200], re.IGNORECASE):
        return None
    return "text/plain"


def clean_name(name: str) -> str:
    """The file's own name without folders or control characters, at most 200 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().strip(".")
    if not base:
        raise InvalidInput("the file needs a name")
    stem, dot, ending = base.rpartition(".")
    if dot and len(base) > 200:
        return stem[: 199 - len(ending)] + "." + ending
    return base[:200]


@dataclass(frozen=True, slots=True)
class Kept:
    path: Path
    size_bytes: int
    sha256: str


class AttachmentStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def keep(self, data: bytes, at: datetime) -> Kept:
        """Write the file under its checksum, whole and on the disk (`common.files.write_durably`:
        a crash leaves a `.part`, never a truncated file); the same file attached twice is kept once."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.root / at.strftime("%Y/%m") / digest
        if not path.is_file():
            write_durably(path, data)
        return Kept(path, len(data), digest)


class Attaching(BookPart):
    """Needs of the book: sessions, clock, the unit of work, the event log; `attachments`, the store."""

    attachments: AttachmentStore

    def attach(self, number: str, actor: Actor, *, name: str, data: bytes) -> Attachment:
        """Keep a file on an open case, with an event in its timeline. A unit handler attaches
        to its own unit's cases (the photo of the work done, sent with the reply)."""
        if len(data) > MAX_BYTES:
            raise TooLarge(f"the file is {_mb(len(data))}; a file may be at most {_mb(MAX_BYTES)}")
        if not data:
            raise InvalidInput("the file is empty")
        name = clean_name(name)
        media_type = sniff(data, name)
        with self.acting(number, actor, "attach") as a:
            if Status(a.case.status) not in OPEN_STATES:
                raise InvalidTransition(f"cannot attach files to a case that is {a.case.status}")
            held = a.s.scalar(select(func.count()).where(Attachment.case_id == a.case.id)) or 0
            if held >= MAX_PER_CASE:
                raise InvalidInput(f"a case holds at most {MAX_PER_CASE} files; this one has {held}")
            now = self.clock.now()
            kept = self.attachments.keep(data, now)
            row = Attachment(
                case_id=a.case.id,
                name=name,
                media_type=media_type,
                size_bytes=kept.size_bytes,
                sha256=kept.sha256,
                path=str(kept.path),
                author=actor.name,
                unit_code=actor.unit,
                at=now,
            )
            a.s.add(row)
            a.s.flush()
            a.case.updated_at = now
            self._event(a.s, a.case, actor, "attached", attachment=row.id, name=name, media_type=media_type)
            a.tell("case.attached", attachment=row.id, name=name)
        return row


def attachment_file(s: Session, number: str, attachment_id: int, actor: Actor) -> Attachment:
    """An attachment of a case the actor may read, whose file is in the store."""
    case = s.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFound(f"no case {number}")
    check_visible(s, case, actor)
    row = s.scalar(select(Attachment).where(Attachment.case_id == case.id, Attachment.id == attachment_id))
    if row is None:
        raise NotFound(f"case {number} has no attachment {attachment_id}")
    if not Path(row.path).is_file():
        raise NotFound(f"the file of attachment {attachment_id} is missing from storage")
    return row


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
