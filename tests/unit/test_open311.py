"""Open311 GeoReport v2 conformance, JSON and XML, and the specification's error format."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from casebook.auth.services import AuthService
from casebook.cases.services import CaseBook
from tests.unit.conftest import fresh

BASE = "/open311/v2"


@pytest.fixture
def key(auth: AuthService) -> str:
    return auth.create_api_key(f"mailbox-{auth.now().timestamp()}", "mailbox-mayor")


def _post(api: TestClient, key: str | None, fmt: str = "json", **fields: str) -> object:
    data = {
        "service_code": "urban.sanitation",
        "address_string": "五津镇正街",
        "description": "五津镇正街垃圾没人清运",
        **fields,
    }
    if key is not None:
        data["api_key"] = key
    return api.post(f"{BASE}/requests.{fmt}", data=data)


def test_services_list_the_categories_in_json_and_xml(api: TestClient) -> None:
    services = api.get(f"{BASE}/services.json").json()
    codes = {s["service_code"] for s in services}
    assert {"environment.dead-animals", "urban.sanitation", "efficiency", "consultation"} <= codes
    assert "environment" not in codes  # groups are not services; their children are
    sample = next(s for s in services if s["service_code"] == "environment.dead-animals")
    assert set(sample) >= {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    assert sample["metadata"] is False and sample["type"] == "realtime" and sample["group"] == "环境保护"
    root = ET.fromstring(api.get(f"{BASE}/services.xml").content)
    assert root.tag == "services" and {s.findtext("service_code") for s in root.findall("service")} == codes
    definition = api.get(f"{BASE}/services/urban.sanitation.json").json()
    assert definition == {"service_code": "urban.sanitation", "attributes": []}
    assert ET.fromstring(api.get(f"{BASE}/services/urban.sanitation.xml").content).tag == "service_definition"


def test_a_request_is_created_with_a_key_and_read_back(api: TestClient, key: str) -> None:
    created = _post(
        api,
        key,
        lat="30.41",
        long="103.81",
        first_name="学清",
        last_name="王",
        phone="13800000041",
        email="wang@example.org",
    )
    assert created.status_code == 200, created.text
    [row] = created.json()
    number = row["service_request_id"]
    assert number.isdigit() and row["service_notice"]
    [request] = api.get(f"{BASE}/requests/{number}.json", params={"api_key": key}).json()
    assert request["service_code"] == "urban.sanitation" and request["status"] == "open"
    assert request["agency_responsible"] == "五津镇"  # routed: sanitation goes to the township
    assert request["expected_datetime"] and request["requested_datetime"]
    assert (request["lat"], request["long"]) == (30.41, 103.81)
    assert "13800000041" not in created.text + str(request)  # the caller's phone never goes out
    xml = ET.fromstring(api.get(f"{BASE}/requests/{number}.xml", params={"api_key": key}).content)
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text == number  # type: ignore[union-attr]
    listed = api.get(f"{BASE}/requests.json", params={"api_key": key, "service_request_id": number}).json()
    assert [r["service_request_id"] for r in listed] == [number]
    by_code = api.get(
        f"{BASE}/requests.json", params={"api_key": key, "service_code": "urban.sanitation", "status": "open"}
    ).json()
    assert number in [r["service_request_id"] for r in by_code]
    closed = api.get(f"{BASE}/requests.json", params={"api_key": key, "status": "closed"}).json()
    assert number not in [r["service_request_id"] for r in closed]


def test_tokens_lead_to_the_request(api: TestClient, key: str, auth: AuthService) -> None:
    number = _post(api, key).json()[0]["service_request_id"]  # type: ignore[attr-defined]
    from casebook.db.models import Case

    with auth.sessions() as s:
        token = s.query(Case.token).filter(Case.number == number).scalar()
    assert api.get(f"{BASE}/tokens/{token}.json").json() == [{"service_request_id": number, "token": token}]
    assert api.get(f"{BASE}/tokens/nope.json").status_code == 404


@pytest.mark.parametrize(
    ("fields", "code", "fragment"),
    [
        ({"api_key": None}, 403, "api_key is required"),
        ({"api_key": "wrong"}, 403, "not valid"),
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "no.such"}, 404, "unknown service_code"),
        ({"address_string": "", "lat": "", "long": ""}, 400, "location"),
        ({"lat": "91", "long": "0"}, 400, "lat"),
        ({"lat": "abc", "long": "1"}, 400, "number"),
        ({"lat": "30"}, 400, "together"),
        ({"description": "长" * 4001}, 400, "4000"),
        ({"phone": "not-a-phone"}, 400, "phone"),
    ],
)
def test_bad_requests_get_the_specifications_error_format(
    api: TestClient, key: str, fields: dict[str, str | None], code: int, fragment: str
) -> None:
    data = {"service_code": "urban.sanitation", "address_string": "x", "description": "垃圾", "api_key": key}
    for name, value in fields.items():
        if value is None:
            data.pop(name)
        else:
            data[name] = value
    for fmt in ("json", "xml"):
        answer = api.post(f"{BASE}/requests.{fmt}", data=data)
        assert answer.status_code == code, answer.text
        if fmt == "json":
            [error] = answer.json()
            assert error["code"] == code and fragment in error["description"]
        else:
            root = ET.fromstring(answer.content)
            assert root.tag == "errors" and root.findtext("error/code") == str(code)
            assert fragment in (root.findtext("error/description") or "")


def test_reads_need_a_key_here_and_unknown_things_are_named(api: TestClient, key: str) -> None:
    assert api.get(f"{BASE}/requests.json").status_code == 403
    assert api.get(f"{BASE}/requests/1.json").json()[0]["code"] == 403
    assert api.get(f"{BASE}/requests/99999999.json", params={"api_key": key}).status_code == 404
    assert api.get(f"{BASE}/services.yaml").json()[0]["code"] == 404
    assert api.get(f"{BASE}/requests.json", params={"api_key": key, "start_date": "yesterday"}).status_code == 400
    assert api.get(f"{BASE}/requests.json", params={"api_key": key, "status": "pending"}).status_code == 400
    assert api.get(f"{BASE}/requests.json", params={"api_key": key, "service_request_id": "1,x"}).status_code == 400
    assert api.get(f"{BASE}/services/no.such.json").json()[0]["code"] == 404


def test_screening_follows_the_answer_and_the_sweep_catches_what_was_missed(
    book, auth: AuthService, reports, key: str, clock
) -> None:  # type: ignore[no-untyped-def]
    from casebook.api.app import create_app
    from casebook.api.deps import Services
    from casebook.cases.screening import BackgroundScreener, screen_pending

    screener = BackgroundScreener(book)
    lost: list[str] = []
    with TestClient(create_app(Services(book, auth, reports, screen_later=screener.submit))) as api:
        number = _post(api, key).json()[0]["service_request_id"]  # type: ignore[attr-defined]
        screener.drain()
        [request] = api.get(f"{BASE}/requests/{number}.json", params={"api_key": key}).json()
        assert request["agency_responsible"] == "五津镇"
    # a process that died before screening: the case waits, received, until the sweep
    with TestClient(create_app(Services(book, auth, reports, screen_later=lambda n, c: lost.append(n)))) as api:
        answer = _post(api, key, service_code="urban.streetlights", description="安西镇老街路灯不亮")
        number = answer.json()[0]["service_request_id"]  # type: ignore[attr-defined]
    assert lost == [number] and fresh(book, number).status == "received"
    clock.advance(minutes=1)
    assert screen_pending(book) >= 1
    assert fresh(book, number).status == "dispatched"


def test_raw_utf8_form_fields_are_read_as_utf8(api: TestClient, key: str) -> None:
    """`curl -d address_string=五津镇` sends raw UTF-8 bytes, not percent escapes."""
    body = f"api_key={key}&service_code=urban.sanitation&address_string=五津镇正街&description=垃圾没人清运 café"
    created = api.post(
        f"{BASE}/requests.json",
        content=body.encode("utf-8"),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert created.status_code == 200, created.text
    number = created.json()[0]["service_request_id"]
    [read] = api.get(f"{BASE}/requests/{number}.json", params={"api_key": key}).json()
    assert read["address"] == "五津镇正街" and read["description"] == "垃圾没人清运 café"


def test_the_address_names_the_place_when_the_description_does_not(api: TestClient, key: str, book: CaseBook) -> None:
    created = _post(api, key, address_string="五津镇", description="河边垃圾堆了一个星期没人清运")
    number = created.json()[0]["service_request_id"]
    book.screen(number)
    with book.sessions() as s:
        assert book.get(s, number).township_code == "wujin"


def test_a_json_body_is_told_to_use_a_form(api: TestClient, key: str) -> None:
    answer = api.post(f"{BASE}/requests.json", json={"api_key": key, "service_code": "urban.sanitation"})
    assert answer.status_code == 400
    assert "form-encoded" in answer.json()[0]["description"]
