"""The composite Action: static checks (zizmor, JSON schema) and its run: steps for real.

The harness executes every `run:` step of action.yml with bash, as the runner would
(`bash --noprofile --norc -eo pipefail`), with the step's `env:` rendered from the inputs
and temp files for GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STEP_SUMMARY. `uses:` steps and the
install step are skipped: the test environment already has this checkout installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, git

ACTION = REPO_ROOT / "action.yml"
_EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def _workflow_files(tmp_path: Path) -> list[Path]:
    """This repo's workflows plus every workflow example in the README."""
    files = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", readme, re.S)):
        if "jobs:" in block and "runs-on:" in block:
            path = tmp_path / f"readme-example-{i}.yml"
            path.write_text(block, encoding="utf-8")
            files.append(path)
    return files


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (it is part of the test extras)")
    return found


def test_zizmor_reports_nothing(tmp_path: Path) -> None:
    files = [ACTION, *_workflow_files(tmp_path)]
    assert any("readme-example" in f.name for f in files), "README has no workflow example"
    proc = subprocess.run(
        [_tool("zizmor"), "--offline", "--persona", "pedantic", "--no-progress", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout


def test_action_and_workflows_match_github_schemas(tmp_path: Path) -> None:
    cj = _tool("check-jsonschema")
    proc = subprocess.run(
        [cj, "--builtin-schema", "vendor.github-actions", str(ACTION)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run(
        [cj, "--builtin-schema", "vendor.github-workflows", *map(str, _workflow_files(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_expression_inside_run_and_third_party_actions_pinned() -> None:
    action = yaml.safe_load(ACTION.read_text())
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


@dataclass
class ActionRun:
    status: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


def run_action(repo: Path, tmp_path: Path, base_ref: str = "", **inputs: str) -> ActionRun:
    action: dict[str, Any] = yaml.safe_load(ACTION.read_text())
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    given = {k.replace("_", "-"): v for k, v in inputs.items()}
    unknown = set(given) - set(values)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    values.update(given)
    github = {"base_ref": base_ref}

    def render(text: str, step_outputs: dict[str, dict[str, str]]) -> str:
        def one(m: re.Match[str]) -> str:
            expr = m.group(1)
            head, _, rest = expr.partition(".")
            if head == "inputs":
                return values[rest]
            if head == "github":
                return github.get(rest, "")
            if head == "steps":
                sid, _, key = rest.partition(".outputs.")
                return step_outputs.get(sid, {}).get(key, "")
            raise AssertionError(f"harness cannot evaluate ${{{{ {expr} }}}}")

        return _EXPR.sub(one, text)

    summary_file = tmp_path / "summary.md"
    summary_file.write_text("")
    step_outputs: dict[str, dict[str, str]] = {}
    status, out_all, err_all = 0, "", ""
    bin_dir = str(Path(sys.executable).parent)
    for step in action["runs"]["steps"]:
        if "uses" in step or step.get("id") == "install":
            continue
        out_file = tmp_path / f"output-{step.get('id', 'step')}"
        out_file.write_text("")
        env = {
            **os.environ,
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "GITHUB_ACTION_PATH": str(REPO_ROOT),
            "GITHUB_OUTPUT": str(out_file),
            "GITHUB_ENV": str(tmp_path / "env"),
            "GITHUB_STEP_SUMMARY": str(summary_file),
            "NO_COLOR": "1",
        }
        env.update({k: render(str(v), step_outputs) for k, v in step.get("env", {}).items()})
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        out_all += proc.stdout
        err_all += proc.stderr
        step_outputs[step.get("id", "")] = dict(
            line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line
        )
        if proc.returncode != 0:
            status = proc.returncode
            break
    outputs = {
        name: render(str(spec["value"]), step_outputs) for name, spec in action["outputs"].items()
    }
    return ActionRun(status, out_all, err_all, outputs, summary_file.read_text())


def _problem_repo(root: Path) -> Path:
    repo = root / "project"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "train.py").write_text(
        "import pickle\n\n\ndef load(path):\n    with open(path, 'rb') as f:\n"
        "        return pickle.load(f)\n"
    )
    (repo / "src" / "clean.py").write_text("import json\n\nprint(json.dumps({}))\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "init")
    return repo


def test_action_on_a_repository_with_problems(tmp_path: Path, sarif_validator: Any) -> None:
    repo = _problem_repo(tmp_path)
    result = run_action(
        repo, tmp_path, hooks="mlvet,scan-model-files", sarif_file="out/mlvet.sarif"
    )
    assert result.status == 1, result.stderr
    assert "::error file=src/train.py,line=6,col=16,title=ML101 pickle-load::" in result.stdout
    assert int(result.outputs["errors"]) >= 1
    assert result.outputs["exit-code"] == "1"
    assert result.outputs["sarif-file"] == "out/mlvet.sarif"
    sarif = json.loads((repo / "out" / "mlvet.sarif").read_text())
    sarif_validator.validate(sarif)
    rules = {r["ruleId"] for run in sarif["runs"] for r in run["results"]}
    assert "ML101" in rules
    assert "| ML101 | pickle-load |" in result.summary
    assert "src/train.py:6" in result.summary
    # Check-only: nothing in the checkout changed apart from the report.
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""


def test_action_on_a_clean_repository(tmp_path: Path) -> None:
    repo = _problem_repo(tmp_path)
    (repo / "src" / "train.py").write_text(
        "import json\n\n\ndef load(path):\n    return json.load(open(path))\n"
    )
    result = run_action(repo, tmp_path, hooks="mlvet", annotations="false")
    assert result.status == 0, result.stdout + result.stderr
    assert result.outputs["total"] == "0"
    assert result.outputs["exit-code"] == "0"
    assert "::error" not in result.stdout
    assert "No findings" in result.summary


def test_action_changed_only_without_changes_checks_nothing(tmp_path: Path) -> None:
    repo = _problem_repo(tmp_path)
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    result = run_action(repo, tmp_path, hooks="mlvet", changed_only="true")
    # Without a pull request base, every file is checked.
    assert result.status == 1
    result = run_action(repo, tmp_path, base_ref="main", hooks="mlvet", changed_only="true")
    assert result.status == 0, result.stdout + result.stderr
    assert result.outputs["total"] == "0"
    assert "No changed files" in result.summary


def test_action_rejects_an_unknown_hook(tmp_path: Path) -> None:
    repo = _problem_repo(tmp_path)
    result = run_action(repo, tmp_path, hooks="mlvet,no-such-hook")
    assert result.status == 2
    assert "unknown hook id(s): no-such-hook" in result.stderr


def test_action_usage_error_still_sets_exit_code(tmp_path: Path) -> None:
    repo = _problem_repo(tmp_path)
    result = run_action(repo, tmp_path, hooks="mlvet", fail_on="critical")
    assert result.status == 2
    assert result.outputs["exit-code"] == "2"
