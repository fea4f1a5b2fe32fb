"""Subcommands. `execute` is the one path from parsed arguments to report and exit code."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from typing import cast

from mlvet.baseline import (
    BaselineError,
    atomic_write_text,
    filter_baseline,
    load_baseline,
    write_baseline,
)
from mlvet.config import Config, ConfigError, load_config
from mlvet.findings import Report, exit_code
from mlvet.report import Format, render


def config_start(paths: list[str] | None) -> Path:
    """Where to look for the config: the folder the given paths share (cwd if none).

    `mlvet check examples/proj` then uses examples/proj's own config, as ruff would.
    """
    if not paths:
        return Path.cwd()
    folders = []
    for p in paths:
        path = Path(p).absolute()
        folders.append(path if path.is_dir() else path.parent)
    try:
        return Path(os.path.commonpath([str(f) for f in folders]))
    except ValueError:
        return Path.cwd()


def load_config_for(args: argparse.Namespace) -> Config:
    config = load_config(
        getattr(args, "config", None), start=config_start(getattr(args, "paths", None))
    )
    return config.with_cli(
        select=getattr(args, "select", None),
        ignore=getattr(args, "ignore", None),
        fail_on=getattr(args, "fail_on", None),
    )


def use_color(args: argparse.Namespace, stream: object) -> bool:
    if getattr(args, "no_color", False) or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# Commands that never look at [tool.mlvet].
NO_CONFIG = frozenset({"rules"})


def execute(args: argparse.Namespace) -> int:
    module = importlib.import_module(f"mlvet.commands.{args._module}")
    try:
        # The rule catalogue reads no configuration: its docs help fix a broken one.
        config = Config() if args._module in NO_CONFIG else load_config_for(args)
    except ConfigError as exc:
        print(f"mlvet: error: {exc}", file=sys.stderr)
        return 2
    try:
        result = getattr(module, args._run)(args, config)
        if isinstance(result, int):
            return result
        return finish(result, args, config)
    except (ConfigError, BaselineError, OutputError) as exc:
        print(f"mlvet: error: {exc}", file=sys.stderr)
        return 2


class OutputError(Exception):
    """A report, baseline or side file could not be written: one line, exit code 2."""


def write_file(path: str | Path, text: str, append: bool = False) -> None:
    """Write (atomically) or append `text`; an OSError becomes one clear OutputError."""
    try:
        if append:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(text)
        else:
            atomic_write_text(Path(path), text)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def finish(report: Report, args: argparse.Namespace, config: Config) -> int:
    """Baselines, the chosen writer, notices and errors on stderr, the exit code."""
    from mlvet.report.redact import redact_report

    redact_report(report).sorted()
    if getattr(args, "baseline_write", None):
        try:
            n = write_baseline(report, args.baseline_write)
        except OSError as exc:
            raise OutputError(
                f"cannot write {args.baseline_write}: {exc.strerror or exc}"
            ) from None
        print(f"mlvet: wrote {n} finding(s) to {args.baseline_write}", file=sys.stderr)
        for err in report.errors:  # a file that went unchecked is not in the baseline
            print(f"mlvet: error: {err.one_line()}", file=sys.stderr)
        return 1 if report.errors else 0
    if getattr(args, "baseline", None):
        filter_baseline(report, load_baseline(args.baseline))
    for notice in dict.fromkeys(report.notices):
        print(f"mlvet: warning: {notice}", file=sys.stderr)
    fmt = cast(Format, getattr(args, "format", "text"))
    if getattr(args, "output", None):
        write_file(args.output, render(report, fmt, color=False))
    else:
        sys.stdout.write(render(report, fmt, color=use_color(args, sys.stdout)))
        sys.stdout.flush()
    if fmt != "json":
        for err in report.errors:
            print(f"mlvet: error: {err.one_line()}", file=sys.stderr)
    if getattr(args, "exit_zero", False) and not report.errors:
        return 0
    return exit_code(report, config.fail_on)
