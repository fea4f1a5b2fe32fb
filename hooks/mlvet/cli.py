"""Command line: parses arguments and hands them to a command module. Nothing else."""

from __future__ import annotations

import sys

from mlvet import __version__

TYPE_CHECKING = False  # not `from typing import`: typing alone costs ~10 ms at start-up
if TYPE_CHECKING:  # argparse is imported only when needed: `mlvet --version` stays fast
    import argparse
    from collections.abc import Sequence

# name -> (module in mlvet.commands, one-line help). Each module has
# `add_arguments(parser)` and `run(args, config) -> Report | int`.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "run the native ML rules on code, notebooks and model files"),
    "rules": ("rules", "list every rule"),
    "rule": ("rules", "print one rule's documentation"),
    "run": ("run", "every check-only check at once (what the GitHub Action runs)"),
    "strip": ("strip", "strip outputs and volatile metadata from notebooks (nbstripout)"),
    "secrets": ("secrets", "find ML credentials (detect-secrets plus ML token detectors)"),
    "ruff": ("ruff", "ruff with the bundled ML rule set"),
    "bandit": ("bandit", "bandit with the bundled ML profile, notebooks included"),
    "audit": ("audit", "dependency audit: vulnerable (safety) and unpinned dependencies"),
    "init": ("init", "write pre-commit, workflow and [tool.mlvet] starters"),
}


def add_report_arguments(parser: argparse.ArgumentParser, paths_default: str = ".") -> None:
    """Options every finding-producing command shares."""
    parser.add_argument("paths", nargs="*", default=[paths_default], help="files or folders")
    from mlvet.report import FORMATS

    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    parser.add_argument(
        "--fail-on",
        choices=("info", "warning", "error"),
        default=None,
        help="lowest severity that fails the run (default: warning)",
    )
    parser.add_argument("--config", metavar="FILE", help="a .mlvet.toml or pyproject.toml")
    parser.add_argument(
        "--select",
        action="append",
        metavar="CODES",
        help="rule codes or prefixes, comma-separated (replaces the config)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        metavar="CODES",
        help="rule codes or prefixes to leave out (adds to the config)",
    )
    parser.add_argument("--baseline", metavar="FILE", help="report only findings not in FILE")
    parser.add_argument(
        "--baseline-write",
        metavar="FILE",
        help="record the current findings in FILE; exit 0 unless a file could not be read",
    )
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    parser.add_argument("--no-color", action="store_true", help="never colour text output")


def build_parser() -> argparse.ArgumentParser:
    import argparse
    import importlib

    parser = argparse.ArgumentParser(
        prog="mlvet",
        description="Keep machine-learning Python repositories safe and reproducible.",
    )
    parser.add_argument("--version", action="version", version=f"mlvet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(f"mlvet.commands.{module_name}")
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p) if name != "rule" else module.add_rule_arguments(p)
        p.set_defaults(_module=module_name, _run="run" if name != "rule" else "run_rule")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv in (["--version"], ["-V"]):  # fast path: import nothing else
        print(f"mlvet {__version__}")
        return 0
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help, 2 for usage errors
        return int(exc.code or 0)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    from mlvet.commands import execute

    try:
        return execute(args)
    except KeyboardInterrupt:
        print("mlvet: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line, never a traceback
        import os

        if os.environ.get("MLVET_DEBUG"):
            raise
        print(f"mlvet: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
