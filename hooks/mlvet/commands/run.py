"""`mlvet run`: the check-only form of every chosen hook, merged into one report.

This is the single command behind the GitHub Action, so a CI result can be reproduced
locally with the same flags.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import replace

from mlvet.config import Config, ConfigError
from mlvet.findings import FileError, Report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mlvet.cli import add_report_arguments
    from mlvet.hookspec import DEFAULT_RUN

    add_report_arguments(parser)
    parser.add_argument(
        "--hooks",
        default=",".join(DEFAULT_RUN),
        help=f"hook ids to run, comma-separated (default: {','.join(DEFAULT_RUN)})",
    )
    parser.add_argument("--jobs", "-j", type=int, default=None)
    parser.add_argument("--sarif", metavar="FILE", help="also write SARIF 2.1.0 to FILE")
    parser.add_argument("--json", dest="json_file", metavar="FILE", help="also write JSON to FILE")
    parser.add_argument(
        "--annotations", action="store_true", help="also print GitHub workflow annotations"
    )
    parser.add_argument("--summary", metavar="FILE", help="append a Markdown summary to FILE")
    parser.add_argument(
        "--outputs", metavar="FILE", help="append counts as key=value lines to FILE (GITHUB_OUTPUT)"
    )


def parse_hooks(text: str) -> list[str]:
    from mlvet.hookspec import BY_ID

    ids = [h.strip() for h in text.replace("\n", ",").split(",") if h.strip()]
    if not ids:  # an empty Action input means "the default", never "nothing"
        from mlvet.hookspec import DEFAULT_RUN

        return list(DEFAULT_RUN)
    unknown = [h for h in ids if h not in BY_ID]
    if unknown:
        raise ConfigError(f"unknown hook id(s): {', '.join(unknown)} (see .pre-commit-hooks.yaml)")
    return list(dict.fromkeys(ids))


def run_hooks(
    hook_ids: Sequence[str], paths: Sequence[str], config: Config, jobs: int | None = None
) -> tuple[Report, list[str]]:
    """Run each hook's check-only command; return the merged report and failures."""
    from mlvet.cli import build_parser
    from mlvet.hookspec import BY_ID

    parser = build_parser()
    merged = Report(tools=[])
    failures: list[str] = []
    for hid in hook_ids:
        argv = list(BY_ID[hid].check_argv)
        hook_paths = _paths_for(hid, paths)
        if not hook_paths:
            continue  # as pre-commit skips a hook none of whose files changed
        if argv[0] == "check" and jobs:
            argv += ["--jobs", str(jobs)]
        sub = parser.parse_args([*argv, "--", *hook_paths])
        sub_config = config.with_cli(select=getattr(sub, "select", None))
        module = importlib.import_module(f"mlvet.commands.{sub._module}")
        result = getattr(module, sub._run)(sub, sub_config)
        if isinstance(result, int):
            if result != 0:
                failures.append(f"hook {hid} could not run (exit {result})")
            continue
        merged.extend(result)
    # Overlapping hooks (mlvet and check-pickle-load) report the same finding twice.
    seen: set[tuple[str, str, str, int | None, int, int, str]] = set()
    unique = []
    for f in merged.findings:
        key = (f.source, f.rule, f.path, f.cell, f.line, f.column, f.message)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    merged.findings = unique
    # A broken file is named once: by the first hook that could not read it (the
    # native check runs first and words it best), not again by every wrapped tool.
    first_error: dict[str, FileError] = {}
    for err in merged.errors:
        first_error.setdefault(err.path, err)
    merged.errors = list(first_error.values())
    if not merged.tools:
        merged.tools = ["mlvet"]
    return merged.sorted(), failures


def _paths_for(hook_id: str, paths: Sequence[str]) -> list[str]:
    """The paths one hook gets. Named files go to the dependency audit only when they
    are dependency files (the Action's changed-only mode names every changed file)."""
    from mlvet.hookspec import DEPENDENCY_FILES

    if hook_id != "audit-dependencies" or any(os.path.isdir(p) for p in paths):
        return list(paths)
    return [p for p in paths if DEPENDENCY_FILES.search(p.replace(os.sep, "/"))]


def run(args: argparse.Namespace, config: Config) -> int:
    from mlvet.baseline import filter_baseline, load_baseline
    from mlvet.commands import finish, write_file
    from mlvet.report import render
    from mlvet.report.github import render_github
    from mlvet.report.redact import redact_report
    from mlvet.report.summary import render_summary

    hook_ids = parse_hooks(args.hooks)
    known = load_baseline(args.baseline) if args.baseline and not args.baseline_write else None
    # --select on `run` filters the merged result; each hook keeps its own selection.
    base = replace(config, select=None)
    report, failures = run_hooks(hook_ids, args.paths, base, args.jobs)
    redact_report(report)  # before the side files, which do not pass through `finish`
    if config.select is not None:
        # A selection of ML codes only (as `[tool.mlvet] select` usually is) says nothing
        # about ruff's or bandit's codes: keep theirs, as `mlvet ruff`/`bandit` do.
        ml_only = all(s.startswith("ML") for s in config.select)
        report.findings = [
            f
            for f in report.findings
            if config.is_selected(f.rule, ("",)) or (ml_only and not f.rule.startswith("ML"))
        ]
    if known is not None:
        # Filtered here, before the side files, so SARIF, JSON, summary and outputs
        # all agree with the main report; `finish` must not filter a second time.
        report.sorted()
        filter_baseline(report, known)
        args.baseline = None
    for line in failures:
        print(f"mlvet: error: {line}", file=sys.stderr)
    if args.sarif:
        write_file(args.sarif, render(report, "sarif"))
    if args.json_file:
        write_file(args.json_file, render(report, "json"))
    if args.summary:
        write_file(args.summary, render_summary(report), append=True)
    if args.annotations and args.format != "github":
        sys.stdout.write(render_github(report))
    code = finish(report, args, config)
    if failures:
        code = 2
    if args.outputs:
        counts = report.counts()
        write_file(
            args.outputs,
            f"errors={counts['error']}\nwarnings={counts['warning']}\nnotes={counts['info']}\n"
            f"total={len(report.findings)}\nunreadable={len(report.errors)}\n"
            f"exit-code={code}\n",
            append=True,
        )
    return code
