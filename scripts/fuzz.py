"""Mutation fuzzing of every reader: random and mutated inputs, no exception may escape.

    python scripts/fuzz.py [--n 100000] [--readers python,notebook,pickle,zip,npy,toml]

For each reader it prints inputs run, inputs/s, the slowest input, and how many inputs
raised an exception that escaped the reader (must be 0). A crashing input is saved under
--save so it can be turned into a test.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import random
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path

from mlvet.config import Config, ConfigError, config_from_table
from mlvet.engine import NATIVE_PREFIXES, check_source, selected_rules
from mlvet.sources import Source, SourceError, notebook_source

sys.setrecursionlimit(10_000)
CONFIG = Config()
CODE_RULES = {
    c: r for c, r in selected_rules(CONFIG, NATIVE_PREFIXES).items() if not c.startswith("ML4")
}
ART_RULES = selected_rules(CONFIG, ("ML4",))

PY_SEEDS = [
    b"import pickle as pk\nobj = pk.load(open('m', 'rb'))\n",
    b"import torch\nfor x, y in loader:\n    loss = crit(model(x), y)\n    loss.backward()\n    opt.step()\n",
    b"from openai import OpenAI\nc = OpenAI()\nr = c.chat.completions.create(model='m', messages=[])\n"
    b"exec(r.choices[0].message.content)\n",
    b"import numpy as np\nx = np.load('a.npy', None, True)\nnp.random.shuffle(x)\n",
    b"from transformers import AutoModel\nm = AutoModel.from_pretrained('org/name', trust_remote_code=True)\n",
    b"from sklearn.preprocessing import StandardScaler\nX = StandardScaler().fit_transform(X)\n"
    b"from sklearn.model_selection import train_test_split\na, b = train_test_split(X)\n",
]
TOKENS = [
    b"(",
    b")",
    b"[",
    b"]",
    b":",
    b"\n",
    b"    ",
    b"'",
    b'"""',
    b"\\",
    b"\x00",
    b"\xff",
    b"%",
    b"!",
    b"lambda",
    b"yield",
    b"async ",
    b"await ",
    b"**",
    b"*",
    b"=",
    b",",
    b".",
    b"#",
    b"@",
]


def mutate(rng: random.Random, data: bytes, tokens: list[bytes] = TOKENS) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        pos = rng.randint(0, len(buf)) if buf else 0
        if op < 0.3 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif op < 0.55:
            buf[pos:pos] = rng.choice(tokens)
        elif op < 0.7 and buf:
            del buf[pos : pos + rng.randint(1, 8)]
        elif op < 0.8:
            buf = buf[:pos]  # truncation
        elif op < 0.9 and buf:
            chunk = buf[pos : pos + rng.randint(1, 32)]
            buf[pos:pos] = chunk * rng.randint(1, 50)  # repetition, nesting
        else:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(buf)


def run_python(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    src = Source(path="f.py", kind="python", text=text, lines=text.splitlines())
    check_source(src, CONFIG, CODE_RULES, always_parse=True)


NB_SEED = json.dumps(
    {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 2,
                "metadata": {},
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}],
                "source": ["%time import pickle\n", "x = pickle.load(f)\n", "!ls"],
            },
            {"cell_type": "markdown", "metadata": {}, "source": "# t"},
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {},
                "outputs": [],
                "source": "%%bash\necho",
            },
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    },
    indent=1,
).encode()


def run_notebook(data: bytes) -> None:
    try:
        src = notebook_source("n.ipynb", data)
    except SourceError:
        return
    check_source(src, CONFIG, CODE_RULES, always_parse=True)


def run_toml(data: bytes) -> None:
    import tomllib

    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return
    try:
        cfg = config_from_table(table, root=Path("."), path=Path(".mlvet.toml"))
    except ConfigError:
        return
    cfg.is_selected("ML101")
    cfg.is_excluded("a/b.py")
    cfg.ignored_for_path("ML101", "a/b.py")


TOML_SEED = (
    b'select = ["ML1", "ML2"]\nignore = ["ML103"]\nfail-on = "error"\nexclude = ["a/**"]\n'
    b'max-artifact-size = "10MB"\n[per-file-ignores]\n"tests/**" = ["ML101"]\n[severity]\nML108 = "error"\n'
)


class ArtifactRunner:
    def __init__(self, name: str) -> None:
        base = "/dev/shm" if os.path.isdir("/dev/shm") else None
        self.dir = tempfile.mkdtemp(dir=base)
        self.path = os.path.join(self.dir, name)

    def __call__(self, data: bytes) -> None:
        from mlvet.artifacts import scan_paths

        with open(self.path, "wb") as fh:
            fh.write(data)
        scan_paths([self.path], CONFIG, ART_RULES)


def _pickle_seeds() -> list[bytes]:
    seeds = [pickle.dumps({"w": [1.5, 2], "n": "x", "t": (1, b"b")}, protocol=p) for p in range(6)]
    seeds.append(b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x00\x85R.")
    seeds.append(b"cbuiltins\neval\n(S'1+1'\ntR.")
    return seeds


def _zip_seed() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/data.pkl", _pickle_seeds()[2])
        zf.writestr("archive/version", "3\n")
        zf.writestr("archive/data/0", bytes(64))
    return buf.getvalue()


def _npy_seed() -> bytes:
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"
    header += b" " * (118 - len(header)) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + _pickle_seeds()[2]


def fuzz(
    name: str, fn: Callable[[bytes], None], seeds: list[bytes], n: int, save: Path, seed: int
) -> bool:
    rng = random.Random(seed)
    crashes, slowest, slow_input = 0, 0.0, b""
    start = time.perf_counter()
    for i in range(n):
        data = (
            mutate(rng, rng.choice(seeds))
            if rng.random() < 0.95
            else rng.randbytes(rng.randint(0, 64))
        )
        t = time.perf_counter()
        try:
            fn(data)
        except Exception:  # an exception escaping a reader is the bug we are hunting
            crashes += 1
            save.mkdir(parents=True, exist_ok=True)
            (save / f"{name}-{i}.bin").write_bytes(data)
            if crashes <= 3:
                traceback.print_exc(limit=3)
        took = time.perf_counter() - t
        if took > slowest:
            slowest, slow_input = took, data
    total = time.perf_counter() - start
    print(
        f"{name:9} {n:8d} inputs  {n / total:8.0f}/s  slowest {slowest * 1000:7.1f} ms "
        f"({len(slow_input)} bytes)  escaped exceptions: {crashes}"
    )
    return crashes == 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--readers", default="python,notebook,toml,pickle,zip,npy")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", type=Path, default=Path(".fuzz-crashes"))
    args = parser.parse_args()
    readers: dict[str, tuple[Callable[[bytes], None], list[bytes]]] = {
        "python": (run_python, PY_SEEDS),
        "notebook": (run_notebook, [NB_SEED]),
        "toml": (run_toml, [TOML_SEED]),
        "pickle": (ArtifactRunner("m.pkl"), _pickle_seeds()),
        "zip": (ArtifactRunner("model.pt"), [_zip_seed()]),
        "npy": (ArtifactRunner("a.npy"), [_npy_seed()]),
    }
    ok = True
    for name in args.readers.split(","):
        fn, seeds = readers[name]
        ok &= fuzz(name, fn, seeds, args.n, args.save, args.seed)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
