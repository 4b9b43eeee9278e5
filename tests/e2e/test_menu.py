"""The main menu by keys: repeat, barge-in and key-ahead, wrong keys, silence, language, agents.

Each test names the platform events it expects for the call (counts), and where it matters
what Asterisk itself reported (playbacks started, StasisEnd).
"""

from __future__ import annotations

import pytest

from common.settings import Settings
from hotline.platform import Platform
from tests.e2e.helpers import (
    AriObserver,
    assert_events,
    greeting_seconds,
    notice_seconds,
    place_call,
    prompt_seconds,
    wait_for,
    wait_for_all,
)


async def test_nine_repeats_the_menu_and_keys_pressed_during_the_greeting_count(
    platform: Platform, asterisk: Settings
) -> None:
    # expected: ivr.greeting 1, ivr.menu 3 (first + two repeats), ivr.key 2 (9, 9)
    log: list = []
    with platform.bus.subscribe() as sub:
        await place_call(asterisk, "12345", "wait 1; keys 9; wait 2; keys 9; wait 2; hangup")
        ended = await wait_for(sub, "call.ended", log=log)
    assert_events(log, {"ivr.greeting": 1, "ivr.menu": 3, "ivr.key": 2, "call.ended": 1}, ended.call_id)
    assert [e.data["key"] for e in log if e.name == "ivr.key"] == ["9", "9"]
    assert ended.data["outcome"] == "caller-hung-up"


async def test_a_key_interrupts_the_greeting_at_once(platform: Platform, asterisk: Settings) -> None:
    # expected: ivr.report follows the key within a second, long before the greeting would end.
    # The key comes 1.5 s after the answer, inside the 2.6 s greeting (at 0.8 s a loaded CI once
    # pressed it before the greeting had started, and the greeting was rightly never played)
    log: list = []
    greeting = prompt_seconds(asterisk, "greeting-mayor") + prompt_seconds(asterisk, "menu")
    async with AriObserver(asterisk).running() as ari:
        with platform.bus.subscribe() as sub:
            await place_call(asterisk, "12345", "wait 1.5; keys 1; wait 1.5; hangup")
            started = await wait_for(sub, "call.started", log=log)
            key = await wait_for(sub, "ivr.key", log=log)
            report = await wait_for(sub, "ivr.report", log=log)
            await wait_for(sub, "call.ended", log=log)
    assert (report.at - key.at).total_seconds() < 1.0
    assert (report.at - started.at).total_seconds() < greeting
    uris = [e.raw["playback"]["media_uri"] for e in ari.of_type("PlaybackStarted")]
    assert any("greeting-mayor" in u for u in uris)
    assert not any(u.endswith("/menu") for u in uris), "the menu was skipped by the key pressed ahead"


async def test_wrong_keys_twice_go_to_an_agent_or_a_message_when_nobody_is_free(
    platform: Platform, asterisk: Settings
) -> None:
    # expected: ivr.key 2 (*, 7), ivr.menu-failed 1, ivr.no-agent 1, ivr.report 1
    log: list = []
    with platform.bus.subscribe() as sub:
        await place_call(asterisk, "12345", "wait 1; keys *; wait 1.5; keys 7; wait 9; hangup")
        ended = await wait_for(sub, "call.ended", log=log)
    assert_events(log, {"ivr.key": 2, "ivr.menu-failed": 1, "ivr.no-agent": 1, "ivr.report": 1}, ended.call_id)


