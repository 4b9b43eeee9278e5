"""The deployment files stay true to the code. No Docker engine runs here, so the production layout
is checked offline: Debian's docker-compose renders it (`config`) from a sample `.env` and refuses
to without its secrets; each container's environment is a valid production configuration; the
volumes sit where the code reads and writes; the images' recipes copy only what exists; and the
commands and health checks the services run are real: the `hotline` commands, Celery's app and
schedule, and the api, worker and beat processes themselves, started here as the containers would
start them, with their health checks run against them. The Asterisk configuration renders for the
lines file with every number routed to Stasis."""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import psycopg
import pytest
import yaml
from sqlalchemy.engine import make_url

from common.paths import recordings_dir, reports_dir
from common.settings import InsecureSettingsError, Settings
from ivr.lines import load_lines
from telephony.runtime.config import render_configuration
from telephony.runtime.layout import AsteriskLayout, resolve_layout
from telephony.runtime.rootfs import PACKAGES
from tests.conftest import PG_ADMIN_URL, redis_url

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
VENV_BIN = ROOT / ".venv" / "bin"
# this module's own database on the machine's Redis, never flushed: two runs at once share it safely
# (workers answer pings by their own node names; the scheduled tasks are idempotent)
REDIS_DB = redis_url(2)

SERVICES = {"postgres", "redis", "asterisk", "migrate", "telephony", "api", "worker", "beat"}
PLATFORM_ROLES = {"migrate", "telephony", "api", "worker", "beat"}  # the platform image's services
HOTLINE_SERVICES = PLATFORM_ROLES | {"asterisk"}
VOLUMES = {"database", "redis", "asterisk-data", "recordings", "reports"}
API_PORTS = {"telephony": 8000, "api": 8001}


def _secret() -> str:
    return secrets.token_hex(24)  # what `openssl rand -hex 24` gives, as .env.example says


SAMPLE_ENV = {
    "POSTGRES_PASSWORD": _secret(),
    "REDIS_PASSWORD": _secret(),
    "HOTLINE_ARI_PASSWORD": _secret(),
    "HOTLINE_AMI_PASSWORD": _secret(),
    "HOTLINE_CARRIER_ADDRESSES": '["192.0.2.10"]',
    "HOTLINE_CARRIER_URI": "sip:192.0.2.10:5060",
}


