"""Model-file scanner (ML401-ML405): reads artifacts without loading them."""

from __future__ import annotations

from collections.abc import Sequence

from mlvet.config import Config
from mlvet.findings import Report
from mlvet.registry import Rule


def scan_paths(paths: Sequence[str], config: Config, rules: dict[str, Rule]) -> Report:
    """Placeholder until the scanner lands: checks nothing."""
    return Report(files_checked=0)
