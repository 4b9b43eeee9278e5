"""Receiving a call's audio as RTP over UDP, as Asterisk's externalMedia channel sends it.

The payload is signed linear 16 kHz (slin16): 640 bytes per 20 ms packet, big-endian samples,
swapped here to the order Vosk reads. Packets are queued for the recognizer; a full queue (the
recognizer far behind) drops the oldest audio and counts it, it never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from typing import cast

from asr.audio import swap_bytes

log = logging.getLogger(__name__)

RTP_HEADER = 12
QUEUE_PACKETS = 50 * 30  # 30 s of 20 ms packets


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
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_PACKETS)
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
        self.first_packet.set()
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
                self.stats.dropped += 1
        self.queue.put_nowait(swap_bytes(payload))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_receiver(host: str, port_start: int, port_end: int) -> RtpReceiver:
    """A receiver bound on a free port of the range (tried from a random point, so calls spread)."""
    loop = asyncio.get_running_loop()
    ports = list(range(port_start, port_end + 1))
    first = random.randrange(len(ports))
    for port in ports[first:] + ports[:first]:
        try:
            _transport, protocol = await loop.create_datagram_endpoint(RtpReceiver, local_addr=(host, port))
        except OSError:
            continue
        protocol.port = port
        return protocol
    raise OSError(f"no free UDP port for call audio in {port_start}-{port_end}")
