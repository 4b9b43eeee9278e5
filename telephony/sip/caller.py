"""A real SIP caller on pjsua2 (null audio device): dials, keys, speaks a WAV, records what it hears.

pjsua2 runs with no worker threads and is polled from this thread, so the whole call is one
plain loop: easy to reason about, and safe to run as a subprocess from tests.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pjsua2 as pj

from telephony.sip.script import Step


@dataclass
class CallResult:
    target: str
    caller: str
    answered: bool = False
    status_code: int = 0
    reason: str = ""
    setup_ms: float | None = None
    duration_s: float = 0.0
    ended_by: str = ""
    keys_sent: str = ""
    said: list[str] = field(default_factory=list)
    heard_wav: str | None = None
    timeline: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Call(pj.Call):  # type: ignore[misc]
    def __init__(self, account: pj.Account, owner: SipCaller) -> None:
        super().__init__(account)
        self.owner = owner

    def onCallState(self, prm: Any) -> None:
        try:
            self.owner._on_state(self.getInfo())
        except Exception as exc:  # a callback must never raise into pjsua2
            print(f"onCallState failed: {exc!r}", file=sys.stderr)

    def onCallMediaState(self, prm: Any) -> None:
        self.owner._on_media(self)


class RegisteringAccount(pj.Account):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.answer: tuple[int, str] | None = None

    def onRegState(self, prm: Any) -> None:
        self.answer = (int(prm.code), str(prm.reason))


@dataclass
class RegistrationResult:
    extension: str
    status_code: int
    reason: str
    registered: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SipCaller:
    """One pjsua2 endpoint placing one call at a time."""

    def __init__(self, *, local_port: int = 0, bind: str = "127.0.0.1", log_level: int = 0) -> None:
        self.ep = pj.Endpoint()
        with _quiet_stdout():  # pjlib prints a banner before its log level applies
            self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.userAgent = "hotline-test-caller"
        cfg.logConfig.level = log_level
        cfg.logConfig.consoleLevel = log_level
        cfg.medConfig.noVad = True
        cfg.medConfig.ecTailLen = 0
        with _quiet_stdout():
            self.ep.libInit(cfg)
        tcfg = pj.TransportConfig()
        tcfg.port = local_port
        tcfg.boundAddress = bind
        self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
        self.ep.libStart()
        self.ep.audDevManager().setNullDev()
        for codec in self.ep.codecEnum2():
            self.ep.codecSetPriority(codec.codecId, 0)
        self.ep.codecSetPriority("PCMU/8000", 255)
        self.bind = bind
        self._call: _Call | None = None
        self._account: pj.Account | None = None
        self._state = ""
        self._last_status = 0
        self._last_reason = ""
        self._media: Any = None
        self._recorder: Any = None
        self._players: list[Any] = []
        self._record_to: Path | None = None

    # --- pjsua2 callbacks -------------------------------------------------------------------------
    def _on_state(self, info: Any) -> None:
        self._state = {pj.PJSIP_INV_STATE_CONFIRMED: "CONFIRMED", pj.PJSIP_INV_STATE_DISCONNECTED: "DISCONNECTED"}.get(
            info.state, str(info.stateText)
        )
        self._last_status = int(info.lastStatusCode)
        self._last_reason = str(info.lastReason)

    def _on_media(self, call: _Call) -> None:
        info = call.getInfo()
        for index, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self._media = call.getAudioMedia(index)
                if self._record_to is not None and self._recorder is None:
                    self._recorder = pj.AudioMediaRecorder()
                    self._recorder.createRecorder(str(self._record_to))
                    self._media.startTransmit(self._recorder)

    # --- one call ----------------------------------------------------------------------------------
    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.ep.libHandleEvents(int(min(left, 0.02) * 1000) or 1)

    def call(
        self,
        target: str,
        caller: str,
        steps: list[Step],
        *,
        record_to: Path | None = None,
        answer_timeout: float = 15.0,
    ) -> CallResult:
        result = CallResult(target=target, caller=caller)
        start = time.monotonic()

        def note(text: str) -> None:
            result.timeline.append(f"{time.monotonic() - start:7.3f}s {text}")

        self._record_to = record_to
        self._recorder = None
        acfg = pj.AccountConfig()
        acfg.idUri = f'"{caller}" <sip:{caller}@{self.bind}>'
        acfg.mediaConfig.transportConfig.boundAddress = self.bind
        self._account = pj.Account()
        self._account.create(acfg)
        self._call = _Call(self._account, self)
        self._state = ""
        note(f"INVITE {target} from {caller}")
        self._call.makeCall(target, pj.CallOpParam(True))
        while self._state not in ("CONFIRMED", "DISCONNECTED") and time.monotonic() - start < answer_timeout:
            self.pump(0.01)
        if self._state != "CONFIRMED":
            result.status_code, result.reason = self._last_status, self._last_reason
            note(f"not answered: {self._last_status} {self._last_reason}")
            self._hangup_if_needed()
            return result
        result.answered = True
        result.setup_ms = round((time.monotonic() - start) * 1000, 1)
        note(f"answered ({result.setup_ms} ms)")
        answered_at = time.monotonic()
        for step in steps:
            if self._state == "DISCONNECTED":
                break
            self._step(step, result, note)
        if self._state == "DISCONNECTED" and result.ended_by != "caller":
            result.ended_by = "far end"
            note(f"far end hung up ({self._last_status} {self._last_reason})")
        elif not result.ended_by:
            note("hang up (end of script)")
            result.ended_by = "caller"
            self._hangup_if_needed()
        result.duration_s = round(time.monotonic() - answered_at, 2)
        result.status_code, result.reason = self._last_status, self._last_reason
        if self._recorder is not None:
            self._recorder = None  # closes the WAV file
            result.heard_wav = str(record_to)
        self._players.clear()
        return result

    def _step(self, step: Step, result: CallResult, note: Callable[[str], None]) -> None:
        """One step of the caller's script: wait, press keys, speak a file, or hang up."""
        assert self._call is not None  # placed by `call` before any step
        if step.action == "wait":
            self._pump_while_up(step.seconds)
        elif step.action == "keys":
            for key in step.arg:
                if self._state == "DISCONNECTED":
                    break
                self._call.dialDtmf(key)
                result.keys_sent += key
                self._pump_while_up(0.25)
            note(f"keys {step.arg}")
        elif step.action == "say":
            seconds = _wav_seconds(Path(step.arg))
            if self._media is not None:
                player = pj.AudioMediaPlayer()
                player.createPlayer(step.arg, pj.PJMEDIA_FILE_NO_LOOP)
                player.startTransmit(self._media)
                self._players.append(player)
            note(f"say {Path(step.arg).name} ({seconds:.1f} s)")
            result.said.append(step.arg)
            self._pump_while_up(seconds + 0.2)
        elif step.action == "hangup":
            note("hang up")
            result.ended_by = "caller"
            self._hangup_if_needed()
        elif step.action == "until-hangup":
            self._pump_while_up(step.seconds)

    def _pump_while_up(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._state != "DISCONNECTED" and time.monotonic() < deadline:
            self.pump(0.02)

    def _hangup_if_needed(self) -> None:
        if self._call is not None and self._state not in ("DISCONNECTED", ""):
            with contextlib.suppress(pj.Error):
                self._call.hangup(pj.CallOpParam(True))
            deadline = time.monotonic() + 2
            while self._state != "DISCONNECTED" and time.monotonic() < deadline:
                self.pump(0.02)
        self._media = None

    def register(
        self,
        extension: str,
        password: str,
        registrar: str,
        *,
        realm: str = "hotline",
        timeout: float = 10.0,
        account: RegisteringAccount | None = None,
    ) -> RegistrationResult:
        """Register as a desk phone (digest auth), as an agent's softphone does."""
        host = registrar.removeprefix("sip:").split(":")[0]
        acfg = pj.AccountConfig()
        acfg.idUri = f"sip:{extension}@{host}"
        acfg.regConfig.registrarUri = registrar
        acfg.regConfig.retryIntervalSec = 0  # one answer is what a test wants
        acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", realm, extension, 0, password))
        account = account or RegisteringAccount()
        account.create(acfg)
        self._reg_account: RegisteringAccount | None = account
        deadline = time.monotonic() + timeout
        while account.answer is None and time.monotonic() < deadline:
            self.pump(0.02)
        code, reason = account.answer or (408, "no answer")
        return RegistrationResult(extension, code, reason, bool(account.getInfo().regIsActive))

    def close(self) -> None:
        self._reg_account = None
        self._call = None
        self._recorder = None
        self._players.clear()
        self._account = None
        self.ep.libDestroy()


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return float(wav.getnframes()) / float(wav.getframerate())
