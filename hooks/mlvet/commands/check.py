"""`mlvet check`: native rules on code, notebooks and model files."""

from __future__ import annotations

import argparse

from mlvet.config import Config
from mlvet.findings import Report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mlvet.cli import add_report_arguments

    add_report_arguments(parser)
    parser.add_argument(
        "--jobs", "-j", type=int, default=None, help="parallel processes (default: every core)"
    )


def run(args: argparse.Namespace, config: Config) -> Report:
    from mlvet.engine import run_check

    return run_check(args.paths, config, jobs=args.jobs)
