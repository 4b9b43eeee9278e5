"""Recorded messages kept safe until the casebook has them.

A caller's words are recorded by Asterisk on a *tape* (see `telephony/calls/tape.py`) whose facts
(line, caller, time, call id, why the words are kept and how far the caller got) are kept in
Asterisk's database under `hotline_rec/<name>`, with `hotline_rec_done/<name>` once the recording
has ended. The dialplan's fallback (this application down) leaves the same trace. `ingest()` turns
such a pair into what `ivr.messages.judge` says it is (a case, a case to call back, or nothing),
stores the audio, and only then deletes both; `sweep()` finds every ended one that is left (after
a crash, a reconnect, a casebook outage). So no message is lost and none makes two cases: the
intake is idempotent by call id.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
import wave
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from asr.schemas import Transcript
from common.logs import call_id_var
from ivr.messages import MessageKind, MessageStage, Verdict, judge
from telephony.ami.astdb import AstDb
from telephony.ami.client import AmiError
from telephony.ari.client import AriClient
from telephony.ari.errors import AriError, AriNotFound
from telephony.calls import notifier as ev
from telephony.calls.audio import repaired_wav, trimmed
from telephony.calls.facts import TapeFacts, decode_facts, encode_facts, process_token
from telephony.calls.notifier import CallNotifier
from telephony.calls.ports import IntakeSink

log = logging.getLogger(__name__)

FAMILY = "hotline_rec"
DONE_FAMILY = "hotline_rec_done"
LOST_AFTER_S = 600
START_GRACE_S = 60.0  # facts of this application's recording with neither live nor stored audio yet
APP_PREFIX = "rec-"  # recorded by this application; the dialplan's fallback ones start with "fb-"
LIVE_STATES = ("queued", "recording", "paused")


@dataclass(frozen=True, slots=True)
class Ingested:
    """What became of one ended recording."""

    name: str
    call_id: str
    case_number: str | None  # None: judged no case (nothing chosen, nothing said)
    verdict: Verdict
    voiced_s: float | None
    duration_s: float | None


class RecordingKeeper:
    def __init__(self, client: AriClient, astdb: AstDb, sink: IntakeSink, notifier: CallNotifier) -> None:
        self.client = client
        self.astdb = astdb
        self.sink = sink
        self.notifier = notifier
        self.owner = process_token()
        self._busy: dict[str, asyncio.Future[Ingested | None]] = {}
        self._known: dict[str, TapeFacts] = {}
        self._results: dict[str, asyncio.Future[Ingested]] = {}
        self._orphans_told: set[str] = set()  # facts of this process's recordings, in case AMI is down
        self._unsaved: set[str] = set()  # tapes whose facts this process holds but Asterisk does not
        self._writes: set[asyncio.Task[None]] = set()
        self._asterisk_started: tuple[float, datetime | None] = (0.0, None)

    # --- facts kept in Asterisk -----------------------------------------------------------------
    async def remember(self, name: str, facts: TapeFacts) -> None:
        """Keep a tape's facts beside its audio, before the audio begins, and again as they change
        (kind, stage, problem): a crash at any moment leaves the facts of that moment."""
        facts = facts.but(report=replace(facts.report, recording_name=name), owner=self.owner)
        self._known[name] = facts
        try:
            await self.astdb.put(FAMILY, name, encode_facts(facts))
            self._unsaved.discard(name)
        except AmiError as exc:
            self._unsaved.add(name)
            log.warning("could not keep the facts of %s in Asterisk (%s); kept in memory only", name, exc)

    def facts_of(self, name: str) -> TapeFacts | None:
        return self._known.get(name)

    def amend(self, name: str, **changes: object) -> None:
        """Change a tape's facts in this process at once (an event handler cannot wait); Asterisk's
        copy follows a moment later. This process's facts are the ones `ingest` believes."""
        facts = self._known.get(name)
        if facts is None:
            return
        self._known[name] = facts.but(**changes)
        task = asyncio.get_running_loop().create_task(self.remember(name, self._known[name]))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def mark_done(self, name: str) -> None:
        try:
            await self.astdb.put(DONE_FAMILY, name, str(int(time.time())))
        except AmiError as exc:
            log.warning("could not mark %s complete in Asterisk: %s", name, exc)

    async def pending(self) -> list[str]:
        """Names of complete recordings that the casebook does not have yet."""
        return sorted(await self.astdb.tree(DONE_FAMILY))

    def result_of(self, name: str) -> asyncio.Future[Ingested]:
        """Resolved when this recording has been stored (or judged no case)."""
        if name not in self._results:
            self._results[name] = asyncio.get_running_loop().create_future()
        return self._results[name]

    # --- a call begun by a process that died ------------------------------------------------------
    async def tape_in_progress(self, call_id: str) -> tuple[str, TapeFacts] | None:
        """The tape this call is still recording, begun by a process that died (Asterisk goes on
        recording without it), with its facts; or None."""
        try:
            facts = await self.astdb.tree(FAMILY)
        except AmiError:
            return None
        for name, raw in sorted(facts.items()):
            decoded = decode_facts(raw, name)
            if not name.startswith(APP_PREFIX) or decoded.report.call_id != call_id:
                continue
            if decoded.kind == MessageKind.DISCARDED:
                continue
            with contextlib.suppress(AriError):
                if (await self.client.live_recording(name)).get("state") in LIVE_STATES:
                    return name, decoded
        return None

    async def settle(self, call_id: str) -> str | None:
        """Store every ended tape of this call now, and return the number of its case, if it has
        one (a caller adopted after '#', or during the read-back, hears their number again)."""
        try:
            names = [
                n
                for n, raw in (await self.astdb.tree(FAMILY)).items()
                if decode_facts(raw, n).report.call_id == call_id
            ]
        except AmiError:
            names = []
        for name in names:
            busy = self._busy.get(name)
            if busy is not None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(busy)
                continue
            with contextlib.suppress(AriError):
                if (await self.client.live_recording(name)).get("state") in LIVE_STATES:
                    continue
            await self.mark_done(name)
            await self.ingest(name)
        return await self.sink.case_of_call(call_id)

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
            result = await self.ingest(name)
            if result is not None and result.case_number is not None:
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
                age = (datetime.now(UTC) - decode_facts(raw, name).report.started_at).total_seconds()
                return age > START_GRACE_S
            return False
        age = (datetime.now(UTC) - decode_facts(raw, name).report.started_at).total_seconds()
        return age > LOST_AFTER_S

    async def ingest(self, name: str, *, live: Transcript | None = None) -> Ingested | None:
        """Hand one ended recording to the casebook (with the live transcript of the message, when
        the call had one); None when that cannot be done now (it stays in Asterisk for the sweep)."""
        if name in self._busy:
            return None
        busy: asyncio.Future[Ingested | None] = asyncio.get_running_loop().create_future()
        self._busy[name] = busy
        result: Ingested | None = None
        try:
            result = await self._ingest(name)
        except (AriError, AmiError) as exc:
            log.warning("recording %s not ingested yet (Asterisk): %s", name, exc)
        except Exception:
            log.exception("recording %s not ingested yet (casebook); it stays in Asterisk", name)
        finally:
            del self._busy[name]
            busy.set_result(result)
        if result is not None:
            waiting = self._results.pop(name, None)
            if waiting is not None and not waiting.done():
                waiting.set_result(result)  # the caller hears the case number now
            if result.case_number is not None and result.duration_s is not None:
                await self._transcribe(result.call_id, live)
        return result

    async def _transcribe(self, call_id: str, live: Transcript | None) -> None:
        """The stored message's words: its live transcript kept and the case screened, or its
        recording queued for transcription. After the caller has their case number, which does not
        wait for the screening; if this fails, the transcription sweep finds the case (a stored
        recording without a transcript) and transcribes the recording."""
        try:
            await self.sink.message_stored(call_id, live)
        except Exception:
            log.exception("the message of call %s is stored; its transcription is left to the sweep", call_id)

    async def _ingest(self, name: str) -> Ingested | None:
        known = self._known.get(name)  # this process recorded it: its memory is the freshest
        raw = None if known is not None else await self.astdb.get(FAMILY, name)
        if known is not None:
            facts = known
        elif raw:
            facts = decode_facts(raw, name)
        else:
            await self.astdb.delete(DONE_FAMILY, name)  # already ingested by someone else
            return None
        report = facts.report
        token = call_id_var.set(report.call_id)
        try:
            audio, duration, voiced = await self._fetch(name)
            if audio is None and name not in self._unsaved and not await self.astdb.get(FAMILY, name):
                # gone with its facts: another keeper (a second process, a deploy's overlap) has
                # just stored it, and "Asterisk kept no audio" would be wrong (or Asterisk cannot
                # say now: the facts, if any, are still there for the sweep)
                log.info("recording %s has no audio and no facts in Asterisk: taken by another process", name)
                return None
            cut = facts.stage != MessageStage.ENDED and await self._asterisk_restarted_since(report.started_at)
            verdict = judge(
                facts.kind,
                facts.stage,
                voiced,
                audio=audio is not None,
                problem=facts.problem,
                cut_by_asterisk=cut,
            )
            if not verdict.case:
                reason = (
                    "discarded" if facts.kind == MessageKind.DISCARDED else "no audio" if audio is None else "no voice"
                )
                await self._discard(name, report.call_id, reason, facts.kind, duration, voiced)
                return Ingested(name, report.call_id, None, verdict, voiced, duration)
            stored_duration = wav_duration(audio) if audio is not None else None
            report = replace(report, recording_duration_s=stored_duration, call_back=verdict.call_back)
            number = await self.sink.open_report(report)
            if audio is not None:
                await self.sink.attach_recording(report.call_id, name, audio, "audio/wav", stored_duration)
            else:
                await self.sink.no_recording(report.call_id, verdict.call_back or "no recording")
            await self._forget(name)
            await self._delete_audio(name)
            self.notifier.emit(
                report.call_id,
                ev.RECORDING_STORED,
                name=name,
                case_number=number,
                origin=report.origin,
                kind=facts.kind.value,
                duration_s=stored_duration,
                voiced_s=voiced,
                bytes=len(audio) if audio is not None else 0,
                call_back=verdict.call_back,
            )
            return Ingested(name, report.call_id, number, verdict, voiced, stored_duration)
        finally:
            call_id_var.reset(token)

    async def _fetch(self, name: str) -> tuple[bytes | None, float | None, float | None]:
        """The recording's audio (repaired, trimmed of its silent ends), its length and its voiced
        seconds; no audio when Asterisk has none or it holds no sound at all."""
        try:
            audio: bytes | None = repaired_wav(await self.client.fetch_recording(name))
        except AriNotFound:
            audio = None
        duration = wav_duration(audio) if audio else None
        voiced: float | None = None
        if audio is not None:
            audio, voiced = await asyncio.to_thread(trimmed, audio)
        if audio is not None and duration == 0.0:
            audio = None  # a header and no sound: nothing was recorded
        return audio, duration, voiced

    async def _discard(
        self, name: str, call_id: str, reason: str, kind: MessageKind, duration: float | None, voiced: float | None
    ) -> None:
        """Not a case (a caller who never chose and said nothing): said on the bus, then let go."""
        log.info("recording %s (%s, %.1f s of voice): not a case (%s)", name, kind, voiced or 0.0, reason)
        self.notifier.emit(
            call_id,
            ev.RECORDING_DISCARDED,
            name=name,
            reason=reason,
            kind=kind.value,
            duration_s=duration,
            voiced_s=voiced,
        )
        await self._forget(name)
        await self._delete_audio(name)

    async def _asterisk_restarted_since(self, moment: datetime) -> bool:
        """Whether Asterisk started after `moment` (then it cut off what it was recording)."""
        checked, started = self._asterisk_started
        if time.monotonic() - checked > 5.0:
            try:
                status = (await self.client.asterisk_info()).get("status") or {}
                started = datetime.strptime(str(status.get("startup_time")), "%Y-%m-%dT%H:%M:%S.%f%z")
            except (AriError, ValueError):
                started = None
            self._asterisk_started = (time.monotonic(), started)
        return started is not None and started > moment

    async def _delete_audio(self, name: str) -> None:
        """Asterisk's copy, once the casebook has the audio and the facts are gone (in that order:
        a keeper that then finds no audio finds no facts either, and knows the tape was taken)."""
        try:
            await self.client.delete_recording(name)
        except AriNotFound:
            pass
        except AriError as exc:
            log.warning("recording %s stored, but its copy is left in Asterisk's folder: %s", name, exc)

    async def _forget(self, name: str) -> None:
        self._known.pop(name, None)
        self._unsaved.discard(name)
        await self.astdb.delete(FAMILY, name)
        await self.astdb.delete(DONE_FAMILY, name)


def wav_duration(audio: bytes) -> float | None:
    """Seconds of audio in a WAV file, or None when the file is not a readable WAV."""
    try:
        with wave.open(io.BytesIO(audio)) as wav:
            rate = wav.getframerate()
            return wav.getnframes() / rate if rate else None
    except (wave.Error, EOFError):
        return None
