"""Black-box QA of the shared CLI doors: usage errors, output files, baselines, `run`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

BAD = "import pickle\n\n\ndef restore(path):\n    with open(path, 'rb') as fh:\n        return pickle.load(fh)\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "train.py").write_text(BAD)
    # `run` includes the dependency audit: keep it offline and out of CI's strict mode.
    (tmp_path / ".mlvet.toml").write_text("[audit]\noffline = true\n")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    return lines[0]


@pytest.mark.parametrize("content", [None, "{", "[1, 2]", '{"findings": 3}'])
def test_unreadable_baseline_is_a_usage_error_not_an_internal_one(
    project: Path, capsys: pytest.CaptureFixture[str], content: str | None
) -> None:
    if content is not None:
        (project / "base.json").write_text(content)
    code, out, err = run_cli(["check", "--baseline", "base.json", "."], capsys)
    assert code == 2
    line = _one_error_line(err)
    assert line.startswith("mlvet: error: base.json")
    assert out == ""


def test_unreadable_baseline_through_run_and_strip(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["run", "--hooks", "mlvet", "--baseline", "nope.json", "."], capsys)
    assert code == 2
    assert _one_error_line(err).startswith("mlvet: error: nope.json")
    code, _, err = run_cli(["strip", "--check", "--baseline", "nope.json", "."], capsys)
    assert code == 2
    assert _one_error_line(err).startswith("mlvet: error: nope.json")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_output_into_a_folder_is_one_clear_line(
    project: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    (project / "out").mkdir()
    code, _, err = run_cli(["check", "--format", fmt, "--output", "out", "."], capsys)
    assert code == 2
    line = _one_error_line(err)
    assert line.startswith("mlvet: error: cannot write out")
    assert not any(p.name.endswith(".tmp") for p in project.iterdir())


def test_output_below_a_file_is_one_clear_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["check", "--output", "train.py/report.txt", "."], capsys)
    assert code == 2
    assert "cannot write train.py/report.txt" in _one_error_line(err)
    assert (project / "train.py").read_text() == BAD  # nothing lost


def test_baseline_write_into_a_folder_is_one_clear_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "base").mkdir()
    code, _, err = run_cli(["check", "--baseline-write", "base", "."], capsys)
    assert code == 2
    assert "cannot write base" in _one_error_line(err)


@pytest.mark.parametrize("flag", ["--sarif", "--json", "--summary", "--outputs"])
def test_run_side_files_that_cannot_be_written(
    project: Path, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    (project / "side").mkdir()
    code, _, err = run_cli(["run", "--hooks", "mlvet", flag, "side", "."], capsys)
    assert code == 2
    lines = [ln for ln in err.splitlines() if "cannot write side" in ln]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize("hooks", ["", " ", ",", " , "])
def test_run_with_an_empty_hook_list_runs_the_default_checks(
    project: Path, capsys: pytest.CaptureFixture[str], hooks: str
) -> None:
    # The Action passes its `hooks` input straight through; an empty input must not
    # turn the job into a silent pass.
    code, out, _ = run_cli(["run", "--hooks", hooks, "--format", "json", "train.py"], capsys)
    assert code == 1
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert "ML101" in rules


def test_run_unknown_hook_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["run", "--hooks", "mlvet,nope", "."], capsys)
    assert code == 2
    assert "nope" in _one_error_line(err)
    assert out == ""


def test_exit_zero_still_fails_on_unreadable_files(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "broken.py").write_text("def f(:\n")
    code, _, err = run_cli(["check", "--exit-zero", "."], capsys)
    assert code == 1
    assert "broken.py: syntax error" in err


def test_run_baseline_filters_every_side_file_alike(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run_cli(["run", "--hooks", "mlvet", "--baseline-write", "base.json", "."], capsys)[0] == 0
    )
    (project / "new.py").write_text("import yaml\nyaml.load(open('c.yaml'))\n")
    code, out, _ = run_cli(
        [
            "run",
            "--hooks",
            "mlvet",
            "--baseline",
            "base.json",
            "--format",
            "json",
            "--sarif",
            "r.sarif",
            "--json",
            "r.json",
            "--outputs",
            "outputs.txt",
            ".",
        ],
        capsys,
    )
    assert code == 1
    assert [f["path"] for f in json.loads(out)["findings"]] == ["new.py"]
    assert [f["path"] for f in json.loads((project / "r.json").read_text())["findings"]] == [
        "new.py"
    ]
    sarif = json.loads((project / "r.sarif").read_text())
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for run in sarif["runs"]
        for r in run["results"]
    ]
    assert uris == ["new.py"]
    assert "total=1\n" in (project / "outputs.txt").read_text()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("syntax.py", b"def broken(:\n"),
        ("binary.py", b"\x7fELF\x00\x00\x01\x02" * 64),
        ("latin.py", b"x = '\xe9t\xe9'\n"),
        ("truncated.ipynb", b'{"cells": ['),
        ("empty.ipynb", b""),
        ("v3.ipynb", b'{"worksheets": [], "nbformat": 3}'),
    ],
)
def test_run_names_a_broken_file_once_whatever_the_number_of_hooks(
    project: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes
) -> None:
    (project / name).write_bytes(content)
    code, out, err = run_cli(
        ["run", "--hooks", "mlvet,ruff-ml,bandit-ml,detect-ml-secrets", "."], capsys
    )
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.startswith("mlvet: error:")]
    assert len(lines) == 1 and lines[0].startswith(f"mlvet: error: {name}: "), err
    assert "train.py:6:16: ML101" in out
    code, out, _ = run_cli(
        ["run", "--hooks", "mlvet,ruff-ml,bandit-ml", "--format", "json", "."], capsys
    )
    assert [e["path"] for e in json.loads(out)["errors"]] == [name]


def test_notebook_with_several_broken_cells_is_one_error_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import make_notebook, notebook_text

    nb = make_notebook(["def f(:\n", "import pickle\npickle.loads(b'')\n", "x = (\n"])
    (project / "nb.ipynb").write_text(notebook_text(nb))
    for command in (["check"], ["bandit"]):
        code, out, _ = run_cli([*command, "--format", "json", "nb.ipynb"], capsys)
        assert code == 1
        data = json.loads(out)
        assert data["findings"], command  # the good cell is still checked
        (error,) = data["errors"]
        assert error["path"] == "nb.ipynb"
        assert "cell 1" in error["message"] and "cell 3" in error["message"]


def test_baseline_matches_however_the_path_is_spelled(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "src").mkdir()
    (project / "train.py").rename(project / "src" / "train.py")
    assert run_cli(["check", "--baseline-write", "base.json", "."], capsys)[0] == 0
    for spelling in ("src", "./src", "src/", "./src/train.py", "src/../src"):
        code, out, _ = run_cli(["check", "--baseline", "base.json", spelling], capsys)
        assert code == 0, (spelling, out)


def test_run_with_an_ml_only_select_keeps_ruff_and_bandit_findings(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The README's own example: `select` names native families. `mlvet ruff` and
    # `mlvet bandit` then still report (their codes are not ML codes); `mlvet run`,
    # the Action's command, must agree with them.
    (project / ".mlvet.toml").write_text('select = ["ML1", "ML4"]\n[audit]\noffline = true\n')
    (project / "seeds.py").write_text("import numpy as np\nx = np.random.rand(3)\n")
    code, out, _ = run_cli(
        ["run", "--hooks", "mlvet,ruff-ml,bandit-ml", "--format", "json", "."], capsys
    )
    assert code == 1
    by_source = {(f["source"], f["rule"]) for f in json.loads(out)["findings"]}
    assert ("mlvet", "ML101") in by_source
    assert ("ruff", "S301") in by_source and ("bandit", "B301") in by_source
    assert ("mlvet", "ML201") not in by_source  # the native selection still holds
    # --select on the run itself filters everything, wrapped codes included.
    code, out, _ = run_cli(
        ["run", "--hooks", "mlvet,ruff-ml", "--select", "S301", "--format", "json", "."], capsys
    )
    assert {f["rule"] for f in json.loads(out)["findings"]} == {"S301"}


def test_run_on_named_files_audits_only_dependency_files(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The Action's changed-only mode names files; the audit must not warn about every
    # changed source file, and must still audit a changed requirements file.
    code, _, err = run_cli(["run", "--hooks", "audit-dependencies,mlvet", "train.py"], capsys)
    assert code == 1
    assert "not a dependency file" not in err
    (project / "requirements.txt").write_text("numpy\n")
    code, out, err = run_cli(
        [
            "run",
            "--hooks",
            "audit-dependencies",
            "--format",
            "json",
            "train.py",
            "requirements.txt",
        ],
        capsys,
    )
    assert code == 1
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["ML602"]
    assert "not a dependency file" not in err


def test_dependency_file_pattern_matches_the_manifest() -> None:
    import yaml
    from conftest import REPO_ROOT
    from mlvet.hookspec import DEPENDENCY_FILES

    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    (audit,) = [h for h in hooks if h["id"] == "audit-dependencies"]
    assert audit["files"] == DEPENDENCY_FILES.pattern


def test_baseline_write_still_names_unreadable_files(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "broken.py").write_text("def f(:\n")
    code, _, err = run_cli(["check", "--baseline-write", "base.json", "."], capsys)
    assert code == 1  # the baseline is written, but a file went unchecked
    assert "mlvet: error: broken.py: syntax error" in err
    assert len(json.loads((project / "base.json").read_text())["findings"]) == 1
