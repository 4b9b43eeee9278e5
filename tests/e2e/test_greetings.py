"""Each unified number answers with its own greeting; an unknown number gets a polite message.

Expected events per call to a known line: Asterisk raises StasisStart once for the caller
(`hotline,incoming,<number>`), PlaybackStarted for `greeting-<code>`, then the recording notice
(PlaybackStarted or PlaybackContinuing of `recording-notice`); the platform publishes
call.started, ivr.greeting (line=<number>), call.ended.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from common.paths import prompts_dir
from common.settings import Settings
from hotline.platform import Platform
from tests.e2e.helpers import (
    AriObserver,
    assert_events,
    best_match,
    envelope,
    place_call,
    read_wav,
    speech_seconds,
    wait_for,
)

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
            result = await place_call(asterisk, number, "wait 7; hangup", record=heard)
            ended = await wait_for(sub, "call.ended", log=log, timeout=20)

    assert result["answered"]
    assert_events(log, {"call.started": 1, "ivr.greeting": 1, "call.ended": 1}, call_id=ended.call_id)
    greeting = next(e for e in log if e.name == "ivr.greeting")
    assert greeting.data["line"] == number
    started = [e for e in ari.of_type("PlaybackStarted") if code in e.raw["playback"]["media_uri"]]
    assert len(started) == 1, [e.raw["playback"]["media_uri"] for e in ari.of_type("PlaybackStarted")]
    assert f"/{language}/greeting-{code}" in started[0].raw["playback"]["media_uri"]
    # then the caller is told the call is recorded (conversations with agents are: issue 19)
    played = [
        e.raw["playback"]["media_uri"] for e in ari.of_type("PlaybackStarted") + ari.of_type("PlaybackContinuing")
    ]
    assert any(uri.endswith(f"/{language}/recording-notice") for uri in played), played
    # The caller really heard this greeting, and what they heard first matches this line's prompt
    # better than any other's (each compared over the whole greeting, so a shorter prompt cannot
    # match a part of a longer one).
    own = prompts_dir(asterisk) / language / f"greeting-{code}.wav"
    # 0.5, not more: on a loaded machine the caller's side loses audio frames (0.66 was seen in CI
    # for a greeting heard whole). Asterisk's own PlaybackStarted above names the file it played.
    match = best_match(heard, own)
    assert match > 0.5
    if match < 0.8:
        return  # audio this broken cannot tell two greetings apart by their first words (seen in CI)
    scores = {
        other: _first_words_match(heard, own, prompts_dir(asterisk) / lang / f"greeting-{other}.wav")
        for _, other, lang in LINES
    }
    assert max(scores, key=lambda k: scores[k]) == code, scores


def _first_words_match(heard: Path, own: Path, prompt: Path) -> float:
    """Correlation of the first sounds heard (as long as this line's greeting) with a prompt
    padded with silence to that length."""
    h_samples, h_rate = read_wav(heard)
    h = envelope(h_samples, h_rate)
    start = int(np.argmax(h > h.min() + 2.0))  # the first frame well above the line's silence
    length = len(envelope(*read_wav(own)))
    window = h[start : start + length]
    p = envelope(*read_wav(prompt))[:length]
    p = np.concatenate([p, np.full(length - len(p), p.min())])
    if len(window) < length:
        return 0.0
    return float(np.dot((window - window.mean()) / (window.std() + 1e-9), (p - p.mean()) / (p.std() + 1e-9)) / length)


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
    # 0.35: the caller's side of a loaded CI loses audio frames (0.42 was seen for the whole prompt
    # heard); the 3 s of sound above and the plain dialplan (no Stasis) are the rest of the proof
    assert best_match(heard, prompts_dir(asterisk) / "zh" / "unknown-number.wav") > 0.35
