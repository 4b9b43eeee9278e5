"""Tapping what a caller says: a snoop channel (spy=in) and an externalMedia channel in a bridge.

Asterisk mixes the snooped audio into the externalMedia channel, which sends it to this
application as RTP. Only the caller's side is heard (not the prompts or the agent). Removing
the tap hangs up both helper channels and destroys the bridge; the caller is never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telephony.ari.client import AriClient
from telephony.ari.errors import AriError
from telephony.media.rtp import RtpReceiver, open_receiver

# The caller's voice comes as 16 kHz signed linear (slin16), the rate the recognizer's model was
# trained at. (8 kHz was tried in issue 18: no less CPU measured in Asterisk or the application,
# and the menu's keyword spotter heard a wrong choice more often.)
TAP_RATE = 16000
TAP_FORMAT = "slin16"
BATCH_S = 0.1  # the reader is woken once per this much audio

log = logging.getLogger(__name__)


class CallerAudioTap:
    def __init__(self, client: AriClient, call_id: str, *, host: str, port_start: int, port_end: int) -> None:
        self.client = client
        self.call_id = call_id
        self.host = host
        self.port_range = (port_start, port_end)
        key = call_id.replace(".", "-")
        self.snoop_id = f"snoop-{key}"
        self.media_id = f"media-{key}"
        self.bridge_id = f"tap-{key}"
        self.receiver: RtpReceiver | None = None

    async def start(self) -> RtpReceiver:
        """Open the UDP port and have Asterisk stream the caller's voice to it."""
        self.receiver = await open_receiver(self.host, *self.port_range, batch_bytes=int(TAP_RATE * BATCH_S) * 2)
        try:
            await self.client.create_bridge(self.bridge_id)
            await self.client.snoop(self.call_id, self.snoop_id, spy="in")
            await self.client.external_media(self.media_id, f"{self.host}:{self.receiver.port}", fmt=TAP_FORMAT)
            await self._add_when_in_stasis()
        except BaseException:
            await self.stop()
            raise
        return self.receiver

    async def _add_when_in_stasis(self, attempts: int = 50, pause_s: float = 0.02) -> None:
        """The helper channels enter Stasis a moment after they are created (ARI answers 422 until
        then): add them to the bridge as soon as Asterisk lets us."""
        for channel_id in (self.snoop_id, self.media_id):
            for attempt in range(attempts):
                try:
                    await self.client.add_to_bridge(self.bridge_id, [channel_id])
                    break
                except AriError as exc:
                    if exc.status != 422 or attempt == attempts - 1:
                        raise
                    await asyncio.sleep(pause_s)

    async def stop(self) -> None:
        for channel_id in (self.snoop_id, self.media_id):
            with contextlib.suppress(AriError):
                await self.client.hangup(channel_id)
        with contextlib.suppress(AriError):
            await self.client.destroy_bridge(self.bridge_id)
        if self.receiver is not None:
            self.receiver.close()
