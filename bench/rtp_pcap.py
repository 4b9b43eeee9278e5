"""What a caller's phone sends, as pcap files for SIPp's `play_pcap_audio`.

SIPp cannot speak or key by itself: it replays RTP packets captured in a pcap file, one file at a
time per call. `CallerAudio` writes a caller's side of a call as a few such files (a key, a spoken
message, another key) that read as one RTP stream: one SSRC, sequence numbers and timestamps
continuing from file to file, audio as G.711 u-law (payload 0) and keys as RFC 4733 telephone
events (payload 101, what the carrier endpoint's `dtmf_mode = rfc4733` expects). Each key file
starts with a little silence, as a phone sends before the first key: Asterisk's strict RTP
learns the caller's address from the first packets and would drop a key sent as the very first.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

PCMU, TELEPHONE_EVENT = 0, 101
FRAME_SAMPLES = 160  # 20 ms at 8 kHz
ULAW_SILENCE = b"\xff" * FRAME_SAMPLES
DTMF_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
# SIPp replaces the addresses and ports with the call's own; these only make well-formed packets
SRC_IP, DST_IP, SRC_PORT, DST_PORT = "127.0.0.1", "127.0.0.1", 46000, 40000


def ulaw_of(wav: Path, folder: Path) -> bytes:
    """The WAV's audio as 8 kHz mono G.711 u-law samples (sox converts)."""
    out = folder / (wav.stem + ".ul")
    subprocess.run(["sox", str(wav), "-t", "ul", "-r", "8000", "-c", "1", str(out)], check=True, capture_output=True)
    return out.read_bytes()


class CallerAudio:
    """One RTP stream written as consecutive pcap files; `seconds` of each is returned."""

    def __init__(self, ssrc: int = 0x48A1B2C3) -> None:
        self.ssrc = ssrc
        self.seq = 1000
        self.timestamp = 8000
        self._packets: list[tuple[float, bytes]] = []
        self._clock = 0.0

    # --- content --------------------------------------------------------------------------------
    def silence(self, ms: int) -> CallerAudio:
        for _ in range(ms // 20):
            self._rtp(PCMU, ULAW_SILENCE)
        return self

    def audio(self, ulaw: bytes) -> CallerAudio:
        for start in range(0, len(ulaw), FRAME_SAMPLES):
            frame = ulaw[start : start + FRAME_SAMPLES]
            self._rtp(PCMU, frame.ljust(FRAME_SAMPLES, b"\xff"))
        return self

    def key(self, digit: str, ms: int = 160) -> CallerAudio:
        """An RFC 4733 event: a packet every 20 ms with the duration so far, then three end packets."""
        event, start = DTMF_EVENTS[digit], self.timestamp
        steps = max(1, ms // 20)
        for i in range(1, steps + 1):
            payload = struct.pack(">BBH", event, 10, i * FRAME_SAMPLES)
            self._rtp(TELEPHONE_EVENT, payload, timestamp=start, marker=i == 1, advance=False)
        end = struct.pack(">BBH", event, 0x80 | 10, steps * FRAME_SAMPLES)
        for _ in range(3):
            self._rtp(TELEPHONE_EVENT, end, timestamp=start, advance=False, pace=False)
        self._clock += 0.02
        self.timestamp = (start + steps * FRAME_SAMPLES) & 0xFFFFFFFF
        return self

    # --- output ---------------------------------------------------------------------------------
    def write(self, path: Path) -> float:
        """Write what was added since the last write to `path`; return its length in seconds."""
        header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
        records = [header]
        first = self._packets[0][0] if self._packets else 0.0
        for at, frame in self._packets:
            seconds, micros = divmod(round((at - first) * 1e6), 1_000_000)
            records.append(struct.pack("<IIII", seconds, micros, len(frame), len(frame)))
            records.append(frame)
        path.write_bytes(b"".join(records))
        length = (self._packets[-1][0] - first + 0.02) if self._packets else 0.0
        self._packets = []
        return round(length, 3)

    # --- packets --------------------------------------------------------------------------------
    def _rtp(
        self,
        payload_type: int,
        payload: bytes,
        *,
        timestamp: int | None = None,
        marker: bool = False,
        advance: bool = True,
        pace: bool = True,
    ) -> None:
        ts = self.timestamp if timestamp is None else timestamp
        rtp = struct.pack(">BBHII", 0x80, (0x80 if marker else 0) | payload_type, self.seq, ts, self.ssrc) + payload
        self.seq = (self.seq + 1) & 0xFFFF
        if advance:
            self.timestamp = (self.timestamp + FRAME_SAMPLES) & 0xFFFFFFFF
        self._packets.append((self._clock, _frame(rtp)))
        if pace:
            self._clock += 0.02


def _frame(rtp: bytes) -> bytes:
    """Ethernet + IPv4 + UDP around one RTP packet."""
    udp = struct.pack(">HHHH", SRC_PORT, DST_PORT, 8 + len(rtp), 0) + rtp
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, _addr(SRC_IP), _addr(DST_IP))
    ip = ip[:10] + struct.pack(">H", _checksum(ip)) + ip[12:]
    return b"\x00" * 6 + b"\x00" * 6 + b"\x08\x00" + ip + udp


def _addr(dotted: str) -> bytes:
    return bytes(int(part) for part in dotted.split("."))


def _checksum(header: bytes) -> int:
    total = int(sum(struct.unpack(f">{len(header) // 2}H", header)))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
