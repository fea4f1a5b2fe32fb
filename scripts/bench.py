"""Speed figures for `mlvet check` on a pinned real-world corpus (a benchmark, not a test).

Downloads the sdists of a few large ML projects from PyPI once into a cache folder, then
measures, in the same run on the same files:

- `mlvet check` (every native rule) wall time, with --jobs as given (default: all cores);
- the single-process floor: `ast.parse` of every file, nothing else;
- bandit restricted to its pickle/yaml/torch/huggingface tests;
- ruff restricted to S301, S506, NPY002;
- `mlvet --version` start-up time.

mlvet's modules are byte-compiled first, as pip does when it installs a wheel: an editable
install run with PYTHONDONTWRITEBYTECODE set would otherwise compile every module again on
every run, which no installed copy does.

    python scripts/bench.py [--cache DIR] [--jobs N] [--repeat N]
"""

from __future__ import annotations

import argparse
import ast
import compileall
import hashlib
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import urllib.request
import warnings
from pathlib import Path

CORPUS = (
    "transformers==4.46.3",
    "scikit-learn==1.5.2",
    "lightning==2.4.0",
    "diffusers==0.31.0",
    "pandas==2.2.3",
    "keras==3.6.0",
    "timm==1.0.11",
    "datasets==3.1.0",
    "accelerate==1.1.1",
    "peft==0.13.2",
    "torchmetrics==1.6.0",
    "optuna==4.1.0",
)
# Outside any git checkout: mlvet (like pre-commit) skips what .gitignore ignores.
DEFAULT_CACHE = Path.home() / ".cache" / "mlvet-bench"


def fetch(cache: Path) -> Path:
    """Download and unpack the pinned sdists once; return the folder of sources."""
    src = cache / "src"
    marker = src / ".complete"
    if marker.exists():
        return src
    dl = cache / "sdists"
    dl.mkdir(parents=True, exist_ok=True)
    for spec in CORPUS:
        name, version = spec.split("==")
        req = urllib.request.Request(
            f"https://pypi.org/simple/{name}/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json"},
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            index = json.load(r)
        stems = {f"{n}-{version}.tar.gz" for n in (name, name.replace("-", "_"))}
        sdist = next(f for f in index["files"] if f["filename"] in stems)
        target = dl / sdist["filename"]
        if not target.exists():
            with urllib.request.urlopen(sdist["url"], timeout=300) as r:
                data = r.read()
            if hashlib.sha256(data).hexdigest() != sdist["hashes"]["sha256"]:
                raise SystemExit(f"checksum mismatch for {sdist['filename']}")
            target.write_bytes(data)
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    for archive in sorted(dl.glob("*.tar.gz")):
        with tarfile.open(archive) as tf:
            tf.extractall(src, filter="data")
    marker.write_text("ok\n")
    return src


def files_of(src: Path) -> list[Path]:
    return sorted(p for p in src.rglob("*") if p.suffix in (".py", ".ipynb") and p.is_file())


def timed(cmd: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):  # a failed run would make a meaningless figure
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({proc.returncode}): {proc.stderr[-500:]!r}")
    return took


def byte_compile() -> None:
    """Write mlvet's bytecode caches (what a wheel install leaves behind)."""
    spec = importlib.util.find_spec("mlvet")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("mlvet is not installed in this environment")
    for folder in spec.submodule_search_locations:
        compileall.compile_dir(folder, quiet=1)


def parse_floor(files: list[Path]) -> float:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            if path.suffix != ".py":
                continue
            try:  # noqa: SIM105 - the floor should carry no extra cost
                ast.parse(path.read_bytes())
            except (SyntaxError, ValueError, RecursionError):
                pass
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each timing; the median is shown"
    )
    parser.add_argument("--skip-bandit", action="store_true", help="bandit takes minutes")
    args = parser.parse_args()

    src = fetch(args.cache)
    files = files_of(src)
    byte_compile()
    py = sum(1 for f in files if f.suffix == ".py")
    print(f"corpus: {', '.join(CORPUS)}: {py} .py and {len(files) - py} .ipynb files")
    bin_dir = Path(sys.executable).parent

    mlvet = [sys.executable, "-m", "mlvet"]
    check = [*mlvet, "check", "--exit-zero", "--format", "json", "--output", os.devnull]
    ruff = shutil.which("ruff", path=str(bin_dir)) or "ruff"
    ruff_cmd = [ruff, "check", "--no-cache", "--isolated", "--select", "S301,S506,NPY002"]
    timings: dict[str, list[float]] = {
        "version": [],
        "floor": [],
        "mlvet": [],
        "mlvet1": [],
        "ruff": [],
    }
    # One round runs every timing once; rounds repeat. This machine's speed drifts over
    # minutes, and interleaving keeps the drift out of the ratios.
    for _ in range(args.repeat):
        timings["version"].append(timed([str(bin_dir / "mlvet"), "--version"]))
        timings["floor"].append(parse_floor(files))
        timings["mlvet"].append(timed([*check, "--jobs", str(args.jobs), str(src)]))
        timings["ruff"].append(timed([*ruff_cmd, "--exit-zero", str(src)]))
        timings["mlvet1"].append(timed([*check, "--jobs", "1", str(src)]))
    t_version, t_floor, t_mlvet, t_mlvet1, t_ruff = (
        statistics.median(timings[k]) for k in ("version", "floor", "mlvet", "mlvet1", "ruff")
    )
    rows = [
        ("mlvet --version", t_version, ""),
        ("ast.parse floor (1 process)", t_floor, "1.00x floor"),
        (
            f"mlvet check --jobs {args.jobs}",
            t_mlvet,
            f"{t_mlvet / t_floor:.2f}x floor (target < 0.25x); "
            f"{t_mlvet / t_ruff:.1f}x ruff (target < 4x)",
        ),
        (
            "mlvet check --jobs 1",
            t_mlvet1,
            f"{t_mlvet1 / t_floor:.2f}x floor; jobs speed-up {t_mlvet1 / t_mlvet:.2f}x",
        ),
        ("ruff -select S301,S506,NPY002", t_ruff, f"{t_ruff / t_floor:.2f}x floor"),
    ]
    if not args.skip_bandit:
        bandit = shutil.which("bandit", path=str(bin_dir)) or "bandit"
        t_bandit = timed(
            [
                bandit,
                "-q",
                "-r",
                "-t",
                "B301,B403,B506,B614,B615",
                "-f",
                "json",
                "-o",
                os.devnull,
                str(src),
            ]
        )
        rows.append(
            (
                "bandit -t B301,B403,B506,B614,B615 (1 run)",
                t_bandit,
                f"{t_bandit / t_floor:.2f}x floor",
            )
        )
    width = max(len(r[0]) for r in rows)
    for name, seconds, note in rows:
        print(f"{name:<{width}}  {seconds:8.3f} s  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
