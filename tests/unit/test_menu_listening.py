"""Listening at the menu (telephony.media.live): the keyword spotter hears the voice as it comes,
the free recognizer only when the spotter's words do not decide, on the real packaged model
and real synthesised speech. Events expected: transcript.final with the words the IVR acts on."""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from asr.engine import SpeechEngine
from asr.model import load_model, resolve_model_path
from asr.text import UNKNOWN
from common.bus import EventBus
from ivr.menu_words import spotted_choice_words, spotter_grammar
from telephony.calls.notifier import CallNotifier
from telephony.media.live import RATE, LiveTranscription
from telephony.media.rtp import open_receiver
from tests.speech import REPORT_KO, joined, quiet_line, speak

CHUNK = int(RATE * 0.1) * 2  # the tap delivers about 100 ms at a time
# A word the spotter hears surely in espeak-ng's voice. Not "상담원": on the same audio, fresh
# spotters differ (Kaldi dithers its features with random numbers by default): one was sure of
# "상담원" 23 times in 30 and hesitated (0.5) with "민원" the other 7, when the free recognizer
# decides (it failed CI twice); "조회" was heard at 0.9 or more 30 times in 30.
SURE_WORD = "조회"


@pytest.fixture(scope="module")
def engine() -> SpeechEngine:
    return SpeechEngine(load_model(resolve_model_path(None)))


@pytest.fixture
async def live(engine: SpeechEngine) -> AsyncIterator[LiveTranscription]:
    receiver = await open_receiver("127.0.0.1", 41000, 41999)
    live = LiveTranscription(engine, receiver, CallNotifier(EventBus()), "call-1")
    await live.restart("menu", spot=[*spotter_grammar("ko"), UNKNOWN], decides=_decides)
    yield live
    await live.close()
    receiver.close()


def _decides(spotted: list[dict[str, object]], start_s: float, end_s: float) -> list[dict[str, object]] | None:
    chosen = spotted_choice_words(spotted, start_s, end_s, "ko")
    return [dict(w) for w in chosen] if chosen else None


def _said(tmp_path: Path, text: str) -> bytes:
    """`text` said on a quiet line, with a second of it before and after, at the tap's rate."""
    line = quiet_line(tmp_path / "line.wav", 1.0, rate=RATE)
    words = speak(text, tmp_path / "words.wav", rate=RATE)
    with wave.open(str(joined(tmp_path / "said.wav", line, words, line))) as wav:
        return wav.readframes(wav.getnframes())


async def _heard(live: LiveTranscription, pcm: bytes) -> str | None:
    for offset in range(0, len(pcm), CHUNK):
        await live.feed(pcm[offset : offset + CHUNK])
    heard = await live.next_utterance(1.0)
    return heard.text if heard is not None else None


async def test_a_menu_word_the_spotter_is_sure_of_is_taken_without_the_free_recognizer(
    live: LiveTranscription, tmp_path: Path
) -> None:
    assert await _heard(live, _said(tmp_path, SURE_WORD)) == SURE_WORD
    assert live.seconds_decoded == 0  # the free model never ran: a tenth of the cost


async def test_a_sentence_at_the_menu_is_decoded_by_the_free_recognizer_at_the_pause(
    live: LiveTranscription, tmp_path: Path
) -> None:
    text = await _heard(live, _said(tmp_path, REPORT_KO))
    assert text is not None and len(text.split()) >= 4  # the caller's problem, said at once
    assert live.seconds_decoded > 3


async def test_words_not_finished_when_the_menu_ends_are_still_published(
    live: LiveTranscription, tmp_path: Path
) -> None:
    pcm = _said(tmp_path, REPORT_KO)
    bus_events = []
    with live.notifier.bus.subscribe() as events:
        for offset in range(0, len(pcm) // 2, CHUNK):  # a key pressed mid-sentence ends the menu
            await live.feed(pcm[offset : offset + CHUNK])
        await live.restart("case_number", grammar=None)
        while not events.queue.empty():
            bus_events.append(events.queue.get_nowait())
    finals = [e for e in bus_events if e.name == "transcript.final"]
    assert finals and finals[0].data["purpose"] == "menu" and finals[0].data["text"]


async def test_a_menu_word_begun_over_the_greeting_is_heard_whole_when_the_menu_begins(
    engine: SpeechEngine, tmp_path: Path
) -> None:
    receiver = await open_receiver("127.0.0.1", 41000, 41999)
    live = LiveTranscription(engine, receiver, CallNotifier(EventBus()), "call-2")
    pcm = _said(tmp_path, SURE_WORD)
    middle = (len(pcm) // 2) // CHUNK * CHUNK  # the middle of the word (a second of line each side)
    try:
        for offset in range(0, middle, CHUNK):  # the greeting: no spotter yet
            await live.feed(pcm[offset : offset + CHUNK])
        await live.restart("menu", spot=[*spotter_grammar("ko"), UNKNOWN], decides=_decides)
        assert await _heard(live, pcm[middle:]) == SURE_WORD
    finally:
        await live.close()
        receiver.close()


async def test_a_message_whose_audio_was_dropped_while_decoding_ran_behind_is_not_taken_as_whole(
    live: LiveTranscription, tmp_path: Path
) -> None:
    # the receiver drops the oldest audio when the decoders fall 30 s behind (RtpReceiver):
    # such a transcript misses words, and the leg hands the recording to be transcribed instead
    await live.restart("report")
    assert live.last_whole  # the menu lost nothing
    await live.feed(_said(tmp_path, "상담원"))
    live.receiver.stats.dropped += 25  # half a second the decoders never saw
    await live.restart("call")
    assert not live.last_whole
    await live.restart("case_number")
    assert live.last_whole  # counted per purpose: the next one is whole again
