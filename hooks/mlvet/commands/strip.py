"""`mlvet strip`: strip outputs and volatile metadata from notebooks (nbstripout).

Without --check it rewrites the notebooks that need it and fails (exit 1) when it changed
any, as pre-commit fixers do; with --check it only reports what it would strip.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from mlvet.config import Config
from mlvet.findings import FileError, Finding, Report

SOURCE = "nbstripout"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mlvet.cli import add_report_arguments

    add_report_arguments(parser)
    parser.add_argument(
        "--check",
        "--dry-run",
        dest="check",
        action="store_true",
        help="report notebooks that need stripping; change nothing",
    )
    parser.add_argument(
        "--keep-count",
        action="store_true",
        default=None,
        help="keep execution counts (default: strip them)",
    )
    parser.add_argument(
        "--keep-output-tag",
        metavar="TAG",
        help="cells with this tag keep their output (default: keep-output)",
    )
    parser.add_argument(
        "--extra-keys",
        action="append",
        default=[],
        metavar="KEYS",
        help="more metadata to strip, e.g. 'metadata.foo cell.metadata.bar'",
    )


def strip_paths(
    paths: Sequence[str], config: Config, write: bool, args: argparse.Namespace | None = None
) -> tuple[Report, list[str]]:
    """Strip (or, without `write`, inspect) every notebook under `paths`.

    Returns the report (one ML301 finding per notebook that changes or would change)
    and the files actually rewritten.
    """
    from mlvet.discover import discover
    from mlvet.registry import get_rule
    from mlvet.wrappers.strip import StripError, StripOptions, config_notices, strip_path

    options = StripOptions.from_config(config)
    if args is not None:
        options = options.with_overrides(
            keep_output_tag=getattr(args, "keep_output_tag", None),
            keep_count=getattr(args, "keep_count", None),
            extra_keys=getattr(args, "extra_keys", None) or (),
        )
    rule = get_rule("ML301")
    severity = config.severity_for("ML301", rule.severity if rule else "warning")
    found = discover(paths, config, ["notebook"])
    files = [p for p in found.of_kind("notebook") if not config.ignored_for_path("ML301", p)]
    report = Report(
        errors=list(found.errors),
        tools=[SOURCE],
        files_checked=len(files),
        notices=[*config.notices, *config_notices(config)],
    )
    written: list[str] = []
    for path in files:
        try:
            result = strip_path(path, options, write)
        except StripError as exc:
            report.errors.append(FileError(path, str(exc)))
            continue
        if not result.changed:
            continue
        if write:
            written.append(path)
        cell = None if result.first_cell is None else result.first_cell + 1
        verb = "stripped" if write else "notebook needs stripping"
        report.findings.append(
            Finding(
                rule="ML301",
                name="notebook-outputs",
                severity=severity,
                path=path,
                line=1,
                column=1,
                message=f"{verb}: {result.describe(done=write)}",
                source=SOURCE,
                cell=cell,
                fix=(
                    "review and stage the stripped notebook"
                    if write
                    else "run `mlvet strip` (the strip-notebook-outputs hook)"
                ),
                # Where the cell's source is now: in the rewritten file when written.
                physical_line=result.new_physical_line if write else result.physical_line,
            )
        )
    return report.sorted(), written


def run(args: argparse.Namespace, config: Config) -> Report | int:
    from mlvet.commands import finish

    report, written = strip_paths(args.paths, config, write=not args.check, args=args)
    if args.check:
        return report
    code = finish(report, args, config)
    # A fixer that changed files fails the commit, whatever the severity threshold.
    if written and code == 0 and not args.exit_zero:
        code = 1
    return code
