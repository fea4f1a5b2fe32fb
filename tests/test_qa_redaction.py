"""Black-box QA: a credential is never printed whole, whichever door prints it.

The tokens are fake and built at run time (tests/secrets_fakes.py); every test greps all
output (stdout, stderr, every format) for the full value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from secrets_fakes import hugging_face, rand

FORMATS = ["text", "json", "sarif", "github"]


def _github_token() -> str:
    return "ghp" + "_" + rand(36)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    (tmp_path / ".mlvet.toml").write_text("[audit]\noffline = true\n")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("fmt", FORMATS)
def test_credentials_in_a_vcs_requirement_url_are_not_echoed_by_audit(
    offline: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    token = _github_token()
    (offline / "requirements.txt").write_text(
        f"private-pkg @ git+https://{token}@github.com/org/repo.git\n"
        f"other @ git+https://user:{token}@example.com/org/other.git\n"
    )
    code, out, err = run_cli(["audit", "--format", fmt, "requirements.txt"], capsys)
    assert code == 1  # ML602: unpinned VCS requirements
    assert "ML602" in out
    assert token not in out + err
    assert token[:4] in out  # the first characters still say which credential it was


@pytest.mark.parametrize("fmt", FORMATS)
def test_credentials_in_urls_are_masked_in_every_writer(
    offline: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    token = _github_token()
    (offline / "requirements.txt").write_text(
        f"private-pkg @ git+https://{token}@github.com/org/repo.git\n"
    )
    code, out, err = run_cli(
        [
            "run",
            "--hooks",
            "audit-dependencies",
            "--format",
            fmt,
            "--sarif",
            "r.sarif",
            "--json",
            "r.json",
            "--summary",
            "s.md",
            "--annotations",
            ".",
        ],
        capsys,
    )
    assert code == 1
    for text in (
        out,
        err,
        *(p.read_text() for p in (offline / "r.sarif", offline / "r.json", offline / "s.md")),
    ):
        assert token not in text


def test_audit_does_not_echo_a_token_on_an_unparsable_line(
    offline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = hugging_face()
    (offline / "requirements.txt").write_text(f"numpy==1.26.4\nbroken line {token}\n")
    code, out, err = run_cli(["audit", "--format", "json", "requirements.txt"], capsys)
    assert code == 1
    assert json.loads(out)["errors"][0]["path"] == "requirements.txt"
    assert token not in out + err


def test_audit_include_of_a_non_requirements_file_is_one_line_without_its_content(
    offline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = hugging_face()
    (offline / ".env").write_text(f"HF_TOKEN={token}\nWANDB_MODE=offline\nSEED=1\n")
    (offline / "requirements.txt").write_text("-r .env\nnumpy==1.26.4\n")
    code, out, err = run_cli(["audit", "--format", "json", "requirements.txt"], capsys)
    assert code == 1
    errors = json.loads(out)["errors"]
    assert [e["path"] for e in errors] == [".env"]  # one line for the file, not one per line
    assert token not in out + err
