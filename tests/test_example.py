"""The bundled example project shows every kind of finding (the README's first command)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, run_mlvet


def test_example_project_shows_every_kind_of_finding(tmp_path: Path) -> None:
    project = tmp_path / "churn-model"
    shutil.copytree(REPO_ROOT / "examples" / "churn-model", project)
    made = subprocess.run(
        [sys.executable, str(project / "make_artifacts.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    proc = run_mlvet(["run", "--format", "json", str(project)], cwd=tmp_path, env={"CI": ""})
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["errors"] == []
    kinds = {(f["source"], f["rule"]) for f in data["findings"]}
    rules = {rule for _, rule in kinds}
    sources = {source for source, _ in kinds}
    assert {"mlvet", "ruff", "bandit"} <= sources
    for family in ("ML1", "ML2", "ML3", "ML7"):
        assert any(r.startswith(family) for r in rules), family
    assert {"ML401", "ML501", "ML602"} <= rules
    secret = next(f for f in data["findings"] if f["rule"] == "ML501")
    token = (project / ".env").read_text().split("=", 1)[1].strip()
    assert token not in proc.stdout and secret["path"].endswith(".env")
