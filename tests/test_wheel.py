"""The built wheel in a fresh virtual environment: every console entry works."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import REPO_ROOT

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(dist),
            str(REPO_ROOT),
        ]
    )
    assert built.returncode == 0, built.stderr
    wheels = list(dist.glob("mlvet-*.whl"))
    assert len(wheels) == 1
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip = _run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheels[0])])
    assert pip.returncode == 0, pip.stderr
    return env_dir / "bin"


def test_console_entry_and_every_subcommand(installed: Path, tmp_path: Path) -> None:
    mlvet = str(installed / "mlvet")
    from mlvet import __version__
    from mlvet.cli import COMMANDS

    proc = _run([mlvet, "--version"])
    assert proc.returncode == 0 and proc.stdout.strip() == f"mlvet {__version__}"
    for name in COMMANDS:
        proc = _run([mlvet, name, "--help"])
        assert proc.returncode == 0, (name, proc.stderr)
        assert "usage: mlvet " + name in proc.stdout
    (tmp_path / "t.py").write_text("import pickle\nobj = pickle.loads(blob)\n")
    proc = _run([mlvet, "check", "t.py"], cwd=tmp_path)
    assert proc.returncode == 1 and "t.py:2:7: ML101" in proc.stdout
    proc = _run([str(installed / "python"), "-m", "mlvet", "rule", "ML101"])
    assert proc.returncode == 0 and "## What it does" in proc.stdout


def test_core_install_stays_light_and_data_ships(installed: Path) -> None:
    code = (
        "import importlib.resources as r, sys, mlvet.cli\n"
        "assert 'torch' not in sys.modules and 'tensorflow' not in sys.modules\n"
        "print('\\n'.join(sorted(p.name for p in (r.files('mlvet') / 'data').iterdir())))\n"
    )
    proc = _run([str(installed / "python"), "-c", code])
    assert proc.returncode == 0, proc.stderr
    shipped = set(proc.stdout.split())
    expected = {
        p.name
        for p in (REPO_ROOT / "hooks" / "mlvet" / "data").iterdir()
        if p.name != "__pycache__"
    }
    assert expected <= shipped
    proc = _run([str(installed / "python"), "-m", "pip", "list", "--format=freeze"])
    names = {line.split("==")[0].lower() for line in proc.stdout.splitlines()}
    assert not names & {"torch", "tensorflow", "ruff", "bandit", "safety", "detect-secrets"}
