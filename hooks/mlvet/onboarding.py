"""`mlvet init`: starter files that fit the repository. Pure functions over text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from mlvet import __version__

REPO_URL = "https://github.com/mlvet/mlvet"
MODEL_SUFFIXES = (
    ".pkl",
    ".pickle",
    ".joblib",
    ".pt",
    ".pth",
    ".ckpt",
    ".bin",
    ".npy",
    ".npz",
    ".keras",
    ".h5",
    ".safetensors",
    ".onnx",
    ".gguf",
)


@dataclass
class Profile:
    notebooks: int = 0
    model_files: int = 0
    requirements: list[str] = field(default_factory=list)

    def hooks(self) -> list[tuple[str, str]]:
        """(hook id, why) for the hooks that fit."""
        out = [
            ("mlvet", "native ML rules on code and notebooks"),
            ("detect-ml-secrets", "ML credentials"),
        ]
        if self.notebooks:
            out.append(("strip-notebook-outputs", f"{self.notebooks} notebook(s) found"))
        if self.model_files:
            out.append(("scan-model-files", f"{self.model_files} model file(s) found"))
        if self.requirements:
            out.append(
                ("audit-dependencies", f"dependencies in {', '.join(self.requirements[:3])}")
            )
        return out


def detect(root: Path, limit: int = 20000) -> Profile:
    from mlvet.discover import _walk  # iterative: a deep tree is no RecursionError

    profile = Profile()
    for seen, rel in enumerate(_walk(str(root)), 1):
        if seen > limit:
            return profile
        lower = rel.rsplit("/", 1)[-1].lower()
        if lower.endswith(".ipynb"):
            profile.notebooks += 1
        elif lower.endswith(MODEL_SUFFIXES):
            profile.model_files += 1
        if re.fullmatch(r"requirements[^/]*\.(txt|in)|environment\.ya?ml", lower) or (
            lower == "pyproject.toml" and "dependencies" in _head(root / rel)
        ):
            profile.requirements.append(rel)
    return profile


def _head(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:20000]
    except OSError:
        return ""


def precommit_entry(profile: Profile, indent: str = "  ") -> str:
    """One `repos:` list item for mlvet, indented like the file it goes into."""
    lines = [f"{indent}- repo: {REPO_URL}", f"{indent}  rev: v{__version__}", f"{indent}  hooks:"]
    for hook_id, why in profile.hooks():
        lines.append(f"{indent}    - id: {hook_id}  # {why}")
    return "\n".join(lines) + "\n"


def precommit_config(profile: Profile) -> str:
    return "repos:\n" + precommit_entry(profile)


def merge_precommit(existing: str, profile: Profile) -> str | None:
    """Add mlvet's entry to an existing config, keeping every other line as it is.

    Returns None when mlvet is already there. Raises ValueError when the file has no
    `repos:` list to add to.
    """
    if REPO_URL in existing or re.search(r"^\s*-?\s*repo:\s*\S*mlvet\b", existing, re.M):
        return None
    lines = existing.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"repos\s*:", line)), None)
    if start is None:
        if not existing.strip() or existing.strip().startswith("#"):
            return (
                existing
                + ("" if existing.endswith("\n") or not existing else "\n")
                + precommit_config(profile)
            )
        raise ValueError("no top-level `repos:` list to add mlvet to")
    if re.match(r"repos\s*:\s*\[\s*\]\s*(#.*)?$", lines[start].rstrip("\n")):
        lines[start] = "repos:\n"
    indent = "  "
    end = len(lines)
    for i in range(start + 1, len(lines)):
        line = lines[i]
        m = re.match(r"(\s*)- ", line)
        if m and indent == "  " and i == _first_item(lines, start):
            indent = m.group(1)
        if line.strip() and not line.startswith((" ", "\t", "#")):
            end = i
            break
    # Keep trailing blank lines and comments that introduce the next top-level key.
    while (
        end > start + 1
        and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#"))
        and end < len(lines)
    ):
        end -= 1
    if end > 0 and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    lines.insert(end, precommit_entry(profile, indent))
    return "".join(lines)


def validate_precommit(text: str, need_mlvet: bool = False) -> str | None:
    """Why `text` is not a pre-commit config init can merge into (None: it is).

    With `need_mlvet`, also that mlvet's repo is in its `repos` list (after a merge).
    """
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return f"not valid YAML{where}"
    if data is None and not need_mlvet:
        return None
    if not isinstance(data, dict):
        return "not a pre-commit configuration (not a mapping)"
    repos = data.get("repos", [] if not need_mlvet else None)
    if not isinstance(repos, list):
        return "`repos` is not a list"
    if need_mlvet and not any(isinstance(r, dict) and r.get("repo") == REPO_URL for r in repos):
        return "mlvet's entry did not land in `repos`"
    return None


def _first_item(lines: list[str], start: int) -> int:
    for i in range(start + 1, len(lines)):
        if re.match(r"\s*- ", lines[i]):
            return i
    return -1


def workflow() -> str:
    return f"""name: mlvet

on:
  pull_request:
  push:
    branches: [main]

permissions: {{}}

concurrency:
  group: ${{{{ github.workflow }}}}-${{{{ github.ref }}}}
  cancel-in-progress: true

jobs:
  mlvet:
    name: mlvet
    runs-on: ubuntu-latest
    permissions:
      contents: read # to check out the code
      security-events: write # to upload SARIF to code scanning
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0
        with:
          persist-credentials: false
      - id: mlvet
        # Pin to the full commit SHA of mlvet v{__version__} (zizmor and GitHub recommend it).
        uses: mlvet/mlvet@v{__version__}
      - name: Upload SARIF to code scanning
        if: ${{{{ always() && steps.mlvet.outputs.sarif-file != '' }}}}
        uses: github/codeql-action/upload-sarif@f443b600d91635bebf5b0d9ebc620189c0d6fba5 # v4.30.8
        with:
          sarif_file: mlvet.sarif
          category: mlvet
"""


STARTER = """[tool.mlvet]
# Rules to run (codes or prefixes); the default is every native rule.
# select = ["ML1", "ML2", "ML3", "ML4", "ML7"]
ignore = []
exclude = ["data/**", "third_party/**"]
fail-on = "warning"
# max-artifact-size = "10MB"
# allowed-pickle-globals = ["mypkg.models.*"]
# seed-functions = ["mypkg.utils.fix_seeds"]

[tool.mlvet.per-file-ignores]
"tests/**" = ["ML101", "ML201"]
"""


def starter_for_pyproject(existing: str) -> str | None:
    """Append the starter to a pyproject.toml; None when it already has [tool.mlvet]."""
    if re.search(r"^\s*\[\s*tool\s*\.\s*mlvet\b", existing, re.M):
        return None
    sep = (
        ""
        if existing.endswith("\n\n") or not existing
        else ("\n" if existing.endswith("\n") else "\n\n")
    )
    return existing + sep + STARTER