# --- rendering the compose file ------------------------------------------------------------------
def _compose(project: Path, env_file: dict[str, str] | str) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` with `.env` in `project` (its relative paths resolve there too),
    and none of this machine's variables in the way."""
    text = env_file if isinstance(env_file, str) else "".join(f"{k}={v}\n" for k, v in env_file.items())
    (project / ".env").write_text(text)
    names = set(_compose_variables()) | {"COMPOSE_FILE", "COMPOSE_PROJECT_NAME"}
    clean = {k: v for k, v in os.environ.items() if k not in names and not k.startswith("HOTLINE_")}
    return subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "--project-directory", str(project), "config"],
        env=clean,
        capture_output=True,
        text=True,
        cwd=project,
        timeout=120,
    )


def _compose_variables() -> dict[str, str]:
    """Every `${NAME...}` the compose file reads, with the way it reads it (`:?`, `:-`, or plain)."""
    found: dict[str, str] = {}
    for name, how in re.findall(r"\$\{([A-Z0-9_]+)(:[?-])?", COMPOSE.read_text()):
        found[name] = how if found.get(name) in (None, "") else found[name]
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = tmp_path_factory.mktemp("compose")
    result = _compose(project, SAMPLE_ENV)
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """The process environment a container would have (only for building Settings here)."""
    saved = dict(os.environ)
    try:
        for key in [k for k in os.environ if k.startswith("HOTLINE_")]:
            del os.environ[key]
        os.environ.update(env)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _settings(service: dict[str, Any]) -> Settings:
    with _environment(_env(service)):
        return Settings(_env_file=None)  # type: ignore[call-arg]


def _mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """target -> (source, read-only) of a rendered service's volumes."""
    found = {}
    for entry in service.get("volumes") or []:
        source, target, *mode = entry.split(":")
        found[target] = (source, bool(mode) and "ro" in mode[0].split(","))
    return found


def test_compose_renders_exactly_the_platforms_services_and_volumes(rendered: dict[str, Any]) -> None:
    assert set(rendered["services"]) == SERVICES
    assert set(rendered["volumes"]) == VOLUMES
    for name in PLATFORM_ROLES:
        build = rendered["services"][name]["build"]
        assert build["dockerfile"] == "docker/platform.Dockerfile"
        assert rendered["services"][name]["image"] == "hotline-platform"  # one image, built once
    assert rendered["services"]["asterisk"]["build"]["dockerfile"] == "docker/asterisk.Dockerfile"


def test_every_long_running_service_has_a_health_check_and_comes_back(rendered: dict[str, Any]) -> None:
    for name, service in rendered["services"].items():
        if name == "migrate":  # one-shot: it runs, succeeds, and everything else waits for it
            assert service["restart"] == "no" and service["healthcheck"] == {"test": ["NONE"]}  # disabled
            continue
        assert service["restart"] == "unless-stopped", name
        check = service["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL") and not check.get("disable"), name
        assert check["interval"] and check["timeout"] and check["retries"], name
    for name in HOTLINE_SERVICES - {"migrate"}:
        waits = rendered["services"][name]["depends_on"]
        assert waits["migrate"]["condition"] == "service_completed_successfully", name
    for name in ("telephony", "api", "worker", "beat"):
        assert rendered["services"][name]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert rendered["services"]["telephony"]["depends_on"]["asterisk"]["condition"] == "service_healthy"
    assert rendered["services"]["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_everything_but_sip_and_rtp_stays_on_loopback(rendered: dict[str, Any]) -> None:
    services = rendered["services"]
    for name, service in services.items():
        assert service["network_mode"] == "host", name  # SIP/RTP reach the carrier untranslated
        assert "ports" not in service, name
    assert "listen_addresses=127.0.0.1" in services["postgres"]["command"]
    redis_command = " ".join(services["redis"]["command"])
    assert "--bind 127.0.0.1 " in redis_command and "--appendonly yes" in redis_command
    assert "REDIS_PASSWORD" not in redis_command and SAMPLE_ENV["REDIS_PASSWORD"] not in redis_command
    for name in HOTLINE_SERVICES:
        settings = _settings(services[name])
        assert settings.api_host == "127.0.0.1" and settings.asterisk_host == "127.0.0.1", name
        assert make_url(settings.sqlalchemy_url).host == "127.0.0.1"
        assert settings.redis_url.endswith("@127.0.0.1:6379/0")


def test_each_containers_environment_is_a_valid_production_configuration(rendered: dict[str, Any]) -> None:
    services = rendered["services"]
    for name in HOTLINE_SERVICES:
        settings = _settings(services[name])  # raises if production would refuse it
        assert settings.environment == "production" and settings.task_mode == "celery", name
        url = make_url(settings.sqlalchemy_url)
        assert url.drivername == "postgresql+psycopg" and url.password == SAMPLE_ENV["POSTGRES_PASSWORD"]
        assert settings.redis_url == f"redis://:{SAMPLE_ENV['REDIS_PASSWORD']}@127.0.0.1:6379/0"
        assert settings.secret("ari_password") == SAMPLE_ENV["HOTLINE_ARI_PASSWORD"]
        assert settings.carrier_addresses == ["192.0.2.10"]
        assert settings.carrier_uri == "sip:192.0.2.10:5060", name  # an optional setting, through env_file
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == SAMPLE_ENV["POSTGRES_PASSWORD"]
    assert services["redis"]["environment"]["REDISCLI_AUTH"] == SAMPLE_ENV["REDIS_PASSWORD"]
    for name, port in API_PORTS.items():  # each HTTP process is checked on the port it serves
        assert _settings(services[name]).api_port == port
        assert f"http://127.0.0.1:{port}/status" in services[name]["healthcheck"]["test"]


def test_the_examples_placeholders_render_but_the_platform_refuses_them(tmp_path: Path) -> None:
    result = _compose(tmp_path, (ROOT / ".env.example").read_text())
    assert result.returncode == 0, result.stderr
    telephony = yaml.safe_load(result.stdout)["services"]["telephony"]
    with pytest.raises(InsecureSettingsError, match="HOTLINE_ARI_PASSWORD"):
        _settings(telephony)


def test_env_example_names_every_variable_the_compose_file_reads() -> None:
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    required = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    variables = _compose_variables()
    assert set(variables) <= listed, set(variables) - listed
    assert {name for name, how in variables.items() if how == ":?"} <= required  # uncommented
    assert all(how for how in variables.values())  # each one either required or defaulted


@pytest.mark.parametrize("missing", sorted(n for n, how in _compose_variables().items() if how == ":?"))
def test_compose_refuses_to_start_without_a_secret(missing: str, tmp_path: Path) -> None:
    result = _compose(tmp_path, {k: v for k, v in SAMPLE_ENV.items() if k != missing})
    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stderr


def test_volumes_are_mounted_where_the_code_reads_and_writes(rendered: dict[str, Any]) -> None:
    services = rendered["services"]
    for name in ("telephony", "api", "worker"):
        # telephony stores the callers' messages, the worker transcribes them from there and makes
        # the reports, the api serves both
        settings, mounts = _settings(services[name]), _mounts(services[name])
        assert mounts[str(recordings_dir(settings))] == ("recordings", False), name
        assert mounts[str(reports_dir(settings))] == ("reports", False), name
    for name in ("telephony", "worker"):  # both load the model: live, and from the recordings
        model = PurePosixPath(str(_settings(services[name]).vosk_model))
        under = [t for t, (_, ro) in _mounts(services[name]).items() if ro and model.is_relative_to(t)]
        assert under == ["/models"], name
    instance = {}
    for name in ("asterisk", "telephony"):  # telephony writes the SIP guard's ACL into Asterisk's etc
        env = _env(services[name])
        if name == "asterisk":  # the image sets it
            assert "HOTLINE_ASTERISK_MODE=system" in (ROOT / "docker/asterisk.Dockerfile").read_text()
            env["HOTLINE_ASTERISK_MODE"] = "system"
        with _environment(env):
            layout = resolve_layout(Settings(_env_file=None).asterisk)  # type: ignore[call-arg]
        instance[name] = layout.host_path(layout.base)  # etc, lib (astdb), spool (messages), log
        mounted = [t for t, (source, _) in _mounts(services[name]).items() if source == "asterisk-data"]
        assert len(mounted) == 1 and instance[name].is_relative_to(mounted[0]), name
    assert instance["telephony"] == instance["asterisk"]
    assert _mounts(services["postgres"])["/var/lib/postgresql/data"] == ("database", False)
    assert _mounts(services["redis"])["/data"] == ("redis", False)
    assert "--appendonly yes" in " ".join(services["redis"]["command"])  # queued work survives a restart
    beat = services["beat"]
    schedule = beat["command"][beat["command"].index("--schedule") + 1]
    assert beat["healthcheck"]["test"][-1] == schedule  # the health check reads the file beat writes


# --- the images' recipes -------------------------------------------------------------------------------
def _instructions(dockerfile: Path) -> list[tuple[str, list[str]]]:
    """(instruction, arguments) of a Dockerfile, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", dockerfile.read_text())
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            rest = rest.strip()  # exec form (JSON) or shell form
            found.append((word.upper(), json.loads(rest) if rest.startswith("[") else shlex.split(rest)))
    return found


def _copies(dockerfile: Path) -> list[tuple[list[str], str]]:
    """(sources, destination) of every COPY from the build context (not from another stage)."""
    copies = []
    for word, args in _instructions(dockerfile):
        if word == "COPY" and not any(a.startswith("--from") for a in args):
            *sources, destination = [a for a in args if not a.startswith("--")]
            copies.append((sources, destination))
    return copies


def _dockerfiles(rendered: dict[str, Any]) -> list[Path]:
    names = {service["build"]["dockerfile"] for service in rendered["services"].values() if "build" in service}
    return [ROOT / name for name in sorted(names)]


def test_every_copy_in_the_recipes_takes_something_the_repository_has(rendered: dict[str, Any]) -> None:
    raw = yaml.safe_load(COMPOSE.read_text())["services"]
    for name, service in raw.items():
        if "build" in service:  # the context is the compose file's folder: the repository
            assert service["build"]["context"] == ".", name
    ignored = [
        p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines() if p.strip() and not p.startswith("#")
    ]
    assert ".env" in ignored  # the secrets never reach the builder
    dockerfiles = _dockerfiles(rendered)
    assert {p.name for p in dockerfiles} == {"asterisk.Dockerfile", "platform.Dockerfile"}
    for dockerfile in dockerfiles:
        copies = _copies(dockerfile)
        assert copies, dockerfile
        for sources, _ in copies:
            for source in sources:
                assert (ROOT / source).exists(), f"{dockerfile.name}: COPY {source}: not in the repository"
                parts = PurePosixPath(source).parts
                prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
                hit = [p for p in ignored for s in prefixes if fnmatch.fnmatch(s, p)]
                assert not hit, f"{dockerfile.name}: COPY {source} is excluded by .dockerignore {hit}"


def test_the_asterisk_image_is_debians_asterisk_as_in_development() -> None:
    installs = " ".join(
        " ".join(args) for word, args in _instructions(ROOT / "docker/asterisk.Dockerfile") if word == "RUN"
    )
    assert "FROM debian:sid" in (ROOT / "docker/asterisk.Dockerfile").read_text()
    for package in PACKAGES:  # the root filesystem's packages (telephony/runtime/rootfs.py)
        assert f" {package} " in f" {installs} ", package
    copied = {s for sources, _ in _copies(ROOT / "docker/asterisk.Dockerfile") for s in sources}
    assert "dialplans" in copied  # the same configuration templates


def test_the_health_checks_tools_are_in_the_images(rendered: dict[str, Any]) -> None:
    """curl is installed in the platform image for its HTTP checks; its own scripts are copied in;
    pg_isready and redis-cli come with the official postgres and redis images."""
    platform = ROOT / "docker/platform.Dockerfile"
    apt = " ".join(" ".join(a) for w, a in _instructions(platform) if w == "RUN" and "apt-get" in a)
    image_bin = _image_bin(platform)
    for name in PLATFORM_ROLES - {"migrate"}:
        test = rendered["services"][name]["healthcheck"]["test"]
        tool = test[1]
        assert (tool == "curl" and " curl " in f" {apt} ") or tool in image_bin, (name, tool)
    assert rendered["services"]["postgres"]["image"].startswith("postgres:")
    assert rendered["services"]["redis"]["image"].startswith("redis:")


def _image_bin(dockerfile: Path) -> dict[str, Path]:
    """Commands the recipe installs from the repository: name in the image -> file here."""
    return {
        PurePosixPath(destination).name: ROOT / sources[0]
        for sources, destination in _copies(dockerfile)
        if destination.startswith("/usr/local/bin/")
    }


# --- the commands the services run ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def image_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PATH with the platform image's commands: its scripts under their names in the image,
    then the virtual environment's `hotline` and `celery`, then the machine's tools (curl)."""
    bin_dir = tmp_path_factory.mktemp("image-bin")
    for name, source in _image_bin(ROOT / "docker/platform.Dockerfile").items():
        assert os.access(source, os.X_OK), f"{source} is not executable"
        (bin_dir / name).symlink_to(source)
    return os.pathsep.join([str(bin_dir), str(VENV_BIN), os.environ.get("PATH", "/usr/bin:/bin")])


def _run_env(service: dict[str, Any], image_path: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(_env(service), PATH=image_path, PYTHONPATH=str(ROOT), **overrides)
    return env


def test_every_command_and_health_check_of_the_platform_is_a_real_command(
    rendered: dict[str, Any], image_path: str, tmp_path: Path
) -> None:
    """Each service's command and health check, with `--help`: an unknown command or option fails."""
    commands = [(name, rendered["services"][name]["command"]) for name in PLATFORM_ROLES]
    commands.append(("asterisk", rendered["services"]["asterisk"]["healthcheck"]["test"][1:]))
    commands += [(name, rendered["services"][name]["healthcheck"]["test"][1:]) for name in ("worker", "beat")]
    for word, args in _instructions(ROOT / "docker/asterisk.Dockerfile"):
        if word == "CMD":
            commands.append(("asterisk image", args))
    for name, argv in commands:
        env = _run_env(rendered["services"]["telephony"], image_path, HOTLINE_CELERY_NODE_FILE=str(tmp_path / "node"))
        result = subprocess.run([*argv, "--help"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{name}: {argv}: {result.stderr[-2000:]}"
        assert "Usage" in result.stdout or "usage" in result.stdout, (name, argv)


def test_the_celery_app_has_every_scheduled_task() -> None:
    from hotline.worker import app

    assert app.main == "hotline"
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"speech.transcribe_lost", "casebook.scan_breaches", "casebook.make_due_reports"} <= scheduled
    assert scheduled <= set(app.tasks)  # every scheduled task is one the worker knows
    assert "speech.transcribe_call" in app.tasks


# --- the processes, as the containers start them ---------------------------------------------------------
@pytest.fixture(scope="module")
def deploy_db() -> Iterator[str]:
    """A database of its own on the machine's PostgreSQL, migrated by the migrate service's command."""
    name = f"hotline_deploy_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Local:
    """Runs a service's command here, with its environment but this machine's database and Redis,
    a data dir in tmp and no Asterisk at all (ARI and AMI point at a closed port)."""

    rendered: dict[str, Any]
    image_path: str
    database: str
    dir: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, service: str, label: str, more: dict[str, str]) -> dict[str, str]:
        container = dict(self.rendered["services"][service])
        # no /models here: the packaged Korean model (make up installs it) stands in for the mount
        container["environment"] = {k: v for k, v in _env(container).items() if k != "HOTLINE_VOSK_MODEL"}
        return _run_env(
            container,
            self.image_path,
            HOTLINE_DATABASE_URL=self.database,
            HOTLINE_REDIS_URL=REDIS_DB,
            HOTLINE_DATA_DIR=str(self.dir / "data"),
            HOTLINE_ARI_PORT=str(_free_port()),
            HOTLINE_AMI_PORT=str(_free_port()),
            HOTLINE_CELERY_NODE_FILE=str(self.dir / f"{label}.node"),
            **more,
        )

    def start(self, service: str, argv: list[str], label: str | None = None, **more: str) -> subprocess.Popen[bytes]:
        label = label or service
        with (self.dir / f"{label}.log").open("ab") as log:
            proc = subprocess.Popen(
                argv,
                env=self.env(service, label, more),
                cwd=self.dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(proc)
        return proc

    def run(
        self, service: str, argv: list[str], label: str | None = None, **more: str
    ) -> subprocess.CompletedProcess[str]:
        env = self.env(service, label or service, more)
        return subprocess.run(argv, env=env, cwd=self.dir, capture_output=True, text=True, timeout=120)

    def until_healthy(self, service: str, argv: list[str], timeout: float, label: str | None = None) -> None:
        deadline = time.monotonic() + timeout
        while True:
            result = self.run(service, argv, label)
            if result.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(1)
        log = self.dir / f"{label or service}.log"
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        assert result.returncode == 0, f"{service}: {argv}: {result.stdout} {result.stderr}\n{tail}"


@pytest.fixture
def local(rendered: dict[str, Any], image_path: str, deploy_db: str, tmp_path: Path) -> Iterator[Local]:
    runner = Local(rendered, image_path, deploy_db, tmp_path)
    migrate = runner.run("migrate", rendered["services"]["migrate"]["command"])  # as the one-shot does
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    try:
        yield runner
    finally:
        for proc in runner.started:
            _stop(proc)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nobody listens on it once closed


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_the_api_process_serves_without_asterisk_and_its_health_check_passes(
    rendered: dict[str, Any], local: Local
) -> None:
    """`hotline serve --no-telephony` as the api container runs it: no Asterisk anywhere (ARI and
    AMI ports closed), Celery task mode; /status answers with the database only (Asterisk's checks
    belong to the telephony process), /metrics answers, and the container's own health check passes."""
    service = rendered["services"]["api"]
    port = _free_port()
    local.start("api", service["command"], HOTLINE_API_PORT=str(port))
    check = [a.replace(":8001/", f":{port}/") for a in service["healthcheck"]["test"][1:]]
    assert check != service["healthcheck"]["test"][1:]
    local.until_healthy("api", check, 90)
    status = httpx.get(f"http://127.0.0.1:{port}/status", timeout=10).json()
    assert status == {"ok": True, "components": {"database": {"ok": True, "detail": {}}}}  # details: admins
    assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).status_code == 200
    assert "Traceback" not in (local.dir / "api.log").read_text(errors="replace")


def test_the_worker_and_beat_health_checks_follow_the_real_processes(rendered: dict[str, Any], local: Local) -> None:
    """The worker and beat as their containers start them, on the machine's Redis: each health
    check passes once the process is up; the worker's fails when the model is not in place or its
    worker is gone (another worker of the same host does not answer for it), beat's when its
    schedule goes stale."""
    worker, beat = rendered["services"]["worker"], rendered["services"]["beat"]
    check = worker["healthcheck"]["test"][1:]
    other = local.start("worker", worker["command"], label="other")  # a second worker on the same host
    mine = local.start("worker", worker["command"])
    local.until_healthy("worker", check, 120)
    local.until_healthy("worker", check, 60, label="other")
    assert (local.dir / "worker.node").read_text() != (local.dir / "other.node").read_text()

    schedule = str(local.dir / "celerybeat-schedule")  # /tmp in the container
    beat_argv = [schedule if a == "/tmp/celerybeat-schedule" else a for a in beat["command"]]
    beat_check = [schedule if a == "/tmp/celerybeat-schedule" else a for a in beat["healthcheck"]["test"][1:]]
    assert beat_argv != beat["command"] and beat_check != beat["healthcheck"]["test"][1:]
    beat_proc = local.start("beat", beat_argv)
    local.until_healthy("beat", beat_check, 60)
    _stop(beat_proc)  # a beat that no longer ticks: its schedule file only gets older
    an_hour_ago = time.time() - 3600
    for path in local.dir.glob("celerybeat-schedule*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    stale = local.run("beat", beat_check)
    assert stale.returncode == 1 and "does not tick" in stale.stdout

    model = rendered["services"]["worker"]["environment"]["HOTLINE_VOSK_MODEL"]
    no_model = local.run("worker", check, HOTLINE_VOSK_MODEL=str(local.dir / Path(model).name))
    assert no_model.returncode == 1 and "is not a Vosk model folder" in no_model.stdout  # nothing in ./models

    _stop(mine)
    gone = local.run("worker", [*check, "--timeout", "3"])
    assert gone.returncode == 1 and "did not answer" in gone.stdout, gone.stdout + gone.stderr
    assert local.run("worker", check, label="other").returncode == 0
    _stop(other)


# --- the Asterisk configuration the image renders ----------------------------------------------------------
def test_configuration_renders_every_line_and_keeps_interfaces_on_loopback(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, ari_password="a" * 20, ami_password="b" * 20)  # type: ignore[call-arg,arg-type]
    layout = AsteriskLayout(tmp_path, "unit")
    lines = load_lines()
    etc = render_configuration(settings.asterisk, layout, lines)
    extensions = (etc / "extensions.conf").read_text()
    for line in lines.lines:
        assert f"exten => {line.number},1," in extensions
        assert "Stasis(hotline,incoming,${EXTEN})" in extensions
    assert 'STASISSTATUS}" = "FAILED"' in extensions
    assert "bindaddr = 127.0.0.1" in (etc / "http.conf").read_text()
    assert "bindaddr = 127.0.0.1" in (etc / "manager.conf").read_text()
    assert "a" * 20 in (etc / "ari.conf").read_text()
    assert (etc / "ari.conf").stat().st_mode & 0o777 == 0o640
    modules = (etc / "modules.conf").read_text()
    assert "autoload = no" in modules and "load = app_stasis.so" in modules
    queues = (etc / "queues.conf").read_text()
    assert "[intake]" in queues
    intake, efficiency = queues.split("[intake]")[1], queues.split("[efficiency]")[1].split("[intake]")[0]
    assert "wrapuptime = 10\n" in intake and "wrapuptime = 30\n" in efficiency  # each queue's own (lines file)
    waits = {line.number: line.queue_wait_s or 300 for line in lines.lines}  # 300: render_configuration's default
    for number, wait in waits.items():  # each line's wait before a message rides on its callers' channels
        assert f"{number},1,NoOp" in extensions and f"Set(__HL_QUEUE_WAIT={wait})" in extensions


def test_key_2_keeps_a_callers_place_only_where_calls_can_be_placed(tmp_path: Path) -> None:
    for carrier in (None, "sip:192.0.2.10:5060"):
        settings = Settings(_env_file=None, ari_password="a" * 20, ami_password="b" * 20, carrier_uri=carrier)  # type: ignore[call-arg,arg-type]
        etc = render_configuration(
            settings.asterisk, AsteriskLayout(tmp_path / str(bool(carrier)), "unit"), load_lines()
        )
        exits = (etc / "extensions.conf").read_text().split("[hotline-queue-exit]")[1].split("\n[")[0]
        queues = (etc / "queues.conf").read_text()
        assert "exten => 1,1,Stasis(hotline,queue-message," in exits
        offers = (
            "exten => 2,1,Stasis(hotline,queue-callback,${HL_NUMBER},${HL_QUEUE})" in exits,
            "queue-offer-callback" in queues,
        )
        assert offers == ((True, True) if carrier else (False, False)), carrier


def test_agents_phones_are_rendered_with_digests_only(tmp_path: Path) -> None:
    from casebook.agents.services import sip_digests
    from telephony.runtime.config import PhoneAccount

    settings = Settings(_env_file=None, ari_password="a" * 20, ami_password="b" * 20)  # type: ignore[call-arg,arg-type]
    md5, sha = sip_digests("1001", "the-generated-password")
    etc = render_configuration(
        settings.asterisk, AsteriskLayout(tmp_path, "unit"), load_lines(), phones=[PhoneAccount("1001", md5, sha)]
    )
    pjsip = (etc / "pjsip.conf").read_text()
    assert "[1001]\ntype = endpoint" in pjsip and "context = hotline-agents" in pjsip
    assert f"password_digest = MD5:{md5}" in pjsip and f"password_digest = SHA-256:{sha}" in pjsip
    assert "the-generated-password" not in pjsip and "max_contacts = 1" in pjsip
    assert "[hotline-agents]" in (etc / "extensions.conf").read_text()
