"""Model-file scanner (ML401-ML405): reads artifacts without loading them.

`scan_paths` is what the engine calls with every non-code file discovery found. The
readers load only when scanning, so `mlvet rules` and `mlvet --version` stay fast.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlvet.config import Config
from mlvet.findings import FileError, Report
from mlvet.registry import Rule

__all__ = ["scan_paths"]


def scan_paths(paths: Sequence[str], config: Config, rules: dict[str, Rule]) -> Report:
    """Scan every path; report only the selected ML4xx `rules`."""
    report = Report()
    if not rules:
        return report
    from mlvet.artifacts.policy import Allowlist
    from mlvet.artifacts.results import findings_for, human_size, make_finding
    from mlvet.artifacts.scan import FileScan, scan_file

    allow = Allowlist.from_entries(config.allowed_pickle_globals)
    large: list[FileScan] = []
    for path in paths:
        result = scan_file(path)
        if result.error is not None:
            report.errors.append(FileError(path, result.error))
            continue
        if result.is_artifact:
            report.files_checked += 1
        report.findings.extend(findings_for(result, config, rules, allow))
        if (
            "ML403" in rules
            and result.size > config.max_artifact_size
            and result.kind != "lfs-pointer"
        ):
            large.append(result)
    if large:
        from mlvet.artifacts.lfs import lfs_tracked

        tracked = lfs_tracked([r.path for r in large])
        for r in large:
            if r.path not in tracked:
                report.findings.extend(
                    make_finding(
                        "ML403",
                        r.path,
                        config,
                        rules,
                        f"{human_size(r.size)} file is not tracked by Git LFS "
                        f"(limit {human_size(config.max_artifact_size)})",
                        snippet=f"size>{config.max_artifact_size}",
                    )
                )
    return report
