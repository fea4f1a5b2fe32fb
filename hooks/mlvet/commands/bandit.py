"""`mlvet bandit`: bandit with the bundled ML profile, notebooks included (`bandit-ml`)."""

from __future__ import annotations

import argparse
import sys

from mlvet.config import Config
from mlvet.findings import Report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mlvet.cli import add_report_arguments

    add_report_arguments(parser)


def run(args: argparse.Namespace, config: Config) -> Report | int:
    from mlvet.wrappers.bandit import run_bandit
    from mlvet.wrappers.lint_common import ToolFailed, ToolMissing

    try:
        return run_bandit(args.paths, config)
    except (ToolMissing, ToolFailed) as exc:
        print(f"mlvet: error: {exc}", file=sys.stderr)
        return 2
