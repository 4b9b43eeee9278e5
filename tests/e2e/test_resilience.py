"""No call is lost: the dialplan takes messages while the application is down, and the
application survives its event socket dropping in the middle of a call.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from casebook.db.models import Caller, Case, Recording
from common.settings import Settings
from hotline.platform import Platform
from telephony.ami.astdb import AstDb
from telephony.ami.client import AmiClient
from telephony.calls.recordings import DONE_FAMILY, FAMILY
from tests.e2e.conftest import running_platform
from tests.e2e.helpers import AriObserver, assert_events, place_call, prompt_seconds, speech_seconds, wait_for
from tests.e2e.proxy import CuttableProxy


async def _astdb(settings: Settings) -> tuple[AmiClient, AstDb]:
    ami = AmiClient(settings.asterisk_host, settings.ami_port, settings.ami_user, settings.secret("ami_password"))
    await ami.connect()
    return ami, AstDb(ami)


async def test_with_the_application_down_asterisk_records_a_message_that_becomes_a_case_later(
    asterisk: Settings, speech_wav: Path
) -> None:
    # Expected from Asterisk alone: the caller is answered, greeted, recorded, thanked, hung up;
    # StasisStart never happens (no application). Then the application starts and stores the
    # message as a case (origin=fallback) and clears Asterisk's copy and facts.
    intro = sum(prompt_seconds(asterisk, p) for p in ("greeting-mayor", "fallback-message", "record-intro")) + 1.5
    caller = "13600000010"
    async with AriObserver(asterisk).running() as ari:
        result = await place_call(
            asterisk, "12345", f"wait {intro:.1f}; say {speech_wav}; keys #; until-hangup 20", caller=caller
        )
    assert result["answered"] and result["ended_by"] == "far end", result["timeline"]
    assert ari.count("StasisStart") == 0

    ami, astdb = await _astdb(asterisk)
    try:
        kept = {k: v for k, v in (await astdb.tree(FAMILY)).items() if caller in v}
        assert len(kept) == 1, "the dialplan kept the message's facts in Asterisk"
        name = next(iter(kept))
        assert name in await astdb.tree(DONE_FAMILY)

        async with running_platform(asterisk) as platform:
            case = None
            for _ in range(50):
                with platform.sessions() as session:
                    case = session.scalar(select(Case).join(Caller).where(Caller.phone == caller))
                    if case is not None:
                        recordings = list(session.scalars(select(Recording).where(Recording.case_id == case.id)))
                        if recordings:
                            break
                await asyncio.sleep(0.2)
            assert case is not None, "the application did not pick the message up"
            assert (case.origin, case.line_number) == ("fallback", "12345")
            assert len(recordings) == 1 and speech_seconds(Path(recordings[0].path)) > 2.0
            await asyncio.sleep(0.5)
            assert name not in await astdb.tree(FAMILY)
            assert name not in await astdb.tree(DONE_FAMILY)
    finally:
        ami.close()


async def test_the_event_socket_reconnects_within_two_seconds_and_the_call_goes_on(
    asterisk: Settings, speech_wav: Path
) -> None:
    # Expected: ari.connected twice (the second < 2 s after the cut); the call that was in the menu
    # during the cut then reports by key 1 as usual: ivr.case-opened 1, call.ended outcome=reported.
    proxy = CuttableProxy(asterisk.asterisk_host, asterisk.ari_port)
    port = await proxy.start()
    intro = prompt_seconds(asterisk, "record-intro") + 1.2
    settings = asterisk.model_copy(update={"ari_port": port})
    try:
        async with running_platform(settings) as platform:
            log: list = []
            with platform.bus.subscribe() as sub:
                call = asyncio.ensure_future(
                    place_call(
                        asterisk,
                        "12345",
                        f"wait 4; keys 1; wait {intro:.1f}; say {speech_wav}; keys #; until-hangup 60",
                    )
                )
                await wait_for(sub, "ivr.menu", log=log, timeout=15)
                await asyncio.sleep(0.5)
                assert proxy.cut() >= 1
                cut_at = asyncio.get_running_loop().time()
                await wait_for(sub, "ari.disconnected", log=log, timeout=5)
                await wait_for(sub, "ari.connected", log=log, timeout=5)
                reconnect_s = asyncio.get_running_loop().time() - cut_at
                ended = await wait_for(sub, "call.ended", log=log, timeout=90)
                result = await call
        assert reconnect_s < 2.0, reconnect_s
        assert_events(log, {"ivr.case-opened": 1}, ended.call_id)
        assert ended.data["outcome"] == "reported"
        assert result["ended_by"] == "far end"
    finally:
        await proxy.close()


async def test_a_call_whose_channel_vanished_during_the_gap_is_ended_cleanly(
    asterisk: Settings,
) -> None:
    # Expected: the caller hangs up while the event socket is down (the hangup event is lost); on
    # reconnect the resync finds the channel gone and ends the session: call.ended, no session left.
    proxy = CuttableProxy(asterisk.asterisk_host, asterisk.ari_port)
    port = await proxy.start()
    settings = asterisk.model_copy(update={"ari_port": port})
    try:
        async with running_platform(settings) as platform:
            log: list = []
            async with AriObserver(asterisk).running() as ari:  # Asterisk's own view, not through the proxy
                with platform.bus.subscribe() as sub:
                    call = asyncio.ensure_future(place_call(asterisk, "12345", "wait 1.5; hangup"))
                    # the greeting plays (the caller's words are being recorded): the flow waits for events
                    await ari.until("PlaybackStarted", 15, where=lambda raw: "/greeting-" in str(raw.get("playback")))
                    proxy.block_events()
                    await call
                    await asyncio.sleep(0.5)
                    assert platform.stasis.sessions, "without events the application cannot know yet"
                    proxy.unblock_events()
                    ended = await wait_for(sub, "call.ended", log=log, timeout=10)
        assert "vanished" in ended.data["reason"]
        assert platform.stasis.sessions == {}
    finally:
        await proxy.close()


async def test_a_session_is_not_kept_for_channels_of_other_kinds(platform: Platform) -> None:
    """Snoop and externalMedia channels raise StasisStart too; they never become calls."""
    from telephony.ari.events import parse_event

    snoop = parse_event(
        {
            "type": "StasisStart",
            "args": ["incoming", "12345"],
            "channel": {"id": "snoop-1", "name": "Snoop/123-0001", "caller": {"number": "1"}},
        }
    )
    await platform.stasis.on_event(snoop)
    assert "snoop-1" not in platform.stasis.sessions
