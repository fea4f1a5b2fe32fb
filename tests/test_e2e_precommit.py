"""Every hook through the real pre-commit: blocked on a problem, passing once fixed.

`pre-commit try-repo` installs this checkout into pre-commit's own environment for the
hook (with the hook's extra), exactly as a user's `repo:` entry would.
"""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO_ROOT, git, make_notebook, notebook_text
from mlvet.hookspec import HOOKS

pytestmark = pytest.mark.slow

Files = dict[str, bytes | str]


def _fake_hf_token() -> str:
    rng = random.Random(11)
    return "hf_" + "".join(rng.choice(string.ascii_letters) for _ in range(34))


def _malicious_pickle() -> bytes:
    # GLOBAL os.system, a string, TUPLE1, REDUCE: written as opcodes, never loaded.
    return b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x00\x85R."


def _benign_pickle() -> bytes:
    import pickle

    return pickle.dumps({"weights": [1.0, 2.0], "name": "tiny"}, protocol=4)


def _nb(outputs: bool) -> str:
    nb = make_notebook(["import json\nprint(json.dumps({}))"])
    if outputs:
        nb["cells"][0]["execution_count"] = 1
        nb["cells"][0]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["{}\n"]}]
    return notebook_text(nb)


CASES: dict[str, tuple[Files, Files]] = {
    "mlvet": (
        {"train.py": "import pickle\n\nstate = pickle.load(open('m.pkl', 'rb'))\n"},
        {"train.py": "import json\n\nstate = json.load(open('m.json'))\n"},
    ),
    "check-pickle-load": (
        {"load.py": "import joblib as jl\n\nmodel = jl.load('model.joblib')\n"},
        {"load.py": "import skops.io as sio\n\nmodel = sio.load('model.skops', trusted=[])\n"},
    ),
    "check-remote-code": (
        {
            "m.py": "from transformers import AutoModel\n\nm = AutoModel.from_pretrained('./local', trust_remote_code=True)\n"
        },
        {
            "m.py": "from transformers import AutoModel\n\nm = AutoModel.from_pretrained('./local')\n"
        },
    ),
    "check-random-seed": (
        {"r.py": "import random\n\nprint(random.random())\n"},
        {"r.py": "import random\n\nrandom.seed(0)\nprint(random.random())\n"},
    ),
    "check-ml-smells": (
        {
            "s.py": "import torch\n\nmodel = torch.nn.Linear(2, 2)\ny = model.forward(torch.zeros(2))\n"
        },
        {"s.py": "import torch\n\nmodel = torch.nn.Linear(2, 2)\ny = model(torch.zeros(2))\n"},
    ),
    "check-notebooks": ({"nb.ipynb": _nb(outputs=True)}, {"nb.ipynb": _nb(outputs=False)}),
    "check-llm-safety": (
        {
            "v.py": "from langchain_community.vectorstores import FAISS\n\nemb = None\nidx = FAISS.load_local('i', emb, allow_dangerous_deserialization=True)\n"
        },
        {
            "v.py": "from langchain_community.vectorstores import FAISS\n\nemb = None\nidx = FAISS.load_local('i', emb)\n"
        },
    ),
    "scan-model-files": ({"model.pkl": _malicious_pickle()}, {"model.pkl": _benign_pickle()}),
    "strip-notebook-outputs": ({"nb.ipynb": _nb(outputs=True)}, {"nb.ipynb": _nb(outputs=False)}),
    "detect-ml-secrets": (
        {".env": f"HF_TOKEN={_fake_hf_token()}\n"},
        {".env": "HF_TOKEN=${HF_TOKEN}\n"},
    ),
    "ruff-ml": (
        {"nan_check.py": "import numpy as np\n\n\ndef f(x):\n    return x == np.nan\n"},
        {"nan_check.py": "import numpy as np\n\n\ndef f(x):\n    return np.isnan(x)\n"},
    ),
    "bandit-ml": (
        {"b.py": "import yaml\n\n\ndef f(s):\n    return yaml.load(s, Loader=yaml.Loader)\n"},
        {"b.py": "import yaml\n\n\ndef f(s):\n    return yaml.safe_load(s)\n"},
    ),
    "audit-dependencies": (
        {"requirements.txt": "numpy\n"},
        {"requirements.txt": "numpy==2.1.3\n"},
    ),
}


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Shared by every xdist worker so each hook environment is built once per run.
    root = tmp_path_factory.getbasetemp().parent / "pre-commit-home"
    root.mkdir(exist_ok=True)
    return root


