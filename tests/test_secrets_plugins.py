"""detect-secrets' plugin interface both ways: custom plugins in mlvet, mlvet's in stock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import secrets_fakes as fake
from conftest import run_cli

PLUGIN = """
import re
from detect_secrets.plugins.base import RegexBasedDetector


class AcmeTokenDetector(RegexBasedDetector):
    secret_type = "Acme token"  # pragma: allowlist secret
    denylist = [re.compile(r"acme_[0-9]{12}")]
"""


def test_custom_plugin_file_from_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "acme_plugin.py").write_text(PLUGIN)
    (tmp_path / "app.py").write_text("TOKEN = 'acme_" + "305718264930" + "'\n")
    assert run_cli(["secrets", "app.py"], capsys)[0] == 0
    (tmp_path / ".mlvet.toml").write_text('[secrets]\nplugins = ["acme_plugin.py"]\n')
    code, out, _ = run_cli(["secrets", "app.py", "--format", "json"], capsys)
    (f,) = json.loads(out)["findings"]
    assert code == 1 and (f["name"], f["source"]) == ("acme-token", "detect-secrets")
    run_cli(["secrets", "app.py", "--baseline-write", ".secrets.baseline"], capsys)
    used = json.loads((tmp_path / ".secrets.baseline").read_text())["plugins_used"]
    assert {
        "name": "AcmeTokenDetector",
        "path": "file://" + str(tmp_path / "acme_plugin.py"),
    } in used
    (tmp_path / ".mlvet.toml").write_text('[secrets]\nplugins = ["missing.py"]\n')
    code, _, err = run_cli(["secrets", "app.py"], capsys)
    assert code == 2 and "missing.py: no such file" in err


def test_bundled_plugin_file_works_in_stock_detect_secrets(tmp_path: Path) -> None:
    path = subprocess.run(
        [sys.executable, "-m", "mlvet.data.secrets"], capture_output=True, text=True, check=True
    ).stdout.strip()
    token = fake.hugging_face()
    (tmp_path / "t.py").write_text(f"HF_TOKEN = '{token}'\nOTHER = 'hf_xxx'\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "detect_secrets",
            "scan",
            "--plugin",
            path,
            "--disable-plugin",
            "HexHighEntropyString",
            "--disable-plugin",
            "Base64HighEntropyString",
            "--disable-plugin",
            "KeywordDetector",
            "t.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)["results"]["t.py"]
    assert [(r["type"], r["line_number"]) for r in results] == [("Hugging Face token", 1)]
