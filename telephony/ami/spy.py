"""A supervisor on an agent's call: listening, whispering to the agent, or joining both (issue 19).

Asterisk's ChanSpy does it: AMI `Originate` rings the supervisor's phone and, once answered, runs
`ChanSpy(PJSIP/<agent's extension>-, options)` on it: the spied channel is the agent's leg of the
call (desk phone or browser twin `<ext>-web`, both begin with the prefix; the trailing dash keeps
extension 1001 from matching 10010). The modes:
- listen: the supervisor hears both, nobody hears the supervisor;
- whisper (`w`): the agent hears the supervisor, the caller does not;
- barge (`B`): both hear the supervisor.
`q` no beep nor name played to anyone, `E` the supervisor's call ends when the agent's does, `d`
the supervisor switches modes with the phone's keys (4 listen, 5 whisper, 6 barge).
"""

from __future__ import annotations

from typing import Literal

from telephony.ami.client import AmiClient, check

Mode = Literal["listen", "whisper", "barge"]
OPTIONS: dict[str, str] = {"listen": "qEd", "whisper": "qEdw", "barge": "qEdB"}
RING_S = 20  # how long the supervisor's phone rings


def spy_data(agent_extension: str, mode: Mode) -> str:
    """ChanSpy's arguments for this agent and mode."""
    if mode not in OPTIONS:
        raise ValueError(f"a supervisor listens, whispers or barges, not {mode!r}")
    return f"PJSIP/{agent_extension}-,{OPTIONS[mode]}"


async def spy(ami: AmiClient, supervisor_extension: str, agent_extension: str, mode: Mode, *, label: str) -> None:
    """Ring the supervisor's phone; once answered it is on the agent's call in this mode. Raises
    AmiError if Asterisk does not take the request."""
    answer = await ami.send(
        {
            "Action": "Originate",
            "Channel": f"PJSIP/{supervisor_extension}",
            "Application": "ChanSpy",
            "Data": spy_data(agent_extension, mode),
            "CallerID": f'"{label}" <{agent_extension}>',
            "Timeout": str(RING_S * 1000),
            "Async": "true",
        },
        as_list=False,
    )
    check(answer, f"Originate ({mode})")
