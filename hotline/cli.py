"""`hotline`: the one command of the platform (install pieces, run, inspect, place test calls)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from common.logs import setup_logging
from common.settings import Settings, get_settings
from hotline.cli_routing import routing_app

if TYPE_CHECKING:
    from telephony.sip.caller import CallResult  # pjsua2 is loaded only when a call is placed

app = typer.Typer(
    help="Citizen hotline platform: Asterisk + IVR + casebook.", no_args_is_help=True, pretty_exceptions_enable=False
)
asterisk_app = typer.Typer(help="The Asterisk instance of this installation.", no_args_is_help=True)
prompts_app = typer.Typer(help="IVR prompts (espeak-ng synthesis, or real recordings).", no_args_is_help=True)
db_app = typer.Typer(help="The database (Alembic migrations).", no_args_is_help=True)
app.add_typer(asterisk_app, name="asterisk")
app.add_typer(prompts_app, name="prompts")
app.add_typer(db_app, name="db")
metrics_app = typer.Typer(help="The managers' figures (docs/metrics.md).", no_args_is_help=True)
app.add_typer(metrics_app, name="metrics")
app.add_typer(routing_app, name="routing")


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


# --- prompts ---------------------------------------------------------------------------------------
@prompts_app.command("build")
def prompts_build() -> None:
    """Synthesise every prompt (cached) into the data dir."""
    from common.paths import prompts_dir
    from hotline.services import asterisk_process, build_all_prompts
    from ivr.prompts import PromptBuildError

    settings = get_settings()
    try:
        made, total = build_all_prompts(settings)
    except PromptBuildError as exc:  # a slip in the center's prompts file: say where, no traceback
        _fail(f"prompts: {exc}")
    typer.echo(f"prompts: {total} files ready ({made} synthesised now)")
    # Asterisk plays its own copies: give them the new files now (it reads a file at each playback)
    asterisk_process(settings).install_prompts(prompts_dir(settings))
    typer.echo("prompts: installed for Asterisk; calls hear them from the next prompt on")


# --- asterisk --------------------------------------------------------------------------------------
@asterisk_app.command("build")
def asterisk_build(force: Annotated[bool, typer.Option(help="Rebuild even if up to date.")] = False) -> None:
    """Build the Asterisk root filesystem (mmdebstrap, Debian sid) unless a system Asterisk is used."""
    from telephony.runtime.layout import resolve_layout
    from telephony.runtime.rootfs import RootfsBuildError, build_rootfs

    settings = get_settings()
    layout = resolve_layout(settings.asterisk)
    if not layout.chrooted:
        typer.echo("asterisk: using the system's Asterisk; nothing to build")
        return
    try:
        built = build_rootfs(layout.root, force=force)
    except RootfsBuildError as exc:
        _fail(str(exc))
    typer.echo(f"asterisk: root filesystem {'built' if built else 'up to date'} at {layout.root}")


@asterisk_app.command("start")
def asterisk_start() -> None:
    """Render the configuration and start Asterisk; returns when ARI answers."""
    from hotline.services import asterisk_process, build_all_prompts, lines_book
    from telephony.runtime.layout import AsteriskNotInstalled
    from telephony.runtime.process import AsteriskStartError

    settings = get_settings()
    build_all_prompts(settings)
    proc = asterisk_process(settings)
    try:
        pid = proc.start(lines_book(settings), _prompts(settings))
    except (AsteriskNotInstalled, AsteriskStartError) as exc:
        _fail(str(exc))
    typer.echo(f"asterisk: running (pid {pid}), SIP {settings.sip_bind}:{settings.sip_port}, ARI {settings.ari_url}")


@asterisk_app.command("run")
def asterisk_run() -> None:
    """Render the configuration and run Asterisk in the foreground (containers, systemd)."""
    from hotline.services import asterisk_process, build_all_prompts, lines_book

    settings = get_settings()
    build_all_prompts(settings)
    asterisk_process(settings).run_foreground(lines_book(settings), _prompts(settings))


@asterisk_app.command("stop")
def asterisk_stop() -> None:
    """Stop Asterisk (graceful, then by signal)."""
    from hotline.services import asterisk_process

    stopped = asterisk_process(get_settings()).stop()
    typer.echo("asterisk: stopped" if stopped else "asterisk: was not running")


@asterisk_app.command("status")
def asterisk_status() -> None:
    """Is Asterisk running, does ARI answer, is the Stasis application connected?"""
    from hotline.services import asterisk_process

    status = asterisk_process(get_settings()).status()
    typer.echo(status.describe())
    if not status.running:
        raise typer.Exit(3)


@asterisk_app.command("reload")
def asterisk_reload() -> None:
    """Re-render the configuration (after editing the lines file) and reload it live."""
    from hotline.services import asterisk_process, build_all_prompts, lines_book

    settings = get_settings()
    build_all_prompts(settings)
    asterisk_process(settings).reload(lines_book(settings), _prompts(settings))
    typer.echo("asterisk: configuration rendered and reloaded (calls in progress are not affected)")


@asterisk_app.command("cli", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def asterisk_cli(command: Annotated[list[str], typer.Argument(help="An Asterisk CLI command.")]) -> None:
    """Run an Asterisk CLI command, e.g. `hotline asterisk cli core show channels`."""
    from hotline.services import asterisk_process

    sys.stdout.write(asterisk_process(get_settings()).cli(" ".join(command), check=False))


def _prompts(settings: object) -> Path:
    from common.paths import prompts_dir

    return prompts_dir(settings)  # type: ignore[arg-type]


@app.callback()
def _main() -> None:
    from common.settings import InsecureSettingsError

    try:
        settings = get_settings()
    except InsecureSettingsError as exc:  # the reason, not a traceback: the operator must act on it
        _fail(str(exc))
    setup_logging(settings.log_level)


# --- database --------------------------------------------------------------------------------------
@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the database migrations."""
    from casebook.db.migrate import upgrade
    from hotline.bootstrap import bootstrap_casebook
    from hotline.root import build_casebook
    from hotline.services import lines_book

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.sqlalchemy_url, revision)
    casebook = build_casebook(settings, pool_size=1)
    try:
        bootstrap_casebook(settings, casebook.sessions, casebook.auth, lines_book(settings))
    finally:
        casebook.close()
    typer.echo(f"database: at {revision}, directory seeded")


