"""Open311 GeoReport v2 at `/open311/v2/`.

Services are the categories of the type-screening tree. A request becomes a case of the channel
its API key belongs to (the mayor's mailbox, the web form, Weibo, WeChat...), screened, linked
to its master when it repeats one, and routed like any other appeal. `agency_responsible` is the
lead unit; `expected_datetime` is the handling deadline.

Deviation from the specification, deliberate: reading requests needs an API key too, unless the
center turns on public reads (`HOTLINE_OPEN311_PUBLIC_READS`), because citizens' descriptions are
personal data in this setting.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from casebook.api.deps import ServicesDep
from casebook.auth.policy import Actor, Role
from casebook.cases.errors import CasebookError
from casebook.cases.intake import NewAppeal
from casebook.cases.lifecycle import Status
from casebook.cases.schemas import FIRST_YEAR, LAST_YEAR, sane_moment
from casebook.db.models import Case, Category, Unit
from casebook.open311.formats import Open311Error, check_format, render, render_one
from casebook.open311.limits import client_of


async def within_budget(request: Request, svc: ServicesDep) -> None:
    """Each client (its api_key, or its address) may ask `open311_limits.per_minute` times a
    minute (casebook/open311/limits.py); over it, 429 with Retry-After."""
    key = request.query_params.get("api_key")
    if key is None and request.method == "POST":
        with contextlib.suppress(Exception):  # a malformed form is refused by the route itself
            found = (await request.form()).get("api_key")
            key = found if isinstance(found, str) else None
    wait = svc.open311_limits.take(client_of(key, request.client.host if request.client else None))
    if wait:
        raise Open311Error(429, f"too many requests from this client: try again in {wait} s", retry_after=wait)


router = APIRouter(prefix="/open311/v2", tags=["open311"], dependencies=[Depends(within_budget)])
MAX_RESULTS = 1000
DEFAULT_DAYS = 90
GATEWAY = Actor("open311", Role.INTAKE_AGENT)


def _services(s: Session) -> list[dict[str, Any]]:
    categories = list(s.scalars(select(Category).order_by(Category.code)))
    names = {c.code: c.name_zh for c in categories}
    parents = {c.parent_code for c in categories if c.parent_code}
    rows = []
    for category in categories:
        if category.code in parents:
            continue  # offer the leaves (and the categories without children)
        rows.append(
            {
                "service_code": category.code,
                "service_name": category.name_zh,
                "description": f"{category.name_zh} / {category.name_en}",
                "metadata": False,
                "type": "realtime",
                "keywords": ",".join(str(k).split(":")[0] for k in (category.keywords or [])[:10]),
                "group": names.get(category.parent_code or "", category.name_zh),
            }
        )
    return rows


@router.get("/discovery.{fmt}", summary="Discovery")
def discovery(fmt: str) -> Response:
    check_format(fmt)
    row = {
        "changeset": "2026-11-27T00:00:00Z",
        "contact": "the county's citizens' appeals center",
        "key_service": "ask the center for an API key",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": "/open311/v2",
                "changeset": "2026-11-27T00:00:00Z",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render_one(fmt, "discovery", row)


@router.get("/services.{fmt}", summary="List services")
def list_services(
    svc: ServicesDep, fmt: str, jurisdiction_id: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    check_format(fmt)
    with svc.book.sessions() as s:
        return render(fmt, "services", "service", _services(s))


@router.get("/services/{service_code}.{fmt}", summary="Service definition")
def service_definition(svc: ServicesDep, service_code: str, fmt: str) -> Response:
    check_format(fmt)
    with svc.book.sessions() as s:
        if s.get(Category, service_code) is None:
            raise Open311Error(404, f"unknown service_code {service_code[:64]}")
    return render_one(fmt, "service_definition", {"service_code": service_code, "attributes": []})


def _float(name: str, value: str | None, low: float, high: float) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None
    if not low <= number <= high or number != number:
        raise Open311Error(400, f"{name} must be between {low} and {high}")
    return number


def _utf8(value: str | None) -> str | None:
    """Form fields sent as raw UTF-8 bytes (curl -d 五津镇) reach us decoded as Latin-1 by the
    form parser; percent-encoded ones arrive right. Undo the former, leave the latter."""
    if value is None or value.isascii() or any(ord(ch) > 0xFF for ch in value):
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return value  # genuine Latin-1 text


@router.post("/requests.{fmt}", summary="Create a service request")
def create_request(
    request: Request,
    svc: ServicesDep,
    fmt: str,
    api_key: Annotated[str | None, Form(max_length=200)] = None,
    service_code: Annotated[str | None, Form(max_length=64)] = None,
    lat: Annotated[str | None, Form(max_length=32)] = None,
    long: Annotated[str | None, Form(max_length=32)] = None,
    address_string: Annotated[str | None, Form(max_length=500)] = None,
    address_id: Annotated[str | None, Form(max_length=64)] = None,
    email: Annotated[str | None, Form(max_length=128)] = None,
    device_id: Annotated[str | None, Form(max_length=128)] = None,
    account_id: Annotated[str | None, Form(max_length=128)] = None,
    first_name: Annotated[str | None, Form(max_length=64)] = None,
    last_name: Annotated[str | None, Form(max_length=64)] = None,
    phone: Annotated[str | None, Form(max_length=32)] = None,
    description: Annotated[str | None, Form()] = None,
    media_url: Annotated[str | None, Form(max_length=1000)] = None,
    jurisdiction_id: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    check_format(fmt)
    _form_encoded(request)
    channel, service_code = _channel_and_service(svc, api_key, service_code)
    request.state.audit_actor = f"open311:{channel}"
    description, address_string, address_id = _utf8(description), _utf8(address_string), _utf8(address_id)
    first_name, last_name = _utf8(first_name), _utf8(last_name)
    latitude, longitude = _location(lat, long, address_string, address_id)
    if description is not None and len(description) > 4000:
        raise Open311Error(400, "description is longer than 4000 characters")
    if media_url and not media_url.lower().startswith(("https://", "http://")):
        raise Open311Error(400, "media_url must be an http or https address")  # never javascript:, data:, file:
    name = " ".join(p for p in (last_name, first_name) if p) or None
    try:
        case = svc.book.open(
            NewAppeal(
                channel=channel,
                description=description or "",
                caller_phone=phone,
                caller_name=name,
                email=email,
                origin="open311",
                address=address_string or address_id,
                lat=latitude,
                long=longitude,
                media_url=media_url,
                requested_category=service_code,
            ),
            GATEWAY,
        )
    except CasebookError as exc:
        raise Open311Error(400, str(exc)) from exc
    svc.screen(case.number, service_code)  # classified, checked for duplicates and routed in seconds
    request.state.audit = {"target": f"case:{case.number}"}
    notice = "已受理，正在登记转办"
    return render(
        fmt,
        "service_requests",
        "request",
        [{"service_request_id": case.number, "service_notice": notice, "account_id": account_id}],
    )


def _channel_and_service(svc: ServicesDep, api_key: str | None, service_code: str | None) -> tuple[str, str]:
    """The channel the key belongs to, and the known service (category) asked for."""
    if not api_key:
        raise Open311Error(403, "api_key is required to create a request")
    channel = svc.auth.channel_for_key(api_key)
    if channel is None:
        raise Open311Error(403, "api_key is not valid")
    if not service_code:
        raise Open311Error(400, "service_code is required")
    if service_code not in svc.book.directory().categories:
        raise Open311Error(404, f"unknown service_code {service_code[:64]}")
    return channel, service_code


def _form_encoded(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    if content_type and not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise Open311Error(
            400, "requests are form-encoded (application/x-www-form-urlencoded or multipart/form-data), as Open311 says"
        )


def _location(
    lat: str | None, long: str | None, address_string: str | None, address_id: str | None
) -> tuple[float | None, float | None]:
    """Where the problem is: a point (both coordinates), or an address; one of them is required."""
    latitude = _float("lat", lat, -90, 90)
    longitude = _float("long", long, -180, 180)
    if (latitude is None) != (longitude is None):
        raise Open311Error(400, "lat and long go together")
    if latitude is None and not address_string and not address_id:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    return latitude, longitude


def _readable_channel(svc: ServicesDep, api_key: str | None) -> str | None:
    """The channel whose requests the caller may read: a key's own (a web form's key reads the
    web's requests, not the phone's or the walk-in's); None, every channel, only where the center
    publishes all its requests (`open311_public_reads`)."""
    if svc.open311_public_reads:
        return None
    channel = svc.auth.channel_for_key(api_key) if api_key else None
    if channel is None:
        raise Open311Error(403, "api_key is required to read requests at this center")
    return channel


def _as_request(case: Case, units: dict[str, str], services: dict[str, str], master: Case | None) -> dict[str, Any]:
    followed = master or case
    closed = followed.status in (Status.CLOSED,)
    last_reply = next((r.text for r in reversed(followed.replies)), None)
    notes = last_reply or (
        f"已转交{units.get(followed.lead_unit_code or '', '')}办理" if followed.lead_unit_code else "正在登记"
    )
    return {
        "service_request_id": case.number,
        "status": "closed" if closed else "open",
        "status_notes": notes,
        "service_name": services.get(case.category_code or ""),
        "service_code": case.category_code,
        "description": case.description,
        "agency_responsible": units.get(followed.lead_unit_code or ""),
        "service_notice": None,
        "requested_datetime": _iso(case.received_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(followed.reply_due),
        "address": case.address,
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.long,
        "media_url": case.media_url,
    }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def _parse_date(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        sane_moment(moment)
    except ValueError:
        raise Open311Error(
            400, f"{name} must be a W3C date-time between {FIRST_YEAR} and {LAST_YEAR}, e.g. 2026-11-27T08:00:00+08:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _render_requests(svc: ServicesDep, fmt: str, cases: list[Case], s: Session) -> Response:
    units = dict(s.execute(select(Unit.code, Unit.name_zh)).all())
    services = dict(s.execute(select(Category.code, Category.name_zh)).all())
    master_ids = {c.duplicate_of_id for c in cases if c.duplicate_of_id}
    masters = (
        {m.id: m for m in s.scalars(select(Case).where(Case.id.in_(master_ids)).options(selectinload(Case.replies)))}
        if master_ids
        else {}
    )
    rows = [_as_request(c, units, services, masters.get(c.duplicate_of_id or 0)) for c in cases]
    return render(fmt, "service_requests", "request", rows)


@router.get("/requests.{fmt}", summary="Query service requests")
def get_requests(
    svc: ServicesDep,
    fmt: str,
    api_key: Annotated[str | None, Query(max_length=200)] = None,
    service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
    service_code: Annotated[str | None, Query(max_length=500)] = None,
    start_date: Annotated[str | None, Query(max_length=40)] = None,
    end_date: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    jurisdiction_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    check_format(fmt)
    channel = _readable_channel(svc, api_key)
    statement = select(Case).options(selectinload(Case.replies))
    if channel is not None:
        statement = statement.where(Case.channel_code == channel)
    if service_request_id:
        ids = [i.strip() for i in service_request_id.split(",") if i.strip()]
        if any(not i.isdigit() or len(i) > 20 for i in ids):
            raise Open311Error(400, "service_request_id is a comma-separated list of case numbers")
        statement = statement.where(Case.number.in_(ids))
    else:
        start = _parse_date("start_date", start_date)
        end = _parse_date("end_date", end_date)
        if start is None and end is None:
            start = svc.book.clock.now() - timedelta(days=DEFAULT_DAYS)
        if start and end and end < start:
            raise Open311Error(400, "end_date is before start_date")
        if start:
            statement = statement.where(Case.received_at >= start)
        if end:
            statement = statement.where(Case.received_at <= end)
        if service_code:
            statement = statement.where(Case.category_code.in_([c.strip() for c in service_code.split(",")]))
        if status:
            wanted = {v.strip() for v in status.split(",")}
            if not wanted <= {"open", "closed"}:
                raise Open311Error(400, "status is open, closed, or both")
            if wanted == {"open"}:
                statement = statement.where(Case.status != Status.CLOSED)
            elif wanted == {"closed"}:
                statement = statement.where(Case.status == Status.CLOSED)
    statement = statement.order_by(Case.received_at.desc(), Case.id.desc()).limit(MAX_RESULTS)
    with svc.book.sessions() as s:
        return _render_requests(svc, fmt, list(s.scalars(statement)), s)


@router.get("/requests/{service_request_id}.{fmt}", summary="Get a service request")
def get_request(
    svc: ServicesDep,
    service_request_id: str,
    fmt: str,
    api_key: Annotated[str | None, Query(max_length=200)] = None,
    jurisdiction_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    check_format(fmt)
    channel = _readable_channel(svc, api_key)
    with svc.book.sessions() as s:
        case = s.scalar(select(Case).where(Case.number == service_request_id[:20]).options(selectinload(Case.replies)))
        if case is None or (channel is not None and case.channel_code != channel):
            raise Open311Error(404, f"no service request {service_request_id[:20]}")
        return _render_requests(svc, fmt, [case], s)


@router.get("/tokens/{token}.{fmt}", summary="Get a service request id from a token")
def get_token(
    svc: ServicesDep,
    token: str,
    fmt: str,
    api_key: Annotated[str | None, Query(max_length=200)] = None,
    jurisdiction_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    check_format(fmt)
    with svc.book.sessions() as s:
        number = s.scalar(select(Case.number).where(Case.token == token[:64]))
    if number is None:
        raise Open311Error(404, "unknown token")
    return render(fmt, "service_requests", "request", [{"service_request_id": number, "token": token}])


def format_of(request: Request) -> str:
    last = request.url.path.rsplit("/", 1)[-1]
    return "xml" if last.endswith(".xml") else "json"
