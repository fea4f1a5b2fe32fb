"""`mlvet strip` end to end: exit codes, --check, output formats, config, concurrency."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import git, make_notebook, notebook_text, run_cli, run_mlvet
from mlvet.wrappers.strip import StripOptions, strip_notebook


def dirty(n: int = 3, text: str = "step\n") -> dict[str, Any]:
    cells: list[Any] = [("markdown", "# Experiment")]
    for i in range(n):
        cells.append(
            {
                "cell_type": "code",
                "execution_count": i + 1,
                "id": f"cell-{i}",
                "metadata": {"scrolled": True},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": [text]}],
                "source": [f"print({i})"],
            }
        )
    nb = make_notebook(cells)
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def clean() -> dict[str, Any]:
    return make_notebook([("markdown", "# Notes"), "import numpy as np\n"])


def put(path: Path, nb: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(notebook_text(nb), encoding="utf-8")
    return path


def expected_text(nb: dict[str, Any]) -> str:
    res = strip_notebook(notebook_text(nb).encode(), StripOptions())
    assert res.text is not None
    return res.text


def test_check_reports_and_never_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb_path = put(tmp_path / "train.ipynb", dirty())
    data, mtime = nb_path.read_bytes(), nb_path.stat().st_mtime_ns
    for flag in ("--check", "--dry-run"):
        rc, out, err = run_cli(["strip", flag, "--format", "json", str(nb_path)], capsys)
        assert rc == 1, err
        report = json.loads(out)
        (f,) = report["findings"]
        assert f["rule"] == "ML301" and f["name"] == "notebook-outputs"
        assert f["source"] == "nbstripout" and f["severity"] == "warning"
        assert f["cell"] == 2 and f["line"] == 1
        assert "3 cells have outputs, 3 have execution counts" in f["message"]
        assert report["errors"] == []
    assert nb_path.read_bytes() == data and nb_path.stat().st_mtime_ns == mtime


def test_check_clean_notebook_exits_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb_path = put(tmp_path / "clean.ipynb", clean())
    rc, out, _ = run_cli(["strip", "--check", str(nb_path)], capsys)
    assert rc == 0
    assert "No findings" in out and "ML301" not in out


def test_strip_rewrites_fails_then_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = put(tmp_path / "a.ipynb", dirty())
    b = put(tmp_path / "b.ipynb", clean())
    b_data, b_mtime = b.read_bytes(), b.stat().st_mtime_ns
    rc, out, _ = run_cli(["strip", str(a), str(b)], capsys)
    assert rc == 1  # files modified: the pre-commit hook fails
    assert "a.ipynb:cell_2:1:1: ML301 stripped: 3 cells had outputs" in out
    assert "b.ipynb" not in out
    assert a.read_text(encoding="utf-8") == expected_text(dirty())
    assert b.read_bytes() == b_data and b.stat().st_mtime_ns == b_mtime
    rc, out, _ = run_cli(["strip", str(a), str(b)], capsys)
    assert rc == 0
    assert "No findings" in out and "ML301" not in out


def test_fixer_fails_when_it_changed_files_whatever_the_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb_path = put(tmp_path / "nb.ipynb", dirty())
    rc, _, _ = run_cli(["strip", "--fail-on", "error", str(nb_path)], capsys)
    assert rc == 1
    rc, _, _ = run_cli(["strip", "--fail-on", "error", str(nb_path)], capsys)
    assert rc == 0


def test_exit_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb_path = put(tmp_path / "nb.ipynb", dirty())
    rc, _, _ = run_cli(["strip", "--exit-zero", str(nb_path)], capsys)
    assert rc == 0
    assert json.loads(nb_path.read_text(encoding="utf-8"))["cells"][1]["outputs"] == []


def test_folders_are_walked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    put(tmp_path / "proj" / "nbs" / "one.ipynb", dirty())
    put(tmp_path / "proj" / "two.ipynb", dirty(1))
    checkpoint = put(
        tmp_path / "proj" / "nbs" / ".ipynb_checkpoints" / "one-checkpoint.ipynb", dirty()
    )
    (tmp_path / "proj" / "train.py").write_text("print(1)\n", encoding="utf-8")
    cp_data = checkpoint.read_bytes()
    rc, out, _ = run_cli(["strip", "--format", "json", str(tmp_path / "proj")], capsys)
    assert rc == 1
    paths = sorted(Path(f["path"]).name for f in json.loads(out)["findings"])
    assert paths == ["one.ipynb", "two.ipynb"]
    assert checkpoint.read_bytes() == cp_data


def test_git_repo_folder(git_repo: Path) -> None:
    put(git_repo / "analysis.ipynb", dirty())
    put(git_repo / "ignored" / "scratch.ipynb", dirty())
    (git_repo / ".gitignore").write_text("ignored/\n", encoding="utf-8")
    git(git_repo, "add", "analysis.ipynb", ".gitignore")
    proc = run_mlvet(["strip", "."], cwd=git_repo)
    assert proc.returncode == 1, proc.stderr
    assert "analysis.ipynb:cell_2:1:1: ML301 stripped" in proc.stdout
    assert "scratch" not in proc.stdout
    assert "outputs" in (git_repo / "ignored" / "scratch.ipynb").read_text(encoding="utf-8")
    assert "Traceback" not in proc.stderr
    assert run_mlvet(["strip", "."], cwd=git_repo).returncode == 0


def test_broken_notebooks_are_named_and_untouched(tmp_path: Path) -> None:
    good = put(tmp_path / "good.ipynb", dirty())
    broken = tmp_path / "broken.ipynb"
    broken.write_bytes(b'{"cells": [{"cell_type": "code",')
    binary = tmp_path / "blob.ipynb"
    binary.write_bytes(bytes(range(256)) * 4)
    old = tmp_path / "v3.ipynb"
    old.write_text(json.dumps({"nbformat": 3, "worksheets": [{"cells": []}]}), encoding="utf-8")
    datas = {p: p.read_bytes() for p in (broken, binary, old)}
    proc = run_mlvet(["strip", "good.ipynb", "broken.ipynb", "blob.ipynb", "v3.ipynb"], tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("mlvet: error:")]
    assert len(errors) == 3
    assert any("broken.ipynb: not valid JSON" in e for e in errors)
    assert any("blob.ipynb: notebook is not UTF-8" in e for e in errors)
    assert any("v3.ipynb:" in e and "cells" in e for e in errors)
    assert all(p.read_bytes() == d for p, d in datas.items())
    assert good.read_text(encoding="utf-8") == expected_text(dirty())


def test_json_errors_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_cli(
        ["strip", "--check", "--format", "json", str(tmp_path / "x.ipynb")], capsys
    )
    assert rc == 1
    (err,) = json.loads(out)["errors"]
    assert err["path"].endswith("x.ipynb") and "no such file" in err["message"]


def test_config_table_is_used(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mlvet.strip]\nkeep-output-tag = "show"\nkeep-count = true\n'
        'extra-keys = ["metadata.toc"]\n',
        encoding="utf-8",
    )
    nb = make_notebook(
        [
            {
                "cell_type": "code",
                "execution_count": 4,
                "id": "a",
                "metadata": {"tags": ["show"]},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": ["x\n"]}],
                "source": ["x"],
            }
        ]
    )
    nb["metadata"]["toc"] = {"number_sections": True}
    path = put(tmp_path / "nb.ipynb", nb)
    proc = run_mlvet(["strip", "nb.ipynb"], tmp_path)
    assert proc.returncode == 1, proc.stderr
    out = json.loads(path.read_text(encoding="utf-8"))
    assert out["cells"][0]["execution_count"] == 4 and len(out["cells"][0]["outputs"]) == 1
    assert "toc" not in out["metadata"]
    # The check hook agrees: nothing left for ML301 with the same configuration.
    assert run_mlvet(["check", "--select", "ML3", "nb.ipynb"], tmp_path).returncode == 0


def test_bad_config_exits_2(tmp_path: Path) -> None:
    (tmp_path / ".mlvet.toml").write_text("[strip]\nkeep-count = 'maybe'\n", encoding="utf-8")
    path = put(tmp_path / "nb.ipynb", dirty())
    data = path.read_bytes()
    proc = run_mlvet(["strip", "nb.ipynb"], tmp_path)
    assert proc.returncode == 2
    assert "keep-count" in proc.stderr and "Traceback" not in proc.stderr
    assert path.read_bytes() == data


def test_cli_overrides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = put(tmp_path / "nb.ipynb", dirty(2))
    rc, _, _ = run_cli(
        ["strip", "--keep-count", "--extra-keys", "metadata.kernelspec", str(path)], capsys
    )
    assert rc == 1
    out = json.loads(path.read_text(encoding="utf-8"))
    assert [c.get("execution_count") for c in out["cells"][1:]] == [1, 2]
    assert "kernelspec" not in out["metadata"]
    rc, _, err = run_cli(["strip", "--extra-keys", "kernelspec", str(path)], capsys)
    assert rc == 2 and "kernelspec" in err


def test_per_file_ignores_skip_a_notebook(tmp_path: Path) -> None:
    (tmp_path / ".mlvet.toml").write_text(
        '[per-file-ignores]\n"docs/*.ipynb" = ["ML301"]\n', encoding="utf-8"
    )
    kept = put(tmp_path / "docs" / "demo.ipynb", dirty())
    data = kept.read_bytes()
    put(tmp_path / "src.ipynb", dirty())
    proc = run_mlvet(["strip", "docs/demo.ipynb", "src.ipynb"], tmp_path)
    assert proc.returncode == 1
    assert kept.read_bytes() == data
    assert "src.ipynb" in proc.stdout and "demo.ipynb" not in proc.stdout


def test_sarif_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sarif_validator: Any
) -> None:
    path = put(tmp_path / "nb.ipynb", dirty())
    rc, out, _ = run_cli(["strip", "--check", "--format", "sarif", str(path)], capsys)
    assert rc == 1
    sarif = json.loads(out)
    sarif_validator.validate(sarif)
    names = [run["tool"]["driver"]["name"] for run in sarif["runs"]]
    assert "nbstripout" in names
    results = [r for run in sarif["runs"] for r in run.get("results", [])]
    assert [r["ruleId"] for r in results] == ["ML301"]


def test_mlvet_run_uses_the_check_form(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = put(tmp_path / "nb.ipynb", dirty())
    data = path.read_bytes()
    rc, out, err = run_cli(
        ["run", "--hooks", "strip-notebook-outputs", "--format", "json", str(path)], capsys
    )
    assert rc == 1, err
    assert [f["source"] for f in json.loads(out)["findings"]] == ["nbstripout"]
    assert path.read_bytes() == data


def test_two_processes_stripping_the_same_file(tmp_path: Path) -> None:
    nb = dirty(200, text="x" * 2000 + "\n")
    want = expected_text(nb)
    script = (
        "import sys\n"
        "from mlvet.cli import main\n"
        "for _ in range(int(sys.argv[2])):\n"
        "    main(['strip', '--exit-zero', sys.argv[1]])\n"
    )
    for _ in range(3):
        path = put(tmp_path / "shared.ipynb", nb)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(path), "3"],
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        errs = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], errs
        assert path.read_text(encoding="utf-8") == want
        assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.ipynb"]


def test_unknown_config_key_warns_but_runs(tmp_path: Path) -> None:
    (tmp_path / ".mlvet.toml").write_text("[strip]\nkeep-id = true\n", encoding="utf-8")
    put(tmp_path / "nb.ipynb", dirty())
    proc = run_mlvet(["strip", "nb.ipynb"], tmp_path)
    assert proc.returncode == 1
    assert "mlvet: warning:" in proc.stderr and "keep-id" in proc.stderr
    assert (
        json.loads((tmp_path / "nb.ipynb").read_text(encoding="utf-8"))["cells"][1]["outputs"] == []
    )


def test_annotations_point_at_the_source_line_of_the_file_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = make_notebook([("markdown", "# t"), "x = 1\n"])
    nb["cells"][1]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["1\n"] * 30}]
    path = put(tmp_path / "nb.ipynb", nb)
    for args in (["--check"], []):
        before = path.read_text(encoding="utf-8").splitlines()
        rc, out, _ = run_cli(["strip", *args, "--format", "github", str(path)], capsys)
        assert rc == 1
        line = int(out.split(",line=")[1].split(",")[0].split(":")[0])
        lines = before if args else path.read_text(encoding="utf-8").splitlines()
        assert '"x = 1\\n"' in lines[line - 1]
