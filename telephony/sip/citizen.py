"""A citizen's phone on pjsua2, standing in for the carrier's far end: calls the platform places
through the trunk ring here, and each is answered, refused or left ringing as its plan says.

A plan is one line per expected call, the first word what the phone does, then (for `answer`)
the same steps as the test caller's script:

    answer 1; wait 12; keys 2; until-hangup 30     ring 1 s, answer, key 2 after 12 s
    answer 1; say clerk.wav; until-hangup 30       answer and speak (a unit's clerk on a duty phone)
    reject 486                                     refuse (486 busy here, 603 declined...)
    ignore                                         let it ring until the platform gives up

The last plan serves every further call. What happens is printed as JSON lines (incoming,
answered, keys, rejected, ended), so a test in another process can follow it.
"""

from __future__ import annotations

import json
import sys
import time
import wave
from dataclasses import dataclass
from typing import Any

import pjsua2 as pj

from telephony.sip.caller import SipCaller
from telephony.sip.script import ScriptError, Step, parse_script


@dataclass(frozen=True, slots=True)
class CallPlan:
    action: str  # answer, reject, ignore
    after_s: float = 1.0  # ringing before answering / refusing
    code: int = 486
    steps: tuple[Step, ...] = ()

    @classmethod
    def parse(cls, text: str) -> CallPlan:
        head, _, rest = text.strip().partition(";")
        action, _, arg = head.strip().partition(" ")
        arg = arg.strip()
        if action == "answer":
            steps = tuple(parse_script(rest))
            return cls("answer", float(arg or 1), steps=steps)
        if action == "reject":
            code = int(arg or 486)
            if not 400 <= code <= 699:
                raise ScriptError(f"reject takes a SIP failure code (400-699), got {code}")
            return cls("reject", 0.5, code=code)
        if action == "ignore" and not rest.strip():
            return cls("ignore")
        raise ScriptError(f"a call plan starts with 'answer S', 'reject CODE' or 'ignore', got {text!r}")


class _IncomingCall(pj.Call):  # type: ignore[misc]
    def __init__(self, account: pj.Account, call_id: int, phone: CitizenPhone, plan: CallPlan) -> None:
        super().__init__(account, call_id)
        self.phone = phone
        self.plan = plan
        self.rang_at = time.monotonic()
        self.answered_at: float | None = None
        self.step = 0
        self.next_at = 0.0
        self.ended = False
        self.media_up = False
        self.players: list[Any] = []  # what the phone says (pjsua2 players live as long as this list)

    def onCallState(self, prm: Any) -> None:
        try:
            info = self.getInfo()
            if info.state == pj.PJSIP_INV_STATE_DISCONNECTED and not self.ended:
                self.ended = True
                self.phone.say("ended", status=int(info.lastStatusCode), reason=str(info.lastReason))
        except Exception as exc:  # a callback must never raise into pjsua2
            print(f"onCallState failed: {exc!r}", file=sys.stderr)

    def play(self, wav: str) -> None:
        """Send a WAV to the far end over the call's audio (kept until the call ends)."""
        player = pj.AudioMediaPlayer()
        player.createPlayer(wav, pj.PJMEDIA_FILE_NO_LOOP)
        player.startTransmit(self.getAudioMedia(-1))
        self.players.append(player)

    def onCallMediaState(self, prm: Any) -> None:
        try:
            info = self.getInfo()
            self.media_up = any(
                m.type == pj.PJMEDIA_TYPE_AUDIO and m.status == pj.PJSUA_CALL_MEDIA_ACTIVE for m in info.media
            )
        except Exception as exc:
            print(f"onCallMediaState failed: {exc!r}", file=sys.stderr)


class _ListeningAccount(pj.Account):  # type: ignore[misc]
    def __init__(self, phone: CitizenPhone) -> None:
        super().__init__()
        self.phone = phone

    def onIncomingCall(self, prm: Any) -> None:
        try:
            plan = self.phone.next_plan()
            call = _IncomingCall(self, prm.callId, self.phone, plan)
            ringing = pj.CallOpParam()
            ringing.statusCode = 180
            call.answer(ringing)
            self.phone.calls.append(call)
            info = call.getInfo()
            self.phone.say("incoming", caller=str(info.remoteUri), to=str(info.localUri), plan=plan.action)
        except Exception as exc:
            print(f"onIncomingCall failed: {exc!r}", file=sys.stderr)


class CitizenPhone:
    """Listens on `bind:port` (no registration: the trunk's contact points here)."""

    def __init__(self, bind: str, port: int, plans: list[CallPlan]) -> None:
        if not plans:
            raise ScriptError("give at least one call plan")
        self.bind = bind
        self.port = port
        self.plans = plans
        self.calls: list[_IncomingCall] = []
        self.served = 0
        self.sip = SipCaller(local_port=port, bind=bind)
        self.started = time.monotonic()
        config = pj.AccountConfig()
        config.idUri = f"sip:citizen@{bind}:{port}"
        config.mediaConfig.transportConfig.boundAddress = bind
        self.account: _ListeningAccount | None = _ListeningAccount(self)
        self.account.create(config, True)  # the default account: every incoming call comes to it

    def say(self, event: str, **data: object) -> None:
        print(json.dumps({"event": event, "t": round(time.monotonic() - self.started, 3), **data}), flush=True)

    def next_plan(self) -> CallPlan:
        plan = self.plans[min(self.served, len(self.plans) - 1)]
        self.served += 1
        return plan

    def serve(self, seconds: float) -> None:
        self.say("listening", address=f"{self.bind}:{self.port}")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.sip.pump(0.02)
            for call in self.calls:
                if not call.ended:
                    self._advance(call, time.monotonic())

    def _advance(self, call: _IncomingCall, now: float) -> None:
        plan = call.plan
        if call.answered_at is None:
            if plan.action == "ignore" or now - call.rang_at < plan.after_s:
                return
            answer = pj.CallOpParam()
            answer.statusCode = 200 if plan.action == "answer" else plan.code
            call.answer(answer)
            if plan.action == "reject":
                call.ended = True
                self.say("rejected", status=plan.code)
                return
            call.answered_at = call.next_at = now
            self.say("answered")
            return
        if now < call.next_at:
            return
        if call.step >= len(plan.steps):  # the script is over and the platform has not hung up
            call.hangup(pj.CallOpParam(True))
            call.ended = True
            self.say("hung-up", why="end of script")
            return
        step = plan.steps[call.step]
        if step.action == "say" and not call.media_up:  # the audio path is not open yet: a moment
            call.next_at = now + 0.05
            return
        call.step += 1
        if step.action == "wait":
            call.next_at = now + step.seconds
        elif step.action == "keys":
            for key in step.arg:
                call.dialDtmf(key)
            self.say("keys", keys=step.arg)
            call.next_at = now + 0.25 * len(step.arg)
        elif step.action == "say":  # a unit's clerk at the far end speaks (a WAV), then the script goes on
            call.next_at = now + _wav_seconds(step.arg) + 0.2
            call.play(step.arg)
            self.say("said", file=step.arg)
        elif step.action == "hangup":
            call.hangup(pj.CallOpParam(True))
            call.ended = True
            self.say("hung-up", why="script")
        elif step.action == "until-hangup":
            call.next_at = now + step.seconds  # the far end's BYE ends it sooner (onCallState)

    def close(self) -> None:
        self.calls.clear()
        self.account = None
        self.sip.close()


def _wav_seconds(path: str) -> float:
    with wave.open(path) as wav:
        return float(wav.getnframes() / wav.getframerate())