def _write(repo: Path, files: Files) -> None:
    for name, content in files.items():
        path = repo / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS")}
    env.update(PRE_COMMIT_HOME=str(home), NO_COLOR="1", PRE_COMMIT_COLOR="never")
    return env


def _pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo,
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_every_hook_has_a_case() -> None:
    assert set(CASES) == {h.id for h in HOOKS}


@pytest.mark.parametrize("hook_id", list(CASES))
def test_hook_blocks_the_problem_and_passes_the_fix(
    git_repo: Path, pre_commit_home: Path, hook_id: str
) -> None:
    bad, good = CASES[hook_id]
    _write(git_repo, bad)
    git(git_repo, "add", ".")
    proc = _pre_commit(
        git_repo, pre_commit_home, "try-repo", str(REPO_ROOT), hook_id, "--all-files"
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Failed" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    _write(git_repo, good)
    git(git_repo, "add", ".")
    proc = _pre_commit(
        git_repo, pre_commit_home, "try-repo", str(REPO_ROOT), hook_id, "--all-files"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout


def test_installed_hook_blocks_a_commit_until_fixed(git_repo: Path, pre_commit_home: Path) -> None:
    head = git(REPO_ROOT, "rev-parse", "HEAD").strip()
    (git_repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO_ROOT}\n    rev: {head}\n    hooks:\n      - id: check-pickle-load\n"
    )
    proc = _pre_commit(git_repo, pre_commit_home, "install")
    assert proc.returncode == 0, proc.stderr
    (git_repo / "train.py").write_text("import pickle as pk\n\nstate = pk.loads(blob)\n")
    git(git_repo, "add", ".")
    env = _env(pre_commit_home)
    commit: Callable[[], subprocess.CompletedProcess[str]] = lambda: subprocess.run(  # noqa: E731
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-m", "x"],
        cwd=git_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    blocked = commit()
    assert blocked.returncode != 0
    assert "ML101" in blocked.stdout + blocked.stderr
    assert git(git_repo, "rev-list", "--all") == ""
    (git_repo / "train.py").write_text("import json\n\nstate = json.loads(blob)\n")
    git(git_repo, "add", ".")
    allowed = commit()
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert git(git_repo, "rev-list", "--all").strip()


def test_strip_hook_rewrites_then_passes(git_repo: Path, pre_commit_home: Path) -> None:
    _write(git_repo, {"nb.ipynb": _nb(outputs=True)})
    git(git_repo, "add", ".")
    first = _pre_commit(
        git_repo,
        pre_commit_home,
        "try-repo",
        str(REPO_ROOT),
        "strip-notebook-outputs",
        "--all-files",
    )
    assert first.returncode == 1
    nb = json.loads((git_repo / "nb.ipynb").read_text())
    assert nb["cells"][0]["outputs"] == [] and nb["cells"][0]["execution_count"] is None
    git(git_repo, "add", ".")
    second = _pre_commit(
        git_repo,
        pre_commit_home,
        "try-repo",
        str(REPO_ROOT),
        "strip-notebook-outputs",
        "--all-files",
    )
    assert second.returncode == 0, second.stdout


def test_run_all_files_with_every_hook(git_repo: Path, pre_commit_home: Path) -> None:
    """One config that uses every hook: each blocks its problem, then everything passes."""
    head = git(REPO_ROOT, "rev-parse", "HEAD").strip()
    hooks = "".join(f"      - id: {h.id}\n" for h in HOOKS)
    (git_repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO_ROOT}\n    rev: {head}\n    hooks:\n{hooks}"
    )
    for bad, _ in CASES.values():
        _write(git_repo, bad)
    git(git_repo, "add", ".")
    proc = _pre_commit(git_repo, pre_commit_home, "run", "--all-files")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    failed = [line for line in proc.stdout.splitlines() if line.endswith("Failed")]
    assert len(failed) == len(HOOKS), proc.stdout
    for _, good in CASES.values():
        _write(git_repo, good)
    git(git_repo, "add", ".")
    proc = _pre_commit(git_repo, pre_commit_home, "run", "--all-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    passed = [line for line in proc.stdout.splitlines() if line.endswith(("Passed", "Skipped"))]
    assert len(passed) == len(HOOKS), proc.stdout


def test_cases_use_distinct_file_names() -> None:
    names = [name for bad, _ in CASES.values() for name in bad]
    shared = {"nb.ipynb"}  # the two notebook hooks share one notebook on purpose
    assert len([n for n in names if n not in shared]) == len({n for n in names if n not in shared})
