"""Where the vulnerability database comes from: a local folder, a cached copy, or a download.

The database is safety's open JSON database (schema 2.0.0): a folder holding
`insecure.json` (package -> vulnerable specifiers) and `insecure_full.json` (advisories).
The download uses the standard library with a short timeout and sends nothing but the
request itself; with a local folder the network is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

SCHEMA_VERSION = "2.0.0"
DB_FILES = ("insecure.json", "insecure_full.json")
# safety's open (free, non-commercial, monthly) mirror of its database.
OPEN_DB_URL = f"https://pyup.io/aws/safety/free/{SCHEMA_VERSION}/"
URL_ENV = "MLVET_SAFETY_DB_URL"
CACHE_ENV = "MLVET_CACHE_DIR"
CACHE_MAX_AGE = 24 * 3600
DEFAULT_TIMEOUT = 10.0
MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024


class DatabaseError(Exception):
    """A database the user named is unusable: one line, exit code 2."""


@dataclass(frozen=True)
class Database:
    folder: str
    origin: str  # "local", "cache" or "download"
    notice: str | None = None


@dataclass(frozen=True)
class Missing:
    reason: str


def problem_with(folder: str | Path) -> str | None:
    """Why `folder` is not a usable database, or None when it is."""
    root = Path(folder)
    if not root.is_dir():
        return "no such directory"
    for name in DB_FILES:
        if not (root / name).is_file():
            return f"{name} is missing (expected safety's open database, schema {SCHEMA_VERSION})"
    try:
        meta = json.loads((root / DB_FILES[0]).read_text(encoding="utf-8")).get("meta", {})
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as exc:
        return f"{DB_FILES[0]} is not valid JSON ({type(exc).__name__})"
    version = meta.get("schema_version") if isinstance(meta, dict) else None
    if version != SCHEMA_VERSION:
        return (
            f"{DB_FILES[0]} has schema version {version!r}; safety reads only "
            f"{SCHEMA_VERSION} (the old safety-db repository format is not supported)"
        )
    return None


def local_database(folder: str) -> Database:
    if os.path.isfile(folder) and os.path.basename(folder) in DB_FILES:
        folder = os.path.dirname(folder) or "."  # `--db db/insecure.json` names its folder
    problem = problem_with(folder)
    if problem:
        raise DatabaseError(f"vulnerability database {folder}: {problem}")
    return Database(folder=str(folder), origin="local")


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit) / "safety-db"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlvet" / "safety-db"


def _age(folder: Path) -> float | None:
    try:
        return time.time() - (folder / DB_FILES[0]).stat().st_mtime
    except OSError:
        return None


def download(url: str, dest: Path, timeout: float) -> str | None:
    """Fetch both files into `dest` (replaced atomically); None on success, else why not."""
    base = url if url.endswith("/") else url + "/"
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=dest.parent))
    except OSError as exc:
        return f"cannot create the cache folder {dest.parent}: {exc.strerror or exc}"
    try:
        for name in DB_FILES:
            request = urllib.request.Request(base + name, headers={"User-Agent": "mlvet"})
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                data = resp.read(MAX_DOWNLOAD_BYTES + 1)
            if len(data) > MAX_DOWNLOAD_BYTES:
                return f"{name} is larger than {MAX_DOWNLOAD_BYTES} bytes"
            (tmp / name).write_bytes(data)
        problem = problem_with(tmp)
        if problem:
            return f"downloaded database is unusable: {problem}"
        old = dest.with_name(dest.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if dest.exists():
            dest.rename(old)
        tmp.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
        return None
    except urllib.error.HTTPError as exc:
        return f"download failed: HTTP {exc.code}"
    except urllib.error.URLError as exc:
        return f"download failed: {exc.reason}"
    except (OSError, ValueError) as exc:  # timeouts, refused connections, bad URLs
        return f"download failed: {exc}"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _bounded_download(url: str, dest: Path, timeout: float) -> str | None:
    """`download`, but never longer than a few timeouts in all (name lookups included)."""
    result: list[str | None] = []
    worker = threading.Thread(
        target=lambda: result.append(download(url, dest, timeout)), daemon=True
    )
    worker.start()
    worker.join(timeout * 3)
    if not result:
        return f"download timed out after {timeout * 3:g}s"
    return result[0]


def _stamp(folder: Path) -> str:
    mtime = (folder / DB_FILES[0]).stat().st_mtime
    return datetime.fromtimestamp(mtime, tz=timezone.utc).strftime("%Y-%m-%d")


def find_database(
    explicit: str | None,
    *,
    url: str | None = None,
    offline: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> Database | Missing:
    """A usable database, or Missing with the reason (a named folder that is broken raises)."""
    if explicit:
        return local_database(explicit)
    cached = cache_dir()
    age = _age(cached)
    usable = age is not None and problem_with(cached) is None
    if usable and age is not None and age < CACHE_MAX_AGE:
        return Database(folder=str(cached), origin="cache")
    if offline:
        if usable:
            return Database(
                folder=str(cached),
                origin="cache",
                notice=f"offline: using the cached vulnerability database of {_stamp(cached)}",
            )
        return Missing("offline and no cached copy")
    source = url or os.environ.get(URL_ENV) or OPEN_DB_URL
    failure = _bounded_download(source, cached, timeout)
    if failure is None:
        return Database(folder=str(cached), origin="download")
    if usable:
        return Database(
            folder=str(cached),
            origin="cache",
            notice=f"vulnerability database not refreshed ({failure}); "
            f"using the cached copy of {_stamp(cached)}",
        )
    return Missing(failure)
