"""Helpers for the audit tests: a tiny vulnerability database in safety's format.

The advisories are invented for packages that do not exist (`mlvet-fakepkg`), plus one
invented entry for `torch` to exercise the conda name mapping.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

FAKE = "mlvet-fakepkg"


def _advisory(
    pyup: str, spec: str, fixed: list[str], text: str, cve: str | None = None
) -> dict[str, Any]:
    ids = [{"type": "pyup", "id": pyup}]
    if cve:
        ids.append({"type": "cve", "id": cve})
    return {
        "specs": [spec],
        "ids": ids,
        "advisory": text,
        "fixed_versions": fixed,
        "affected_versions": [],
        "more_info_path": f"/v/{pyup}/",
        "transitive": False,
        "published_date": "2024-01-01",
    }


def build_db(folder: Path) -> Path:
    """Write insecure.json and insecure_full.json (schema 2.0.0) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"schema_version": "2.0.0", "advisory": "test data", "timestamp": 1700000000}
    short = {
        "meta": meta,
        "vulnerable_packages": {
            FAKE: ["<1.2.0", ">=2.0,<2.1"],
            "torch": ["<0.0.5"],
            "mlvet-otherpkg": ["<3.0"],
        },
    }
    full = {
        "meta": {**meta, "base_domain": "https://example.invalid", "packages": {}},
        "vulnerable_packages": {
            FAKE: [
                _advisory(
                    "99001",
                    "<1.2.0",
                    ["1.2.0", "0.9.9"],
                    "Fakepkg before 1.2.0 evaluates untrusted input.",
                    "CVE-2099-0001",
                ),
                _advisory("99002", ">=2.0,<2.1", ["2.1.0"], "Fakepkg 2.0 leaks files."),
            ],
            "torch": [_advisory("99003", "<0.0.5", [], "Invented advisory for a test.")],
            "mlvet-otherpkg": [
                {
                    **_advisory("99004", "<3.0", [], "Closest secure only."),
                    "closest_secure_versions": {"upper": "3.0.1", "lower": None},
                }
            ],
        },
    }
    (folder / "insecure.json").write_text(json.dumps(short), encoding="utf-8")
    (folder / "insecure_full.json").write_text(json.dumps(full), encoding="utf-8")
    return folder


def refused_url() -> str:
    """A localhost URL nothing listens on: connections fail at once, nothing leaves the host."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No CI flag, an empty private cache, and a database URL that cannot be reached."""
    cache = tmp_path / "cache"
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("MLVET_CACHE_DIR", str(cache))
    monkeypatch.setenv("MLVET_SAFETY_DB_URL", refused_url())
    return cache


def offline_env(tmp_path: Path) -> dict[str, str]:
    """The same isolation for a subprocess."""
    return {
        "MLVET_CACHE_DIR": str(tmp_path / "cache"),
        "MLVET_SAFETY_DB_URL": refused_url(),
        "CI": "",
    }
