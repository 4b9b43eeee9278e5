"""The dependency rule holds: telephony -> ivr / asr -> casebook; casebook knows no telephony or speech.

Checked with import-linter's contracts in pyproject.toml, on the real import graph.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 6 kept, 0 broken" in result.stdout, result.stdout


def test_only_telephony_names_asterisk_interfaces() -> None:
    """No module outside telephony/ opens ARI or AMI URLs or speaks SIP."""
    offenders = []
    for package in ("casebook", "ivr", "asr", "common"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for marker in ("/ari/", "import panoramisk", "from panoramisk", "import pjsua2", "Stasis("):
                if marker in text:
                    offenders.append(f"{path.relative_to(ROOT)}: {marker}")
    assert not offenders, offenders


ROOT_FILES = {
    "platform.py",
    "cli.py",
    "cli_routing.py",
    "worker.py",
    "root.py",
    "services.py",
    "bootstrap.py",
    "asgi.py",
}


def test_only_the_composition_root_reads_the_whole_settings() -> None:
    """Components take their group (`settings.asterisk`, `settings.callbacks`, ...): only the root's
    own files of hotline/ (and common/, which defines it) import `Settings` or `get_settings`."""
    import ast

    offenders = []
    for package in ("telephony", "ivr", "asr", "casebook", "hotline"):
        for path in (ROOT / package).rglob("*.py"):
            if path.parent == ROOT / "hotline" and path.name in ROOT_FILES:
                continue
            if path == ROOT / "hotline" / "features" / "__init__.py":  # the parts the root hands a feature
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "common.settings":
                    whole = {a.name for a in node.names} & {"Settings", "get_settings"}
                    if whole:
                        offenders.append(f"{path.relative_to(ROOT)}: {sorted(whole)}")
    assert not offenders, offenders


def test_the_root_builds_every_feature_folder_and_nothing_else() -> None:
    """A feature is a folder of hotline/features/ with a `wiring.py`; the root's `FEATURES` names
    each once (one line), and each wiring takes the process's parts and returns its `Feature`."""
    import importlib
    import inspect

    from hotline.platform import FEATURES

    folders = {path.parent.name for path in (ROOT / "hotline" / "features").glob("*/wiring.py")}
    assert sorted(FEATURES) == sorted(folders)
    for name in FEATURES:
        wiring = importlib.import_module(f"hotline.features.{name}.wiring")
        assert list(inspect.signature(wiring.feature).parameters) == ["parts"], name
