"""A supervisor on an agent's call: listening, whispering to the agent, or joining both (issue 19).

Asterisk's ChanSpy does it: AMI `Originate` rings the supervisor's phone and, once answered, runs
`ChanSpy(PJSIP/<agent's extension>-, options)` on it (dialplan context `hotline-spy`); a supervisor
already on the call who asks for another mode is moved there (AMI Redirect), not rung again.
The spied channel is the agent's leg of the call (desk phone or browser twin `<ext>-web`, both
begin with the prefix; the trailing dash keeps extension 1001 from matching 10010). The modes:
- listen: the supervisor hears both, nobody hears the supervisor;
- whisper (`w`): the agent hears the supervisor, the caller does not;
- barge (`B`): both hear the supervisor.
`q` no beep nor name played to anyone, `E` the supervisor's call ends when the agent's does, `d`
the supervisor switches modes with the phone's keys (4 listen, 5 whisper, 6 barge).
"""

from __future__ import annotations

from typing import Literal

from telephony.ami.client import AmiClient, AmiError, check

Mode = Literal["listen", "whisper", "barge"]
OPTIONS: dict[str, str] = {"listen": "qEd", "whisper": "qEdw", "barge": "qEdB"}
RING_S = 20  # how long the supervisor's phone rings
SPY_CONTEXT = "hotline-spy"  # dialplans/extensions.conf.j2: <l|w|b>-<agent's extension> runs ChanSpy


def spy_exten(agent_extension: str, mode: Mode) -> str:
    """The dialplan's extension for this agent and mode (its first letter, the agent's extension)."""
    if mode not in OPTIONS:
        raise ValueError(f"a supervisor listens, whispers or barges, not {mode!r}")
    return f"{mode[0]}-{agent_extension}"


async def spy(
    ami: AmiClient, supervisor_extension: str, agent_extension: str, mode: Mode, *, label: str, channel_id: str
) -> None:
    """Ring the supervisor's phone; once answered it is on the agent's call in this mode. The
    supervisor's call gets `channel_id` as its unique id, by which `switch` moves it later.
    Raises AmiError if Asterisk does not take the request."""
    answer = await ami.send(
        {
            "Action": "Originate",
            "Channel": f"PJSIP/{supervisor_extension}",
            "ChannelId": channel_id,
            "Context": SPY_CONTEXT,
            "Exten": spy_exten(agent_extension, mode),
            "Priority": "1",
            "CallerID": f'"{label}" <{agent_extension}>',
            "Timeout": str(RING_S * 1000),
            "Async": "true",
        },
        as_list=False,
    )
    check(answer, f"Originate ({mode})")


async def switch(ami: AmiClient, channel_id: str, agent_extension: str, mode: Mode) -> bool:
    """Move the supervisor's call, still up, to another mode (or agent) without ringing their
    phone again (AMI Redirect: ChanSpy ends, the dialplan starts it again with other options).
    False when that call is gone (hung up): a new one is rung."""
    try:
        answer = await ami.send(
            {
                "Action": "Redirect",
                "Channel": channel_id,  # Asterisk finds a channel by its unique id as by its name
                "Context": SPY_CONTEXT,
                "Exten": spy_exten(agent_extension, mode),
                "Priority": "1",
            },
            as_list=False,
        )
        check(answer, f"Redirect ({mode})")
    except AmiError:
        return False
    return True
