"""`mlvet init`: write (or print) pre-commit, workflow and [tool.mlvet] starters."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlvet.config import Config

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mlvet.onboarding import Profile


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", nargs="?", default=".", help="the repository (default: .)")
    parser.add_argument(
        "--print",
        dest="print_only",
        action="store_true",
        help="print the starters instead of writing files",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite an existing workflow file / .mlvet.toml"
    )


def run(args: argparse.Namespace, config: Config) -> int:
    from mlvet.baseline import atomic_write_text
    from mlvet.onboarding import STARTER, detect, precommit_config, workflow

    root = Path(args.root)
    if not root.is_dir():
        print(f"mlvet: error: {args.root}: not a folder", file=sys.stderr)
        return 2
    profile = detect(root)
    if args.print_only:
        print("# .pre-commit-config.yaml\n" + precommit_config(profile))
        print("# .github/workflows/mlvet.yml\n" + workflow())
        print("# pyproject.toml\n" + STARTER)
        return 0

    try:
        plan = _plan(root, profile, args.force)
    except InitError as exc:
        print(f"mlvet: error: {exc}", file=sys.stderr)
        return 2
    said: list[str] = []
    for path, text, message in plan:
        if text is not None:
            try:
                atomic_write_text(path, text)
            except OSError as exc:
                print(
                    f"mlvet: error: {path}: cannot write ({exc.strerror or exc})", file=sys.stderr
                )
                return 2
        said.append(message)
    for line in said:
        print(line)
    print("next: pre-commit install && pre-commit run --all-files")
    return 0


class InitError(Exception):
    """A file init would change is unreadable or in the way: nothing is written."""


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InitError(f"{path}: not UTF-8 text; fix it or add mlvet by hand") from None
    except OSError as exc:
        raise InitError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _check_writable(root: Path, path: Path) -> None:
    """A file or folder on the way to `path` that is of the wrong kind stops init early."""
    for parent in reversed(path.relative_to(root).parents):
        folder = root / parent
        if folder.exists() and not folder.is_dir():
            raise InitError(f"{folder}: is a file, but {path.name} has to go inside it")
    if path.is_dir():
        raise InitError(f"{path}: is a folder, not a file")


def _plan(root: Path, profile: Profile, force: bool) -> list[tuple[Path, str | None, str]]:
    """(path, new text or None to leave it, what to say) for every starter, all checked
    before the first write so a refusal leaves the repository as it was."""
    from mlvet.onboarding import (
        STARTER,
        merge_precommit,
        precommit_config,
        starter_for_pyproject,
        validate_precommit,
        workflow,
    )

    plan: list[tuple[Path, str | None, str]] = []
    hooks = ", ".join(h for h, _ in profile.hooks())
    pc = root / ".pre-commit-config.yaml"
    _check_writable(root, pc)
    if pc.exists():
        existing = _read(pc)
        problem = validate_precommit(existing)
        if problem:
            raise InitError(f"{pc}: {problem}; fix it or add mlvet by hand")
        try:
            merged = merge_precommit(existing, profile)
        except ValueError as exc:
            raise InitError(f"{pc}: cannot add mlvet ({exc})") from None
        if merged is None:
            plan.append((pc, None, f"{pc}: mlvet is already configured (left as it is)"))
        elif validate_precommit(merged, need_mlvet=True):
            raise InitError(f"{pc}: cannot add mlvet to this layout safely; add it by hand")
        else:
            plan.append((pc, merged, f"{pc}: added mlvet ({hooks})"))
    else:
        plan.append((pc, precommit_config(profile), f"{pc}: written ({hooks})"))

    wf = root / ".github" / "workflows" / "mlvet.yml"
    _check_writable(root, wf)
    if wf.exists() and not force:
        plan.append((wf, None, f"{wf}: exists (left as it is; --force to overwrite)"))
    else:
        plan.append((wf, workflow(), f"{wf}: written"))

    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        _check_writable(root, pyproject)
        text = _read(pyproject)
        new = starter_for_pyproject(text)
        if new is None:
            plan.append((pyproject, None, f"{pyproject}: already has [tool.mlvet] (left as it is)"))
        else:
            _check_toml(pyproject, text)
            plan.append((pyproject, new, f"{pyproject}: added a [tool.mlvet] section"))
    else:
        dot = root / ".mlvet.toml"
        _check_writable(root, dot)
        if dot.exists() and not force:
            plan.append((dot, None, f"{dot}: exists (left as it is; --force to overwrite)"))
        else:
            starter = STARTER.replace("[tool.mlvet]\n", "", 1).replace(
                "[tool.mlvet.per-file-ignores]", "[per-file-ignores]"
            )
            plan.append((dot, starter, f"{dot}: written"))
    return plan


def _check_toml(path: Path, text: str) -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InitError(f"{path}: not valid TOML ({exc}); fix it first") from None
