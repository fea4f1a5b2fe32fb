"""`mlvet bandit` against the real bandit on real files in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import make_notebook, notebook_text, run_cli, run_mlvet, without_site_packages
from mlvet.config import Config, config_from_table
from mlvet.wrappers.bandit import (
    UserBandit,
    is_excluded_dir,
    load_profile,
    merged_profile,
    read_user_bandit,
    redact_quoted,
    run_bandit,
)

ML_SCRIPT = (
    "import pickle\n"  # 1
    "import subprocess\n"  # 2
    "import tarfile\n"  # 3
    "\n"  # 4
    "import requests\n"  # 5
    "import torch\n"  # 6
    "import yaml\n"  # 7
    "from transformers import AutoModel\n"  # 8
    "\n"  # 9
    "\n"  # 10
    "def prepare(path, cmd, url):\n"  # 11
    "    cfg = yaml.load(open(path), Loader=yaml.Loader)\n"  # 12
    "    state = torch.load(path)\n"  # 13
    "    feats = pickle.loads(open(path, 'rb').read())\n"  # 14
    "    subprocess.call(cmd, shell=True)\n"  # 15
    "    data = requests.get(url)\n"  # 16
    "    tarfile.open(path).extractall()\n"  # 17
    "    model = AutoModel.from_pretrained('org/model')\n"  # 18
    "    return cfg, state, feats, data, model\n"  # 19
)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _nb(path: Path, cells: list[Any]) -> Path:
    path.write_text(notebook_text(make_notebook(cells)), encoding="utf-8")
    return path


def _pairs(report: Any) -> set[tuple[str, str]]:
    return {(f.path, f.rule) for f in report.findings}


# -- findings on scripts ------------------------------------------------------------------


def test_ml_profile_findings_and_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "prep.py", ML_SCRIPT)
    report = run_bandit(["prep.py"], Config())
    where = {f.rule: (f.line, f.column) for f in report.findings}
    assert where["B506"] == (12, 11)
    assert where["B614"] == (13, 13)
    assert where["B301"] == (14, 13)
    assert where["B602"] == (15, 5)
    assert where["B113"] == (16, 12)
    assert where["B202"] == (17, 5)
    assert where["B615"] == (18, 13)
    assert where["B403"] == (1, 1)
    by_rule = {f.rule: f for f in report.findings}
    assert by_rule["B301"].source == "bandit"
    assert by_rule["B301"].name == "pickle"
    assert by_rule["B614"].name == "pytorch-load"
    assert by_rule["B301"].severity == "error"
    assert by_rule["B403"].severity == "info"
    assert by_rule["B602"].severity == "error"  # bandit's HIGH
    assert by_rule["B113"].severity == "warning"  # bandit's MEDIUM
    assert "CWE-502" in by_rule["B301"].message
    assert by_rule["B614"].fix is not None and "weights_only=True" in by_rule["B614"].fix
    assert by_rule["B202"].fix is not None  # a hint or bandit's page, never nothing
    assert report.tools == ["bandit"]


def test_noise_outside_the_profile_is_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path / "aug.py",
        "import random\nimport subprocess\n\n\ndef go():\n"
        "    try:\n        subprocess.run(['git', 'status'], check=True)\n"
        "    except OSError:\n        pass\n"
        "    return random.random()\n",
    )
    assert run_bandit(["aug.py"], Config()).findings == []


def test_hardcoded_password_is_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    secret = "".join(chr(c) for c in (115, 51, 99, 114, 101, 116, 45, 118, 97, 108, 117, 101))
    _write(tmp_path / "db.py", f"password = '{secret}'\n")
    code, out, err = run_cli(["bandit", "--format", "json", "db.py"], capsys)
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert finding["rule"] == "B105" and finding["severity"] == "warning"
    assert secret not in out and secret not in err
    assert f"'{secret[:4]}…'" in finding["message"]
    assert redact_quoted("Possible hardcoded password: 'ab'") == "Possible hardcoded password: '…'"


def test_asserts_allowed_in_tests_and_notebooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    body = "def check(x):\n    assert x > 0\n    return x\n"
    _write(tmp_path / "src" / "model.py", body)
    _write(tmp_path / "tests" / "test_model.py", body)
    _write(tmp_path / "pkg" / "conftest.py", body)
    _write(tmp_path / "pkg" / "model_test.py", body)
    _nb(tmp_path / "eda.ipynb", ["x = 1\nassert x == 1\n"])
    report = run_bandit(["."], Config())
    assert [(f.path, f.rule, f.severity) for f in report.findings] == [
        ("src/model.py", "B101", "info")
    ]


def test_exit_codes_follow_severity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "only_info.py", "def f(x):\n    assert x\n")
    _write(
        tmp_path / "bad.py",
        "import yaml\n\n\ndef f(s):\n    return yaml.load(s, Loader=yaml.Loader)\n",
    )
    _write(tmp_path / "good.py", "import yaml\n\n\ndef f(s):\n    return yaml.safe_load(s)\n")
    assert run_cli(["bandit", "good.py"], capsys)[0] == 0
    assert run_cli(["bandit", "only_info.py"], capsys)[0] == 0
    assert run_cli(["bandit", "--fail-on", "info", "only_info.py"], capsys)[0] == 1
    code, out, _ = run_cli(["bandit", "--no-color", "bad.py"], capsys)
    assert code == 1
    assert "bad.py:5:12: B506 Use of unsafe yaml load" in out


# -- notebooks ----------------------------------------------------------------------------


def test_notebook_results_map_to_cell_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    nb = _nb(
        tmp_path / "train.ipynb",
        [
            ("markdown", "# Training\n"),
            "!pip install torch\n%matplotlib inline\nimport torch\n",
            ("markdown", "Load the checkpoint\n"),
            "ckpt = 'model.pt'\n%time state = torch.load(ckpt)\n",
            "import subprocess\nsubprocess.call('nvidia-smi', shell=True)\n",
        ],
    )
    report = run_bandit([nb.name], Config())
    found = {f.rule: f for f in report.findings}
    b614, b602 = found["B614"], found["B602"]
    assert (b614.path, b614.cell, b614.line) == ("train.ipynb", 4, 2)
    # `%time ` was neutralised; the column still points into the user's cell text.
    assert b614.column == len("%time state = ") + 1
    assert (b602.cell, b602.line, b602.column) == (5, 2, 1)
    raw = nb.read_text(encoding="utf-8").splitlines()
    assert b614.physical_line is not None and "torch.load" in raw[b614.physical_line - 1]
    assert b602.physical_line is not None and "shell=True" in raw[b602.physical_line - 1]
    assert report.errors == []


def test_broken_cell_is_named_and_the_rest_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _nb(
        tmp_path / "wip.ipynb",
        ["import pickle\n", "def broken(:\n    pass\n", "obj = pickle.loads(b'')\n"],
    )
    code, out, _ = run_cli(["bandit", "--format", "json", "wip.ipynb"], capsys)
    data = json.loads(out)
    assert code == 1
    assert [e["message"] for e in data["errors"]] == [
        "cell 2: syntax error: invalid syntax (line 1)"
    ]
    b301 = [f for f in data["findings"] if f["rule"] == "B301"]
    assert [(f["cell"], f["line"]) for f in b301] == [(3, 1)]


def test_unreadable_inputs_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "broken.ipynb", '{"cells": [')
    _write(tmp_path / "syntax.py", "def f(:\n    pass\n")
    (tmp_path / "junk.py").write_bytes(b"\x00\x01binary\xff")
    _write(tmp_path / "ok.py", "import pickle\n\npickle.loads(b'')\n")
    code, out, err = run_cli(
        ["bandit", "--no-color", "broken.ipynb", "syntax.py", "junk.py", "ok.py", "gone.py"], capsys
    )
    assert code == 1
    assert "ok.py:3:1: B301" in out
    errors = [ln for ln in err.splitlines() if ln.startswith("mlvet: error:")]
    assert len(errors) == 4
    joined = "\n".join(errors)
    assert "broken.ipynb: not valid JSON" in joined
    assert "syntax.py: syntax error" in joined
    assert "junk.py: binary file" in joined
    assert "gone.py: no such file or directory" in joined
    assert "Traceback" not in err


def test_non_python_notebook_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    nb = make_notebook(["x <- readRDS('m.rds')\n"], language="R")
    (tmp_path / "r.ipynb").write_text(notebook_text(nb), encoding="utf-8")
    report = run_bandit(["r.ipynb"], Config())
    assert report.findings == [] and report.errors == []


# -- the project's [tool.bandit] -------------------------------------------------------


def test_tool_bandit_skips_tests_and_exclude_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path / "pyproject.toml",
        '[tool.bandit]\nskips = ["B301"]\ntests = ["B311"]\nexclude_dirs = ["vendor"]\n',
    )
    code = "import pickle\nimport random\n\npickle.loads(b'')\nrandom.random()\n"
    _write(tmp_path / "a.py", code)
    _write(tmp_path / "vendor" / "lib.py", code)
    report = run_bandit(["."], Config())
    assert _pairs(report) == {("a.py", "B311"), ("a.py", "B403")}
    assert report.files_checked == 1


def test_tool_bandit_plugin_options_override_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "scratch.py", "out = '/scratch/run1/out.bin'\nlog = '/tmp/run.log'\n")
    assert {f.line for f in run_bandit(["scratch.py"], Config()).findings} == {2}
    _write(
        tmp_path / "pyproject.toml",
        '[tool.bandit.hardcoded_tmp_directory]\ntmp_dirs = ["/scratch"]\n',
    )
    assert {f.line for f in run_bandit(["scratch.py"], Config()).findings} == {1}


def test_mlvet_ignore_per_file_and_inline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path / "a.py",
        "import pickle\n\n"
        "a = pickle.loads(b'')  # mlvet: ignore[B301]\n"
        "b = pickle.loads(b'')  # nosec B301\n"
        "c = pickle.loads(b'')\n",
    )
    _write(tmp_path / "legacy" / "b.py", "import pickle\n\npickle.loads(b'')\n")
    config = config_from_table(
        {"ignore": ["B403"], "per-file-ignores": {"legacy/**": ["B3"]}},
        tmp_path,
        tmp_path / "pyproject.toml",
    )
    report = run_bandit(["."], config)
    assert [(f.path, f.rule, f.line) for f in report.findings] == [("a.py", "B301", 5)]


def test_inline_suppression_inside_a_notebook_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _nb(
        tmp_path / "nb.ipynb",
        [
            "import pickle  # mlvet: ignore[B403]\n",
            "a = pickle.loads(b'')  # mlvet: ignore\nb = pickle.loads(b'')\n",
        ],
    )
    report = run_bandit(["nb.ipynb"], Config())
    assert [(f.rule, f.cell, f.line) for f in report.findings] == [("B301", 2, 2)]


# -- output formats -----------------------------------------------------------------------


def test_sarif_and_github_point_at_notebook_lines(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sarif_validator: Any,
) -> None:
    monkeypatch.chdir(tmp_path)
    nb = _nb(
        tmp_path / "nb.ipynb",
        [("markdown", "# t\n"), "import yaml\ncfg = yaml.load(open('c'), Loader=yaml.Loader)\n"],
    )
    raw = nb.read_text(encoding="utf-8").splitlines()
    physical = next(i for i, ln in enumerate(raw, 1) if "yaml.load" in ln)
    code, out, _ = run_cli(["bandit", "--format", "sarif", "nb.ipynb"], capsys)
    assert code == 1
    sarif = json.loads(out)
    sarif_validator.validate(sarif)
    [run] = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "bandit"
    [result] = [r for r in run["results"] if r["ruleId"] == "B506"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == physical
    assert result["properties"] == {"cell": 2, "cellLine": 2}
    code, out, _ = run_cli(["bandit", "--format", "github", "nb.ipynb"], capsys)
    assert f"::error file=nb.ipynb,line={physical},title=B506 yaml-load::" in out


def test_text_output_on_the_console_entry(tmp_path: Path) -> None:
    _write(
        tmp_path / "b.py",
        "import yaml\n\n\ndef f(s):\n    return yaml.load(s, Loader=yaml.Loader)\n",
    )
    proc = run_mlvet(["bandit", "b.py"], cwd=tmp_path)
    assert proc.returncode == 1
    assert "b.py:5:12: B506" in proc.stdout
    assert "Found 1 finding" in proc.stdout


def test_missing_bandit_names_the_extra(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-S", "-m", "mlvet", "bandit", "a.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            "PYTHONPATH": without_site_packages(tmp_path),
            "PATH": os.defpath,
            "NO_COLOR": "1",
        },
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (
        "mlvet: error: bandit is not installed; install it with `pip install 'mlvet[lint]'`"
    )


# -- pure parts ---------------------------------------------------------------------------


def test_profile_contents() -> None:
    tests = load_profile()["tests"]
    for must in ("B101", "B102", "B301", "B302", "B403", "B506", "B614", "B615", "B202", "B113"):
        assert must in tests
    for noisy in ("B110", "B112", "B311", "B404", "B603", "B607"):
        assert noisy not in tests


def test_merge_rules() -> None:
    user = UserBandit(
        tests=("B311",),
        skips=("B101", "B614"),
        options={
            "hardcoded_tmp_directory": {"tmp_dirs": ["/scratch"]},
            "assert_used": {"skips": ["x"]},
        },
    )
    merged = merged_profile(user)
    assert "B311" in merged["tests"] and "B301" in merged["tests"]
    assert "B101" not in merged["tests"] and "B614" not in merged["tests"]
    assert merged["hardcoded_tmp_directory"] == {"tmp_dirs": ["/scratch"]}
    assert merged["assert_used"] == {"skips": ["x"]}
    assert "skips" not in merged


def test_exclude_dirs_semantics(tmp_path: Path) -> None:
    root = tmp_path
    assert is_excluded_dir(str(root / "vendor" / "a.py"), ["vendor"], root)
    assert is_excluded_dir(str(root / "src" / "vendor" / "a.py"), ["vendor/"], root)
    assert is_excluded_dir(str(root / "src" / "gen" / "a.py"), ["./src/gen"], root)
    assert is_excluded_dir(str(root / "x" / "a_pb2.py"), ["*_pb2.py"], root)
    assert not is_excluded_dir(str(root / "vendored.py"), ["vendor"], root)
    assert not is_excluded_dir(str(root / "src" / "a.py"), [], root)


def test_read_user_bandit(tmp_path: Path) -> None:
    _write(
        tmp_path / "pyproject.toml",
        '[tool.bandit]\nskips = ["b101"]\nexclude_dirs = ["build"]\n'
        '[tool.bandit.assert_used]\nskips = ["*_test.py"]\n',
    )
    user = read_user_bandit(tmp_path / "pyproject.toml")
    assert user.skips == ("B101",)
    assert user.exclude_dirs == ("build",)
    assert user.options == {"assert_used": {"skips": ["*_test.py"]}}
    assert read_user_bandit(None) == UserBandit()


def test_a_named_bandit_yaml_is_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "pyproject.toml", '[tool.mlvet.bandit]\nconfig = "security/bandit.yaml"\n')
    _write(tmp_path / "security" / "bandit.yaml", "skips: [B506]\nexclude_dirs: [generated]\n")
    yaml_load = "import yaml\n\ncfg = yaml.load(open('c'), Loader=yaml.Loader)\n"
    _write(tmp_path / "a.py", yaml_load + "import pickle\n\npickle.loads(b'')\n")
    _write(tmp_path / "generated" / "g.py", "import pickle\n\npickle.loads(b'')\n")
    code, out, _ = run_cli(["bandit", "--format", "json", "."], capsys)
    assert code == 1
    assert {(f["path"], f["rule"]) for f in json.loads(out)["findings"]} == {
        ("a.py", "B301"),
        ("a.py", "B403"),
    }
    _write(tmp_path / "pyproject.toml", '[tool.mlvet.bandit]\nconfig = "nope.yaml"\n')
    code, out, err = run_cli(["bandit", "a.py"], capsys)
    assert code == 2
    assert err.strip() == "mlvet: error: nope.yaml: bandit configuration not found or not readable"


def test_columns_count_characters_not_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    line = "étiquette = 'données'; obj = pickle.loads(b'')\n"
    _write(tmp_path / "u.py", "import pickle\n" + line)
    _nb(tmp_path / "u.ipynb", ["import pickle\n" + line])
    expected = line.index("pickle.loads") + 1
    for path in ("u.py", "u.ipynb"):
        [b301] = [f for f in run_bandit([path], Config()).findings if f.rule == "B301"]
        assert (b301.line, b301.column) == (2, expected), path


# -- ML code as it is written: many cases in one run ------------------------------------

BANDIT_POSITIVE = {
    "aliased_pickle.py": (
        "B301",
        "import pickle as pk\n\nwith open('f.pkl', 'rb') as fh:\n    obj = pk.load(fh)\n",
    ),
    "marshal_load.py": ("B302", "import marshal\n\ncode = marshal.loads(b'')\n"),
    "pickle_import.py": ("B403", "from pickle import loads\n"),
    "yaml_multiline.py": (
        "B506",
        "import yaml\n\ncfg = yaml.load(\n    open('c.yaml'),\n    Loader=yaml.FullLoader,\n)\n",
    ),
    "torch_load.py": (
        "B614",
        "import torch\n\nstate = torch.load('ckpt.pt', map_location='cpu')\n",
    ),
    "hf_download.py": (
        "B615",
        "from huggingface_hub import hf_hub_download\n\n"
        "path = hf_hub_download(repo_id='org/model', filename='model.safetensors')\n",
    ),
    "hf_dataset.py": (
        "B615",
        "from datasets import load_dataset\n\nds = load_dataset('org/data')\n",
    ),
    "exec_code.py": ("B102", "exec(open('gen.py').read())\n"),
    "eval_expr.py": ("B307", "cfg = eval(open('cfg.txt').read())\n"),
    "os_system.py": ("B605", "import os\n\nos.system('nvidia-smi')\n"),
    "popen_shell.py": ("B602", "import subprocess\n\nsubprocess.Popen('ls', shell=True)\n"),
    "no_timeout.py": (
        "B113",
        "import requests\n\nr = requests.post('https://example.org/x', json={})\n",
    ),
    "no_verify.py": (
        "B501",
        "import requests\n\nr = requests.get('https://e.org', timeout=5, verify=False)\n",
    ),
    "tar.py": ("B202", "import tarfile\n\ntarfile.open('ds.tgz').extractall('data')\n"),
    "sql.py": (
        "B608",
        "def q(cur, t):\n    return cur.execute('SELECT * FROM ' + t + ' WHERE 1')\n",
    ),
    "md5.py": ("B324", "import hashlib\n\nh = hashlib.md5(b'x').hexdigest()\n"),
    "bind_all.py": ("B104", "HOST = '0.0.0.0'\n"),
    "urlopen.py": ("B310", "import urllib.request\n\nurllib.request.urlopen(url)\n"),
}

BANDIT_NEGATIVE = {
    "safe_yaml.py": "import yaml\n\ncfg = yaml.safe_load(open('c.yaml'))\n",
    "torch_safe.py": "import torch\n\nstate = torch.load('ckpt.pt', weights_only=True)\n",
    "hf_pinned.py": (
        "from huggingface_hub import hf_hub_download\n\n"
        "path = hf_hub_download(repo_id='org/model', filename='m.bin', revision='"
        + "ab12" * 10
        + "')\n"
    ),
    "timeout.py": "import requests\n\nr = requests.get('https://example.org', timeout=30)\n",
    "sampling.py": "import random\n\nrandom.seed(0)\nbatch = random.sample(range(10), 3)\n",
    "subprocess_list.py": "import subprocess\n\nsubprocess.run(['git', 'rev-parse', 'HEAD'], check=True)\n",
    "literal_eval.py": "import ast\n\ncfg = ast.literal_eval('{1: 2}')\n",
    "try_pass.py": "try:\n    import torch\nexcept ImportError:\n    pass\n",
    "mention.py": "NOTE = 'pickle.loads and eval are dangerous'\n",
}


def test_ml_cases_positive_and_negative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name, (_, code) in BANDIT_POSITIVE.items():
        _write(tmp_path / "pos" / name, code)
    for name, code in BANDIT_NEGATIVE.items():
        _write(tmp_path / "neg" / name, code)
    report = run_bandit(["pos", "neg"], Config())
    assert report.errors == []
    by_path: dict[str, set[str]] = {}
    for f in report.findings:
        by_path.setdefault(f.path, set()).add(f.rule)
    for name, (rule, _) in BANDIT_POSITIVE.items():
        assert rule in by_path.get(f"pos/{name}", set()), (name, by_path.get(f"pos/{name}"))
    for name in BANDIT_NEGATIVE:
        assert f"neg/{name}" not in by_path, (name, by_path[f"neg/{name}"])
