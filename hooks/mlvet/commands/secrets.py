"""`mlvet secrets`: ML credentials (mlvet's detectors plus detect-secrets' plugins).

Baselines: `--baseline FILE` accepts detect-secrets' `.secrets.baseline` (matched by file
and secret hash) as well as mlvet's own baseline format. `--baseline-write FILE` and
`--update-baseline` write detect-secrets' format, so `detect-secrets audit` can read it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from mlvet.config import Config
from mlvet.findings import Report

DEFAULT_BASELINE = ".secrets.baseline"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mlvet.cli import add_report_arguments

    add_report_arguments(parser)
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="rewrite the --baseline file (detect-secrets format) with the "
        "current findings, keeping audit marks, and exit 0",
    )
    parser.add_argument(
        "--entropy",
        action="store_true",
        help="also run detect-secrets' high-entropy string plugins (noisy)",
    )
    parser.add_argument(
        "--no-detect-secrets", action="store_true", help="run only mlvet's own detectors"
    )
    parser.add_argument(
        "--jobs", "-j", type=int, default=None, help="parallel processes (default: every core)"
    )


def run(args: argparse.Namespace, config: Config) -> Report | int:
    from mlvet.baseline import BaselineError
    from mlvet.wrappers import secrets_baseline as sb
    from mlvet.wrappers import secrets_ds
    from mlvet.wrappers.secrets import options_from_config, run_secrets

    options = options_from_config(config)
    if args.entropy:
        options = dataclasses.replace(options, entropy=True)
    if args.no_detect_secrets:
        options = dataclasses.replace(options, use_detect_secrets=False)

    baseline = args.baseline or _configured_baseline(config)
    if args.update_baseline and not baseline:
        raise BaselineError(
            "--update-baseline needs --baseline FILE (or [tool.mlvet.secrets] baseline)"
        )
    skip = {sb.norm_path(p) for p in (baseline, args.baseline_write) if p}
    paths = [p for p in args.paths if sb.norm_path(p) not in skip]
    # Only the baseline itself named (pre-commit passing a changed .secrets.baseline):
    # nothing to scan.
    report = run_secrets(paths, config, options, jobs=args.jobs) if paths else Report()
    report.findings = [f for f in report.findings if sb.norm_path(f.path) not in skip]

    plugins: list[dict[str, object]] = []
    if options.use_detect_secrets and secrets_ds.available():
        specs = secrets_ds.configure(
            secrets_ds.default_plugin_names(options.entropy), options.plugin_files
        )
        plugins = [dict(p) for p in secrets_ds.plugins_used(specs)]

    target = args.baseline_write or (baseline if args.update_baseline else None)
    if target:
        try:  # audit marks are kept from a readable previous baseline
            previous = sb.read_json(target) if os.path.exists(target) else None
        except BaselineError:
            previous = None
        if os.path.isdir(target):
            raise BaselineError(f"{target}: is a folder; --baseline-write needs a file name")
        try:
            n = sb.write_baseline(report.sorted(), target, plugins, previous)
        except OSError as exc:
            raise BaselineError(
                f"{target}: cannot write the baseline: {exc.strerror or exc}"
            ) from None
        print(
            f"mlvet: wrote {n} secret(s) to {target} (detect-secrets baseline format)",
            file=sys.stderr,
        )
        for err in report.errors:
            print(f"mlvet: error: {err.one_line()}", file=sys.stderr)
        return 0

    if baseline and (args.baseline or os.path.exists(baseline)):
        data = sb.read_json(baseline)
        if sb.is_detect_secrets_baseline(data):
            sb.filter_known(report, sb.known_secrets(data, baseline))
            args.baseline = None  # handled here; `finish` reads only mlvet's format
        else:
            args.baseline = baseline
    return report


def _configured_baseline(config: Config) -> str | None:
    value = config.section("secrets").get("baseline")
    if isinstance(value, str) and value:
        path = value if os.path.isabs(value) else os.path.join(config.root, value)
        return os.path.relpath(path)
    return DEFAULT_BASELINE if os.path.exists(DEFAULT_BASELINE) else None
