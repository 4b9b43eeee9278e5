"""The IVR's `CallLeg` over ARI: play, keys, record, transfer, hang up on one channel.

Events for this channel (keys, playback and recording ends) are pushed in by the Stasis
application; each REST call that finds the channel gone raises `CallEnded`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from asr.schemas import Transcript
from asr.text import UNKNOWN, digit_grammar, spoken_digits
from ivr.menu_words import spotted_choice_words
from ivr.messages import MessageKind, MessageStage
from ivr.ports import SPOKE, CallEnded, RecordedMessage, ReportedCall, Say, Sound, Utterance
from telephony.ari.client import AriClient
from telephony.ari.errors import AriError, AriNotFound
from telephony.calls.facts import TapeFacts
from telephony.calls.keys import KeyBuffer
from telephony.calls.recordings import RecordingKeeper
from telephony.calls.states import CallState
from telephony.calls.tape import CallerTape
from telephony.media.live import LiveTranscription

log = logging.getLogger(__name__)
HEARING_GRACE_S = 15.0  # longest a menu waits beyond its timeout for words still being heard

QUEUE_CONTEXT = "hotline-queue"
# a line's facts as the dialplan's [hotline-incoming] sets them (inherited by every leg it makes)
LINE_VARIABLES = {
    "number": "__HL_NUMBER",
    "code": "__HL_LINE_CODE",
    "language": "__HL_LANG",
    "queue_wait_s": "__HL_QUEUE_WAIT",
    "caller": "CALLERID(num)",  # a citizen called back: the agent's phone and screen show them, not our line
}
TONE = Sound("tone")  # "speak now": the caller's words are recorded since they chose, the tone is a cue
TALK_SILENCE_MS = 1000  # Asterisk says the caller stopped talking after this much silence
TAPE_EXTRA_S = 300  # a tape may run this much longer than a message (greeting, menu, prompts)
STORED_WAIT_S = 15.0  # how long the caller waits for their case number before "we have it"


class PromptMedia:
    """Maps catalogue names to media URIs of the instance's sounds folder (as Asterisk sees it)."""

    def __init__(self, sounds_dir: PurePosixPath) -> None:
        self.sounds_dir = sounds_dir

    def uris(self, items: tuple[Say, ...], language: str) -> list[str]:
        uris: list[str] = []
        for item in items:
            names = [item.name] if isinstance(item, Sound) else [f"digit-{d}" for d in item.value if d.isdigit()]
            uris.extend(f"sound:{self.sounds_dir / language / name}" for name in names)
        return uris


