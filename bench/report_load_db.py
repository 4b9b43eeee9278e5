"""What a load run left in its database: the cases of the calls, their transcripts and how long
each took (bench/report_load.py reads them once the calls are over)."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg


def backlog(pg: str) -> int:
    """Cases of calls whose transcript is not there yet: waiting for their recording, or pending
    (the recording stored, its transcription to come)."""
    with psycopg.connect(pg) as db:
        row = db.execute(
            "SELECT count(*) FROM cases WHERE call_id IS NOT NULL AND transcript_state IN ('waiting', 'pending')"
        ).fetchone()
    return int(row[0]) if row else 0


def drain(pg: str, since: float, timeout_s: float, app: subprocess.Popen[bytes]) -> int:
    """Wait until no call's transcript is missing; return how many still are. Gives up after two
    minutes without change (a case whose recording never came stays `waiting`), or `timeout_s`
    after `since`."""
    left, changed = backlog(pg), time.monotonic()
    while left and app.poll() is None and time.monotonic() - since < timeout_s and time.monotonic() - changed < 120:
        time.sleep(2)
        now = backlog(pg)
        if now != left:
            left, changed = now, time.monotonic()
    return left


def backlog_audio_at(pg: str, at: datetime) -> tuple[int, float]:
    """Messages whose transcript was not there at `at` (the last call's end), and their audio in
    seconds: what the backlog's drain had to decode once the calls were over."""
    with psycopg.connect(pg) as db:
        row = db.execute(
            """
            SELECT count(*), coalesce(sum(r.duration_s), 0) FROM cases c JOIN recordings r ON r.case_id = c.id
            WHERE c.call_id IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM transcripts t
                WHERE t.case_id = c.id AND t.source IN ('live', 'file') AND t.created_at <= %s)
            """,
            (at,),
        ).fetchone()
    return (int(row[0]), float(row[1])) if row else (0, 0.0)


def one_core_rtf(pg: str, messages: int = 5) -> float | None:
    """CPU seconds per audio second of one warm recognizer on this run's stored messages (this
    process, one thread): the real-time factor of the physical limit (audio x factor / cores)."""
    from asr.engine import SpeechEngine
    from asr.model import load_model, resolve_model_path

    with psycopg.connect(pg) as db:
        paths = [
            Path(str(r[0])) for r in db.execute("SELECT path FROM recordings ORDER BY id LIMIT %s", (messages + 1,))
        ]
    audio = [p.read_bytes() for p in paths if p.exists()]
    if len(audio) < 2:
        return None
    engine = SpeechEngine(load_model(resolve_model_path(None)), keep_idle=1)
    engine.transcribe_wav(audio[0])  # warms the recognizer (a fresh one costs four times as much)
    cpu, seconds = time.process_time(), 0.0
    for wav in audio[1:]:
        seconds += engine.transcribe_wav(wav).duration_s
    return (time.process_time() - cpu) / seconds if seconds else None


def call_cases(pg: str) -> list[tuple[str, str, datetime, int, str | None]]:
    """(caller, case number, opened at, recordings, transcript state) of every case of a call."""
    with psycopg.connect(pg) as db:
        rows = db.execute(
            """
            SELECT ca.phone, c.number, c.created_at,
                   (SELECT count(*) FROM recordings r WHERE r.case_id = c.id), c.transcript_state
            FROM cases c LEFT JOIN callers ca ON ca.id = c.caller_id
            WHERE c.call_id IS NOT NULL AND c.origin = 'ivr'
            """
        ).fetchall()
    return [(str(r[0] or ""), str(r[1]), _utc(r[2]), int(r[3]), r[4]) for r in rows]


def key_to_case_s(pg: str) -> list[float]:
    """Per call: the end of its message (the #: `recording.finished`) to `ivr.case-opened`."""
    with psycopg.connect(pg) as db:
        rows = db.execute(
            "SELECT call_id, name, at FROM call_events WHERE name IN ('recording.finished', 'ivr.case-opened')"
        ).fetchall()
    finished: dict[str, datetime] = {}
    opened: dict[str, datetime] = {}
    for call_id, name, at in rows:
        (finished if name == "recording.finished" else opened).setdefault(str(call_id), _utc(at))
    return [(opened[c] - finished[c]).total_seconds() for c in opened if c in finished]


def key_to_routed_s(pg: str) -> list[float]:
    """Per call: the end of its message (`recording.finished`) to its case's last screening (the
    `classified` case event written once the transcript is on the case: registered and
    dispatched, or left for an intake agent), what issue 18 calls hangup to routed case."""
    with psycopg.connect(pg) as db:
        rows = db.execute(
            """
            SELECT e.call_id, min(e.at), max(ce.at)
            FROM call_events e
            JOIN cases c ON c.call_id = e.call_id
            JOIN case_events ce ON ce.case_id = c.id AND ce.kind = 'classified'
            WHERE e.name = 'recording.finished' AND c.transcript_state = 'done'
            GROUP BY e.call_id
            """
        ).fetchall()
    return [(_utc(routed) - _utc(finished)).total_seconds() for _call, finished, routed in rows]


def last_transcript_at(pg: str) -> datetime | None:
    """When the last transcript of a call's message was stored."""
    with psycopg.connect(pg) as db:
        row = db.execute(
            "SELECT max(t.created_at) FROM transcripts t JOIN cases c ON c.id = t.case_id "
            "WHERE c.call_id IS NOT NULL AND t.source IN ('live', 'file')"
        ).fetchone()
    return _utc(row[0]) if row and row[0] else None


def transcript_sources(pg: str) -> dict[str, int]:
    with psycopg.connect(pg) as db:
        rows = db.execute(
            "SELECT t.source, count(DISTINCT t.case_id) FROM transcripts t JOIN cases c ON c.id = t.case_id "
            "WHERE c.call_id IS NOT NULL AND t.source IN ('live', 'file') GROUP BY t.source"
        ).fetchall()
    return {str(source): int(n) for source, n in rows}


def key_to_routed_by_source(pg: str) -> dict[str, list[float]]:
    """`key_to_routed_s`, apart for the messages transcribed live and those decoded from the file
    afterwards (what the live streams save is the difference)."""
    with psycopg.connect(pg) as db:
        rows = db.execute(
            """
            SELECT t.source, min(e.at), max(ce.at)
            FROM call_events e
            JOIN cases c ON c.call_id = e.call_id
            JOIN case_events ce ON ce.case_id = c.id AND ce.kind = 'classified'
            JOIN transcripts t ON t.case_id = c.id AND t.source IN ('live', 'file')
            WHERE e.name = 'recording.finished' AND c.transcript_state = 'done'
            GROUP BY c.id, t.source
            """
        ).fetchall()
    out: dict[str, list[float]] = {}
    for source, finished, routed in rows:
        out.setdefault(str(source), []).append((_utc(routed) - _utc(finished)).total_seconds())
    return out


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
