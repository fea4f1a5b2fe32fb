"""Time `mlvet ruff` and `mlvet bandit` on a generated ML project; print the figures.

python scripts/bench_ruff_bandit.py [--files 200] [--notebooks 50]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

SCRIPT = """import pickle

import numpy as np
import pandas as pd
import torch
import yaml


def load_{i}(path, cfg_path):
    cfg = yaml.load(open(cfg_path), Loader=yaml.Loader)
    state = torch.load(path)
    with open(path + ".pkl", "rb") as fh:
        feats = pickle.load(fh)
    df = pd.DataFrame(feats)
    df.dropna(inplace=True)
    if cfg["threshold"] == np.nan:
        return None
    return state, df.values
"""


def notebook(i: int) -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": [f"# Experiment {i}\n"]},
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": ["%matplotlib inline\n", "import numpy as np\n", "import torch\n"],
        },
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": ["np.random.seed(0)\n", "state = torch.load('model.pt')\n", "print(state)\n"],
        },
    ]
    nb = {
        "cells": cells,
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--notebooks", type=int, default=50)
    args = parser.parse_args()

    from mlvet.config import Config
    from mlvet.wrappers.bandit import run_bandit
    from mlvet.wrappers.ruff import run_ruff

    with tempfile.TemporaryDirectory(prefix="mlvet-bench-") as tmp:
        root = Path(tmp)
        for i in range(args.files):
            (root / f"mod_{i}.py").write_text(SCRIPT.format(i=i), encoding="utf-8")
        for i in range(args.notebooks):
            (root / f"nb_{i}.ipynb").write_text(notebook(i), encoding="utf-8")
        old = os.getcwd()
        os.chdir(root)
        try:
            for name, run in (
                ("ruff", lambda: run_ruff(["."], Config()).report),
                ("bandit", lambda: run_bandit(["."], Config())),
            ):
                start = time.perf_counter()
                report = run()
                elapsed = time.perf_counter() - start
                print(
                    f"{name:7s} {report.files_checked:5d} files "
                    f"({args.files} .py, {args.notebooks} .ipynb): "
                    f"{len(report.findings):6d} findings, {len(report.errors)} errors, "
                    f"{elapsed:6.2f} s ({elapsed * 1000 / max(1, report.files_checked):.1f} ms/file)"
                )
        finally:
            os.chdir(old)


if __name__ == "__main__":
    main()
