"""The rendered dialplan runs on the Asterisk it is written for: every application it names is
loaded (a name Asterisk does not know ends the call where it stands: an `ExecIf` without
app_exec once dropped every caller handed to an agent, until a real call found it).

Expected: `core show applications` of the session's Asterisk lists every application of
extensions.conf, and `dialplan show` knows every context the dialplan jumps to.
"""

from __future__ import annotations

import re

from common.settings import Settings
from hotline.services import asterisk_process
from telephony.runtime.layout import resolve_layout

APPLICATION = re.compile(r"^\s*(?:exten\s*=>\s*[^,]+,\s*[^,]+|same\s*=>\s*[^,]+),\s*([A-Za-z]+)\(", re.MULTILINE)


def test_every_application_the_dialplan_names_is_loaded(asterisk: Settings) -> None:
    layout = resolve_layout(asterisk.asterisk)
    text = layout.host_path(layout.dir("etc") / "extensions.conf").read_text(encoding="utf-8")
    used = set(APPLICATION.findall(text))
    assert {"Stasis", "Queue", "MixMonitor", "Gosub", "Record"} <= used, used
    shown = asterisk_process(asterisk).cli("core show applications")
    loaded = {m.group(1).lower() for m in re.finditer(r"^\s*([A-Za-z]+):", shown, re.MULTILINE)}
    missing = sorted(app for app in used if app.lower() not in loaded)
    assert missing == [], f"applications the dialplan uses that Asterisk has not loaded: {missing}"


def test_every_context_the_dialplan_jumps_to_exists(asterisk: Settings) -> None:
    layout = resolve_layout(asterisk.asterisk)
    text = layout.host_path(layout.dir("etc") / "extensions.conf").read_text(encoding="utf-8")
    contexts = set(re.findall(r"^\[([a-z0-9-]+)\]", text, re.MULTILINE))
    targets = set(re.findall(r"(?:Gosub|Goto)\(([a-z][a-z0-9-]+),", text))
    assert targets and targets <= contexts, targets - contexts
