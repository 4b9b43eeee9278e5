"""The Celery worker of the platform: the casebook's tasks and the speech tasks.

`celery -A hotline.worker worker` and `celery -A hotline.worker beat` (HOTLINE_TASK_MODE=celery).
The speech tasks live here, not in the casebook, because they need the speech engine and the
casebook imports no speech code. Tasks are acknowledged late: a worker killed mid-task leaves
the task to run again, and `Transcriber.run` is idempotent by call id.
"""

from __future__ import annotations

from functools import lru_cache

from asr.engine import SpeechEngine
from asr.model import load_model, resolve_model_path
from casebook.tasks import app, worker_services
from common.settings import get_settings
from hotline.transcription import NotReady, Transcriber

__all__ = ["app", "transcribe_call_task", "transcribe_lost_task"]


@lru_cache(maxsize=1)
def speech_engine() -> SpeechEngine:
    """The model is loaded on the first transcription of this worker process, once."""
    settings = get_settings()
    return SpeechEngine(load_model(resolve_model_path(settings.vosk_model), settings.asr_language))


@lru_cache(maxsize=1)
def transcriber() -> Transcriber:
    return Transcriber(worker_services().book, speech_engine)


@app.task(  # type: ignore[untyped-decorator]
    name="speech.transcribe_call",
    autoretry_for=(NotReady, OSError),
    retry_backoff=0.5,
    retry_backoff_max=30,
    max_retries=12,
)
def transcribe_call_task(call_id: str) -> dict[str, object]:
    outcome = transcriber().run(call_id)
    return {
        "number": outcome.number,
        "state": outcome.state,
        "source": outcome.source,
        "dispatched": outcome.dispatched,
    }


@app.task(name="speech.transcribe_lost")  # type: ignore[untyped-decorator]
def transcribe_lost_task() -> int:
    """Re-send the transcriptions that no worker finished (the beat runs it every minute)."""
    from hotline.transcription import LOST_AFTER

    lost = worker_services().book.waiting_transcriptions(LOST_AFTER)
    for call_id in lost:
        transcribe_call_task.delay(call_id)
    return len(lost)


app.conf.beat_schedule = {
    **app.conf.beat_schedule,
    "transcribe-lost": {"task": "speech.transcribe_lost", "schedule": 60.0},
}
