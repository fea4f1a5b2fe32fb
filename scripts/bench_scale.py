"""Large repositories: generate N files and measure `mlvet run` wall time and peak memory.

    python scripts/bench_scale.py [--files 50000] [--hooks mlvet,scan-model-files]

Prints wall time and peak RSS (the largest resident set of mlvet and its worker
processes, from the kernel's rusage of waited-for children) for --jobs 1 and --jobs 2.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATES = [
    "import json\n\n\ndef load(p):\n    with open(p) as fh:\n        return json.load(fh)\n",
    "import pickle\n\n\ndef load(p):\n    with open(p, 'rb') as fh:\n        return pickle.load(fh)\n",
    "import torch\n\nmodel = torch.nn.Linear(4, 2)\nstate = torch.load('m.pt')\nout = model.forward(torch.zeros(4))\n",
    "import numpy as np\n\nx = np.random.rand(3)\nprint(x.sum())\n",
    "from sklearn.model_selection import train_test_split\n\nXtr, Xte = train_test_split([1, 2, 3, 4])\n",
    "def add(a, b):\n    return a + b\n\n\nclass Thing:\n    value = 3\n",
]

# Memory budget stated in the README/closing note: peak RSS of the whole run.
BUDGET_MB = 1024


def generate(root: Path, n: int) -> None:
    rng = random.Random(0)
    for i in range(n):
        folder = root / f"pkg{i // 500:03d}"
        folder.mkdir(exist_ok=True)
        body = rng.choice(TEMPLATES) * rng.randint(1, 6)
        (folder / f"mod_{i:05d}.py").write_text(body)


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in MB of a child process tree (run alone)."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "wall = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(wall, rss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *cmd], capture_output=True, text=True, check=True
    )
    wall, rss = out.stdout.split()
    return float(wall), float(rss)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--hooks", default="mlvet,scan-model-files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        generate(root, args.files)
        print(f"generated {args.files} files in {time.perf_counter() - t:.1f} s")
        results = {}
        for jobs in (1, 2):
            cmd = [
                sys.executable,
                "-m",
                "mlvet",
                "run",
                "--hooks",
                args.hooks,
                "--jobs",
                str(jobs),
                "--format",
                "json",
                "--output",
                str(root / "out.json"),
                str(root),
            ]
            wall, rss = measure(cmd)
            results[jobs] = wall
            verdict = "within" if rss <= BUDGET_MB else "OVER"
            print(
                f"--jobs {jobs}: {wall:7.1f} s, peak RSS {rss:7.1f} MB ({verdict} the {BUDGET_MB} MB budget)"
            )
        print(f"speed-up with 2 jobs: {results[1] / results[2]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
