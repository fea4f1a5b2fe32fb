"""Shared test helpers: run the real engine on real text, notebooks and git repos."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from mlvet.cli import main
from mlvet.config import Config
from mlvet.engine import NATIVE_PREFIXES, check_source, selected_rules
from mlvet.findings import Finding
from mlvet.sources import Source, notebook_source

REPO_ROOT = Path(__file__).resolve().parent.parent


def check_code(
    code: str,
    select: Sequence[str] | None = None,
    path: str = "snippet.py",
    config: Config | None = None,
) -> list[Finding]:
    """Run the native rules on Python source text (no file needed)."""
    config = config or Config()
    if select:
        config = config.with_cli(select=list(select))
    rules = selected_rules(config, NATIVE_PREFIXES)
    source = Source(path=path, kind="python", text=code, lines=code.splitlines())
    findings, errors = check_source(source, config, rules)
    assert not errors, errors
    return findings


def codes(code: str, select: Sequence[str] | None = None) -> list[str]:
    return [f.rule for f in check_code(code, select)]


def make_notebook(
    cells: Sequence[str | tuple[str, str] | dict[str, Any]],
    *,
    language: str = "python",
    nbformat_minor: int = 5,
) -> dict[str, Any]:
    """Cells given as code text, (cell_type, text), or ready-made dicts."""
    out: list[dict[str, Any]] = []
    for i, cell in enumerate(cells):
        if isinstance(cell, dict):
            out.append(cell)
            continue
        kind, text = ("code", cell) if isinstance(cell, str) else cell
        lines = text.splitlines(keepends=True)
        entry: dict[str, Any] = {"cell_type": kind, "id": f"c{i}", "metadata": {}, "source": lines}
        if kind == "code":
            entry.update(execution_count=None, outputs=[])
        out.append(entry)
    return {
        "cells": out,
        "metadata": {
            "kernelspec": {"display_name": language, "language": language, "name": language},
            "language_info": {"name": language},
        },
        "nbformat": 4,
        "nbformat_minor": nbformat_minor,
    }


def notebook_text(nb: dict[str, Any]) -> str:
    """nbformat's own on-disk layout: indent 1, sorted keys, trailing newline."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def check_notebook(
    nb: dict[str, Any], select: Sequence[str] | None = None, path: str = "nb.ipynb"
) -> list[Finding]:
    config = Config()
    if select:
        config = config.with_cli(select=list(select))
    rules = selected_rules(config, NATIVE_PREFIXES)
    source = notebook_source(path, notebook_text(nb).encode())
    findings, errors = check_source(source, config, rules)
    assert not errors, errors
    return findings


def run_cli(args: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_mlvet(
    args: Sequence[str], cwd: Path | str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real console entry in a subprocess (for exit codes, stderr, no tracebacks)."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "mlvet", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
        check=False,
    )


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo


def sarif_schema_path() -> Path | None:
    env = os.environ.get("MLVET_SARIF_SCHEMA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json")
    return next((p for p in candidates if p.is_file()), None)


@pytest.fixture
def sarif_validator() -> Any:
    path = sarif_schema_path()
    if path is None:
        pytest.skip("SARIF 2.1.0 schema not found (../shared/schemas or $MLVET_SARIF_SCHEMA)")
    import jsonschema

    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def without_site_packages(tmp_path: Path) -> str:
    """PYTHONPATH for `python -S -m mlvet` with no third-party package but mlvet's own
    required ones (tomli below Python 3.11): how a missing optional tool looks."""
    hooks = Path(__file__).resolve().parent.parent / "hooks"
    if sys.version_info >= (3, 11):
        return str(hooks)
    import shutil

    import tomli

    deps = tmp_path / "required-deps"
    shutil.copytree(Path(tomli.__file__).parent, deps / "tomli")
    return os.pathsep.join((str(hooks), str(deps)))
