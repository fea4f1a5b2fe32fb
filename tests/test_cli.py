"""The CLI end to end on real files: discovery, formats, config, baselines, bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import git, make_notebook, notebook_text, run_cli, run_mlvet

BAD = "import pickle\n\n\ndef restore(path):\n    with open(path, 'rb') as fh:\n        return pickle.load(fh)\n"


def _json(out: str) -> dict:  # type: ignore[type-arg]
    return json.loads(out)


def test_check_reports_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "train.py").write_text(BAD)
    (tmp_path / "ok.py").write_text("import json\n")
    code, out, err = run_cli(["check", str(tmp_path)], capsys)
    assert code == 1
    assert f"{tmp_path}/train.py:6:16: ML101 " in out
    assert err == ""


def test_relative_paths_stay_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["check", "--format", "json", "src"], capsys)
    assert code == 1
    assert [f["path"] for f in _json(out)["findings"]] == ["src/train.py"]


def test_discovery_skips_environments_and_gitignored(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for rel in (".venv/lib/x.py", "node_modules/m/x.py", "build/x.py", "ignored/x.py", "src/x.py"):
        path = git_repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(BAD)
    (git_repo / ".gitignore").write_text("ignored/\n")
    monkeypatch.chdir(git_repo)
    code, out, _ = run_cli(["check", "--format", "json", "."], capsys)
    assert code == 1
    assert sorted({f["path"] for f in _json(out)["findings"]}) == ["src/x.py"]


def test_discovery_outside_git_skips_virtualenvs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "myenv").mkdir()
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "myenv" / "x.py").write_text(BAD)
    (tmp_path / "a.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["check", "--format", "json", "."], capsys)
    assert code == 1
    assert {f["path"] for f in _json(out)["findings"]} == {"a.py"}


def test_exclude_holds_for_files_named_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mlvet]\nexclude = ["legacy/**"]\n')
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["check", "legacy/old.py"], capsys)
    assert code == 0
    assert "No findings" in out


def test_select_ignore_and_fail_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t.py").write_text(BAD)
    assert run_cli(["check", "--select", "ML2", str(tmp_path)], capsys)[0] == 0
    assert run_cli(["check", "--select", "ML1", "--ignore", "ML101", str(tmp_path)], capsys)[0] == 0
    assert run_cli(["check", "--select", "ML10", str(tmp_path)], capsys)[0] == 1
    assert run_cli(["check", "--exit-zero", str(tmp_path)], capsys)[0] == 0


def test_severity_override_and_fail_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".mlvet.toml").write_text('fail-on = "error"\n[severity]\nML101 = "warning"\n')
    (tmp_path / "t.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["check", "--format", "json", "."], capsys)
    assert code == 0
    assert _json(out)["findings"][0]["severity"] == "warning"
    assert run_cli(["check", "--fail-on", "warning", "."], capsys)[0] == 1


def test_per_file_ignores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".mlvet.toml").write_text('[per-file-ignores]\n"tests/**" = ["ML101"]\n')
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.py").write_text(BAD)
    (tmp_path / "main.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    _, out, _ = run_cli(["check", "--format", "json", "."], capsys)
    assert [f["path"] for f in _json(out)["findings"]] == ["main.py"]


def test_inline_suppression_in_script_and_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.py").write_text(
        "import pickle\nx = pickle.load(f)  # mlvet: ignore[ML101]\ny = pickle.loads(b)  # mlvet: ignore\n"
        "z = pickle.loads(b)  # mlvet: ignore[ML102]\n"
    )
    nb = make_notebook(
        ["import pickle", "a = pickle.load(f)  # mlvet: ignore[ML101]\nb = pickle.load(g)"]
    )
    (tmp_path / "n.ipynb").write_text(notebook_text(nb))
    code, out, _ = run_cli(["check", "--format", "json", str(tmp_path)], capsys)
    assert code == 1
    found = [(Path(f["path"]).name, f["cell"], f["line"]) for f in _json(out)["findings"]]
    assert found == [("a.py", None, 4), ("n.ipynb", 2, 2)]


def test_notebook_finding_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sarif_validator: object
) -> None:
    nb = make_notebook([("markdown", "# hi"), "import pickle\n\nobj = pickle.load(f)"])
    text = notebook_text(nb)
    path = tmp_path / "n.ipynb"
    path.write_text(text)
    _, out, _ = run_cli(["check", str(path)], capsys)
    assert f"{path}:cell_2:3:7: ML101" in out
    _, out, _ = run_cli(["check", "--format", "sarif", str(path)], capsys)
    sarif = json.loads(out)
    sarif_validator.validate(sarif)  # type: ignore[attr-defined]
    line = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert "obj = pickle.load(f)" in text.splitlines()[line - 1]
    _, out, _ = run_cli(["check", "--format", "github", str(path)], capsys)
    assert f"file={path},line={line},title=ML101 pickle-load::" in out


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t.py").write_text(BAD)
    report = tmp_path / "out" / "r.json"
    code, out, _ = run_cli(
        ["check", "--format", "json", "--output", str(report), str(tmp_path / "t.py")], capsys
    )
    assert code == 1 and out == ""
    assert _json(report.read_text())["findings"][0]["rule"] == "ML101"


def test_baseline_survives_moved_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("t.py").write_text(BAD)
    code, _, err = run_cli(["check", "--baseline-write", "base.json", "t.py"], capsys)
    assert code == 0 and "wrote 1 finding" in err
    Path("t.py").write_text("# a new header\nimport os\n\n" + BAD)
    code, out, _ = run_cli(["check", "--baseline", "base.json", "t.py"], capsys)
    assert code == 0, out
    Path("t.py").write_text(BAD + "\n\ndef again(p):\n    return pickle.loads(p)\n")
    code, out, _ = run_cli(["check", "--format", "json", "--baseline", "base.json", "t.py"], capsys)
    assert code == 1
    assert [f["line"] for f in _json(out)["findings"]] == [10]


def test_missing_baseline_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["check", "--baseline", str(tmp_path / "nope.json"), str(tmp_path)], capsys
    )
    assert code == 2 and "baseline file not found" in err


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("syntax.py", b"def broken(:\n", "syntax error"),
        ("binary.py", b"\x7fELF\x00\x00\x01", "binary file"),
        ("latin.py", b"x = '\xe9t\xe9'\n", "not valid utf-8"),
        ("broken.ipynb", b'{"cells": [', "not valid JSON"),
        ("v3.ipynb", b'{"worksheets": [], "nbformat": 3}', "not a Jupyter notebook"),
        ("deep.py", b"x = " + b"[" * 3000 + b"]" * 3000 + b"\n", "nested"),
    ],
)
def test_bad_input_one_line_and_run_goes_on(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "real.py").write_text(BAD)
    proc = run_mlvet(["check", "."], cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("mlvet: error:")]
    assert len(errors) == 1 and name in errors[0] and reason.lower() in errors[0].lower()
    assert "real.py:6:16: ML101" in proc.stdout
    proc = run_mlvet(["check", "--format", "json", "."], cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert [e["path"] for e in data["errors"]] == [name]


def test_missing_path_and_broken_symlink(tmp_path: Path) -> None:
    os.symlink(tmp_path / "gone.py", tmp_path / "link.py")
    proc = run_mlvet(["check", "nowhere.py", "link.py"], cwd=tmp_path)
    assert proc.returncode == 1
    assert "nowhere.py: no such file or directory" in proc.stderr
    assert "link.py: broken symbolic link" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_config_exits_2_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.mlvet]\nfail-on = 'sometimes'\n")
    proc = run_mlvet(["check", "."], cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "fail-on" in proc.stderr


def test_usage_error_exits_2(tmp_path: Path) -> None:
    proc = run_mlvet(["check", "--format", "yaml", "."], cwd=tmp_path)
    assert proc.returncode == 2


def test_version_and_rules(capsys: pytest.CaptureFixture[str]) -> None:
    from mlvet import __version__

    code, out, _ = run_cli(["--version"], capsys)
    assert (code, out.strip()) == (0, f"mlvet {__version__}")
    code, out, _ = run_cli(["rules"], capsys)
    assert code == 0 and "ML101  pickle-load" in out
    code, out, _ = run_cli(["rule", "ML102"], capsys)
    assert code == 0
    for section in (
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## References",
    ):
        assert section in out
    code, _, err = run_cli(["rule", "ML999"], capsys)
    assert code == 2 and "unknown rule" in err


def test_parallel_run_equals_serial(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Files of many sizes (workers take the largest first), some of them broken.
    for i in range(80):
        body = BAD if i % 3 == 0 else "import json\n"
        (tmp_path / f"m{i:02d}.py").write_text(body + "# pad\n" * ((i * 37) % 50))
    (tmp_path / "broken.py").write_text("def f(:\n" + "# pad\n" * 200)
    (tmp_path / "latin.py").write_bytes(b"x = '\xe9'\n")
    _, serial, _ = run_cli(["check", "--format", "json", "--jobs", "1", str(tmp_path)], capsys)
    _, parallel, _ = run_cli(["check", "--format", "json", "--jobs", "2", str(tmp_path)], capsys)
    assert _json(serial) == _json(parallel)
    assert len(_json(serial)["findings"]) == 27
    assert [e["path"].rpartition("/")[2] for e in _json(serial)["errors"]] == [
        "broken.py",
        "latin.py",
    ]


def test_workers_started_during_discovery_check_each_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlvet.engine

    for i in range(150):
        body = BAD if i % 4 == 0 else "import json\n"
        (tmp_path / f"m{i:03d}.py").write_text(body + "# pad\n" * ((i * 37) % 50))
    (tmp_path / "broken.py").write_text("def f(:\n" + BAD)
    # A "large" run from the 40th file on, with small chunks, so discovery hands out
    # chunks early and the rest go out afterwards, largest first.
    monkeypatch.setattr(mlvet.engine, "FULL_PARSE_LIMIT", 40)
    monkeypatch.setattr(mlvet.engine.EarlyStart, "CHUNK", 8)
    early: list[tuple[int, int]] = []
    close = mlvet.engine.EarlyStart.close

    def spy(self: mlvet.engine.EarlyStart) -> None:
        early.append((self.sent, len(self.found)))
        close(self)

    monkeypatch.setattr(mlvet.engine.EarlyStart, "close", spy)
    _, serial, _ = run_cli(["check", "--format", "json", "--jobs", "1", str(tmp_path)], capsys)
    assert early == []  # one process: nothing to start early
    _, parallel, _ = run_cli(["check", "--format", "json", "--jobs", "2", str(tmp_path)], capsys)
    assert _json(serial) == _json(parallel)
    assert len(_json(parallel)["findings"]) == 38  # none from the file that does not parse
    assert [e["path"].rpartition("/")[2] for e in _json(parallel)["errors"]] == ["broken.py"]
    [(sent, found)] = early
    assert found == 151 and 0 < sent < found


def test_git_repo_paths_from_subfolder(
    git_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (git_repo / "pkg").mkdir()
    (git_repo / "pkg" / "t.py").write_text(BAD)
    git(git_repo, "add", ".")
    monkeypatch.chdir(git_repo / "pkg")
    code, out, _ = run_cli(["check", "--format", "json", "."], capsys)
    assert code == 1
    assert [f["path"] for f in _json(out)["findings"]] == ["t.py"]


def test_large_runs_parse_only_what_a_rule_could_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlvet.engine

    (tmp_path / "broken.py").write_text("def f(:\n")
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text("x = 1\n")
    monkeypatch.setattr(mlvet.engine, "FULL_PARSE_LIMIT", 2)
    code, _, err = run_cli(["check", str(tmp_path)], capsys)
    assert code == 0 and err == ""  # not parsed: no rule could match it
    code, _, err = run_cli(["check", str(tmp_path), str(tmp_path / "broken.py")], capsys)
    assert code == 1 and "broken.py: syntax error" in err  # named files are always parsed


def test_concurrent_baseline_writes_never_corrupt(tmp_path: Path) -> None:
    import subprocess
    import sys

    for i in range(30):
        (tmp_path / f"m{i}.py").write_text(BAD)
    # ML1 only: with ML4 on, the other writers' temp files would be scanned as they vanish.
    cmd = [
        sys.executable,
        "-m",
        "mlvet",
        "check",
        "--select",
        "ML1",
        "--baseline-write",
        "base.json",
        ".",
    ]
    for _ in range(3):
        procs = [
            subprocess.Popen(
                cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            for _ in range(4)
        ]
        assert all(p.wait(timeout=120) == 0 for p in procs)
        data = json.loads((tmp_path / "base.json").read_text())
        assert len(data["findings"]) == 30
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
