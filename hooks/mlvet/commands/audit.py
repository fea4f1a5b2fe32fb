"""`mlvet audit` (placeholder until its issue lands)."""

from __future__ import annotations

import argparse
import sys

from mlvet.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."])


def run(args: argparse.Namespace, config: Config) -> int:
    print("mlvet: error: `mlvet audit` is not available yet", file=sys.stderr)
    return 2
