"""`mlvet rules` and `mlvet rule CODE`: the catalogue, from the one registry."""

from __future__ import annotations

import argparse
import json

from mlvet.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")


def add_rule_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", help="a rule code such as ML101, or its name")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")


def run(args: argparse.Namespace, config: Config) -> int:
    from mlvet.registry import all_rules, markdown_table

    rules = all_rules()
    if args.format == "json":
        print(
            json.dumps(
                [
                    {"code": r.code, "name": r.name, "severity": r.severity, "summary": r.summary}
                    for r in rules.values()
                ],
                indent=2,
            )
        )
    elif args.format == "markdown":
        print(markdown_table())
    else:
        width = max((len(r.name) for r in rules.values()), default=0)
        for r in rules.values():
            print(f"{r.code}  {r.name:<{width}}  {r.severity:<7}  {r.summary}")
    return 0


def run_rule(args: argparse.Namespace, config: Config) -> int:
    import sys

    from mlvet.registry import all_rules, get_rule

    rule = get_rule(args.code) or next(
        (r for r in all_rules().values() if r.name == args.code.lower()), None
    )
    if rule is None:
        print(f"mlvet: error: unknown rule {args.code!r} (see `mlvet rules`)", file=sys.stderr)
        return 2
    if args.format == "json":
        print(
            json.dumps(
                {
                    "code": rule.code,
                    "name": rule.name,
                    "severity": rule.severity,
                    "summary": rule.summary,
                    "what": rule.what,
                    "why": rule.why,
                    "bad": rule.bad,
                    "good": rule.good,
                    "fix": rule.fix,
                    "references": list(rule.references),
                },
                indent=2,
            )
        )
    else:
        print(rule.markdown(), end="")
    return 0
