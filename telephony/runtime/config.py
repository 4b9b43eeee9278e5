"""Rendering `dialplans/*.j2` into an instance's configuration folder.

The templates see the Asterisk settings (`asterisk`), the lines file, the instance's directories and the secrets;
nothing is written into the checkout. Rendering is idempotent: `asterisk reload` re-renders
and reloads the dialplan without dropping calls.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from common.files import replace_text
from common.settings import AsteriskSettings
from ivr.lines import LineBook
from telephony.ami.spy import OPTIONS as SPY_OPTIONS
from telephony.runtime.layout import AsteriskLayout

DIALPLANS_DIR = Path(__file__).resolve().parents[2] / "dialplans"

MODULES = (
    # timing, codecs and file formats
    "res_timing_timerfd",
    "codec_ulaw",
    "codec_alaw",
    "codec_a_mu",
    "codec_gsm",
    "codec_g722",
    "codec_resample",
    "format_wav",
    "format_gsm",
    "format_pcm",
    "format_sln",
    # SIP
    "res_pjproject",
    "res_sorcery_config",
    "res_sorcery_memory",
    "res_sorcery_astdb",
    "res_pjsip",
    "res_pjsip_session",
    "chan_pjsip",
    "res_pjsip_sdp_rtp",
    "res_pjsip_endpoint_identifier_ip",
    "res_pjsip_endpoint_identifier_user",
    "res_pjsip_authenticator_digest",
    "res_pjsip_outbound_authenticator_digest",
    "res_pjsip_registrar",
    "res_pjsip_pubsub",
    "res_pjsip_caller_id",
    "res_pjsip_dtmf_info",
    "res_pjsip_nat",
    "res_pjsip_rfc3326",
    "res_pjsip_diversion",
    "res_pjsip_acl",
    "res_pjsip_logger",
    "res_rtp_asterisk",
    "res_security_log",
    # WebRTC: the browser softphone (SIP over WebSocket, DTLS-SRTP, ICE, Opus)
    "res_pjsip_transport_websocket",
    "res_srtp",
    "res_format_attr_opus",
    "codec_opus_open_source",
    # ARI and Stasis
    "res_http_websocket",
    "res_websocket_client",
    "res_ari",
    "res_ari_model",
    "res_ari_applications",
    "res_ari_asterisk",
    "res_ari_bridges",
    "res_ari_channels",
    "res_ari_device_states",
    "res_ari_endpoints",
    "res_ari_events",
    "res_ari_playbacks",
    "res_ari_recordings",
    "res_ari_sounds",
    "res_stasis",
    "res_stasis_answer",
    "res_stasis_playback",
    "res_stasis_recording",
    "res_stasis_snoop",
    "res_stasis_device_state",
    "app_stasis",
    "res_rtp_multicast",
    "chan_rtp",
    "chan_bridge_media",
    # bridges
    "bridge_simple",
    "bridge_softmix",
    "bridge_native_rtp",
    "bridge_holding",
    "bridge_builtin_features",
    # dialplan
    "pbx_config",
    "app_playback",
    "app_record",
    "app_dial",
    "app_echo",
    "app_stack",
    "app_queue",
    "app_mixmonitor",  # every conversation with an agent recorded (issue 19)
    "app_chanspy",  # a supervisor listens, whispers, barges (issue 19)
    "app_userevent",  # the dialplan tells the application a recorded call ended
    "app_senddtmf",  # AMI PlayDTMF: the page presses an attended transfer's keys for the agent
    "app_verbose",
    "func_db",
    "func_strings",
    "func_channel",
    "func_callerid",
    "func_logic",
    "func_cut",
    "func_global",
    "func_hangupcause",
    "func_talkdetect",  # ChannelTalkingStarted/Finished: when a caller speaks into a message
    "func_jitterbuffer",  # the caller's audio evened out before it is tapped and recorded
    "res_musiconhold",
)

TEMPLATES = (
    "asterisk.conf",
    "modules.conf",
    "logger.conf",
    "http.conf",
    "ari.conf",
    "manager.conf",
    "rtp.conf",
    "pjsip.conf",
    "indications.conf",
    "extensions.conf",
    "queues.conf",
    "musiconhold.conf",
    "cdr.conf",
    "cel.conf",
    "features.conf",
    "acl.conf",
    "udptl.conf",
    "pjproject.conf",
    "websocket_client.conf",
    "ccss.conf",
    "stasis.conf",
    "queuerules.conf",
)


@dataclass(frozen=True, slots=True)
class PhoneAccount:
    """An agent's desk phone: a PJSIP endpoint that registers with digests of its password."""

    extension: str
    digest_md5: str
    digest_sha256: str


