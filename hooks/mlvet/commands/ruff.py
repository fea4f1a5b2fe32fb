"""`mlvet ruff`: ruff with the bundled ML rule set (the `ruff-ml` hook)."""

from __future__ import annotations

import argparse
import sys

from mlvet.config import Config
from mlvet.findings import Report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mlvet.cli import add_report_arguments

    add_report_arguments(parser)
    parser.add_argument(
        "--fix",
        action="store_true",
        help="let ruff fix what it can (rewrites files; exit 1 when it did)",
    )
    parser.add_argument(
        "--unsafe-fixes", action="store_true", help="with --fix, also apply ruff's unsafe fixes"
    )


def run(args: argparse.Namespace, config: Config) -> Report | int:
    from mlvet.commands import finish
    from mlvet.wrappers.lint_common import ToolFailed, ToolMissing
    from mlvet.wrappers.ruff import run_ruff

    try:
        result = run_ruff(args.paths, config, fix=args.fix, unsafe_fixes=args.unsafe_fixes)
    except (ToolMissing, ToolFailed) as exc:
        print(f"mlvet: error: {exc}", file=sys.stderr)
        return 2
    if not result.changed:
        return result.report
    code = finish(result.report, args, config)
    if getattr(args, "exit_zero", False) or getattr(args, "baseline_write", None):
        return code
    # Like pre-commit's fixers: files were rewritten, so the run fails once.
    return max(code, 1)