# --- running ---------------------------------------------------------------------------------------
@metrics_app.command("rebuild")
def metrics_rebuild() -> None:
    """Sum up every call and every agent's day again from the call log (call_facts, queue_visits,
    agent_hours): after a change of the formulas or a restore of the call log. Safe while the
    platform runs."""
    from zoneinfo import ZoneInfo

    from casebook.metrics import agent_hours, facts
    from hotline.root import build_casebook

    settings = get_settings()
    casebook = build_casebook(settings, pool_size=1)
    try:
        with casebook.sessions() as s:
            made = facts.rebuild(s, ZoneInfo(settings.timezone))
            days = agent_hours.rebuild(s, ZoneInfo(settings.timezone))
    finally:
        casebook.close()
    typer.echo(f"metrics: {made} calls and {days} agent days summed up again from the call log")


@app.command("serve")
def serve(
    telephony: Annotated[bool, typer.Option(help="Run the Stasis application (ARI/AMI).")] = True,
    api: Annotated[bool, typer.Option(help="Serve the HTTP API and pages.")] = True,
) -> None:
    """Run the platform (telephony application and API) in the foreground."""
    import asyncio
    import contextlib

    from hotline.platform import Platform

    settings = get_settings()

    async def main() -> None:
        platform = Platform(settings)
        try:
            await platform.serve(telephony=telephony, api=api)
        finally:
            await platform.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


