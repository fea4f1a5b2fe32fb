"""`mlvet ruff` against the real ruff binary on real files in tmp_path."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import make_notebook, notebook_text, run_cli, run_mlvet, without_site_packages
from mlvet.config import Config, config_from_table
from mlvet.wrappers.ruff import (
    Bundle,
    UserRuff,
    config_for_dir,
    load_bundle,
    read_user_ruff,
    run_ruff,
    selection_args,
)

PICKLE_SCRIPT = (
    "import pickle\n"
    "\n"
    "\n"
    "def load(path):\n"
    "    with open(path, 'rb') as fh:\n"
    "        return pickle.load(fh)\n"
)


def _json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code, out, _ = run_cli(["ruff", "--format", "json", "--no-color", *args], capsys)
    return code, json.loads(out)


def _rules(data: dict[str, Any], path: str | None = None) -> list[str]:
    return [f["rule"] for f in data["findings"] if path is None or f["path"] == path]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- findings and locations ---------------------------------------------------------------


def test_script_findings_have_codes_names_and_locations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "train.py", PICKLE_SCRIPT)
    code, data = _json(["train.py"], capsys)
    assert code == 1
    [s301] = [f for f in data["findings"] if f["rule"] == "S301"]
    assert s301["source"] == "ruff"
    assert s301["name"] == "suspicious-pickle-usage"
    assert (s301["path"], s301["line"], s301["column"], s301["cell"]) == ("train.py", 6, 16, None)
    assert s301["severity"] == "error"


def test_ml_families_fire(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path / "prep.py",
        "import numpy as np\n"
        "import pandas as pd\n"
        "\n"
        "\n"
        "def clean(df: pd.DataFrame, x: float) -> pd.DataFrame:\n"
        "    if x == np.nan:\n"
        "        return df\n"
        "    df.dropna(inplace=True)\n"
        "    np.random.seed(0)\n"
        "    breakpoint()\n"
        "    return eval(str(x))\n",
    )
    report = run_ruff(["prep.py"], Config()).report
    by_rule = {f.rule: f for f in report.findings}
    assert {"PLW0177", "PD002", "NPY002", "T100", "S307"} <= set(by_rule)
    assert by_rule["PLW0177"].line == 6
    assert by_rule["PLW0177"].severity == "error"
    assert by_rule["NPY002"].severity == "info"
    assert by_rule["PD002"].severity == "info"
    assert by_rule["T100"].severity == "error"
    assert report.tools == ["ruff"]


def test_noisy_rules_are_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path / "aug.py",
        "import random\nimport subprocess\n\n\ndef go():\n"
        "    subprocess.run(['git', 'status'], check=True)\n"
        "    return random.random()\n",
    )
    rules = {f.rule for f in run_ruff(["aug.py"], Config()).report.findings}
    assert not rules & {"S311", "S603", "S607"}


def test_clean_file_exits_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "ok.py", "import numpy as np\n\n\ndef f(x):\n    return np.isnan(x)\n")
    code, out, _ = run_cli(["ruff", "ok.py"], capsys)
    assert code == 0
    assert "No findings" in out and "1 file checked" in out


def test_directory_is_walked_and_paths_stay_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "src" / "pkg" / "io.py", PICKLE_SCRIPT)
    _write(tmp_path / "src" / "my notes.py", "import os\n")
    code, data = _json(["src"], capsys)
    assert code == 1
    paths = {f["path"] for f in data["findings"]}
    assert paths == {"src/pkg/io.py", "src/my notes.py"}


# -- notebooks ----------------------------------------------------------------------------


def _nb(tmp_path: Path, cells: list[Any], name: str = "explore.ipynb") -> Path:
    path = tmp_path / name
    path.write_text(notebook_text(make_notebook(cells)), encoding="utf-8")
    return path


def test_notebook_cells_and_lines_are_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    nb = _nb(
        tmp_path,
        [
            ("markdown", "# Exploration\n"),
            "%matplotlib inline\nimport numpy as np\n",
            ("markdown", "Load the cached features\n"),
            "x = np.zeros(3)\nimport pickle\nfeatures = pickle.loads(open('f.pkl', 'rb').read())\n",
        ],
    )
    code, data = _json([nb.name], capsys)
    assert code == 1
    [s301] = [f for f in data["findings"] if f["rule"] == "S301"]
    assert (s301["cell"], s301["line"], s301["column"]) == (4, 3, 12)
    # SARIF/GitHub use the physical .ipynb line holding that source line.
    report = run_ruff([nb.name], Config()).report
    [finding] = [f for f in report.findings if f.rule == "S301"]
    raw_lines = nb.read_text(encoding="utf-8").splitlines()
    assert finding.physical_line is not None
    assert "pickle.loads" in raw_lines[finding.physical_line - 1]


def test_notebook_friendly_ignores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    body = "x = 1\nimport os\nassert x\nx\n"
    _nb(tmp_path, ["print('setup')\n", body + "print(os.sep)\n"])
    _write(tmp_path / "script.py", "x = 1\nimport os\n\nprint(os.sep)\n")
    findings = run_ruff(["explore.ipynb", "script.py"], Config()).report.findings
    nb_rules = {f.rule for f in findings if f.path == "explore.ipynb"}
    assert not nb_rules & {"E402", "S101", "B018", "T201"}
    script = {f.rule: f.severity for f in findings if f.path == "script.py"}
    assert script["E402"] == "warning"
    assert script["T201"] == "info"


def test_notebook_ignore_can_be_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _nb(tmp_path, ["x = 1\nimport os\nprint(os.sep)\n"])
    config = config_from_table({"ruff": {"notebook-ignore": []}}, tmp_path, tmp_path / "p.toml")
    rules = {f.rule for f in run_ruff(["explore.ipynb"], config).report.findings}
    assert "E402" in rules


def test_broken_notebook_and_syntax_error_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "broken.ipynb", '{"cells": [')
    _write(tmp_path / "bad.py", "def f(:\n    pass\n")
    _write(tmp_path / "good.py", PICKLE_SCRIPT)
    code, out, err = run_cli(["ruff", "--no-color", "broken.ipynb", "bad.py", "good.py"], capsys)
    assert code == 1
    assert "good.py:6:16: S301" in out
    error_lines = [ln for ln in err.splitlines() if ln.startswith("mlvet: error:")]
    assert any("broken.ipynb:" in ln and "notebook" in ln for ln in error_lines)
    assert any("bad.py:" in ln and "syntax error" in ln and "line 1" in ln for ln in error_lines)
    assert "Traceback" not in err


def test_binary_and_missing_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "junk.py").write_bytes(b"\x00\xff\xfe\x80junk")
    code, data = _json(["junk.py", "nowhere.py"], capsys)
    assert code == 1
    errors = {e["path"]: e["message"] for e in data["errors"]}
    assert set(errors) == {"junk.py", "nowhere.py"}
    assert "no such file" in errors["nowhere.py"]


# -- the project's own configuration ------------------------------------------------------


def test_project_select_is_kept_and_gains_ml_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "pyproject.toml", '[tool.ruff.lint]\nselect = ["I"]\nignore = ["S101"]\n')
    _write(
        tmp_path / "m.py",
        "import sys\nimport os\nimport pickle\n\nassert os, sys\npickle.loads(b'')\n",
    )
    rules = {f.rule for f in run_ruff(["m.py"], Config()).report.findings}
    assert "I001" in rules  # theirs
    assert "S301" in rules  # ours
    assert "S101" not in rules  # their ignore holds although the bundle selects S


def test_project_ignore_of_a_family_and_narrower_select(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path / "ruff.toml",
        '[lint]\nignore = ["S3"]\nextend-select = ["S311"]\n',
    )
    _write(
        tmp_path / "m.py",
        "import pickle\nimport random\nimport subprocess\n\n"
        "pickle.loads(b'')\nrandom.random()\nsubprocess.call('ls', shell=True)\n",
    )
    rules = {f.rule for f in run_ruff(["m.py"], Config()).report.findings}
    assert "S301" not in rules  # their ignore of S3 covers it
    assert "S311" in rules  # their narrower select wins over their ignore, and over ours
    assert "S602" in rules  # the rest of the bundle still applies


def test_project_per_file_ignores_are_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path / "pyproject.toml",
        '[tool.ruff.lint.per-file-ignores]\n"legacy/*.py" = ["S301"]\n',
    )
    _write(tmp_path / "legacy" / "old.py", PICKLE_SCRIPT)
    _write(tmp_path / "new.py", PICKLE_SCRIPT)
    findings = run_ruff(["."], Config()).report.findings
    assert [f.path for f in findings if f.rule == "S301"] == ["new.py"]


def test_subproject_config_is_used_for_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "pyproject.toml", '[tool.ruff.lint]\nignore = ["F401"]\n')
    _write(tmp_path / "lib" / "ruff.toml", '[lint]\nignore = ["S301"]\n')
    _write(tmp_path / "top.py", "import os\n" + PICKLE_SCRIPT)
    _write(tmp_path / "lib" / "inner.py", "import os\n" + PICKLE_SCRIPT)
    findings = run_ruff(["."], Config()).report.findings
    pairs = {(f.path, f.rule) for f in findings}
    assert ("top.py", "S301") in pairs and ("top.py", "F401") not in pairs
    assert ("lib/inner.py", "F401") in pairs and ("lib/inner.py", "S301") not in pairs


def test_project_selecting_a_bundle_ignored_rule_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "pyproject.toml", '[tool.ruff.lint]\nextend-select = ["S311"]\n')
    _write(tmp_path / "r.py", "import random\n\nrandom.random()\n")
    assert "S311" in {f.rule for f in run_ruff(["r.py"], Config()).report.findings}


def test_broken_project_config_is_a_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "ruff.toml", '[lint]\nselect = ["NOT-A-RULE"]\n')
    _write(tmp_path / "a.py", "x = 1\n")
    code, out, err = run_cli(["ruff", "a.py"], capsys)
    assert code == 2
    assert err.startswith("mlvet: error: ruff failed")
    assert len(err.strip().splitlines()) == 1
    assert out == ""


# -- mlvet configuration: select / ignore / per-file-ignores / inline -------------------


def test_mlvet_ignore_and_per_file_ignores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "a.py", PICKLE_SCRIPT + "assert load\n")
    _write(tmp_path / "scripts" / "b.py", PICKLE_SCRIPT)
    table = {"ignore": ["S101"], "per-file-ignores": {"scripts/*": ["S3"]}}
    config = config_from_table(table, tmp_path, tmp_path / "pyproject.toml")
    pairs = {(f.path, f.rule) for f in run_ruff(["."], config).report.findings}
    assert ("a.py", "S301") in pairs
    assert ("a.py", "S101") not in pairs
    assert ("scripts/b.py", "S301") not in pairs


def test_mlvet_select_of_native_codes_does_not_silence_ruff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "a.py", PICKLE_SCRIPT)
    native_only = config_from_table({"select": ["ML1"]}, tmp_path, tmp_path / "p.toml")
    assert "S301" in {f.rule for f in run_ruff(["a.py"], native_only).report.findings}
    only_b = config_from_table({"select": ["ML1", "B"]}, tmp_path, tmp_path / "p.toml")
    assert "S301" not in {f.rule for f in run_ruff(["a.py"], only_b).report.findings}


def test_cli_select_and_severity_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "a.py", "import os\n" + PICKLE_SCRIPT)
    code, data = _json(["--select", "F", "a.py"], capsys)
    assert _rules(data) == ["F401"] and code == 1
    _write(tmp_path / "pyproject.toml", '[tool.mlvet]\nseverity = { F = "info" }\n')
    code, data = _json(["--select", "F", "a.py"], capsys)
    assert [f["severity"] for f in data["findings"]] == ["info"]
    assert code == 0  # info is below the default fail-on (warning)


def test_inline_suppressions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path / "a.py",
        "import pickle\n\n"
        "a = pickle.loads(b'')  # mlvet: ignore[S301]\n"
        "b = pickle.loads(b'')  # noqa: S301\n"
        "c = pickle.loads(b'')  # mlvet: ignore[B]\n",
    )
    lines = [f.line for f in run_ruff(["a.py"], Config()).report.findings if f.rule == "S301"]
    assert lines == [5]


def test_mlvet_extend_select_adds_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "a.py", "# model = build(cfg)\nx = 1\n")
    assert run_ruff(["a.py"], Config()).report.findings == []
    config = config_from_table({"ruff": {"extend-select": ["ERA"]}}, tmp_path, tmp_path / "p.toml")
    assert [f.rule for f in run_ruff(["a.py"], config).report.findings] == ["ERA001"]


def test_asserts_allowed_in_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "tests" / "test_model.py", "def test_x():\n    assert 1 + 1 == 2\n")
    _write(tmp_path / "src" / "model.py", "def f(x):\n    assert x\n    return x\n")
    findings = run_ruff(["."], Config()).report.findings
    s101 = [(f.path, f.severity) for f in findings if f.rule == "S101"]
    assert s101 == [("src/model.py", "info")]


# -- --fix --------------------------------------------------------------------------------


def test_fix_rewrites_and_fails_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    target = _write(tmp_path / "a.py", "import os\nimport numpy as np\n\nprint(np.pi)\n")
    code, out, err = run_cli(["ruff", "a.py"], capsys)
    assert code == 1 and "F401" in out
    assert target.read_text() == "import os\nimport numpy as np\n\nprint(np.pi)\n"  # check-only
    code, out, err = run_cli(["ruff", "--fix", "a.py"], capsys)
    assert code == 1
    assert target.read_text(encoding="utf-8") == "import numpy as np\n\nprint(np.pi)\n"
    assert "ruff fixed 1 file: a.py" in err
    code, out, err = run_cli(["ruff", "--fix", "a.py"], capsys)
    assert code == 0 and "fixed" not in err
    target.write_text("import os\nx = 1\n", encoding="utf-8")
    code, out, err = run_cli(["ruff", "--fix", "--exit-zero", "a.py"], capsys)
    assert code == 0 and "ruff fixed 1 file" in err
    assert target.read_text(encoding="utf-8") == "x = 1\n"


def test_fix_in_notebook_keeps_other_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    nb = _nb(
        tmp_path, [("markdown", "# Title\n"), "import os\nimport sys\nprint(sys.argv)\n", "x = 1\n"]
    )
    result = run_ruff([nb.name], Config(), fix=True)
    assert result.changed == [nb.name]
    data = json.loads(nb.read_text(encoding="utf-8"))
    fixed = "".join(data["cells"][1]["source"])
    assert "import os" not in fixed and fixed.startswith("import sys\n")
    assert fixed.rstrip().endswith("print(sys.argv)")
    assert "".join(data["cells"][2]["source"]) == "x = 1\n"
    assert data["cells"][0]["cell_type"] == "markdown"


# -- output formats and exit codes --------------------------------------------------------


def test_sarif_output_is_valid_and_points_at_notebook_lines(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sarif_validator: Any,
) -> None:
    monkeypatch.chdir(tmp_path)
    nb = _nb(tmp_path, [("markdown", "# t\n"), "import pickle\nobj = pickle.loads(b'')\n"])
    code, out, _ = run_cli(["ruff", "--format", "sarif", nb.name], capsys)
    assert code == 1
    sarif = json.loads(out)
    sarif_validator.validate(sarif)
    [run] = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "ruff"
    [result] = [r for r in run["results"] if r["ruleId"] == "S301"]
    line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert "pickle.loads" in nb.read_text(encoding="utf-8").splitlines()[line - 1]
    assert result["properties"] == {"cell": 2, "cellLine": 2}


def test_github_annotations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "a.py", PICKLE_SCRIPT)
    code, out, _ = run_cli(["ruff", "--format", "github", "a.py"], capsys)
    assert code == 1
    assert "::error file=a.py,line=6,col=16,title=S301 suspicious-pickle-usage::" in out


def test_output_file_and_fail_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "a.py", "import numpy as np\n\nnp.random.seed(0)\n")
    code, _, _ = run_cli(["ruff", "--format", "json", "-o", "out/r.json", "a.py"], capsys)
    assert code == 0  # NPY002 is info
    data = json.loads((tmp_path / "out" / "r.json").read_text(encoding="utf-8"))
    assert _rules(data) == ["NPY002"]
    code, _, _ = run_cli(["ruff", "--fail-on", "info", "a.py"], capsys)
    assert code == 1


def test_missing_ruff_names_the_extra(tmp_path: Path) -> None:
    # `-S` leaves site-packages (and so ruff) out; PATH has no ruff either.
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    env = {"PYTHONPATH": without_site_packages(tmp_path), "PATH": os.defpath}
    proc = _run_isolated(tmp_path, ["ruff", "a.py"], env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (
        "mlvet: error: ruff is not installed; install it with `pip install 'mlvet[lint]'`"
    )


def _run_isolated(cwd: Path, args: list[str], env: dict[str, str]) -> Any:
    import subprocess

    return subprocess.run(
        [sys.executable, "-S", "-m", "mlvet", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**env, "NO_COLOR": "1"},
        timeout=120,
        check=False,
    )


def test_console_entry_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(PICKLE_SCRIPT, encoding="utf-8")
    proc = run_mlvet(["ruff", "a.py"], cwd=tmp_path)
    assert proc.returncode == 1
    assert "a.py:6:16: S301" in proc.stdout
    assert "Traceback" not in proc.stderr


# -- pure parts ---------------------------------------------------------------------------


def test_selection_args_respect_project_ignores() -> None:
    bundle = Bundle(("F", "S", "PLW0177"), ("S311",), (("*.ipynb", ("E402",)),))
    args = selection_args(
        bundle, UserRuff(Path("pyproject.toml"), select=(), ignore=("S101", "PLW"))
    )
    assert args[0] == "--extend-select=F,S"
    assert args[1] == "--ignore=S101,PLW,S311"
    assert args[2:] == ["--config", 'lint.extend-per-file-ignores = {"*.ipynb" = ["E402"]}']
    # Their select of a code the bundle leaves out keeps it.
    args = selection_args(
        bundle, UserRuff(Path("pyproject.toml"), select=("S3",), ignore=("S101",))
    )
    assert "--ignore=S101" in args and "--extend-select=F,S,PLW0177,S3" in args
    # Ignoring everything leaves nothing to add.
    assert selection_args(Bundle(("S",), (), ()), UserRuff(Path("p.toml"), ignore=("ALL",))) == []
    # No project config: the bundle is the whole selection, not ruff's defaults plus it.
    assert selection_args(bundle, UserRuff(None))[0] == "--select=F,S,PLW0177"


def test_read_user_ruff_follows_extend(tmp_path: Path) -> None:
    _write(tmp_path / "base.toml", '[lint]\nignore = ["E501"]\nselect = ["E"]\n')
    _write(
        tmp_path / "pyproject.toml",
        '[tool.ruff]\nextend = "base.toml"\n[tool.ruff.lint]\nextend-ignore = ["S101"]\n',
    )
    user = read_user_ruff(tmp_path / "pyproject.toml")
    assert user.select == ("E",)
    assert user.ignore == ("E501", "S101")
    assert config_for_dir(str(tmp_path / "sub" / "deeper")) == tmp_path / "pyproject.toml"


def test_bundle_documents_its_families() -> None:
    bundle = load_bundle()
    for family in ("F", "B", "S", "NPY", "PERF", "UP", "PLW0177"):
        assert family in bundle.extend_select
    docs = Path(__file__).resolve().parent.parent / "docs" / "ruff-bandit.md"
    text = docs.read_text(encoding="utf-8")
    for selector in bundle.extend_select:
        assert f"`{selector}`" in text, f"{selector} is not documented in docs/ruff-bandit.md"


# -- ML code as it is written: many cases in one run ------------------------------------

RUFF_POSITIVE = {
    "mutable_default.py": ("B006", "def train(model, metrics=[]):\n    return model, metrics\n"),
    "zip_strict.py": ("B905", "def pairs(xs, ys):\n    return list(zip(xs, ys))\n"),
    "loop_closure.py": (
        "B023",
        "def make():\n    cbs = []\n    for lr in (0.1, 0.2):\n"
        "        cbs.append(lambda step: lr * step)\n    return cbs\n",
    ),
    "no_timeout.py": (
        "S113",
        "import requests\n\nr = requests.get('https://example.org/data.csv')\n",
    ),
    "no_verify.py": (
        "S501",
        "import requests\n\nr = requests.get(\n    'https://example.org/w.bin',\n"
        "    timeout=10,\n    verify=False,\n)\n",
    ),
    "tar.py": (
        "S202",
        "import tarfile\n\nwith tarfile.open('ds.tgz') as t:\n    t.extractall('data')\n",
    ),
    "yaml_load.py": (
        "S506",
        "import yaml\n\nwith open('c.yaml') as fh:\n    cfg = yaml.load(fh, Loader=yaml.Loader)\n",
    ),
    "shell.py": (
        "S602",
        "import subprocess\n\nsubprocess.run('nvidia-smi', shell=True, check=True)\n",
    ),
    "aliased_pickle.py": (
        "S301",
        "import pickle as pk\n\nwith open('f.pkl', 'rb') as fh:\n    obj = pk.load(fh)\n",
    ),
    "marshal_load.py": ("S302", "import marshal\n\ncode = marshal.loads(b'')\n"),
    "exec_code.py": ("S102", "exec(open('gen.py').read())\n"),
    "isnull.py": ("PD003", "import pandas as pd\n\nmissing = pd.DataFrame().isnull()\n"),
    "np_alias.py": ("NPY001", "import numpy as np\n\nx = np.zeros(3).astype(np.float)\n"),
    "nan_eq.py": ("PLW0177", "import math\n\n\ndef bad(loss):\n    return loss == math.nan\n"),
    "nan_float.py": ("PLW0177", "def bad(loss):\n    return loss != float('nan')\n"),
    "legacy_random.py": ("NPY002", "import numpy as np\n\nnoise = np.random.randn(3)\n"),
    "debugger.py": ("T100", "import pdb\n\npdb.set_trace()\n"),
    "undefined.py": ("F821", "def f():\n    return undefined_model\n"),
}

RUFF_NEGATIVE = {
    "safe_yaml.py": "import yaml\n\nwith open('c.yaml') as fh:\n    cfg = yaml.safe_load(fh)\n",
    "timeout.py": "import requests\n\nr = requests.get('https://example.org/data.csv', timeout=30)\n",
    "isnan.py": "import numpy as np\n\n\ndef ok(loss):\n    return np.isnan(loss)\n",
    "zip_ok.py": "def pairs(xs, ys):\n    return list(zip(xs, ys, strict=True))\n",
    "generator.py": "import numpy as np\n\nrng = np.random.default_rng(0)\nnoise = rng.normal(size=3)\n",
    "sampling.py": "import random\n\nrandom.seed(0)\nbatch = random.sample(range(10), 3)\n",
    "shell_free.py": "import subprocess\n\nsubprocess.run(['nvidia-smi'], check=True)\n",
    "isna.py": "import pandas as pd\n\nmissing = pd.DataFrame().isna()\n",
    "pickle_in_string.py": "doc = 'never call pickle.load on downloads'\n",
}


def test_ml_cases_positive_and_negative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "pyproject.toml", '[project]\nname = "p"\nrequires-python = ">=3.10"\n')
    for name, (_, code) in RUFF_POSITIVE.items():
        _write(tmp_path / "pos" / name, code)
    for name, code in RUFF_NEGATIVE.items():
        _write(tmp_path / "neg" / name, code)
    findings = run_ruff(["pos", "neg"], Config()).report.findings
    by_path: dict[str, set[str]] = {}
    for f in findings:
        by_path.setdefault(f.path, set()).add(f.rule)
    for name, (rule, _) in RUFF_POSITIVE.items():
        assert rule in by_path.get(f"pos/{name}", set()), name
    ml_codes = ("S", "PLW0177", "NPY", "PD", "B0", "B9", "T10", "F")
    for name in RUFF_NEGATIVE:
        flagged = {r for r in by_path.get(f"neg/{name}", set()) if r.startswith(ml_codes)}
        assert not flagged, (name, flagged)