def render_configuration(
    asterisk: AsteriskSettings,
    layout: AsteriskLayout,
    lines: LineBook,
    *,
    phones: Sequence[PhoneAccount] = (),
    queue_wait_s: int = 300,
    max_calls: int = 2000,
) -> Path:
    """Write every configuration file of the instance; return the host path of its folder."""
    render_changes(asterisk, layout, lines, phones=phones, queue_wait_s=queue_wait_s, max_calls=max_calls)
    return layout.host_path(layout.dir("etc"))


def render_changes(
    asterisk: AsteriskSettings,
    layout: AsteriskLayout,
    lines: LineBook,
    *,
    phones: Sequence[PhoneAccount] = (),
    queue_wait_s: int = 300,
    max_calls: int = 2000,
) -> set[str]:
    """Write every configuration file of the instance; return the names of those whose words
    changed, so that a running Asterisk reloads only what it must (telephony/runtime/sync.py)."""
    env = Environment(
        loader=FileSystemLoader(str(DIALPLANS_DIR)),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    context = {
        "asterisk": asterisk,
        "instance": layout.instance,
        "dirs": {k: str(v) for k, v in layout.dirs.items()},
        "run_user": layout.run_user(),
        "modules": MODULES,
        "lines": lines.lines,
        "queues": lines.queues,
        "queue_rules": {queue: lines.rules(queue) for queue in lines.queues},
        "phones": list(phones),
        "queue_wait_s": queue_wait_s,
        "transfer_ring_s": 25,  # an agent a call is transferred to has this long to answer
        "spy_options": SPY_OPTIONS,  # mode -> ChanSpy's options (telephony/ami/spy.py)
        "max_calls": max_calls,
        "country": "us" if asterisk.timezone.startswith("America/") else "cn",
        "ari_password": asterisk.ari_secret(),
        "ami_password": asterisk.ami_secret(),
    }
    etc = layout.host_path(layout.dir("etc"))
    etc.mkdir(parents=True, exist_ok=True)
    changed: set[str] = set()
    for name in TEMPLATES:
        text = env.get_template(f"{name}.j2").render(**context)
        target = etc / name
        try:
            if target.read_text(encoding="utf-8") == text:
                continue
        except OSError:
            pass  # not written yet
        replace_text(target, text, 0o640)
        changed.add(name)
    prepare_directories(layout)
    return changed


def prepare_directories(layout: AsteriskLayout) -> None:
    """Create the instance's folders, owned by Asterisk's user so it can drop root."""
    ids = layout.user_ids() if os.geteuid() == 0 else None
    for name in ("etc", "lib", "spool", "run", "log", "sounds"):
        path = layout.host_path(layout.dir(name))
        path.mkdir(parents=True, exist_ok=True)
    layout.host_path(layout.dir("spool") / "recording").mkdir(parents=True, exist_ok=True)
    if ids is None:
        return
    uid, gid = ids
    for name in ("lib", "spool", "run", "log"):
        top = layout.host_path(layout.dir(name))
        for dirpath, _dirnames, filenames in os.walk(top):
            os.chown(dirpath, uid, gid)
            for filename in filenames:
                os.chown(os.path.join(dirpath, filename), uid, gid)
    etc = layout.host_path(layout.dir("etc"))
    os.chown(etc, 0, gid)
    for item in etc.iterdir():
        os.chown(item, 0, gid)
