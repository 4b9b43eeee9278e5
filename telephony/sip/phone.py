"""An agent's desk phone on pjsua2, for tests and for checking a desk: registers, rings, answers.

Prints what happens as JSON lines (registered, incoming, answered, ended) so a test can follow
it from another process: the same path a real softphone takes through Asterisk's queue.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import pjsua2 as pj

from telephony.sip.caller import RegisteringAccount, RegistrationResult, SipCaller


class _PhoneCall(pj.Call):  # type: ignore[misc]
    def __init__(self, account: pj.Account, call_id: int, phone: DeskPhone) -> None:
        super().__init__(account, call_id)
        self.phone = phone
        self.rang_at = time.monotonic()
        self.answered_at: float | None = None
        self.ended = False

        self.player: Any = None
        self.held_at: float | None = None  # seconds after answering the call was put on hold
        self.resumed = False

    def onCallState(self, prm: Any) -> None:
        try:
            info = self.getInfo()
            if info.state == pj.PJSIP_INV_STATE_DISCONNECTED and not self.ended:
                self.ended = True
                self.phone.say("ended", remote=str(info.remoteUri), status=int(info.lastStatusCode))
        except Exception as exc:  # a callback must never raise into pjsua2
            print(f"onCallState failed: {exc!r}", file=sys.stderr)

    def onCallMediaState(self, prm: Any) -> None:
        """Once answered, the agent's words (`--say`: what a recording of the conversation must hold
        on the agent's side), and what the agent hears kept in a file (`--record`)."""
        try:
            info = self.getInfo()
            for index, media in enumerate(info.media):
                if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                    self._connect(self.getAudioMedia(index))
                    return
        except Exception as exc:
            print(f"onCallMediaState failed: {exc!r}", file=sys.stderr)

    def _connect(self, audio: Any) -> None:
        if self.phone.say_file is not None and self.player is None:
            self.player = pj.AudioMediaPlayer()
            self.player.createPlayer(self.phone.say_file, pj.PJMEDIA_FILE_NO_LOOP)
            self.player.startTransmit(audio)
            self.phone.say("speaking", file=self.phone.say_file)
        if self.phone.record_to is not None and self.phone.recorder is None:
            self.phone.recorder = pj.AudioMediaRecorder()
            self.phone.recorder.createRecorder(self.phone.record_to)
            audio.startTransmit(self.phone.recorder)
            self.phone.say("recording", file=self.phone.record_to)


class _AnsweringAccount(RegisteringAccount):
    def __init__(self, phone: DeskPhone) -> None:
        super().__init__()
        self.phone = phone

    def onIncomingCall(self, prm: Any) -> None:
        try:
            call = _PhoneCall(self, prm.callId, self.phone)
            ringing = pj.CallOpParam()
            ringing.statusCode = 180
            call.answer(ringing)
            self.phone.calls.append(call)
            self.phone.say("incoming", remote=str(call.getInfo().remoteUri))
        except Exception as exc:
            print(f"onIncomingCall failed: {exc!r}", file=sys.stderr)


class DeskPhone(SipCaller):
    def __init__(
        self, *, local_port: int = 0, bind: str = "127.0.0.2", say_file: str | None = None, record_to: str | None = None
    ) -> None:
        super().__init__(local_port=local_port, bind=bind)
        self.say_file = say_file  # a WAV the agent "says" once a call is answered
        self.record_to = record_to  # where what the phone hears is kept (its first call)
        self.recorder: Any = None
        self.calls: list[_PhoneCall] = []
        self.started = time.monotonic()

    def say(self, event: str, **data: object) -> None:
        now = time.monotonic()  # "at": the machine's monotonic clock, that other processes read too
        print(json.dumps({"event": event, "t": round(now - self.started, 3), "at": round(now, 4), **data}), flush=True)

    def register_answering(
        self, extension: str, password: str, registrar: str, *, timeout: float = 10.0
    ) -> RegistrationResult:
        account = _AnsweringAccount(self)
        return self.register(extension, password, registrar, timeout=timeout, account=account)

    def serve(
        self, seconds: float, *, answer_after_s: float, talk_s: float, hold: tuple[float, float] | None = None
    ) -> None:
        """Ring, answer after `answer_after_s` (never, if negative), hang up after `talk_s` (0: let
        the caller); `hold` (at, for): put the call on hold `at` seconds after answering, for `for`
        seconds (a re-INVITE: Asterisk plays the caller music), then take it back."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.pump(0.02)
            now = time.monotonic()
            for call in self.calls:
                if call.ended:
                    continue
                if hold is not None and call.answered_at is not None:
                    self._hold_step(call, now - call.answered_at, hold)
                if call.answered_at is None and answer_after_s >= 0 and now - call.rang_at >= answer_after_s:
                    ok = pj.CallOpParam()
                    ok.statusCode = 200
                    call.answer(ok)
                    call.answered_at = now
                    self.say("answered", remote=str(call.getInfo().remoteUri))
                elif call.answered_at is not None and talk_s > 0 and now - call.answered_at >= talk_s:
                    call.hangup(pj.CallOpParam(True))
                    call.ended = True
                    self.say("hung-up")

    def _hold_step(self, call: _PhoneCall, talked: float, hold: tuple[float, float]) -> None:
        at, lasting = hold
        if call.held_at is None and talked >= at:
            call.setHold(pj.CallOpParam(True))
            call.held_at = talked
            self.say("held")
        elif call.held_at is not None and not call.resumed and talked >= at + lasting:
            resume = pj.CallOpParam(True)
            resume.opt.flag = pj.PJSUA_CALL_UNHOLD
            call.reinvite(resume)
            call.resumed = True
            self.say("resumed")

    def close(self) -> None:
        self.recorder = None  # the recorder's file is complete once it is gone
        self.calls.clear()
        super().close()
