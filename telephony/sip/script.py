"""What a test caller does once the call is answered, as a small script.

    wait 2; keys 1; wait 8; say speech.wav; keys #; until-hangup 30

Steps: `wait S` (seconds), `keys K` (RFC 2833 digits), `say FILE` (play a WAV and wait for its
end), `hangup`, `until-hangup S` (wait for the far end to hang up, at most S seconds).
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

VALID_KEYS = set("0123456789*#ABCD")


class ScriptError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Step:
    action: str
    arg: str = ""

    @property
    def seconds(self) -> float:
        return float(self.arg)


def parse_script(text: str) -> list[Step]:
    steps: list[Step] = []
    for raw in (part.strip() for part in text.replace("\n", ";").split(";")):
        if not raw:
            continue
        action, _, arg = raw.partition(" ")
        arg = arg.strip()
        if action in ("wait", "until-hangup"):
            try:
                if float(arg) < 0:
                    raise ValueError
            except ValueError:
                raise ScriptError(f"{action} needs a number of seconds, got {arg!r}") from None
        elif action == "keys":
            if not arg or set(arg) - VALID_KEYS:
                raise ScriptError(f"keys takes digits 0-9 * # A-D, got {arg!r}")
        elif action == "say":
            if not arg:
                raise ScriptError("say needs a WAV file: say FILE.wav")
            if not Path(arg).is_file():
                raise ScriptError(f"say: no such file {arg!r}")
            _check_wav(arg)
        elif action != "hangup":
            raise ScriptError(
                f"unknown step {action!r} (wait SECONDS, keys DIGITS, say FILE.wav, hangup, until-hangup SECONDS)"
            )
        steps.append(Step(action, arg))
    return steps


def _check_wav(path: str) -> None:
    """pjsua2 plays 16-bit PCM WAV files: say so before the call, not in a traceback during it."""
    try:
        with wave.open(path) as wav:
            if wav.getsampwidth() != 2:
                raise ScriptError(f"say: {path} has {8 * wav.getsampwidth()}-bit samples; 16-bit PCM WAV needed")
    except (wave.Error, EOFError) as exc:
        raise ScriptError(
            f"say: {path} is not a WAV file ({exc}); convert it: sox IN -r 8000 -c 1 -b 16 OUT.wav"
        ) from None


def default_script(
    keys: str | None, say: Path | None, *, first_wait: float, before_say: float, hangup_wait: float
) -> str:
    parts = [f"wait {first_wait}"]
    if keys:
        parts.append(f"keys {keys}")
    if say is not None:
        # after keys (a report), '#' ends the message; without keys (the fallback takes a
        # message at once) the silence ends it, and a '#' would be a menu key
        parts += [f"wait {before_say}", f"say {say}"] + (["keys #"] if keys else [])
    parts.append(f"until-hangup {hangup_wait}")
    return "; ".join(parts)
