"""The hotline numbers ("lines") the center answers: the packaged YAML file, or the lines an
administrator saved from the admin page (hotline/features/lines/), which win over the file.

Each line says how it greets, when it is open, which queue takes its callers and which
category its appeals default to. The file is data: the center edits it without code.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ivr.hours import HoursRule

LANGUAGES = ("zh", "en")


class LinesFileError(ValueError):
    """The lines file is missing, not YAML, or describes a line badly."""


# what a caller hears first: a sentence or two, not a speech (espeak reads it at every call)
GREETING_MAX = 120
NAME_MAX = 60


class Greeting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: str = Field(min_length=1, max_length=GREETING_MAX)
    en: str = Field(min_length=1, max_length=GREETING_MAX)

    @field_validator("zh", "en")
    @classmethod
    def _words(cls, value: str) -> str:
        return _plain_text(value)


class LineProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(pattern=r"^[0-9]{3,15}$")
    code: str = Field(pattern=r"^[a-z0-9-]{1,32}$", description="Stable short name, used in prompt file names.")
    name_zh: str = Field(min_length=1, max_length=NAME_MAX)
    name_en: str = Field(min_length=1, max_length=NAME_MAX)
    greeting: Greeting
    language: str = "zh"
    hours: list[HoursRule] | None = Field(
        default=None, description="None: open around the clock; []: always closed; else open only then."
    )
    default_queue: str = Field(pattern=r"^[a-z0-9-]{1,32}$")
    default_category: str = Field(min_length=1, max_length=64)
    channel: str = "phone"
    wait_unstaffed: bool = Field(
        default=False,
        description="In the line's hours, a caller asking for a person waits in the queue even when no agent "
        "is signed in (a manager sees them waiting); otherwise they leave a message at once.",
    )
    queue_wait_s: int | None = Field(
        default=None,
        ge=10,
        le=3600,
        description="How long a caller waits in the queue before leaving a message instead (None: the "
        "installation's HOTLINE_QUEUE_MAX_WAIT_S). Key 1 leaves one at any time.",
    )

    @field_validator("name_zh", "name_en")
    @classmethod
    def _names(cls, value: str) -> str:
        return _plain_text(value)

    @field_validator("default_queue")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "general":
            raise ValueError("'general' is reserved by Asterisk's queues.conf; name the queue otherwise")
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}")
        return value


def _plain_text(value: str) -> str:
    """Words a caller hears or a page shows: no control characters, no blank text."""
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in value):
        raise ValueError("must not contain control characters (line breaks, tabs...)")
    return value


class PauseReason(BaseModel):
    """Why an agent steps away: a code kept in the call log, the words the agent page offers."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z0-9-]{1,32}$")
    zh: str = Field(min_length=1, max_length=20)
    en: str = Field(min_length=1, max_length=40)


DEFAULT_PAUSE_REASONS = (
    PauseReason(code="break", zh="休息", en="Break"),
    PauseReason(code="meal", zh="用餐", en="Meal"),
    PauseReason(code="training", zh="培训", en="Training"),
    PauseReason(code="paperwork", zh="整理", en="Paperwork"),
)


class QueueRules(BaseModel):
    """How one queue treats its agents (the lines file's `queues:`; a queue not named has these)."""

    model_config = ConfigDict(extra="forbid")
    wrapup_s: int = Field(
        default=10, ge=0, le=600, description="After each call, Asterisk gives the agent no call for this long."
    )
    wrapup_max_s: int | None = Field(
        default=None,
        ge=0,
        le=3600,
        description="The agent's wrap-up ends at the latest after this long (None: HOTLINE_DESK_WRAPUP_MAX_S).",
    )
    pause_reasons: list[PauseReason] = Field(default_factory=lambda: list(DEFAULT_PAUSE_REASONS), max_length=20)


class LineBook(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    lines: list[LineProfile] = Field(min_length=1, max_length=50)
    queue_rules: dict[str, QueueRules] = Field(
        default_factory=dict, alias="queues", description="Per queue (by name): wrap-up and the reasons to pause."
    )

    @model_validator(mode="after")
    def _unique(self) -> LineBook:
        for attr in ("number", "code"):
            values = [getattr(line, attr) for line in self.lines]
            duplicated = {v for v in values if values.count(v) > 1}
            if duplicated:
                raise ValueError(f"duplicate line {attr}: {sorted(duplicated)}")
        return self

    def by_number(self, number: str) -> LineProfile | None:
        return next((line for line in self.lines if line.number == number), None)

    @property
    def queues(self) -> list[str]:
        return sorted({line.default_queue for line in self.lines})

    def rules(self, queue: str) -> QueueRules:
        """The queue's own rules, or the defaults."""
        return self.queue_rules.get(queue) or QueueRules()

    def pause_reasons(self, queues: list[str] | None = None) -> list[PauseReason]:
        """The reasons to pause of these queues (every queue's when None), each code once, in order."""
        found: dict[str, PauseReason] = {}
        for queue in self.queues if queues is None else queues:
            for reason in self.rules(queue).pause_reasons:
                found.setdefault(reason.code, reason)
        return list(found.values()) or list(DEFAULT_PAUSE_REASONS)

    def take(self, other: LineBook) -> None:
        """Become `other`, in place: every part of a process holds this one book (the IVR, the desk,
        the wallboard, the dialler), so an administrator's edit reaches them all at once. The list
        is replaced, not changed, so whoever is reading the old one (a render) reads it whole."""
        self.lines = list(other.lines)
        self.queue_rules = dict(other.queue_rules)

    def key(self) -> str:
        """What the book says, as one string: equal keys, equal books."""
        return self.model_dump_json()


def default_lines_path() -> Path:
    return Path(str(resources.files("ivr") / "lines.yaml"))


def load_lines(path: Path | None = None) -> LineBook:
    """Read and validate a lines file (the packaged default when `path` is None)."""
    source = path or default_lines_path()
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LinesFileError(f"cannot read lines file {source}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise LinesFileError(f"lines file {source} is not valid YAML: {exc}") from exc
    try:
        return LineBook.model_validate(data)
    except ValidationError as exc:
        raise LinesFileError(f"lines file {source} is invalid:\n{exc}") from exc
