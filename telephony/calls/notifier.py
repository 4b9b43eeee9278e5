"""Events out: every call event gets a fixed name, the call id, and plain data.

Published on the in-process bus (the agent desk and wallboard read it in later issues) and
logged, with caller numbers masked.
"""

from __future__ import annotations

import logging

from common.bus import EventBus, PlatformEvent
from common.logs import call_id_var

log = logging.getLogger("hotline.events")

# The names this application publishes (documented in docs/events.md).
CALL_STARTED = "call.started"
CALL_STATE = "call.state"
CALL_ENDED = "call.ended"
CALL_UNKNOWN_ARGS = "call.rejected"
RECORDING_FINISHED = "recording.finished"
RECORDING_STORED = "recording.stored"
RECORDING_DISCARDED = "recording.discarded"
TRANSCRIPT_PARTIAL = "transcript.partial"
TRANSCRIPT_FINAL = "transcript.final"
SPEECH_HEARD = "speech.heard"
MEDIA_TAP_FAILED = "media.tap_failed"
MEDIA_TAP_REFUSED = "media.tap_refused"
MEDIA_TAP_ENDED = "media.tap_ended"
ARI_CONNECTED = "ari.connected"
ARI_DISCONNECTED = "ari.disconnected"


class CallNotifier:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    def emit(self, call_id: str, event: str, /, **data: object) -> None:
        token = call_id_var.set(call_id)
        try:
            log.info("%s %s", event, " ".join(f"{k}={v}" for k, v in data.items()))
        finally:
            call_id_var.reset(token)
        self.bus.publish(PlatformEvent(event, call_id, dict(data)))

    def emit_speech(self, call_id: str, event: str, /, **data: object) -> None:
        """Transcript events: published, never logged with their words (a caller may say a phone
        number or a name); partial ones are not logged at all, there are several a second."""
        if event != TRANSCRIPT_PARTIAL:
            token = call_id_var.set(call_id)
            try:
                log.info("%s chars=%d", event, len(str(data.get("text", ""))))
            finally:
                call_id_var.reset(token)
        self.bus.publish(PlatformEvent(event, call_id, dict(data)))
