"""Recorded messages kept safe until the casebook has them.

A message can end in three ways: normally (the IVR reads back the case number), with the
caller hanging up mid-message, or recorded by plain Asterisk while this application was down.
All three leave the same trace in Asterisk: the audio as a stored recording, and its facts
(line, caller, time, call id) in Asterisk's database under `hotline_rec/<name>`, with
`hotline_rec_done/<name>` once the recording is complete. `ingest()` turns such a pair into a
case with its audio, and only then deletes both; `sweep()` finds every complete one that is
left (after a crash, a reconnect, a casebook outage). So no message is lost and none makes two
cases: the intake is idempotent by call id.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
import wave
from dataclasses import replace
from datetime import UTC, datetime

from asr.schemas import Transcript
from common.logs import call_id_var
from ivr.ports import ReportedCall
from telephony.ami.astdb import AstDb
from telephony.ami.client import AmiError
from telephony.ari.client import AriClient
from telephony.ari.errors import AriError, AriNotFound
from telephony.calls import notifier as ev
from telephony.calls.audio import voiced_seconds
from telephony.calls.notifier import CallNotifier
from telephony.calls.ports import IntakeSink

log = logging.getLogger(__name__)

FAMILY = "hotline_rec"
DONE_FAMILY = "hotline_rec_done"
LOST_AFTER_S = 600
START_GRACE_S = 60.0  # facts of this application's recording with neither live nor stored audio yet
APP_PREFIX = "rec-"  # recorded by this application; the dialplan's fallback ones start with "fb-"


class RecordingKeeper:
    def __init__(
        self,
        client: AriClient,
        astdb: AstDb,
        sink: IntakeSink,
        notifier: CallNotifier,
        *,
        min_duration_s: float = 1.0,
    ) -> None:
        self.client = client
        self.astdb = astdb
        self.sink = sink
        self.notifier = notifier
        self.min_duration_s = min_duration_s
        self._busy: set[str] = set()
        self._known: dict[str, ReportedCall] = {}
        self._orphans_told: set[str] = set()  # facts of this process's recordings, in case AMI is down

    # --- facts kept in Asterisk -----------------------------------------------------------------
    async def remember(self, name: str, report: ReportedCall) -> None:
        """Keep a message's facts beside its audio before recording starts."""
        self._known[name] = report
        try:
            await self.astdb.put(FAMILY, name, encode_meta(report))
        except AmiError as exc:
            log.warning("could not keep the facts of %s in Asterisk (%s); kept in memory only", name, exc)

    async def mark_done(self, name: str) -> None:
        try:
            await self.astdb.put(DONE_FAMILY, name, str(int(time.time())))
        except AmiError as exc:
            log.warning("could not mark %s complete in Asterisk: %s", name, exc)

    async def pending(self) -> list[str]:
        """Names of complete recordings that the casebook does not have yet."""
        return sorted(await self.astdb.tree(DONE_FAMILY))

    # --- a message begun by a process that died ---------------------------------------------------
    async def recording_in_progress(self, call_id: str) -> str | None:
        """The recording this call is still making, begun by a process that died (Asterisk goes on
        recording without it), or None."""
        try:
            facts = await self.astdb.tree(FAMILY)
        except AmiError:
            return None
        for name, raw in facts.items():
            if not name.startswith(APP_PREFIX) or decode_meta(raw, name).call_id != call_id:
                continue
            with contextlib.suppress(AriError):
                if (await self.client.live_recording(name)).get("state") in ("queued", "recording", "paused"):
                    return name
        return None

    async def until_finished(self, name: str, *, poll_s: float = 0.5, limit_s: float = 900.0) -> None:
        """Wait for a recording to end (the caller's '#', silence, the time limit or a hangup)."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            try:
                live = await self.client.live_recording(name)
            except AriNotFound:
                return
            if live.get("state") not in ("queued", "recording", "paused"):
                return
            await asyncio.sleep(poll_s)

    # --- into the casebook -------------------------------------------------------------------------
    async def sweep(self) -> int:
        """Ingest every complete recording still in Asterisk; return how many became cases."""
        done = 0
        try:
            names = set(await self.pending())
            for name, raw in (await self.astdb.tree(FAMILY)).items():
                if name not in names and await self._finished_unnoticed(name, raw):
                    await self.mark_done(name)
                    names.add(name)
        except (AriError, AmiError) as exc:
            log.warning("recording sweep could not list recordings: %s", exc)
            return 0
        for name in sorted(names):
            if await self.ingest(name):
                done += 1
        await self._report_orphans()
        return done

    async def _report_orphans(self) -> None:
        """Audio in Asterisk's recording folder that no facts describe (left by a crash before its
        facts were written, or by an older version) is kept, and said once, for a person to look at."""
        try:
            stored = {str(r.get("name", "")) for r in await self.client.list_stored_recordings()}
            known = set(await self.astdb.tree(FAMILY))
        except (AriError, AmiError):
            return
        for name in sorted(stored - known - self._orphans_told):
            if name.startswith((APP_PREFIX, "fb-")):
                log.warning("recording %s is in Asterisk without its facts (caller, line); kept for inspection", name)
                self._orphans_told.add(name)

    async def _finished_unnoticed(self, name: str, raw: str) -> bool:
        """A recording whose end nobody marked: this application's, once ARI no longer records it
        (its event was lost while the socket was down); the dialplan's, once far older than any
        message can be (Asterisk stopped before the hangup handler ran)."""
        if name.startswith(APP_PREFIX):
            try:
                await self.client.live_recording(name)
            except AriNotFound:
                # not recording: finished, or not begun yet (the facts are written just before the
                # recording starts, and under load that can take a while): finished once its audio
                # is stored; one of this process's that has none is about to begin; another
                # process's is given up once too old to be about to begin
                with contextlib.suppress(AriNotFound):
                    await self.client.stored_recording(name)
                    return True
                if name in self._known:
                    return False
                age = (datetime.now(UTC) - decode_meta(raw, name).started_at).total_seconds()
                return age > START_GRACE_S
            return False
        age = (datetime.now(UTC) - decode_meta(raw, name).started_at).total_seconds()
        return age > LOST_AFTER_S

    async def ingest(self, name: str, *, live: Transcript | None = None) -> str | None:
        """Hand one complete recording to the casebook (with the live transcript of the message,
        when the call had one); return the case number, None if not (yet)."""
        if name in self._busy:
            return None
        self._busy.add(name)
        try:
            return await self._ingest(name, live)
        except (AriError, AmiError) as exc:
            log.warning("recording %s not ingested yet (Asterisk): %s", name, exc)
            return None
        except Exception:
            log.exception("recording %s not ingested yet (casebook); it stays in Asterisk", name)
            return None
        finally:
            self._busy.discard(name)

    async def _ingest(self, name: str, live: Transcript | None) -> str | None:
        raw = await self.astdb.get(FAMILY, name)
        if raw:
            report = decode_meta(raw, name)
        elif name in self._known:
            report = self._known[name]
        else:
            await self.astdb.delete(DONE_FAMILY, name)  # already ingested by someone else
            return None
        token = call_id_var.set(report.call_id)
        try:
            try:
                audio = await self.client.fetch_recording(name)
            except AriNotFound:
                # complete (marked done) but no audio: the caller hung up before the tone
                log.info("recording %s has no audio: the caller hung up before the tone; no message", name)
                self.notifier.emit(report.call_id, ev.RECORDING_DISCARDED, name=name, reason="no audio")
                await self._forget(name)
                return None
            duration = wav_duration(audio)
            voiced = await asyncio.to_thread(voiced_seconds, audio)
            report = replace(report, recording_duration_s=duration)
            if voiced is not None and voiced < self.min_duration_s:
                log.info(
                    "recording %s holds %.1f s of voice in %.1f s: no message, not a case",
                    name,
                    voiced,
                    duration or 0.0,
                )
                self.notifier.emit(
                    report.call_id,
                    ev.RECORDING_DISCARDED,
                    name=name,
                    reason="no voice",
                    duration_s=duration,
                    voiced_s=voiced,
                )
                await self._delete_audio(name)
                await self._forget(name)
                return None
            number = await self.sink.open_report(report)
            await self.sink.attach_recording(report.call_id, name, audio, "audio/wav", duration)
            await self.sink.message_stored(report.call_id, live)
            await self._delete_audio(name)
            await self._forget(name)
            self.notifier.emit(
                report.call_id,
                ev.RECORDING_STORED,
                name=name,
                case_number=number,
                origin=report.origin,
                duration_s=duration,
                bytes=len(audio),
            )
            return number
        finally:
            call_id_var.reset(token)

    async def _delete_audio(self, name: str) -> None:
        with contextlib.suppress(AriNotFound):
            await self.client.delete_recording(name)

    async def _forget(self, name: str) -> None:
        self._known.pop(name, None)
        await self.astdb.delete(FAMILY, name)
        await self.astdb.delete(DONE_FAMILY, name)


def encode_meta(report: ReportedCall) -> str:
    caller = "".join(ch for ch in report.caller_number if ch.isdigit() or ch == "+")
    return "|".join(
        [
            report.line_number,
            caller,
            f"{report.started_at.timestamp():.3f}",
            report.origin,
            report.language,
            report.call_id,
            ">".join(report.ivr_path),
        ]
    )


def decode_meta(raw: str, name: str) -> ReportedCall:
    parts = raw.split("|")
    parts += [""] * (7 - len(parts))
    line, caller, epoch, origin, language, call_id, path = parts[:7]
    try:
        started = datetime.fromtimestamp(float(epoch), UTC)
    except ValueError:
        started = datetime.now(UTC)
    return ReportedCall(
        call_id=call_id or name,
        line_number=line,
        caller_number=caller,
        started_at=started,
        recording_name=name,
        recording_duration_s=None,
        origin=origin or "fallback",
        language=language or "zh",
        ivr_path=tuple(p for p in path.split(">") if p),
    )


def wav_duration(audio: bytes) -> float | None:
    """Seconds of audio in a WAV file, or None when the file is not a readable WAV."""
    try:
        with wave.open(io.BytesIO(audio)) as wav:
            rate = wav.getframerate()
            return wav.getnframes() / rate if rate else None
    except (wave.Error, EOFError):
        return None
