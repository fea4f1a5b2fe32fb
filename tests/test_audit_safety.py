"""ML601 through the real safety library, and where the database comes from.

Every database here is built in tmp_path; downloads go to a server on 127.0.0.1 or to a
refused localhost port, never to the internet.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from audit_support import FAKE, build_db, isolate, refused_url
from mlvet.wrappers.audit_db import (
    Database,
    DatabaseError,
    Missing,
    find_database,
    problem_with,
)
from mlvet.wrappers.audit_deps import Dependency
from mlvet.wrappers.audit_safety import SafetyUnavailable, lookup

pytest.importorskip("safety")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_db(tmp_path / "db")


def dep(name: str, version: str | None, line: int = 1) -> Dependency:
    return Dependency(
        name=name,
        path="requirements.txt",
        line=line,
        column=1,
        text=f"{name}=={version}",
        origin="requirements",
        version=version,
        reason="" if version else "no version given",
    )


def test_vulnerable_pin_names_advisory_range_and_fix(db: Path) -> None:
    found = lookup([dep(FAKE, "1.1.0")], str(db))
    assert len(found) == 1
    adv = found[0]
    assert (adv.vuln_id, adv.cve, adv.affected, adv.fixed) == (
        "99001",
        "CVE-2099-0001",
        "<1.2.0",
        "1.2.0",
    )
    assert "untrusted input" in adv.summary
    assert adv.dep.line == 1


def test_first_fixed_version_above_the_pin(db: Path) -> None:
    # fixed_versions lists 1.2.0 and 0.9.9; for 0.5.0 the nearest fix above is 0.9.9.
    assert lookup([dep(FAKE, "0.5.0")], str(db))[0].fixed == "0.9.9"


def test_second_range_and_name_normalisation(db: Path) -> None:
    found = lookup([dep("MLVET_FakePkg", "2.0.5")], str(db))
    assert [(a.vuln_id, a.affected, a.fixed) for a in found] == [("99002", ">=2.0,<2.1", "2.1.0")]


@pytest.mark.parametrize("version", ["1.2.0", "1.9", "2.1.0", "3.0.0"])
def test_unaffected_versions_are_clean(db: Path, version: str) -> None:
    assert lookup([dep(FAKE, version)], str(db)) == []


def test_unpinned_and_unknown_packages_are_not_looked_up(db: Path) -> None:
    assert lookup([dep(FAKE, None), dep("numpy", "1.26.4")], str(db)) == []


def test_same_pin_in_two_places_reports_both(db: Path) -> None:
    found = lookup(
        [dep(FAKE, "1.0", line=3), dep(FAKE, "1.0", line=9), dep(FAKE, "2.0.1", line=4)], str(db)
    )
    assert sorted((a.dep.line, a.vuln_id) for a in found) == [
        (3, "99001"),
        (4, "99002"),
        (9, "99001"),
    ]


def test_no_fixed_version_known(db: Path) -> None:
    found = lookup([dep("torch", "0.0.1")], str(db))
    assert [(a.vuln_id, a.fixed) for a in found] == [("99003", None)]


def test_closest_secure_version_when_no_fix_is_listed(db: Path) -> None:
    assert [(a.vuln_id, a.fixed) for a in lookup([dep("mlvet-otherpkg", "2.5")], str(db))] == [
        ("99004", "3.0.1")
    ]


def test_malformed_database_is_one_line(tmp_path: Path, db: Path) -> None:
    (db / "insecure_full.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SafetyUnavailable) as exc:
        lookup([dep(FAKE, "1.0")], str(db))
    assert "\n" not in str(exc.value)
    assert str(db) in str(exc.value)


# -- database sources ----------------------------------------------------------------------


def test_problem_with_checks_files_and_schema(tmp_path: Path, db: Path) -> None:
    assert problem_with(db) is None
    assert problem_with(tmp_path / "nope") == "no such directory"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "insecure.json is missing" in (problem_with(empty) or "")
    old = tmp_path / "old"
    old.mkdir()
    (old / "insecure.json").write_text(json.dumps({"$meta": {}, FAKE: ["<1"]}))
    (old / "insecure_full.json").write_text("{}")
    assert "schema version" in (problem_with(old) or "")


def test_named_database_never_downloads(db: Path) -> None:
    found = find_database(str(db), url=refused_url())
    assert found == Database(folder=str(db), origin="local")


def test_named_database_file_means_its_folder(db: Path) -> None:
    found = find_database(str(db / "insecure_full.json"))
    assert isinstance(found, Database) and Path(found.folder) == db


def test_named_broken_database_raises(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="no such directory"):
        find_database(str(tmp_path / "missing"))


def test_no_network_and_no_cache_is_missing() -> None:
    found = find_database(None, timeout=2)
    assert isinstance(found, Missing)
    assert "download failed" in found.reason


def test_offline_without_cache_is_missing() -> None:
    found = find_database(None, offline=True, url="http://192.0.2.1/")
    assert found == Missing("offline and no cached copy")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(db: Path) -> Iterator[str]:
    handler = partial(_Quiet, directory=str(db))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_download_caches_then_reuses_without_network(served: str, tmp_path: Path) -> None:
    first = find_database(None, url=served)
    assert isinstance(first, Database) and first.origin == "download"
    assert problem_with(first.folder) is None
    assert lookup([dep(FAKE, "1.1.0")], first.folder)[0].vuln_id == "99001"
    # Fresh cache: no download attempted (the URL would be refused).
    again = find_database(None, url=refused_url())
    assert isinstance(again, Database) and again.origin == "cache" and again.notice is None


def test_stale_cache_is_used_with_a_notice_when_refresh_fails(served: str) -> None:
    first = find_database(None, url=served)
    assert isinstance(first, Database)
    old = time.time() - 3 * 24 * 3600
    for name in ("insecure.json", "insecure_full.json"):
        os.utime(Path(first.folder) / name, (old, old))
    stale = find_database(None, url=refused_url(), timeout=2)
    assert isinstance(stale, Database) and stale.origin == "cache"
    assert stale.notice is not None and "not refreshed" in stale.notice
    offline = find_database(None, offline=True)
    assert isinstance(offline, Database) and "offline" in (offline.notice or "")


def test_download_of_an_unusable_database_keeps_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "insecure.json").write_text('{"meta": {"schema_version": "1.0"}}')
    (bad / "insecure_full.json").write_text("{}")
    handler = partial(_Quiet, directory=str(bad))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        found = find_database(None, url=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
    assert isinstance(found, Missing) and "unusable" in found.reason
    assert not (tmp_path / "cache" / "safety-db").exists()
