"""`mlvet check`: native rules on code, notebooks and model files."""

from __future__ import annotations

import argparse
import sys

from mlvet.config import Config
from mlvet.findings import Report

# Show progress on a terminal for runs at least this large.
PROGRESS_FROM = 500


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mlvet.cli import add_report_arguments

    add_report_arguments(parser)
    parser.add_argument(
        "--jobs", "-j", type=int, default=None, help="parallel processes (default: every core)"
    )


def _progress(done: int, total: int) -> None:
    if total >= PROGRESS_FROM:
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\rmlvet: checked {done}/{total} files{end}")
        sys.stderr.flush()


def run(args: argparse.Namespace, config: Config) -> Report:
    from mlvet.engine import run_check

    show = sys.stderr.isatty() and args.format == "text"
    return run_check(args.paths, config, jobs=args.jobs, progress=_progress if show else None)
