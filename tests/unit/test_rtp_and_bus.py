"""Call audio as RTP packets (parsing, byte order), and events published from worker threads."""

from __future__ import annotations

import asyncio
import struct
import threading

import pytest

from asr.audio import swap_bytes
from common.bus import EventBus, PlatformEvent
from telephony.media.rtp import QUEUE_PACKETS, RtpReceiver, rtp_payload


def _packet(payload: bytes, *, seq: int = 1, csrc: int = 0, extension: bytes | None = None, pad: int = 0) -> bytes:
    first = 0x80 | csrc | (0x10 if extension is not None else 0) | (0x20 if pad else 0)
    header = struct.pack("!BBHII", first, 118, seq, seq * 320, 0x1234) + b"\0\0\0\1" * csrc
    if extension is not None:
        header += struct.pack("!HH", 0xBEDE, len(extension) // 4) + extension
    return header + payload + (b"\0" * (pad - 1) + bytes([pad]) if pad else b"")


def test_the_payload_is_found_behind_csrcs_extensions_and_padding() -> None:
    audio = bytes(range(8))
    assert rtp_payload(_packet(audio)) == audio
    assert rtp_payload(_packet(audio, csrc=2)) == audio
    assert rtp_payload(_packet(audio, extension=b"\1\2\3\4")) == audio
    assert rtp_payload(_packet(audio, pad=4)) == audio


def test_what_is_not_rtp_is_refused() -> None:
    assert rtp_payload(b"") is None
    assert rtp_payload(b"\x00" * 20) is None  # version 0
    assert rtp_payload(_packet(b"", extension=b"\1\2\3\4")[:14]) is None  # extension cut short


def test_slin_samples_arrive_big_endian_and_are_swapped_for_the_recognizer() -> None:
    assert swap_bytes(struct.pack(">hh", 1000, -2)) == struct.pack("<hh", 1000, -2)


async def test_the_receiver_counts_losses_and_garbage_and_never_blocks() -> None:
    receiver = RtpReceiver()
    for seq in (1, 2, 5):
        receiver.datagram_received(_packet(b"\0\1" * 320, seq=seq), ("127.0.0.1", 1))
    receiver.datagram_received(b"garbage", ("127.0.0.1", 1))
    assert (receiver.stats.packets, receiver.stats.lost, receiver.stats.malformed) == (3, 2, 1)
    assert receiver.waiting == 3 and receiver.first_packet.is_set()
    for seq in range(6, 6 + QUEUE_PACKETS):
        receiver.datagram_received(_packet(b"\0\1", seq=seq & 0xFFFF), ("127.0.0.1", 1))
    assert receiver.waiting == QUEUE_PACKETS and receiver.stats.dropped == 3  # the oldest audio goes


async def test_the_reader_is_woken_once_per_batch_with_everything_waiting_in_its_byte_order() -> None:
    receiver = RtpReceiver(batch_bytes=3200)
    for seq in range(4):  # 80 ms: not a batch yet
        receiver.datagram_received(_packet(struct.pack(">h", seq) * 320, seq=seq), ("127.0.0.1", 1))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(receiver.read(), 0.05)
    receiver.datagram_received(_packet(struct.pack(">h", 4) * 320, seq=4), ("127.0.0.1", 1))
    batch = await asyncio.wait_for(receiver.read(), 1)
    assert len(batch) == 3200 and batch[:2] == struct.pack("<h", 0) and batch[-2:] == struct.pack("<h", 4)
    assert receiver.take() == b"" and receiver.waiting == 0


async def test_events_published_from_a_worker_thread_reach_the_subscriber() -> None:
    bus = EventBus()
    with bus.subscribe() as sub:
        thread = threading.Thread(target=lambda: bus.publish(PlatformEvent("case.transcribed", "-", {"case": "1"})))
        thread.start()
        thread.join()
        event = await asyncio.wait_for(sub.get(), 2)
    assert event.name == "case.transcribed"
