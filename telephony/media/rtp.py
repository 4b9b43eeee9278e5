"""Receiving a call's audio as RTP over UDP, as Asterisk's externalMedia channel sends it.

The payload is signed linear (slin16: 640 bytes per 20 ms packet), big-endian samples,
swapped to the order Vosk reads when they are taken. Packets wait in a buffer and the reader is
woken once per batch (100 ms), not per packet: a hundred callers send 5,000 packets a second, and
a wake-up per packet was most of the application's CPU. A full buffer (the recognizer far
behind) drops the oldest audio and counts it; it never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from dataclasses import dataclass
from typing import cast

from asr.audio import swap_bytes

log = logging.getLogger(__name__)

RTP_HEADER = 12
QUEUE_PACKETS = 50 * 30  # 30 s of 20 ms packets
BATCH_BYTES = 3200  # 100 ms of slin16: the reader is woken when this much waits


@dataclass
class RtpStats:
    packets: int = 0
    malformed: int = 0
    dropped: int = 0
    lost: int = 0  # gaps in sequence numbers


def rtp_payload(packet: bytes) -> bytes | None:
    """The payload of an RTP packet (version 2, CSRCs, extension and padding honoured), or None."""
    if len(packet) < RTP_HEADER or packet[0] >> 6 != 2:
        return None
    offset = RTP_HEADER + 4 * (packet[0] & 0x0F)
    if packet[0] & 0x10:  # header extension: 4 bytes, then its length in 32-bit words
        if len(packet) < offset + 4:
            return None
        offset += 4 + 4 * int.from_bytes(packet[offset + 2 : offset + 4], "big")
    end = len(packet)
    if packet[0] & 0x20 and end > offset:  # padding: the last byte says how much
        end -= packet[-1]
    if end < offset:
        return None
    return packet[offset:end]


class RtpReceiver(asyncio.DatagramProtocol):
    def __init__(self, batch_bytes: int = BATCH_BYTES) -> None:
        self.batch_bytes = batch_bytes
        self._payloads: deque[bytes] = deque()
        self._size = 0
        self._batch = asyncio.Event()
        self.stats = RtpStats()
        self.first_packet = asyncio.Event()
        self._last_seq: int | None = None
        self.transport: asyncio.DatagramTransport | None = None
        self.port = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # uvloop's is not a subclass

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        payload = rtp_payload(data)
        if payload is None:
            self.stats.malformed += 1
            return
        seq = int.from_bytes(data[2:4], "big")
        if self._last_seq is not None:
            gap = (seq - self._last_seq - 1) & 0xFFFF
            if gap < 1000:
                self.stats.lost += gap
        self._last_seq = seq
        self.stats.packets += 1
        if not self.first_packet.is_set():
            self.first_packet.set()
        if len(self._payloads) >= QUEUE_PACKETS:
            self._size -= len(self._payloads.popleft())
            self.stats.dropped += 1
        self._payloads.append(payload)
        self._size += len(payload)
        if self._size >= self.batch_bytes and not self._batch.is_set():
            self._batch.set()

    @property
    def waiting(self) -> int:
        """Packets received and not yet taken."""
        return len(self._payloads)

    async def read(self) -> bytes:
        """Wait for a batch, then take everything waiting (little-endian samples)."""
        await self._batch.wait()
        return self.take()

    def take(self) -> bytes:
        """Everything waiting now, maybe nothing (little-endian samples)."""
        self._batch.clear()
        data = b"".join(self._payloads)
        self._payloads.clear()
        self._size = 0
        return swap_bytes(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_receiver(host: str, port_start: int, port_end: int, *, batch_bytes: int = BATCH_BYTES) -> RtpReceiver:
    """A receiver bound on a free port of the range (tried from a random point, so calls spread)."""
    loop = asyncio.get_running_loop()
    ports = list(range(port_start, port_end + 1))
    first = random.randrange(len(ports))
    for port in ports[first:] + ports[:first]:
        try:
            _transport, protocol = await loop.create_datagram_endpoint(
                lambda: RtpReceiver(batch_bytes), local_addr=(host, port)
            )
        except OSError:
            continue
        protocol.port = port
        return protocol
    raise OSError(f"no free UDP port for call audio in {port_start}-{port_end}")