async def test_silence_twice_goes_to_a_message_when_nobody_is_free(platform: Platform, asterisk: Settings) -> None:
    # expected: ivr.key 2 (none, none), ivr.menu-failed 1, ivr.no-agent 1, ivr.report kind asked
    # (asked for a message without choosing one), and as the caller never says a word:
    # recording.discarded (no voice), no recording.stored: a silent line is no case to call back
    menu = prompt_seconds(asterisk, "menu") + prompt_seconds(asterisk, "menu-language")
    sorry = prompt_seconds(asterisk, "no-input")
    wait = greeting_seconds(asterisk) + 2 * (menu + asterisk.menu_timeout_s + sorry) + 6
    log: list = []
    with platform.bus.subscribe() as sub:
        await place_call(asterisk, "12345", f"wait {wait:.1f}; hangup")
        await wait_for_all(sub, ("call.ended", "recording.discarded"), log, timeout=wait + 20)
    ended = next(e for e in log if e.name == "call.ended")
    assert [e.data["key"] for e in log if e.name == "ivr.key"] == [None, None]
    assert_events(log, {"ivr.menu-failed": 1, "ivr.no-agent": 1, "recording.stored": 0}, ended.call_id)
    assert [e.data["kind"] for e in log if e.name == "ivr.report"] == ["asked"]
    assert next(e for e in log if e.name == "recording.discarded").data["reason"] == "no voice"


async def test_eight_switches_the_prompts_to_english(platform: Platform, asterisk: Settings) -> None:
    log: list = []
    async with AriObserver(asterisk).running() as ari:
        with platform.bus.subscribe() as sub:
            await place_call(asterisk, "12345", "wait 1; keys 8; wait 2; hangup")
            ended = await wait_for(sub, "call.ended", log=log)
    assert_events(log, {"ivr.language": 1}, ended.call_id)
    uris = [e.raw["playback"]["media_uri"] for e in ari.of_type("PlaybackStarted")]
    assert any(u.endswith("/en/menu") for u in uris), uris


async def test_three_without_a_free_agent_takes_a_message(platform: Platform, asterisk: Settings) -> None:
    log: list = []
    with platform.bus.subscribe() as sub:
        await place_call(asterisk, "12345", "wait 1; keys 3; wait 3; hangup")
        ended = await wait_for(sub, "call.ended", log=log)
    assert_events(log, {"ivr.no-agent": 1, "ivr.transfer": 0, "ivr.report": 1}, ended.call_id)


async def test_zero_with_a_free_agent_transfers_the_caller_to_the_queue(platform: Platform, asterisk: Settings) -> None:
    # expected: ivr.transfer 1 (queue intake), call.state transferred, Asterisk: StasisEnd for the
    # caller while the channel lives on; AMI: the queue connects the caller to the agent.
    connected: list = []
    platform.ami.on_event("AgentConnect", lambda _m, msg: connected.append(dict(msg)))
    await platform.ami.queue_add("intake", "Local/agent1@hotline-test-agents", member_name="agent1")
    try:
        log: list = []
        async with AriObserver(asterisk).running() as ari:
            with platform.bus.subscribe() as sub:
                script = f"wait 1; keys 0; wait {8 + notice_seconds(asterisk):.1f}; hangup"
                call = asyncio_create(place_call(asterisk, "12345", script))
                transfer = await wait_for(sub, "ivr.transfer", log=log)
                await wait_for(sub, "call.state", log=log, state="transferred")
                result = await call
        assert transfer.data["queue"] == "intake"
        assert result["answered"] and result["duration_s"] > 7
        assert ari.count("ChannelDestroyed") >= 1
        assert connected, "the queue never connected the caller to the agent"
        assert connected[0].get("Queue") == "intake"
    finally:
        await platform.ami.queue_remove("intake", "Local/agent1@hotline-test-agents")


def asyncio_create(coro):  # type: ignore[no-untyped-def]
    import asyncio

    return asyncio.ensure_future(coro)


@pytest.mark.parametrize("number", ["12399"])
async def test_out_of_hours_goes_straight_to_a_message(platform: Platform, asterisk: Settings, number: str) -> None:
    log: list = []
    with platform.bus.subscribe() as sub:
        await place_call(asterisk, number, "wait 2; keys 1; wait 3; hangup")
        ended = await wait_for(sub, "call.ended", log=log)
    assert_events(log, {"ivr.out-of-hours": 1, "ivr.menu": 0, "ivr.report": 1}, ended.call_id)
