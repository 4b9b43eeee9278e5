"""Type screening from Chinese text (typed or transcribed) and routing by the rules as data."""

from __future__ import annotations

import pytest

from casebook.cases.errors import InvalidInput
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.routing import RuleView, route
from tests.unit.conftest import AGENT

# (text, category, place or None, township or None, urgency)
APPEALS = [
    (
        "新津外国语实验学校游泳池旁边的河里有几十头死猪，臭得很",
        "environment.dead-animals",
        "school-foreign-languages",
        "wujin",
        "normal",
    ),
    (
        "花源工业园有工厂晚上偷排污水，河水发黑",
        "environment.water-pollution",
        "huayuan-industrial",
        "huayuan",
        "normal",
    ),
    ("邓双镇有人在田里焚烧秸秆，烟尘很大", "environment.air", "township-dengshuang", "dengshuang", "normal"),
    ("工地夜间施工噪音太大，严重扰民，睡不着觉", "environment.noise", None, None, "normal"),
    ("我们小区停水两天了，自来水一直没来", "water.supply", None, None, "urgent"),
    ("金马河河堤有一段垮了，防汛有隐患", "water.rivers", "jinma-river", None, "urgent"),
    ("五津镇菜市场门口的垃圾三天没人清运", "urban.sanitation", "township-wujin", "wujin", "normal"),
    ("邻居在楼顶私搭乱建，违章建筑挡住采光", "urban.illegal-building", None, None, "normal"),
    ("安西镇老街路灯不亮，晚上很黑", "urban.streetlights", "township-anxi", "anxi", "normal"),
    ("县医院门口路面塌陷，有个大坑", "transport.roads", "county-hospital", "wujin", "normal"),
    ("出租车司机拒载，还绕路多收钱", "transport.passenger", None, None, "normal"),
    ("开发商迟迟不交房，也不办房产证", "housing", None, None, "normal"),
    ("孩子入学被要求交赞助费", "education", None, None, "urgent"),
    ("老板拖欠工资半年了，农民工讨薪无门", "social-security", None, None, "normal"),
    ("家里是困难户，申请低保一直没有批", "civil-affairs", None, None, "normal"),
    ("超市卖过期食品，消费者投诉没人管", "market", None, None, "normal"),
    ("村里征地补偿款一直没有发到位", "land", None, None, "normal"),
    ("文井乡移民安置费使用情况请公开", "rural", "township-wenjing", "wenjing", "normal"),
    ("昨晚有小偷盗窃电瓶车", "public-security", None, None, "normal"),
    ("永商镇一个仓库着火了，火灾很大", "emergency", "township-yongshang", "yongshang", "critical"),
    ("办事窗口工作人员态度恶劣，互相推诿踢皮球", "efficiency", None, None, "normal"),
    ("请问办理居住证需要什么材料", "consultation", None, None, "normal"),
]


@pytest.mark.parametrize(("text", "category", "place", "township", "urgency"), APPEALS)
def test_appeals_are_screened_with_the_words_that_decided(
    book: CaseBook, text: str, category: str, place: str | None, township: str | None, urgency: str
) -> None:
    result = book.classifier().classify(text)
    assert result.category.code == category, result
    assert result.confident and result.category.confidence >= 0.55
    assert result.category.evidence and all(word in text for word in result.category.evidence)
    assert result.place.code == place
    assert result.township == township
    assert result.urgency.code == urgency


def test_a_transcript_with_spaces_between_words_is_screened_like_typed_text(book: CaseBook) -> None:
    result = book.classifier().classify("花源 工业园 有 工厂 晚上 偷排 污水")
    assert (result.category.code, result.place.code) == ("environment.water-pollution", "huayuan-industrial")


@pytest.mark.parametrize("text", ["你好", "我想反映一个情况", "河道 垃圾 噪音 工资"])
def test_vague_or_mixed_texts_wait_for_an_intake_agent(book: CaseBook, text: str) -> None:
    result = book.classifier().classify(text)
    assert not result.confident


