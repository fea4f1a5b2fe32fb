"""`mlvet audit` end to end: discovery, ML601/ML602, offline rules, formats, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from audit_support import FAKE, build_db, isolate, offline_env
from conftest import run_cli, run_mlvet

SHA = "3f2c1e9a7b5d4c3e2f1a0b9c8d7e6f5a4b3c2d1e"


@pytest.fixture(autouse=True)
def project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate(monkeypatch, tmp_path)
    root = tmp_path / "proj"
    root.mkdir()
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(build_db(tmp_path / "db"))


def audit_json(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any], str]:
    code, out, err = run_cli(["audit", "--format", "json", *args], capsys)
    return code, json.loads(out), err


def rules_at(data: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["path"], f["line"]) for f in data["findings"]]


# -- ML601 -------------------------------------------------------------------------------


def test_vulnerable_pin_is_ml601_from_safety(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.txt").write_text(f"numpy==1.26.4\n{FAKE}==1.1.0\n")
    code, data, _ = audit_json(["--db", db], capsys)
    assert code == 1
    [finding] = data["findings"]
    assert finding["rule"] == "ML601"
    assert finding["name"] == "vulnerable-dependency"
    assert finding["source"] == "safety"
    assert finding["severity"] == "error"
    assert (finding["path"], finding["line"], finding["column"]) == ("requirements.txt", 2, 1)
    for part in ("99001", "CVE-2099-0001", "<1.2.0", "fixed in 1.2.0"):
        assert part in finding["message"]
    assert "1.2.0" in finding["fix"]


def test_unaffected_version_passes(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.txt").write_text(f"{FAKE}==1.2.0\n")
    code, data, err = audit_json(["--db", db], capsys)
    assert (code, data["findings"], data["errors"]) == (0, [], [])
    assert err == ""


def test_every_file_kind_is_audited(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "x"\ndependencies = [\n  "{FAKE}==2.0.1",\n]\n'
    )
    (project / "environment.yml").write_text(
        "dependencies:\n  - pytorch=0.0.1=cpu_0\n  - pip:\n    - " + FAKE + "==1.0.0\n"
    )
    code, data, _ = audit_json(["--db", db], capsys)
    assert code == 1
    got = sorted(
        (f["rule"], f["path"], f["line"], f["message"].split("(")[1].split(")")[0])
        for f in data["findings"]
    )
    assert got == [
        ("ML601", "environment.yml", 2, "safety 99003"),
        ("ML601", "environment.yml", 4, "safety 99001, CVE-2099-0001"),
        ("ML601", "pyproject.toml", 4, "safety 99002"),
    ]


def test_ignore_vulnerabilities_config(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".mlvet.toml").write_text('[audit]\nignore-vulnerabilities = ["cve-2099-0001"]\n')
    (project / "requirements.txt").write_text(f"{FAKE}==1.1.0\n{FAKE}==2.0.0\n")
    code, data, _ = audit_json(["--db", db], capsys)
    assert rules_at(data) == [("ML601", "requirements.txt", 2)]
    assert code == 1


def test_db_from_config_is_relative_to_the_config_file(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        f'[tool.mlvet.audit]\ndb = "../db"\n[project]\nname = "x"\ndependencies = ["{FAKE}==1.0"]\n'
    )
    code, data, err = audit_json([], capsys)
    assert code == 1
    assert rules_at(data) == [("ML601", "pyproject.toml", 5)]
    assert "warning" not in err


def test_unknown_audit_key_is_a_notice(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".mlvet.toml").write_text("[audit]\nbd = 'typo'\n")
    (project / "requirements.txt").write_text("numpy==1.0\n")
    code, _, err = run_cli(["audit", "--db", db], capsys)
    assert code == 0
    assert "unknown key `bd` in [tool.mlvet.audit]" in err


def test_advisory_without_pyup_id_uses_the_cve(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = build_db(tmp_path / "db-cve")
    full = json.loads((folder / "insecure_full.json").read_text())
    for adv in full["vulnerable_packages"][FAKE]:
        adv["ids"] = [i for i in adv["ids"] if i["type"] != "pyup"]
    (folder / "insecure_full.json").write_text(json.dumps(full))
    (project / "requirements.txt").write_text(f"{FAKE}==1.0\n")
    code, data, _ = audit_json(["--db", str(folder)], capsys)
    assert code == 1
    assert "(safety CVE-2099-0001)" in data["findings"][0]["message"]


def test_broken_named_database_is_exit_2_in_one_line(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.txt").write_text("numpy==1.0\n")
    code, out, err = run_cli(["audit", "--db", str(tmp_path / "nowhere")], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("mlvet: error: vulnerability database")


# -- ML602 -------------------------------------------------------------------------------


def test_unpinned_positives_and_negatives(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.txt").write_text(
        "numpy==1.26.4\n"
        "torch>=2.0\n"
        "scikit-learn\n"
        "pandas~=2.1\n"
        "tokenizers==0.15.*\n"
        "accelerate===0.30.0\n"
        f"lib @ git+https://github.com/org/lib.git@{SHA}\n"
        "other @ git+https://github.com/org/other.git@v1.0\n"
        "-e .\n"
        "transformers[torch]==4.40.0 ; python_version >= '3.9'\n"
    )
    code, data, _ = audit_json(["--db", db], capsys)
    assert code == 1
    assert rules_at(data) == [("ML602", "requirements.txt", n) for n in (2, 3, 4, 5, 8)]
    assert all(f["severity"] == "warning" and f["source"] == "mlvet" for f in data["findings"])


def test_constraints_file_pins_requirements(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.txt").write_text("-c constraints.txt\nscipy\nnumpy\n")
    (project / "constraints.txt").write_text("scipy==1.11.4\nnumpy>=1.20\n")
    _, data, _ = audit_json(["--db", db], capsys)
    assert rules_at(data) == [("ML602", "requirements.txt", 3)]


def test_included_files_are_reported_at_their_own_path(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements").mkdir()
    (project / "requirements" / "base.txt").write_text(f"{FAKE}==1.0\n")
    (project / "requirements" / "dev.txt").write_text("-r base.txt\n-r dev.txt\npytest\n")
    (project / "requirements-dev.txt").write_text("-r requirements/dev.txt\nblack\n")
    _, data, _ = audit_json(["--db", db], capsys)
    assert sorted(rules_at(data)) == [
        ("ML601", "requirements/base.txt", 1),
        ("ML602", "requirements-dev.txt", 2),
        ("ML602", "requirements/dev.txt", 3),
    ]


def test_discovery_skips_virtualenvs_and_unrelated_files(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".venv" / "lib").mkdir(parents=True)
    (project / ".venv" / "lib" / "requirements.txt").write_text("numpy\n")
    (project / "notes.txt").write_text("numpy\n")
    (project / "requirements.in").write_text("numpy\n")
    (project / "src").mkdir()
    (project / "src" / "requirements-train.txt").write_text("lightning\n")
    code, data, _ = audit_json(["--db", db], capsys)
    assert code == 1
    assert rules_at(data) == [("ML602", "src/requirements-train.txt", 1)]
    # A file named on the command line is read whatever its name.
    _, data, _ = audit_json(["--db", db, "requirements.in"], capsys)
    assert rules_at(data) == [("ML602", "requirements.in", 1)]


def test_inline_suppression_and_per_file_ignores(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".mlvet.toml").write_text('[per-file-ignores]\n"requirements-dev.txt" = ["ML602"]\n')
    (project / "requirements.txt").write_text(
        f"numpy  # mlvet: ignore[ML602]\nscipy\n{FAKE}==1.0  # mlvet: ignore[ML601]\n"
    )
    (project / "requirements-dev.txt").write_text("pytest\n")
    _, data, _ = audit_json(["--db", db], capsys)
    assert rules_at(data) == [("ML602", "requirements.txt", 2)]


def test_severity_override_and_fail_on(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.txt").write_text("numpy\n")
    code, _, _ = audit_json(["--db", db, "--fail-on", "error"], capsys)
    assert code == 0
    (project / ".mlvet.toml").write_text('[severity]\nML602 = "error"\n')
    code, data, _ = audit_json(["--db", db, "--fail-on", "error"], capsys)
    assert code == 1 and data["findings"][0]["severity"] == "error"


def test_select_and_ignore(project: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "requirements.txt").write_text(f"numpy\n{FAKE}==1.0\n")
    _, data, _ = audit_json(["--db", db, "--select", "ML601"], capsys)
    assert [f["rule"] for f in data["findings"]] == ["ML601"]
    _, data, _ = audit_json(["--db", db, "--ignore", "ML601"], capsys)
    assert [f["rule"] for f in data["findings"]] == ["ML602"]


# -- without a database ------------------------------------------------------------------


def test_no_db_on_a_developer_machine_warns_and_ml602_decides(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.txt").write_text(f"{FAKE}==1.0\n")
    code, out, err = run_cli(["audit"], capsys)
    assert code == 0
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlvet: warning: no vulnerability database")
    assert "ML601 not checked" in lines[0]
    (project / "requirements.txt").write_text("numpy\n")
    code, out, err = run_cli(["audit"], capsys)
    assert code == 1 and "ML602" in out


def test_no_db_in_ci_is_exit_2_with_one_line(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.txt").write_text("numpy==1.26.4\n")
    monkeypatch.setenv("CI", "true")
    code, out, err = run_cli(["audit"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("mlvet: error: no vulnerability database")
    assert out == ""


def test_require_db_flag_and_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "requirements.txt").write_text("numpy==1.26.4\n")
    code, _, err = run_cli(["audit", "--require-db"], capsys)
    assert code == 2 and err.count("\n") == 1
    (project / ".mlvet.toml").write_text("[audit]\nrequire-db = true\n")
    code, _, _ = run_cli(["audit"], capsys)
    assert code == 2


def test_ci_with_ml601_deselected_needs_no_database(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CI", "true")
    (project / "requirements.txt").write_text("numpy==1.26.4\n")
    code, out, err = run_cli(["audit", "--select", "ML602"], capsys)
    assert (code, err) == (0, "")
    assert "ML60" not in out


def test_no_dependency_files_needs_no_database(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CI", "true")
    (project / "train.py").write_text("import torch\n")
    code, out, err = run_cli(["audit"], capsys)
    assert code == 0 and err == ""
    assert "0 files checked" in out


def test_offline_flag_never_downloads(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "requirements.txt").write_text("numpy==1.26.4\n")
    code, _, err = run_cli(["audit", "--offline"], capsys)
    assert code == 0 and "offline and no cached copy" in err


def test_ci_exit_2_in_a_real_process_without_traceback(tmp_path: Path, project: Path) -> None:
    (project / "requirements.txt").write_text("numpy==1.26.4\n")
    proc = run_mlvet(["audit"], project, env={**offline_env(tmp_path), "CI": "true"})
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    proc = run_mlvet(["audit"], project, env=offline_env(tmp_path))
    assert proc.returncode == 0
    assert proc.stderr.startswith("mlvet: warning: no vulnerability database")


# -- broken files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("pyproject.toml", b'[project\nname = "x"\n', "not valid TOML"),
        ("environment.yml", b"dependencies:\n  - [oops\n", "not valid YAML"),
        ("requirements.txt", b"numpy==1.0\ncaf\xe9\n", "not UTF-8"),
        ("requirements.txt", b"\0\0\0\x01binary", "binary data"),
    ],
)
def test_broken_files_are_one_line_errors(
    project: Path, db: str, capsys: pytest.CaptureFixture[str], name: str, data: bytes, message: str
) -> None:
    (project / name).write_bytes(data)
    (project / "requirements-dev.txt").write_text("pytest\n")
    code, out, err = run_cli(["audit", "--db", db], capsys)
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("mlvet: error:")]
    assert len(errors) == 1 and errors[0].startswith(f"mlvet: error: {name}: ")
    assert message in errors[0]
    assert "requirements-dev.txt:1:1: ML602" in out  # the other file is still audited


def test_missing_path_is_an_error(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, data, _ = audit_json(["--db", db, "nope/requirements.txt"], capsys)
    assert code == 1 and data["errors"][0]["path"] == "nope/requirements.txt"


# -- formats -----------------------------------------------------------------------------


def _two_findings(project: Path) -> None:
    (project / "requirements.txt").write_text(f"numpy\n{FAKE}==1.1.0\n")


def test_text_output(project: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _two_findings(project)
    code, out, _ = run_cli(["audit", "--db", db, "--no-color"], capsys)
    assert code == 1
    assert "requirements.txt:1:1: ML602 dependency `numpy` is not pinned" in out
    assert "requirements.txt:2:1: ML601 `mlvet-fakepkg==1.1.0` has a known vulnerability" in out
    assert "1 file checked" in out


def test_sarif_output(
    project: Path, db: str, capsys: pytest.CaptureFixture[str], sarif_validator: Any
) -> None:
    _two_findings(project)
    code, out, _ = run_cli(["audit", "--db", db, "--format", "sarif"], capsys)
    assert code == 1
    doc = json.loads(out)
    sarif_validator.validate(doc)
    by_tool = {run["tool"]["driver"]["name"]: run for run in doc["runs"]}
    assert [r["ruleId"] for r in by_tool["safety"]["results"]] == ["ML601"]
    assert [r["ruleId"] for r in by_tool["mlvet"]["results"]] == ["ML602"]
    region = by_tool["safety"]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 2
    # The ML601 descriptor carries the catalogue's docs and security severity.
    descriptor = by_tool["safety"]["tool"]["driver"]["rules"][0]
    assert descriptor["name"] == "vulnerable-dependency"
    assert float(descriptor["properties"]["security-severity"]) > 0


def test_github_output(project: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _two_findings(project)
    _, out, _ = run_cli(["audit", "--db", db, "--format", "github"], capsys)
    assert "::error file=requirements.txt,line=2,col=1,title=ML601 vulnerable-dependency::" in out
    assert "::warning file=requirements.txt,line=1,col=1,title=ML602 unpinned-dependency::" in out


def test_output_file(project: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _two_findings(project)
    code, out, _ = run_cli(["audit", "--db", db, "--format", "json", "-o", "report.json"], capsys)
    assert code == 1 and out == ""
    data = json.loads((project / "report.json").read_text())
    assert {f["rule"] for f in data["findings"]} == {"ML601", "ML602"}


# -- start-up cost -----------------------------------------------------------------------


def test_rules_catalogue_does_not_import_safety() -> None:
    code = (
        "import sys, mlvet.registry as r; r.all_rules(); import mlvet.commands.audit; "
        "print('safety' in sys.modules, 'mlvet.wrappers.audit' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["False", "False"]


def test_rule_documentation(capsys: pytest.CaptureFixture[str]) -> None:
    from mlvet.registry import get_rule

    for code, name in (("ML601", "vulnerable-dependency"), ("ML602", "unpinned-dependency")):
        rule = get_rule(code)
        assert rule is not None and rule.name == name and rule.example_kind == "none"
    ml601 = get_rule("ML601")
    assert ml601 is not None and ml601.security_severity is not None


def test_one_file_reached_by_two_spellings_is_reported_once(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.txt").write_text("numpy\n")
    (project / "requirements-dev.txt").write_text("-r requirements.txt\npytest==8.0.0\n")
    _, data, _ = audit_json(["--db", db, "./requirements.txt", "requirements-dev.txt"], capsys)
    assert [(f["rule"], f["line"]) for f in data["findings"]] == [("ML602", 1)]


def test_conda_pip_include_is_audited(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "envs").mkdir()
    (project / "envs" / "environment.yml").write_text(
        "dependencies:\n  - python=3.11\n  - pip:\n    - -r file:requirements-pip.txt\n"
    )
    (project / "envs" / "requirements-pip.txt").write_text(
        f"{FAKE}==1.1.0  # mlvet: ignore[ML602]\n"
    )
    code, data, _ = audit_json(["--db", db, "envs/environment.yml"], capsys)
    assert code == 1
    assert rules_at(data) == [("ML601", "envs/requirements-pip.txt", 1)]


def test_without_safety_installed(
    project: Path, db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "safety", None)  # `import safety` now fails
    (project / "requirements.txt").write_text(f"{FAKE}==1.0\nnumpy\n")
    code, out, err = run_cli(["audit", "--db", db], capsys)
    assert code == 2  # a database was named, so the lookup was required
    assert err.count("\n") == 1 and "pip install 'mlvet[audit]'" in err
    (project / ".mlvet.toml").write_text("")
    db_copy = Path(db)
    monkeypatch.setenv("MLVET_CACHE_DIR", str(db_copy.parent / "cache2"))
    shutil.copytree(db_copy, db_copy.parent / "cache2" / "safety-db")
    code, out, err = run_cli(["audit"], capsys)
    assert code == 1 and "ML602" in out and "ML601" not in out
    assert "safety is not installed" in err and "ML601 not checked" in err


def test_named_files_of_other_formats_are_skipped_with_a_notice(
    project: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "setup.cfg").write_text("[options]\ninstall_requires =\n    numpy\n")
    (project / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    code, out, err = run_cli(["audit", "--db", db, "setup.cfg", "setup.py"], capsys)
    assert code == 0 and "ML602" not in out
    assert "setup.cfg: not a dependency file this audit reads" in err
    assert "setup.py: not a dependency file" in err


def test_real_process_with_a_database_prints_nothing_on_stderr(
    tmp_path: Path, project: Path, db: str
) -> None:
    (project / "requirements.txt").write_text(f"{FAKE}==1.1.0\n")
    proc = run_mlvet(["audit", "--db", db, "--format", "json"], project, env=offline_env(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr == ""  # safety's warnings and logging are kept quiet
    assert json.loads(proc.stdout)["findings"][0]["rule"] == "ML601"
