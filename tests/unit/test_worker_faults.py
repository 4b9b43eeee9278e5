"""A Celery worker (real, on the machine's Redis) killed in the middle of a transcription: the task
runs again in the next worker, the case gets one transcript, nothing is lost.

Expected: the worker receives speech.transcribe_call; its pool process is killed (SIGKILL) before
it finishes; the task, acknowledged late and rejected on worker loss, goes back to the queue and
runs again in a new pool process; the case ends `done` with exactly one transcript, one case.
(A whole worker machine lost is covered by the broker's visibility timeout: another worker takes
the unacknowledged task after HOTLINE_TASK_VISIBILITY_TIMEOUT_S.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from celery import Celery
from sqlalchemy import func, select

from casebook.auth.policy import SYSTEM
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.db.models import Case, Transcript
from hotline.worker import LOST_MESSAGE, NEW_MESSAGE, PRIORITY_TRANSPORT
from tests.speech import REPORT_KO, speak
from tests.unit.conftest import WORKER_REDIS_DB as REDIS_DB

ROOT = Path(__file__).resolve().parents[2]


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hotline.worker",
            "worker",
            "-c",
            "1",
            "-l",
            "INFO",
            "-n",
            f"w{time.time()}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _wait_for_line(log: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise AssertionError(f"worker never logged {text!r}: {log.read_text(errors='replace')[-3000:]}")


def test_a_worker_killed_mid_transcription_runs_the_task_again(
    book: CaseBook, worker_env: dict[str, str], tmp_path: Path
) -> None:
    """The worker process doing the transcription dies (SIGKILL, as the OOM killer does): the task
    was not acknowledged, so it is given back and runs again; one case, one transcript."""
    # a long message (about a minute of speech) so the kill lands mid-transcription
    one = speak(REPORT_KO, tmp_path / "one.wav")
    long = tmp_path / "long.wav"
    subprocess.run(["sox", *[str(one)] * 6, str(long)], check=True)
    call_id = f"kill-{time.time_ns()}"
    number = book.open(
        NewAppeal(channel="line-12345", line_number="12345", call_id=call_id, origin="ivr"), SYSTEM
    ).number
    book.attach_recording(call_id, "rec-long", long.read_bytes(), "audio/wav", 60.0)

    sender = Celery("test-sender", broker=REDIS_DB)  # its own connection, whatever other tests set
    log = tmp_path / "worker.log"
    worker = _worker(worker_env, log)
    try:
        sender.send_task("speech.transcribe_call", args=[call_id])
        _wait_for_line(log, "] received", 60)
        _wait_for_line(log, "speech model loaded", 60)
        time.sleep(2.0)  # decoding the minute of speech takes about 8 s: this is in the middle
        with book.sessions() as s:
            assert book.get(s, number).transcript_state == "pending"  # not finished
        [child] = psutil.Process(worker.pid).children(recursive=True)
        child.kill()
        deadline = time.monotonic() + 150
        state = None
        while time.monotonic() < deadline:
            with book.sessions() as s:
                state = book.get(s, number).transcript_state
            if state == "done":
                break
            time.sleep(1)
        text = log.read_text(errors="replace")
        assert state == "done", text[-3000:]
    finally:
        _kill(worker)
    assert "WorkerLostError" in text or "exited with 'signal 9" in text  # it really died mid-task
    with book.sessions() as s:
        case = book.get(s, number)
        assert s.scalar(select(func.count()).select_from(Case).where(Case.call_id == call_id)) == 1
        assert s.scalar(select(func.count()).select_from(Transcript).where(Transcript.case_id == case.id)) == 1
        assert case.transcript


def test_two_worker_processes_share_one_backlog_of_transcriptions(
    book: CaseBook, worker_env: dict[str, str], tmp_path: Path
) -> None:
    """The same transcription tasks on Celery: two worker processes (on one machine here, on two
    in a county: they share only Redis and PostgreSQL) take from one backlog; each message is
    transcribed once, by one of them. Expected: six speech.transcribe_call tasks received and
    succeeded in total, some by each worker; six cases done with one transcript each."""
    message = speak(REPORT_KO, tmp_path / "message.wav").read_bytes()
    calls = [f"share-{time.time_ns()}-{n}" for n in range(6)]
    numbers = []
    for call_id in calls:
        appeal = NewAppeal(channel="line-12345", line_number="12345", call_id=call_id, origin="ivr")
        numbers.append(book.open(appeal, SYSTEM).number)
        book.attach_recording(call_id, f"rec-{call_id}", message, "audio/wav", 10.0)
    sender = Celery("test-sender", broker=REDIS_DB)
    for call_id in calls:  # the backlog is there before any worker is
        sender.send_task("speech.transcribe_call", args=[call_id])
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    workers = [_worker(worker_env, log) for log in logs]
    try:
        deadline = time.monotonic() + 240
        states: list[str | None] = []
        while time.monotonic() < deadline:
            with book.sessions() as s:
                states = [book.get(s, n).transcript_state for n in numbers]
            if all(state == "done" for state in states):
                break
            time.sleep(1)
    finally:
        for worker in workers:
            _kill(worker)
    texts = [log.read_text(errors="replace") for log in logs]
    assert states == ["done"] * 6, texts[0][-2000:] + texts[1][-2000:]
    done_by = [text.count("succeeded in") for text in texts]
    assert sum(done_by) == 6 and all(n >= 1 for n in done_by), done_by
    with book.sessions() as s:
        for number in numbers:
            case = book.get(s, number)
            assert s.scalar(select(func.count()).select_from(Transcript).where(Transcript.case_id == case.id)) == 1


def test_a_message_the_sweep_found_lost_is_transcribed_before_newer_ones(
    book: CaseBook, worker_env: dict[str, str], tmp_path: Path
) -> None:
    """Celery serves stored messages by their registration clock: three new messages are queued,
    then one that the sweep found lost (older, its clock further on); one worker process, one
    task at a time, transcribes the lost one first. Expected: four speech.transcribe_call tasks
    succeeded; the lost message's transcript stored before the three others'."""
    message = speak(REPORT_KO, tmp_path / "message.wav").read_bytes()
    calls = [f"order-{time.time_ns()}-{n}" for n in range(4)]
    for call_id in calls:
        appeal = NewAppeal(channel="line-12345", line_number="12345", call_id=call_id, origin="ivr")
        book.open(appeal, SYSTEM)
        book.attach_recording(call_id, f"rec-{call_id}", message, "audio/wav", 10.0)
    sender = Celery("test-sender", broker=REDIS_DB)
    sender.conf.broker_transport_options = PRIORITY_TRANSPORT  # as the platform and the beat send
    *new, lost = calls
    for call_id in new:
        sender.send_task("speech.transcribe_call", args=[call_id], priority=NEW_MESSAGE)
    sender.send_task("speech.transcribe_call", args=[lost], priority=LOST_MESSAGE)
    log = tmp_path / "worker.log"
    worker = _worker(worker_env, log)
    try:
        deadline = time.monotonic() + 180
        stored: dict[str, object] = {}
        while time.monotonic() < deadline and len(stored) < 4:
            with book.sessions() as s:
                rows = s.execute(select(Transcript.call_id, Transcript.created_at).where(Transcript.call_id.in_(calls)))
                stored = {str(call_id): at for call_id, at in rows}
            time.sleep(1)
    finally:
        _kill(worker)
    assert len(stored) == 4, log.read_text(errors="replace")[-3000:]
    assert min(stored, key=lambda c: stored[c]) == lost  # type: ignore[arg-type,return-value]
