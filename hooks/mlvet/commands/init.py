"""`mlvet init`: write (or print) pre-commit, workflow and [tool.mlvet] starters."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlvet.config import Config


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
    from mlvet.onboarding import (
        STARTER,
        detect,
        merge_precommit,
        precommit_config,
        starter_for_pyproject,
        workflow,
    )

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

    said: list[str] = []
    pc = root / ".pre-commit-config.yaml"
    if pc.exists():
        try:
            merged = merge_precommit(pc.read_text(encoding="utf-8"), profile)
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            print(f"mlvet: error: {pc}: cannot add mlvet ({exc})", file=sys.stderr)
            return 2
        if merged is None:
            said.append(f"{pc}: mlvet is already configured (left as it is)")
        else:
            atomic_write_text(pc, merged)
            said.append(f"{pc}: added mlvet ({', '.join(h for h, _ in profile.hooks())})")
    else:
        atomic_write_text(pc, precommit_config(profile))
        said.append(f"{pc}: written ({', '.join(h for h, _ in profile.hooks())})")

    wf = root / ".github" / "workflows" / "mlvet.yml"
    if wf.exists() and not args.force:
        said.append(f"{wf}: exists (left as it is; --force to overwrite)")
    else:
        atomic_write_text(wf, workflow())
        said.append(f"{wf}: written")

    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        new = starter_for_pyproject(pyproject.read_text(encoding="utf-8"))
        if new is None:
            said.append(f"{pyproject}: already has [tool.mlvet] (left as it is)")
        else:
            atomic_write_text(pyproject, new)
            said.append(f"{pyproject}: added a [tool.mlvet] section")
    else:
        dot = root / ".mlvet.toml"
        if dot.exists() and not args.force:
            said.append(f"{dot}: exists (left as it is; --force to overwrite)")
        else:
            atomic_write_text(
                dot,
                STARTER.replace("[tool.mlvet]\n", "", 1).replace(
                    "[tool.mlvet.per-file-ignores]", "[per-file-ignores]"
                ),
            )
            said.append(f"{dot}: written")
    for line in said:
        print(line)
    print("next: pre-commit install && pre-commit run --all-files")
    return 0
