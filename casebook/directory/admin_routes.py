"""The directory edited over HTTP by administrators: units, categories, places, and CSV of units
and places (casebook/directory/editing.py says the rules)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from casebook.api.deps import AdminDep, ServicesDep
from casebook.cases.errors import InvalidInput
from casebook.directory.editing import CategoryFacts, DirectoryEditor, PlaceFacts, UnitFacts

router = APIRouter(prefix="/api/v1", tags=["directory"])
CodePath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9.@-]+$")]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9.@-]+$")]
NameZh = Annotated[str, StringConstraints(min_length=1, max_length=64)]
NameEn = Annotated[str, StringConstraints(min_length=1, max_length=96)]
Word = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class SectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name_zh: NameZh
    name_en: Annotated[str, StringConstraints(max_length=96)] = ""


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["department", "township", "center"]
    name_zh: NameZh
    name_en: NameEn
    active: bool = Field(default=True, description="false: the unit leaves the lists and routing choices.")
    email: Annotated[str, StringConstraints(max_length=128, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{3,20}$")] | None = Field(
        default=None, description="The unit's duty phone: agents transfer callers there or call the unit in."
    )
    sections: list[SectionIn] | None = Field(default=None, max_length=50, description="Left out: kept as they are.")


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name_zh: NameZh
    name_en: NameEn
    parent: Code | None = None
    keywords: list[Word] = Field(default_factory=list, max_length=200, description="The classifier's words.")


class PlaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name_zh: NameZh
    township: Code | None = None
    aliases: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=50
    )


class PutOut(BaseModel):
    code: str
    created: bool


class ImportedOut(BaseModel):
    created: int
    updated: int


def _editor(svc: ServicesDep) -> DirectoryEditor:
    return DirectoryEditor(svc.book.sessions)


@router.put("/units/{code}", response_model=PutOut)
def put_unit(svc: ServicesDep, actor: AdminDep, code: CodePath, body: UnitIn) -> PutOut:
    """Make or change a unit (a department, a township, the center) and its sections."""
    sections = None if body.sections is None else tuple((x.code, x.name_zh, x.name_en) for x in body.sections)
    facts = UnitFacts(code, body.kind, body.name_zh, body.name_en, body.active, body.email, sections, body.phone)
    created = _editor(svc).put_unit(facts)
    svc.book.reload_directory()
    return PutOut(code=code, created=created)


@router.put("/categories/{code}", response_model=PutOut)
def put_category(svc: ServicesDep, actor: AdminDep, code: CodePath, body: CategoryIn) -> PutOut:
    """Make or change a category of the type screening, with the words that point to it."""
    facts = CategoryFacts(code, body.name_zh, body.name_en, body.parent, tuple(body.keywords))
    created = _editor(svc).put_category(facts)
    svc.book.reload_directory()
    return PutOut(code=code, created=created)


@router.put("/places/{code}", response_model=PutOut)
def put_place(svc: ServicesDep, actor: AdminDep, code: CodePath, body: PlaceIn) -> PutOut:
    """Make or change a place of the gazetteer (its township, and other names people use)."""
    created = _editor(svc).put_place(PlaceFacts(code, body.name_zh, body.township, tuple(body.aliases)))
    svc.book.reload_directory()
    return PutOut(code=code, created=created)


@router.delete("/places/{code}", status_code=204)
def remove_place(svc: ServicesDep, actor: AdminDep, code: CodePath) -> Response:
    """Take a place out of the gazetteer (refused while a case names it: 409 with the count)."""
    _editor(svc).remove_place(code)
    svc.book.reload_directory()
    return Response(status_code=204)


@router.get("/directory/{kind}.csv", response_class=Response)
def export_directory(svc: ServicesDep, actor: AdminDep, kind: Literal["units", "places"]) -> Response:
    """Every unit or place as CSV (UTF-8 with a byte-order mark): the import's own columns."""
    return Response(
        _editor(svc).export_csv(kind),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kind}.csv"'},
    )


@router.post("/directory/{kind}.csv", response_model=ImportedOut)
async def import_directory(
    request: Request, svc: ServicesDep, actor: AdminDep, kind: Literal["units", "places"]
) -> ImportedOut:
    """Units or places from CSV (send the file as the body, text/csv): every line is checked
    first; one wrong line and nothing is written, the answer says which and why."""
    text = await csv_text(request)
    done = await run_in_threadpool(_editor(svc).import_csv, kind, text)
    svc.book.reload_directory()
    request.state.audit = {"target": f"directory:{kind}", "after": {"created": done.created, "updated": done.updated}}
    return ImportedOut(created=done.created, updated=done.updated)


async def csv_text(request: Request) -> str:
    """The request's body as the text of a CSV file (UTF-8)."""
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput('the CSV is not UTF-8 text: save it as "CSV UTF-8"') from None
