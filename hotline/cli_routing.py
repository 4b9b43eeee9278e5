"""`hotline routing ...`: how well screening routes appeals, and its model.

`evaluate` screens the corpus's appeals as new cases (the lexicon alone; the lexicon and the model
trained on the train and dev splits, as the platform screens) and prints, for the test split (or
another), the lead unit's accuracy, the category's, per-unit precision and recall, the units
confused, and what dispatching without a person would give at each confidence threshold; the
threshold reaching the wanted precision is chosen on out-of-fold guesses over train and dev, and
reported on the test split.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

routing_app = typer.Typer(help="Screening and routing: evaluation and the learnt model.", no_args_is_help=True)


@routing_app.command("evaluate")
def evaluate(
    split: Annotated[
        str, typer.Option(help="The split reported: test (never tuned on), dev, train or fresh.")
    ] = "test",
    corpus: Annotated[
        Path | None, typer.Option(help="A corpus file (JSON Lines); the packaged one if not given.")
    ] = None,
    precision: Annotated[float, typer.Option(help="Wanted precision of dispatching without a person.")] = 0.97,
    fail_below: Annotated[float, typer.Option(help="Exit 1 when the lead unit's accuracy is below this.")] = 0.0,
) -> None:
    """Screen the corpus's appeals and say how many went to the right unit."""
    from casebook.classify.corpus import load
    from casebook.classify.evaluate import evaluate as run
    from casebook.classify.evaluate import lines
    from casebook.classify.screener import Screener, train_screener
    from casebook.directory.seed import packaged_lexicon, packaged_rules

    appeals = load(corpus)
    train = [a for a in appeals if a.split == "train"]
    dev = [a for a in appeals if a.split == "dev"]
    shown = [a for a in appeals if a.split == split] if split != "fresh" else load(_fresh(corpus))
    if not shown:
        typer.secho(f"no appeals in the split {split!r}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    rules, lexicon = packaged_rules(), packaged_lexicon()
    started = time.perf_counter()
    screener = train_screener(lexicon, train, dev, rules, precision=precision)
    trained_s = time.perf_counter() - started
    lexicon_only = Screener(lexicon, None)
    for title, guess in (("lexicon alone", lexicon_only.guess), ("lexicon and model", screener.guess)):
        for line in lines(run(shown, guess, rules), f"{title}, {split} split"):
            typer.echo(line)
        typer.echo("")
    report = run(shown, screener.guess, rules)
    coverage, right = report.at_threshold(screener.threshold)
    typer.echo(
        f"trained on {len(train) + len(dev)} appeals in {trained_s:.1f} s; threshold for {precision:.0%} precision"
        f" (out-of-fold, train and dev): {screener.threshold:.3f}; on the {split} split it dispatches"
        f" {coverage:.1%} without a person, {right:.1%} of them to the right unit"
    )
    if report.lead_accuracy < fail_below:
        typer.secho(f"lead unit accuracy {report.lead_accuracy:.1%} is below {fail_below:.0%}", fg=typer.colors.RED)
        raise typer.Exit(1)


def _fresh(corpus: Path | None) -> Path:
    from casebook.classify.corpus import corpus_path

    return (corpus.parent if corpus else corpus_path().parent) / "fresh.jsonl"


@routing_app.command("train")
def train_now(
    if_none: Annotated[bool, typer.Option(help="Only when no version was ever trained (make up).")] = False,
) -> None:
    """Train a new version of the routing model on the corpus and every registration made by
    people; it becomes active if it routes the test split at least as well as the active one."""
    from common.settings import get_settings
    from hotline.root import build_casebook

    casebook = build_casebook(get_settings(), pool_size=1)
    try:
        if if_none and (versions := casebook.book.models.versions(1)):
            typer.echo(f"routing model: version {versions[0].id} exists already (retrained daily)")
            return
        view = casebook.book.models.train("hotline routing train")
    finally:
        casebook.close()
    test = view.evaluation["test"]
    state = "active" if view.active else f"not active: {view.note}"
    typer.echo(
        f"routing model {view.id} ({state}): learnt from {view.examples} appeals"
        f" ({view.from_registrations} registrations);"
        f" test split: lead unit right {test['lead_accuracy']:.1%}, {test['dispatched_without_a_person']:.1%}"
        f" dispatched without a person above {view.threshold:.3f}, {test['right_when_dispatched']:.1%} of them right"
    )


@routing_app.command("duplicates")
def duplicates(
    threshold: Annotated[
        float | None, typer.Option(help="The automatic link's threshold (the finder's if not given).")
    ] = None,
    name: Annotated[
        str, typer.Option("--set", help="paraphrases (the measure) or paraphrases-dev (the tuning set).")
    ] = "paraphrases",
) -> None:
    """Replay the paraphrase set through the duplicate check: linked pairs' precision and recall,
    linked automatically and offered to the intake agent. Screened as the platform screens (the
    lexicon and a model trained on the corpus's train and dev splits: about half a minute)."""
    from casebook.classify.corpus import load as load_corpus
    from casebook.classify.screener import train_screener
    from casebook.directory.seed import packaged_lexicon, packaged_rules
    from casebook.duplicates.evaluate import Screened, load, paraphrases_path, replay, screened
    from casebook.duplicates.finder import AUTO_THRESHOLD, SUGGEST_THRESHOLD

    corpus = load_corpus()
    train = [a for a in corpus if a.split == "train"]
    dev = [a for a in corpus if a.split == "dev"]
    screener = train_screener(packaged_lexicon(), train, dev, packaged_rules())

    def screen(text: str) -> Screened:
        return screened(screener.classify(text))

    reports = load(paraphrases_path(name))
    for title, at in (
        ("linked automatically", threshold or AUTO_THRESHOLD),
        ("offered as suggestions", SUGGEST_THRESHOLD),
    ):
        score = replay(reports, screen, threshold=at)
        typer.echo(
            f"{title} (score {at:.2f} and above): {score.reports} reports of {score.incidents} incidents and"
            f" near-misses, {score.linked_pairs} pairs together, {score.right_pairs} of them one incident:"
            f" precision {score.precision:.1%}, recall {score.right_pairs}/{score.true_pairs} = {score.recall:.1%}"
        )
