"""`mlvet audit`: vulnerable (ML601, via safety) and unpinned (ML602) dependencies."""

from __future__ import annotations

import argparse
import sys

from mlvet.config import Config
from mlvet.findings import Report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mlvet.cli import add_report_arguments

    add_report_arguments(parser)
    parser.add_argument(
        "--db",
        metavar="DIR",
        help="local vulnerability database folder (safety's JSON format); "
        "the network is never used when given",
    )
    parser.add_argument(
        "--require-db",
        action="store_true",
        help="exit 2 when no vulnerability database is available (the default when CI=true)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="never download the database; use --db or the cached copy",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="download timeout for the open database (default: 10)",
    )


def run(args: argparse.Namespace, config: Config) -> Report | int:
    from mlvet.wrappers.audit import AuditAbort, options_from, run_audit

    options = options_from(
        config, db=args.db, require_db=args.require_db, offline=args.offline, timeout=args.timeout
    )
    try:
        return run_audit(args.paths, config, options)
    except AuditAbort as exc:
        print(f"mlvet: error: {exc}", file=sys.stderr)
        return 2
