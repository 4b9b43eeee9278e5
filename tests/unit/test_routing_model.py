"""The routing model learns (issue 17, points 2 and 3): trained on the corpus and on every
registration people make, kept as a version with its evaluation, one active, one step back; a
case screened by it shows the pieces of text that decided; only cases above the threshold
calibrated on the dev split are dispatched without a person. Over the real PostgreSQL."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from casebook.auth.policy import SYSTEM
from casebook.cases.errors import Conflict, InvalidInput, NotFound
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.classify.corpus import load
from casebook.classify.evaluate import Guess, Report, evaluate
from casebook.classify.model import NgramModel, grams, train
from casebook.clock import FixedClock
from casebook.db.models import RoutingModel
from tests.unit.conftest import AGENT

TEXTS = [
    ("河里漂着好多死猪臭得很", "environment.dead-animals"),
    ("河边有死猪没人管", "environment.dead-animals"),
    ("路上坑坑洼洼车都开不了", "transport.roads"),
    ("这条路烂了好久了没人修", "transport.roads"),
    ("老板拖欠我们三个月工资", "social-security"),
    ("工地老板不发工资跑了", "social-security"),
]


@pytest.fixture
def models(book: CaseBook) -> Iterator[CaseBook]:
    """The book, with no routing model before and after (the session's database is shared), and a
    fifth of the corpus to learn from: a training takes a few seconds instead of half a minute."""
    book.models.min_interval_s = 0
    book.models.corpus = lambda: load()[::5]
    with book.sessions() as s:
        s.execute(delete(RoutingModel))
        s.commit()
    yield book
    with book.sessions() as s:
        s.execute(delete(RoutingModel))
        s.commit()
    book.reload_directory()


def test_grams_are_the_characters_pairs_and_triples_of_each_run() -> None:
    assert grams("死猪，河边") == ["死", "猪", "死猪", "河", "边", "河边"]
    assert grams("Ｗi-Fi 坏了")[:3] == ["w", "i", "wi"]  # full-width folded, lower case


def test_a_model_predicts_explains_and_is_kept_without_pickles() -> None:
    model = train([t for t, _ in TEXTS], [c for _, c in TEXTS])
    scores = model.probabilities("村口河里有死猪")
    assert max(scores, key=scores.__getitem__) == "environment.dead-animals"
    assert abs(sum(scores.values()) - 1) < 1e-9
    assert "死猪" in "".join(model.explain("村口河里有死猪", "environment.dead-animals"))
    data = model.to_bytes()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert all(name.endswith(".npy") for name in names)  # plain arrays, read with allow_pickle=False
    again = NgramModel.from_bytes(data)
    assert again.probabilities("村口河里有死猪") == pytest.approx(scores)


def test_a_text_with_nothing_known_gets_the_prior_not_an_error() -> None:
    model = train([t for t, _ in TEXTS], [c for _, c in TEXTS])
    scores = model.probabilities("！！！")
    assert abs(sum(scores.values()) - 1) < 1e-9 and model.explain("！！！", "transport.roads") == ()


def test_coverage_and_precision_at_a_threshold_and_the_threshold_for_a_precision() -> None:
    report = Report(scored=[(0.9, True)] * 18 + [(0.9, False)] + [(0.5, True)] * 5 + [(0.5, False)] * 5)
    assert report.at_threshold(0.8) == (pytest.approx(19 / 29), pytest.approx(18 / 19))
    assert report.threshold_for(0.94) == 0.9
    assert report.threshold_for(0.99) is None


def test_evaluation_routes_each_guess_by_the_rules() -> None:
    from casebook.classify.corpus import Appeal
    from casebook.directory.seed import packaged_rules

    appeal = Appeal(
        "x",
        "test",
        "web",
        "官林村河沟里漂着死猪",
        "environment.dead-animals",
        "huayuan",
        None,
        "normal",
        "livestock",
        ("env", "water", "huayuan"),
    )
    right = evaluate([appeal], lambda text: Guess("environment.dead-animals", 0.9, "huayuan"), packaged_rules())
    wrong = evaluate([appeal], lambda text: Guess("general", 0.2, None), packaged_rules())
    assert (right.lead_accuracy, wrong.lead_accuracy, wrong.unrouted) == (1.0, 0.0, 1)
    assert wrong.confusion[("livestock", "center")] == 1


def test_a_trained_version_is_kept_with_its_evaluation_and_screens_new_cases(models: CaseBook) -> None:
    book = models
    view = book.models.train("admin")
    assert view.active and view.examples > 300
    assert view.from_registrations == len(book.models.registrations())  # the other tests' registrations too
    test = view.evaluation["test"]
    assert 0.5 < test["lead_accuracy"] <= 1.0 and 0 <= test["dispatched_without_a_person"] <= 1
    book.reload_directory()
    number = book.open(NewAppeal(channel="web", description="官林村河沟里漂着好几头死猪，臭得很"), SYSTEM).number
    screened = book.screen(number)
    assert screened.classification.category.code == "environment.dead-animals"
    assert screened.classification.category.evidence  # the pieces of text that decided
    assert len(screened.classification.alternatives) == 2  # what an intake agent may pick instead


def test_each_registration_by_a_person_is_a_label_and_the_next_training_learns_it(models: CaseBook) -> None:
    book = models
    word = "蓝莓奶昔怪味"  # nothing in the corpus says this: only the agents' registrations teach it
    for n in range(3):
        number = book.open(NewAppeal(channel="web", description=f"{word}第{n}次"), SYSTEM).number
        book.register(number, AGENT, category="market")
    assert sum(1 for text, category in book.models.registrations() if word in text and category == "market") == 3
    view = book.models.train("admin")
    assert view.from_registrations >= 3
    book.reload_directory()
    assert book.classifier().classify(f"{word}又来了").category.code == "market"


def test_one_step_back_and_activating_a_version_by_hand(models: CaseBook, clock: FixedClock) -> None:
    book = models
    first = book.models.train("admin")
    clock.advance(minutes=2)
    second = book.models.train("admin")
    assert second.active and not book.models.versions()[1].active
    back = book.models.rollback("admin")
    assert back.id == first.id and back.active
    assert book.models.activate(second.id, "admin").active
    with pytest.raises(NotFound):
        book.models.activate(999_999, "admin")


def test_nothing_to_go_back_to_and_a_double_click_are_refused_with_the_reason(models: CaseBook) -> None:
    book = models
    with pytest.raises(InvalidInput, match="no model is active"):
        book.models.rollback("admin")
    book.models.train("admin")
    with pytest.raises(InvalidInput, match="first one"):
        book.models.rollback("admin")
    book.models.min_interval_s = 60
    with pytest.raises(Conflict, match="less than 60 s ago"):
        book.models.train("admin")


def test_the_schedule_retrains_a_day_after_the_last_version_only(models: CaseBook, clock: FixedClock) -> None:
    book = models
    assert book.models.retrain_if_due() is None  # the first version is a person's to make
    book.models.train("admin")
    clock.advance(hours=23)
    assert book.models.retrain_if_due() is None
    clock.advance(hours=2)
    retrained = book.models.retrain_if_due()
    assert retrained is not None and retrained.created_by == "schedule"
