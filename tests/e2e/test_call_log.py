"""Every call leaves its events in the platform's own call log (what the metrics will read).

Expected for a call that keys 9 then hangs up: call.started, call.state in_ivr, ivr.greeting,
ivr.menu, ivr.key (9), ivr.menu, ..., call.ended, stored in the order published, without the
transcript events (their words are kept with the case, not in the log).
"""

from __future__ import annotations

import asyncio

from common.settings import Settings
from hotline.features.calllog.writer import wanted
from hotline.platform import Platform
from tests.e2e.helpers import place_call, wait_for


async def test_every_call_leaves_its_events_in_the_call_log(platform: Platform, asterisk: Settings) -> None:
    log: list = []
    with platform.bus.subscribe() as sub:
        await place_call(asterisk, "12345", "wait 1; keys 9; wait 2; hangup", caller="13912340099")
        ended = await wait_for(sub, "call.ended", log=log, timeout=30)
        # the caller's words since the answer (none) are thrown away once the call has ended
        await wait_for(sub, "recording.discarded", log=log, timeout=30)
    published = [e.name for e in log if e.call_id == ended.call_id and wanted(e)]
    stored: list[str] = []
    for _ in range(50):
        stored = [e.name for e in platform.call_log.of_call(ended.call_id)]
        if "recording.discarded" in stored:
            break
        await asyncio.sleep(0.1)
    assert stored[0] == "call.started" and stored[-1] == "recording.discarded" and "ivr.key" in stored
    # after the hangup only the recording and the media tap report (media.tap_ended: what was decoded)
    assert [n for n in stored if not n.startswith(("recording.", "media."))][-1] == "call.ended"
    assert stored == published
    assert not any(name.startswith("transcript.") for name in stored)
