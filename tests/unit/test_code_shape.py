"""The shape of the production code: no module over 500 lines, no function over 60 (issue 14).

Migrations are left out (they are written once and read as a whole). What was over the limits
when the rule came is listed with its size then: it may shrink, never grow, and leaves the list
when it is within the limits (the test says so); nothing new may join it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("casebook", "ivr", "asr", "telephony", "common", "hotline")
MODULE_LINES, FUNCTION_LINES = 500, 60

MODULES_OVER: dict[str, int] = {}
FUNCTIONS_OVER: dict[str, int] = {}


def _modules() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


def _sizes() -> tuple[dict[str, int], dict[str, int]]:
    modules: dict[str, int] = {}
    functions: dict[str, int] = {}
    for path in _modules():
        name = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        modules[name] = len(text.splitlines())
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno is not None:
                key = f"{name}:{node.name}"
                functions[key] = max(functions.get(key, 0), node.end_lineno - node.lineno + 1)
    return modules, functions


def _judge(sizes: dict[str, int], listed: dict[str, int], limit: int) -> list[str]:
    wrong = [
        f"{name}: {size} lines (the limit is {limit})"
        for name, size in sizes.items()
        if size > limit and name not in listed
    ]
    for name, then in listed.items():
        now = sizes.get(name, 0)
        if now > then:
            wrong.append(f"{name}: grew from {then} to {now} lines (it is over {limit}: make it smaller)")
        elif now <= limit:
            wrong.append(f"{name}: {now} lines, within the limit now: take it off the list")
    return wrong


def test_no_module_over_500_lines_and_none_of_the_old_ones_grows() -> None:
    modules, _ = _sizes()
    assert _judge(modules, MODULES_OVER, MODULE_LINES) == []


def test_no_function_over_60_lines_and_none_of_the_old_ones_grows() -> None:
    _, functions = _sizes()
    assert _judge(functions, FUNCTIONS_OVER, FUNCTION_LINES) == []