# --- test calls ------------------------------------------------------------------------------------
@app.command("call")
def call(
    number: Annotated[str, typer.Argument(help="The number to dial, e.g. 12345.")],
    caller: Annotated[str, typer.Option("--from", help="The caller's number.")] = "13800138000",
    keys: Annotated[str | None, typer.Option(help="Keys to press after the greeting starts.")] = None,
    say: Annotated[Path | None, typer.Option(help="A WAV file to speak after the keys.")] = None,
    script: Annotated[
        str | None,
        typer.Option(
            help="Full script, steps separated by ';': wait SECONDS, keys DIGITS (0-9 * # A-D, RFC 2833), "
            "say FILE.wav (16-bit PCM), hangup, until-hangup SECONDS. "
            "Example: 'wait 1; keys 1; wait 7; say f.wav; hangup'."
        ),
    ] = None,
    first_wait: Annotated[float, typer.Option(help="Seconds before the keys.")] = 1.5,
    before_say: Annotated[float, typer.Option(help="Seconds between the keys and speaking.")] = 2.5,
    hangup_wait: Annotated[float, typer.Option(help="Seconds to wait for the far end to hang up.")] = 40.0,
    record: Annotated[Path | None, typer.Option(help="Record what the caller hears to this WAV.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    port: Annotated[int, typer.Option(help="Local SIP port (0: any).")] = 0,
) -> None:
    """Place a real SIP call to this installation's Asterisk and print what happened."""
    import json

    from telephony.sip.script import ScriptError, default_script, parse_script

    settings = get_settings()
    text = script or default_script(keys, say, first_wait=first_wait, before_say=before_say, hangup_wait=hangup_wait)
    try:
        steps = parse_script(text)
    except ScriptError as exc:
        _fail(f"bad script: {exc}")
    if record is not None and not record.resolve().parent.is_dir():
        _fail(f"--record: folder {record.resolve().parent} does not exist")

    import pjsua2

    from telephony.sip.caller import SipCaller

    started = datetime.now(UTC)
    try:
        sip = SipCaller(local_port=port)
    except pjsua2.Error as exc:
        _fail(f"cannot start the SIP caller on port {port or 'any'}: {exc.info().strip() or exc}")
    try:
        target = f"sip:{number}@{settings.sip_bind}:{settings.sip_port}"
        result = sip.call(target, caller, steps, record_to=record.resolve() if record else None)
    except pjsua2.Error as exc:
        _fail(f"the call failed inside pjsua2: {exc.info().strip() or exc}")
    finally:
        sip.close()
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        _tell_the_call(settings, result, caller, started, keys or "")
    if not result.answered:
        raise typer.Exit(2)


def _tell_the_call(settings: Settings, result: CallResult, caller: str, started: datetime, keys: str) -> None:
    """What the caller heard and did, the case the call opened, and the status it asked for."""
    for line in result.timeline:
        typer.echo(line)
    typer.echo(f"answered: {result.answered}  talk: {result.duration_s}s  ended by: {result.ended_by}")
    number_opened = _case_opened_since(settings, caller, started) if result.answered else None
    typer.echo(f"case opened: {number_opened or 'none'}")
    asked = _status_asked(keys)
    if asked and result.answered:
        typer.echo(f"status asked for {asked}: {_status_of(settings, asked) or 'no such case'}")


@app.command("register-phone")
def register_phone(
    extension: Annotated[str, typer.Argument(help="The agent's extension.")],
    port: Annotated[int, typer.Option(help="Local SIP port (0: any).")] = 0,
    bind: Annotated[str, typer.Option(help="Local address (a desk on the LAN, not a carrier address).")] = "127.0.0.2",
    hold: Annotated[float, typer.Option(help="Seconds to stay registered (ringing calls are answered).")] = 0.0,
    answer_after: Annotated[float, typer.Option(help="Seconds of ringing before answering (-1: never).")] = 1.0,
    talk: Annotated[float, typer.Option(help="Seconds of talk before hanging up (0: the caller ends).")] = 0.0,
    say: Annotated[Path | None, typer.Option(help="A WAV file played to the caller once a call is answered.")] = None,
    record: Annotated[Path | None, typer.Option(help="Keep what the phone hears (its first call) in this WAV.")] = None,
    hold_at: Annotated[float, typer.Option(help="Put a call on hold this long after answering (0: never).")] = 0.0,
    hold_for: Annotated[float, typer.Option(help="Seconds on hold before taking the call back.")] = 5.0,
) -> None:
    """Register a real SIP desk phone (pjsua2) as this agent, with the password in
    HOTLINE_SIP_PASSWORD; print the registrar's answer, then the calls it rings for, as JSON lines."""
    import json
    import os

    from telephony.sip.phone import DeskPhone

    password = os.environ.get("HOTLINE_SIP_PASSWORD", "")
    if not password:
        _fail("set HOTLINE_SIP_PASSWORD to the agent's SIP password (shown when the phone was made)")
    settings = get_settings()
    phone = DeskPhone(
        local_port=port, bind=bind, say_file=str(say) if say else None, record_to=str(record) if record else None
    )
    try:
        result = phone.register_answering(extension, password, f"sip:{settings.sip_bind}:{settings.sip_port}")
        typer.echo(json.dumps({"event": "registration", **result.to_dict()}))
        if result.registered and hold > 0:
            on_hold = (hold_at, hold_for) if hold_at > 0 else None
            phone.serve(hold, answer_after_s=answer_after, talk_s=talk, hold=on_hold)
    finally:
        phone.close()
    if not result.registered:
        raise typer.Exit(2)


@app.command("citizen")
def citizen(
    plans: Annotated[
        list[str],
        typer.Option(
            "--call",
            help="What to do with each call, in order (the last one repeats): 'answer S; wait S; keys 2; "
            "until-hangup S', 'reject CODE' (486 busy, 603 declined), 'ignore' (ring until given up).",
        ),
    ],
    bind: Annotated[str, typer.Option(help="Local address (what HOTLINE_CARRIER_URI points at).")] = "127.0.0.3",
    port: Annotated[int, typer.Option(help="Local SIP port.")] = 5070,
    hold: Annotated[float, typer.Option(help="Seconds to listen for calls.")] = 60.0,
) -> None:
    """Be a citizen's phone at the far end of the trunk (pjsua2): calls the platform places ring
    here (set HOTLINE_CARRIER_URI=sip:BIND:PORT); print each as JSON lines."""
    import pjsua2

    from telephony.sip.citizen import CallPlan, CitizenPhone
    from telephony.sip.script import ScriptError

    try:
        parsed = [CallPlan.parse(plan) for plan in plans]
    except (ScriptError, ValueError) as exc:
        _fail(f"bad --call: {exc}")
    try:
        phone = CitizenPhone(bind, port, parsed)
    except pjsua2.Error as exc:
        _fail(f"cannot listen on {bind}:{port}: {exc.info().strip() or exc}")
    try:
        phone.serve(hold)
    finally:
        phone.close()


def _status_asked(keys: str) -> str | None:
    """The case number keyed after 2 at the menu (`--keys 2<number>#`), for the printout."""
    if not keys.startswith("2"):
        return None
    number = keys[1:].split("#", 1)[0]
    return number if number.isdigit() else None


def _status_of(settings: Settings, number: str) -> str | None:
    """What the IVR read to the caller: the case's status in the casebook."""
    from sqlalchemy import select

    from casebook.db.models import Case
    from hotline.root import build_casebook

    casebook = build_casebook(settings, pool_size=1)
    try:
        with casebook.sessions() as s:
            status = s.execute(select(Case.status).where(Case.number == number)).scalar()
        return str(status) if status else None
    except Exception:
        return None
    finally:
        casebook.close()


def _case_opened_since(settings: Settings, caller: str, since: object) -> str | None:
    """The case this call opened, if any (it may take a moment), for the demo's printout."""
    import time

    from sqlalchemy import select

    from casebook.db.models import Caller, Case
    from hotline.root import build_casebook

    casebook = build_casebook(settings, pool_size=1)
    try:
        for _ in range(6):
            with casebook.sessions() as s:
                found = s.execute(
                    select(Case.number)
                    .join(Caller, Caller.id == Case.caller_id)
                    .where(Caller.phone == caller, Case.created_at >= since)
                    .order_by(Case.id.desc())
                    .limit(1)
                ).scalar()
            if found:
                return str(found)
            time.sleep(0.3)
    except Exception:
        return None
    finally:
        casebook.close()
    return None
