"""How well screening routes appeals: `hotline routing evaluate` prints this.

Each appeal of a split is screened as a new case would be (category, confidence, township), routed
by the county's rules, and compared with its labels: the lead unit is what a citizen feels (the
right office gets it, or it waits or goes astray), so it is the headline; the category and the
township are reported beside it. The confidence thresholds say what dispatching without a person
would give: at each threshold, the share of appeals above it (coverage) and how many of those
went to the right lead unit (precision).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from casebook.classify.corpus import Appeal
from casebook.routing import RuleView, route

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)


@dataclass(frozen=True, slots=True)
class Guess:
    category: str
    confidence: float
    township: str | None


@dataclass
class Report:
    size: int = 0
    lead_right: int = 0
    category_right: int = 0
    township_right: int = 0
    unrouted: int = 0  # left with the center although a unit should have it
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (labelled lead, routed lead)
    scored: list[tuple[float, bool]] = field(default_factory=list)  # (confidence, lead right)
    by_style: Counter[tuple[str, bool]] = field(default_factory=Counter)

    @property
    def lead_accuracy(self) -> float:
        return self.lead_right / self.size if self.size else 0.0

    @property
    def category_accuracy(self) -> float:
        return self.category_right / self.size if self.size else 0.0

    def per_unit(self) -> dict[str, tuple[float, float, int]]:
        """unit -> (precision, recall, appeals labelled for it)."""
        units = {u for pair in self.confusion for u in pair}
        out: dict[str, tuple[float, float, int]] = {}
        for unit in sorted(units):
            right = self.confusion[(unit, unit)]
            routed = sum(n for (_, got), n in self.confusion.items() if got == unit)
            labelled = sum(n for (gold, _), n in self.confusion.items() if gold == unit)
            out[unit] = (right / routed if routed else 0.0, right / labelled if labelled else 0.0, labelled)
        return out

    def at_threshold(self, threshold: float) -> tuple[float, float]:
        """(coverage, precision) of dispatching without a person above `threshold`."""
        above = [right for confidence, right in self.scored if confidence >= threshold]
        if not above:
            return 0.0, 1.0
        return len(above) / len(self.scored), sum(above) / len(above)

    def threshold_for(self, precision: float) -> float | None:
        """The lowest confidence at which dispatching without a person is right at least
        `precision` of the time (on this split), or None if no threshold reaches it."""
        for confidence in sorted({c for c, _ in self.scored}):
            above = [right for c, right in self.scored if c >= confidence]
            if len(above) >= 10 and sum(above) / len(above) >= precision:
                return confidence
        return None


def evaluate(
    appeals: Iterable[Appeal], guess: Callable[[str], Guess], rules: Sequence[RuleView], center: str = "center"
) -> Report:
    report = Report()
    for appeal in appeals:
        got = guess(appeal.text)
        routed = route(rules, {}, category=got.category, township=got.township, urgency="normal")
        lead = routed.lead if routed is not None else center
        right = lead == appeal.lead
        report.size += 1
        report.lead_right += right
        report.category_right += got.category == appeal.category
        report.township_right += got.township == appeal.township
        report.unrouted += lead == center and appeal.lead != center
        report.confusion[(appeal.lead, lead)] += 1
        report.scored.append((got.confidence, right))
        report.by_style[(appeal.style, right)] += 1
    return report


def _style(report: Report, style: str) -> str:
    right, wrong = report.by_style[(style, True)], report.by_style[(style, False)]
    return f"{style} {right}/{right + wrong}"


def lines(report: Report, title: str) -> list[str]:
    """The report in words, for the terminal and bench/RESULTS.md."""
    out = [
        f"== {title}: {report.size} appeals",
        f"lead unit right: {report.lead_right}/{report.size} = {report.lead_accuracy:.1%}"
        f" (left with the center: {report.unrouted})",
        f"category right: {report.category_accuracy:.1%};"
        f" township right: {report.township_right / max(report.size, 1):.1%}",
        "by style: " + ", ".join(_style(report, style) for style in sorted({s for s, _ in report.by_style})),
        "threshold  coverage  precision (dispatch without a person)",
    ]
    for threshold in THRESHOLDS:
        coverage, precision = report.at_threshold(threshold)
        out.append(f"  {threshold:>5.2f}    {coverage:6.1%}    {precision:6.1%}")
    out.append("unit             precision  recall  appeals")
    for unit, (precision, recall, labelled) in report.per_unit().items():
        out.append(f"  {unit:<14} {precision:7.1%}  {recall:6.1%}  {labelled:>5}")
    mistakes = [(n, gold, got) for (gold, got), n in report.confusion.items() if gold != got]
    if mistakes:
        out.append(
            "most confused (labelled -> routed): "
            + ", ".join(f"{gold}->{got} {n}" for n, gold, got in sorted(mistakes, reverse=True)[:12])
        )
    return out