def test_a_low_confidence_case_stays_with_its_clock_running_for_an_agent(book: CaseBook) -> None:
    number = book.open(NewAppeal(channel="web", description="我想反映一个情况，电话里说"), AGENT).number
    screening = book.screen(number)
    assert not screening.registered and not screening.dispatched
    with book.sessions() as s:
        case = book.get(s, number)
        assert (case.status, case.needs_intake, case.category_code) == ("received", True, None)


def test_a_confident_case_is_registered_and_dispatched_by_the_rules_within_seconds(book: CaseBook) -> None:
    number = book.open(NewAppeal(channel="web", description="花源工业园有工厂偷排污水，河水发黑"), AGENT).number
    screening = book.screen(number)
    assert screening.registered and screening.dispatched
    assert screening.route is not None and screening.route.lead == "env"
    assert screening.route.co_units == ("water", "huayuan")
    with book.sessions() as s:
        case = book.get(s, number)
        assert (case.status, case.lead_unit_code, case.needs_intake) == ("dispatched", "env", False)


RULES = [
    RuleView(1, "environment.dead-animals", None, "livestock", None, ("env", "water", "@township")),
    RuleView(2, "urban", "anxi", "urban", None, ()),
    RuleView(3, "urban", None, "@township", "urban", ("urban",)),
]
POLICIES = {("default", "normal"): 120.0, ("default", "urgent"): 24.0, ("urban", "urgent"): 12.0}


def test_routing_rules_decide_lead_co_units_and_deadline() -> None:
    dead = route(RULES, POLICIES, category="environment.dead-animals", township="wujin", urgency="normal")
    assert dead is not None and (dead.lead, dead.co_units, dead.deadline_hours) == (
        "livestock",
        ("env", "water", "wujin"),
        120.0,
    )
    in_anxi = route(RULES, POLICIES, category="urban.sanitation", township="anxi", urgency="urgent")
    assert in_anxi is not None and (in_anxi.lead, in_anxi.deadline_hours, in_anxi.rule_id) == ("urban", 12.0, 2)
    elsewhere = route(RULES, POLICIES, category="urban.sanitation", township="xingyi", urgency="normal")
    assert elsewhere is not None and (elsewhere.lead, elsewhere.co_units) == ("xingyi", ("urban",))
    nowhere = route(RULES, POLICIES, category="urban.sanitation", township=None, urgency="normal")
    assert nowhere is not None and (nowhere.lead, nowhere.co_units) == ("urban", ())
    assert route(RULES, POLICIES, category="health", township=None, urgency="normal") is None


def test_the_register_form_is_told_where_the_rules_send_a_category_at_a_place(book: CaseBook) -> None:
    found = book.route_for("environment.dead-animals", "school-foreign-languages")
    assert found is not None and found.lead and found.deadline_hours > 0
    elsewhere = book.route_for("environment.dead-animals")
    assert elsewhere is not None
    with pytest.raises(InvalidInput, match="unknown category"):
        book.route_for("no.such.thing")
    with pytest.raises(InvalidInput, match="unknown place"):
        book.route_for("environment.noise", "nowhere")


def test_a_mixed_text_offers_the_next_likeliest_categories_with_their_words(book: CaseBook) -> None:
    result = book.classifier().classify("河道 垃圾 噪音 工资")
    codes = [result.category.code] + [a.code for a in result.alternatives]
    assert len(result.alternatives) == 2 and len(set(codes)) == 3  # three branches, none twice
    assert all(a.evidence and all(w in "河道 垃圾 噪音 工资" for w in a.evidence) for a in result.alternatives)
    assert result.to_json()["alternatives"][0]["evidence"] == list(result.alternatives[0].evidence)
    clear = book.classifier().classify("昨晚有小偷盗窃电瓶车")
    assert clear.confident and all(a.confidence < clear.category.confidence for a in clear.alternatives)