class AriCallLeg:
    def __init__(
        self,
        client: AriClient,
        channel_id: str,
        *,
        caller_number: str,
        dialled_number: str,
        media: PromptMedia,
        keeper: RecordingKeeper,
        on_state: Callable[[CallState], None],
        on_tape_lost: Callable[[str], None] | None = None,
        record_max_s: int = 120,
    ) -> None:
        self.client = client
        self.call_id = channel_id
        self.channel_id = channel_id
        self.caller_number = caller_number
        self.dialled_number = dialled_number
        self.language = "zh"
        self.media = media
        self.keeper = keeper
        self.keys = KeyBuffer()
        self._on_state = on_state
        self._playbacks: dict[str, asyncio.Future[None]] = {}
        # the caller's words, recorded by Asterisk (see telephony/calls/tape.py)
        self.tape: CallerTape | None = None
        self._tape_count = 0
        self.record_max_s = record_max_s
        self._on_tape_lost = on_tape_lost  # a tape that never began or ended unseen: the keeper must look
        self.hung_up = False
        self.talk_detection = False
        self.talking = False
        self.last_talk_end = 0.0
        self.talked_since = 0.0  # when talking last began
        self._talk = asyncio.Event()
        # live speech: asked for (`ask_live`) when the call is answered, and again when a message
        # begins if it was refused then; given if capacity allows
        self.live: LiveTranscription | None = None
        self.ask_live: Callable[[AriCallLeg], Awaitable[None]] | None = None
        # a message's live transcript goes to the keeper (name, transcript or None when it had none)
        self.on_message_transcript: Callable[[str, Transcript | None], None] | None = None
        self.on_message_started: Callable[[str], None] | None = None
        self.recording_now: str | None = None
        self._message_ending: asyncio.Task[None] | None = None
        self._live_restart: asyncio.Task[Transcript] | None = None

    # --- events pushed by the application --------------------------------------------------------
    def on_dtmf(self, digit: str) -> None:
        self.keys.push(digit)

    def on_playback_finished(self, playback_id: str) -> None:
        future = self._playbacks.pop(playback_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    def owns_recording(self, name: str) -> bool:
        return self.tape is not None and self.tape.name == name

    def on_recording_finished(self, name: str, duration: float | None, failed: bool, cause: str = "") -> None:
        """The tape ended. Unless this application stopped it or the caller hung up, Asterisk ended
        it by itself (it could not write: a full disk), and the person calling back must know."""
        tape = self.tape
        if tape is None or tape.name != name:
            return
        if not tape.stopping and not self.hung_up:
            why = f"the recording failed ({cause})" if failed and cause else "the recording stopped early"
            self.keeper.amend(name, problem=f"{why}: Asterisk could not keep recording (is its disk full?)")
        tape.finished(duration)

    def on_talking(self, started: bool) -> None:
        """Asterisk's talk detection on this channel (the caller's side)."""
        now = asyncio.get_running_loop().time()
        if started:
            self.talking, self.talked_since = True, now
        else:
            self.talking, self.last_talk_end = False, now - TALK_SILENCE_MS / 1000
        self._talk.set()

    async def resync(self) -> None:
        """After an event-socket gap: settle playbacks and recordings whose end we missed."""
        for playback_id in list(self._playbacks):
            try:
                await self.client.get_playback(playback_id)
            except AriNotFound:
                self.on_playback_finished(playback_id)
        if self.tape is not None and self.tape.running:
            try:
                await self.client.live_recording(self.tape.name)
            except AriNotFound:
                self.tape.finished(None)  # its end was missed

    # --- CallLeg ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _channel_calls(self) -> Iterator[None]:
        try:
            yield
        except AriNotFound as exc:
            raise CallEnded(str(exc)) from exc

    async def answer(self) -> None:
        with self._channel_calls():
            await self.client.answer(self.channel_id)
        self._on_state(CallState.IN_IVR)
        if self.ask_live is not None:
            await self.ask_live(self)

    # --- speech ----------------------------------------------------------------------------------
    @property
    def hears_speech(self) -> bool:
        return self.live is not None

    @property
    def speech_language(self) -> str:
        return self.live.language if self.live is not None else ""

    async def listen(self, purpose: str, *, digits: bool = False, spot: Sequence[str] = ()) -> None:
        if self.live is None or self.keys.peek() is not None:
            return  # a key pressed ahead answers at once: no need to listen afresh (it costs a decode)
        grammar, spotter = None, None
        if self.live.engine.model.info.grammar:  # a model without grammars hears free speech only
            grammar = digit_grammar(self.live.language) if digits else None
            spotter = [*spot, UNKNOWN] if spot else None
        language = self.live.language

        def decides(spotted: list[dict[str, Any]], start_s: float, end_s: float) -> list[dict[str, Any]] | None:
            chosen = spotted_choice_words(spotted, start_s, end_s, language)
            return [dict(w) for w in chosen] if chosen else None

        await self.live.restart(purpose, grammar=grammar, spot=spotter, decides=decides)

    async def _key_or_words(self, timeout: float) -> None:
        assert self.live is not None
        key_task = asyncio.ensure_future(self.keys.wait())
        heard_task = asyncio.ensure_future(self.live.has_heard.wait())
        try:
            await asyncio.wait({key_task, heard_task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            key_task.cancel()
            heard_task.cancel()

    async def next_input(self, timeout: float) -> str | Utterance | None:
        if self.live is None:
            return await self.keys.take(timeout)
        if self.keys.peek() is not None:
            return await self.keys.take(0)
        await self._key_or_words(timeout)
        # the caller is still speaking, or their words are still being decoded (many callers at
        # once): they are not "silent" yet, however long the menu has waited
        grace_until = asyncio.get_running_loop().time() + HEARING_GRACE_S
        while (
            self.keys.peek() is None
            and not self.live.has_heard.is_set()
            and self.live.hearing
            and asyncio.get_running_loop().time() < grace_until
        ):
            await self._key_or_words(0.2)
        if self.keys.peek() is not None:
            return await self.keys.take(0)
        heard = await self.live.next_utterance(0.01) if self.live.has_heard.is_set() else None
        if heard is None:
            return None
        return Utterance(
            heard.text,
            spoken_digits(heard.text, self.live.language),
            self.live.engine.model.info.name,
            heard.words,
            round(heard.end_s - heard.start_s, 2),
            self.live.language,
            heard.spotted,
        )

    async def play(self, *items: Say, interruptible: bool = True, speech: bool = False) -> str | None:
        if interruptible and (key := self.keys.peek()) is not None:
            return key
        hearing = speech and interruptible and self.live is not None
        if hearing and self.live is not None and self.live.has_heard.is_set():
            return SPOKE
        uris = self.media.uris(items, self.language)
        if not uris:
            return None
        playback_id = uuid.uuid4().hex
        finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._playbacks[playback_id] = finished
        try:
            with self._channel_calls():
                await self.client.play(self.channel_id, uris, playback_id)
            if not interruptible:
                await finished
                return None
            key_arrived: asyncio.Future[str] = asyncio.ensure_future(self.keys.wait())
            waiters: set[asyncio.Future[Any]] = {finished, key_arrived}
            if hearing and self.live is not None:
                waiters.add(asyncio.ensure_future(self.live.has_heard.wait()))
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters - {finished}:
                    waiter.cancel()
            spoke = hearing and self.live is not None and self.live.has_heard.is_set()
            if self.keys.peek() is None and not spoke:
                return None
            with contextlib.suppress(AriNotFound):
                await self.client.stop_playback(playback_id)
            return self.keys.peek() or SPOKE
        finally:
            self._playbacks.pop(playback_id, None)

    async def next_key(self, timeout: float) -> str | None:
        return await self.keys.take(timeout)

    def clear_keys(self) -> None:
        self.keys.clear()

    # --- the caller's words ----------------------------------------------------------------------
    async def keep_words(self, meta: ReportedCall, kind: MessageKind) -> None:
        tape = self.tape
        if tape is not None and tape.running:
            await tape.relabel(kind=kind, report=replace(meta, recording_name=tape.name))
        else:
            tape = await self._new_tape(meta, kind)
        if kind != MessageKind.CALL:
            await self._message_begins(tape.name)

    async def _new_tape(self, meta: ReportedCall, kind: MessageKind) -> CallerTape:
        self._tape_count += 1
        tape = CallerTape(
            self.client,
            self.keeper,
            channel_id=self.channel_id,
            call_id=self.call_id,
            seq=self._tape_count,
            max_s=self.record_max_s + TAPE_EXTRA_S,
        )
        self.tape = tape
        await self._detect_talking()
        try:
            with self._channel_calls():
                await tape.start(TapeFacts(meta, kind, MessageStage.WORDS))
        except AriError as exc:
            log.warning("the caller's words cannot be recorded: %s", exc)
            await tape.relabel(problem=f"the recording could not start ({str(exc)[:120]})")
            tape.finished(None)
            if self._on_tape_lost is not None:
                self._on_tape_lost(tape.name)
        return tape

    def adopt_tape(self, name: str, facts: TapeFacts) -> CallerTape:
        """Carry on with a tape that a process that died began on this call."""
        tape = CallerTape.found(self.client, self.keeper, name, channel_id=self.channel_id, call_id=self.call_id)
        self.tape = tape
        self._tape_count = max(self._tape_count, int(name.rsplit("-", 1)[-1]) if name[-1].isdigit() else 1)
        return tape

    async def _detect_talking(self) -> None:
        if self.talk_detection:
            return
        try:
            with self._channel_calls():
                await self.client.detect_talking(self.channel_id, silence_ms=TALK_SILENCE_MS)
            self.talk_detection = True
        except AriError as exc:
            # without it a message ends only by '#', the time limit or a hangup: never cut short
            log.warning("no talk detection on this call (%s): messages end by '#' or the limit", exc)

    async def _message_begins(self, name: str) -> None:
        """The live stream (if any) starts afresh: its transcript is that of the message."""
        if self.live is None and self.ask_live is not None and self.recording_now != name:
            # refused a live stream when answered (the process was behind then, in a burst of
            # calls): the message may have one now, and the case is routed seconds after the #
            # instead of waiting for its recording's turn (issue 18)
            await self.ask_live(self)
        if self.live is None or self.recording_now == name:
            return
        self.recording_now = name
        if self.on_message_started is not None:
            self.on_message_started(name)
        # finishing the menu's stream takes a decode (a few hundred ms on two cores): the intro is
        # not kept waiting for it; the message's hand-over waits for it instead
        self._live_restart = asyncio.get_running_loop().create_task(self.live.restart("message"))

    async def forget_words(self) -> None:
        tape, self.tape = self.tape, None
        if tape is None:
            return
        if self.recording_now == tape.name:
            await self.end_live_message()
        if tape.running:
            await tape.relabel(kind=MessageKind.DISCARDED)
            await tape.stop()

    async def record(self, max_duration_s: int, max_silence_s: int) -> RecordedMessage:
        tape = self.tape
        if tape is None:
            raise RuntimeError("record() before keep_words()")
        await self._detect_talking()  # a tape adopted from a process that died: this process listens now
        facts = tape.facts
        if tape.running and (facts is None or facts.stage == MessageStage.WORDS):
            await self.play(TONE, interruptible=False)
            await tape.relabel(stage=MessageStage.MESSAGE)
        self._on_state(CallState.RECORDING)
        self.keys.clear()
        spoke = await self._until_message_ends(tape, max_duration_s, max_silence_s)
        if tape.running:
            await tape.relabel(stage=MessageStage.ENDED)
            await tape.stop()
        else:
            await tape.close()
        duration = await tape.ended
        await self.end_live_message()
        self._on_state(CallState.IN_IVR)
        self.keys.clear()
        try:
            result = tape.result if tape.result is not None else self.keeper.result_of(tape.name)
            stored = await asyncio.wait_for(asyncio.shield(result), STORED_WAIT_S)
        except TimeoutError:
            log.warning("message %s not stored yet: it stays in Asterisk for the sweep", tape.name)
            return RecordedMessage(tape.name, float(duration or 0.0), None, stored=False, spoke_after_tone=spoke)
        return RecordedMessage(
            tape.name,
            float(stored.duration_s if stored.duration_s is not None else duration or 0.0),
            stored.voiced_s,
            stored=True,
            case_number=stored.case_number,
            call_back=stored.verdict.call_back,
            spoke_after_tone=spoke,
        )

    async def _until_message_ends(self, tape: CallerTape, max_s: int, silence_s: int) -> bool:
        """Wait for '#', `silence_s` without the caller talking, `max_s` since the tone, or the end
        of the tape (a hangup, a failure); return whether the caller talked after the tone."""
        loop = asyncio.get_running_loop()
        tone_at = loop.time()
        deadline = tone_at + max_s
        spoke = self.talking
        while tape.running:
            while (key := self.keys.pop()) is not None:
                if key == "#":
                    return spoke or self.talked_since >= tone_at
            now = loop.time()
            if now >= deadline:
                break
            wake = deadline
            if self.talk_detection and not self.talking:
                quiet_since = max(tone_at, self.last_talk_end)
                if now - quiet_since >= silence_s:
                    break
                wake = min(wake, quiet_since + silence_s)
            self._talk.clear()
            waiters: set[asyncio.Future[Any]] = {
                asyncio.ensure_future(self.keys.wait()),
                asyncio.ensure_future(self._talk.wait()),
                asyncio.ensure_future(asyncio.shield(tape.ended)),
            }
            try:
                await asyncio.wait(waiters, timeout=max(0.01, wake - now), return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
            spoke = spoke or self.talking
        return spoke or self.talked_since >= tone_at

    async def end_live_message(self) -> None:
        """The message being recorded has ended (or the caller hung up): its live transcript,
        complete now, goes to the keeper with the recording."""
        if self.recording_now is None or self.live is None:
            return
        if self._message_ending is None:
            # its own task: a hangup cancelling the flow must not cut the hand-over in half
            self._message_ending = asyncio.get_running_loop().create_task(
                self._hand_over(self.recording_now, self.live)
            )
        await asyncio.shield(self._message_ending)

    async def _hand_over(self, name: str, live: LiveTranscription) -> None:
        transcript: Transcript | None = None
        try:
            if self._live_restart is not None:
                with contextlib.suppress(Exception):
                    await self._live_restart
            transcript = await live.restart("call")
            if not live.last_whole:  # the decoders fell so far behind that audio was dropped
                log.warning("the live transcript of %s lost audio; the recording will be transcribed", name)
                transcript = None
        finally:
            self.recording_now, self._message_ending = None, None
            if self.on_message_transcript is not None:
                self.on_message_transcript(name, transcript)

    async def transfer_to_queue(
        self, queue: str, ivr_path: tuple[str, ...], *, priority: int = 0, line: Mapping[str, str] | None = None
    ) -> None:
        if self.talk_detection:  # the conversation with an agent needs no talk detector
            with contextlib.suppress(AriError):
                await self.client.set_channel_variable(self.channel_id, "TALK_DETECT(remove)", "")
        with self._channel_calls():
            await self.client.set_channel_variable(self.channel_id, "HL_IVR_PATH", ">".join(ivr_path))
            await self.client.set_channel_variable(self.channel_id, "HL_CALL_ID", self.call_id)
            # the queue speaks the caller's language (its announcements are looked up by it), and a
            # caller back from it goes on in that language (the menu's 8 switched it)
            await self.client.set_channel_variable(self.channel_id, "CHANNEL(language)", self.language)
            for fact, value in (line or {}).items():  # a call placed by us never passed its line's dialplan
                await self.client.set_channel_variable(self.channel_id, LINE_VARIABLES[fact], value)
            if priority:
                await self.client.set_channel_variable(self.channel_id, "QUEUE_PRIO", str(priority))
            # the state first: the channel's StasisEnd can arrive before `continue` has answered
            self._on_state(CallState.TRANSFERRED)
            try:
                await self.client.continue_in_dialplan(self.channel_id, QUEUE_CONTEXT, queue)
            except AriError:
                self._on_state(CallState.IN_IVR)  # still ours (a cancellation means it has left)
                raise

    async def hangup(self) -> None:
        with contextlib.suppress(AriNotFound):
            await self.client.hangup(self.channel_id)
