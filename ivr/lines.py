"""The hotline numbers ("lines") the center answers, loaded from a YAML file.

Each line says how it greets, when it is open, which queue takes its callers and which
category its appeals default to. The file is data: the center edits it without code.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from ivr.hours import HoursRule

LANGUAGES = ("zh", "en")


class LinesFileError(ValueError):
    """The lines file is missing, not YAML, or describes a line badly."""


class Greeting(BaseModel):
    zh: str
    en: str


class LineProfile(BaseModel):
    number: str = Field(pattern=r"^[0-9]{3,15}$")
    code: str = Field(pattern=r"^[a-z0-9-]+$", description="Stable short name, used in prompt file names.")
    name_zh: str
    name_en: str
    greeting: Greeting
    language: str = "zh"
    hours: list[HoursRule] | None = None
    default_queue: str = Field(pattern=r"^[a-z0-9-]+$")
    default_category: str
    channel: str = "phone"

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


class LineBook(BaseModel):
    lines: list[LineProfile]

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
