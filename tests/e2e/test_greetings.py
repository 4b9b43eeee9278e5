"""Each unified number answers with its own greeting; an unknown number gets a polite message.

Expected events per call to a known line: Asterisk raises StasisStart once for the caller
(`hotline,incoming,<number>`), PlaybackStarted for `greeting-<code>`; the platform publishes
call.started, ivr.greeting (line=<number>), call.ended.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from common.paths import prompts_dir
from common.settings import Settings
from hotline.platform import Platform
from tests.e2e.helpers import AriObserver, assert_events, best_match, place_call, speech_seconds, wait_for

LINES = [
    ("12345", "mayor", "zh"),
    ("96960", "efficiency", "zh"),
    ("82512345", "county-head", "zh"),
    ("82500000", "sunshine", "en"),
]


@pytest.mark.parametrize(("number", "code", "language"), LINES)
async def test_each_line_answers_with_its_own_greeting(
    platform: Platform, asterisk: Settings, tmp_path: Path, number: str, code: str, language: str
) -> None:
    heard = tmp_path / "heard.wav"
    log: list = []
    async with AriObserver(asterisk).running() as ari:
        with platform.bus.subscribe() as sub:
            result = await place_call(asterisk, number, "wait 5; hangup", record=heard)
            ended = await wait_for(sub, "call.ended", log=log, timeout=20)

    assert result["answered"]
    assert_events(log, {"call.started": 1, "ivr.greeting": 1, "call.ended": 1}, call_id=ended.call_id)
    greeting = next(e for e in log if e.name == "ivr.greeting")
    assert greeting.data["line"] == number
    started = [e for e in ari.of_type("PlaybackStarted") if code in e.raw["playback"]["media_uri"]]
    assert len(started) == 1, [e.raw["playback"]["media_uri"] for e in ari.of_type("PlaybackStarted")]
    assert f"/{language}/greeting-{code}" in started[0].raw["playback"]["media_uri"]
    # The caller really heard this greeting, and it matches this line's prompt better than any other's.
    scores = {
        other: best_match(heard, prompts_dir(asterisk) / lang / f"greeting-{other}.wav") for _, other, lang in LINES
    }
    assert max(scores, key=lambda k: scores[k]) == code, scores
    assert scores[code] > 0.85, scores


async def test_unknown_number_gets_a_polite_message_not_silence(
    platform: Platform, asterisk: Settings, tmp_path: Path
) -> None:
    heard = tmp_path / "heard.wav"
    async with AriObserver(asterisk).running() as ari:
        result = await place_call(asterisk, "55555", "until-hangup 30", record=heard)

    assert result["answered"]
    assert result["ended_by"] == "far end"
    assert ari.count("StasisStart") == 0  # plain dialplan answers it; the application is not involved
    assert speech_seconds(heard) > 3.0
    assert best_match(heard, prompts_dir(asterisk) / "zh" / "unknown-number.wav") > 0.6
