"""Black-box QA of configuration edge cases: a config mlvet cannot read is never
silently replaced by the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

BAD = "import pickle\n\n\ndef restore(path):\n    with open(path, 'rb') as fh:\n        return pickle.load(fh)\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "train.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_non_utf8_pyproject_with_an_mlvet_table_is_a_config_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Latin-1 bytes in a comment: the [tool.mlvet] below must not be ignored in silence.
    (project / "pyproject.toml").write_bytes(b'# caf\xe9\n[tool.mlvet]\nignore = ["ML101"]\n')
    code, out, err = run_cli(["check", "."], capsys)
    assert code == 2, out
    assert err.startswith("mlvet: error: ") and "pyproject.toml" in err
    assert len(err.strip().splitlines()) == 1


def test_non_utf8_pyproject_without_mlvet_is_not_ours_to_judge(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_bytes(b"# caf\xe9\n[tool.black]\nline-length = 100\n")
    code, out, _ = run_cli(["check", "."], capsys)
    assert code == 1 and "ML101" in out


def test_mlvet_toml_that_is_a_folder_is_a_config_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".mlvet.toml").mkdir()
    (project / "pyproject.toml").write_text('[tool.mlvet]\nignore = ["ML101"]\n')
    code, out, _ = run_cli(["check", "."], capsys)
    assert code == 0, out  # the folder is not a config; pyproject.toml is used


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ('select = ["ML1"]\nselect = ["ML2"]\n', "not valid TOML"),
        ('fail-on = "fatal"\n', "fail-on"),
        ("exclude = [1]\n", "exclude"),
        ("per-file-ignores = 3\n", "per-file-ignores"),
        ('max-artifact-size = "-5MB"\n', "max-artifact-size"),
        ('[severity]\nML101 = "loud"\n', "severity"),
    ],
)
def test_bad_dot_mlvet_toml_is_one_line_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], table: str, needle: str
) -> None:
    (project / ".mlvet.toml").write_text(table)
    for command in (["check"], ["run", "--hooks", "mlvet"], ["strip", "--check"], ["ruff"]):
        code, out, err = run_cli([*command, "."], capsys)
        assert code == 2, (command, out)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("mlvet: error: ") and needle in lines[0]


@pytest.mark.parametrize("command", [["rules"], ["rule", "ML101"], ["rules", "--format", "json"]])
def test_rule_docs_do_not_depend_on_a_readable_config(
    project: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    # Reading the docs is how a user finds out what to fix in a broken config.
    (project / "pyproject.toml").write_text('[tool.mlvet]\nfail-on = "never"\n')
    code, out, err = run_cli(command, capsys)
    assert code == 0, err
    assert "ML101" in out and err == ""
