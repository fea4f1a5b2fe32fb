"""ML2xx text prefilters: every firing case gets through, typical other files do not."""

from __future__ import annotations

import textwrap

import pytest
import test_rules_ml2_ml201 as t201
import test_rules_ml2_ml202 as t202
import test_rules_ml2_ml203 as t203
import test_rules_ml2_ml204 as t204
import test_rules_ml2_ml205 as t205
import test_rules_ml2_ml206 as t206
import test_rules_ml2_ml207 as t207
from mlvet.rules import reproducibility, smells
from mlvet.rules.base import Checker
from mlvet.rules.ml2_prefilter import AllOf

CHECKER = {c.codes[0]: c for c in [*reproducibility.CHECKERS, *smells.CHECKERS]}

FIRING: list[tuple[str, str]] = [
    *(("ML201", src) for src, _ in t201.POSITIVE),
    *(("ML202", src) for src, _ in t202.POSITIVE),
    *(("ML203", src) for src, _ in t203.POSITIVE.values()),
    *(("ML204", t204.IMPORTS + textwrap.dedent(src)) for src, _ in t204.POSITIVE.values()),
    *(("ML205", src) for src, _ in t205.POSITIVE.values()),
    *(("ML206", src) for src, _ in t206.POSITIVE),
    *(("ML207", src) for src, _ in t207.POSITIVE),
]


def passes(checker: type[Checker], text: str) -> bool:
    assert checker.pattern is not None
    return bool(checker.pattern.search(textwrap.dedent(text)))


@pytest.mark.parametrize(
    ("code", "src"), FIRING, ids=[f"{c}-{i}" for i, (c, _) in enumerate(FIRING)]
)
def test_every_firing_case_gets_through(code: str, src: str) -> None:
    assert passes(CHECKER[code], src)


MODEL_FILE = '''\
import torch
from torch import nn


class Block(nn.Module):
    """A residual block (see the paper)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(0.1)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.drop(self.fc(self.norm(x)))
'''

UTIL_FILE = """\
import os
import json
from pathlib import Path


def read_config(path: str) -> dict:
    with open(path) as f:
        cfg = json.load(f)
    cfg["paths"]["root"] = os.fspath(Path(path).parent)
    return cfg
"""


@pytest.mark.parametrize("code", sorted(CHECKER))
def test_plain_model_and_utility_files_are_not_parsed(code: str) -> None:
    assert not passes(CHECKER[code], MODEL_FILE)
    assert not passes(CHECKER[code], UTIL_FILE)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("ML201", "import torch\nx = torch.zeros(3)\n"),
        ("ML202", "import numpy as np\nnp.mean(x)\n"),
        ("ML203", "loss = crit(y, t)\noptimizer.step()\n"),
        ("ML204", "from sklearn.preprocessing import StandardScaler\nStandardScaler().fit(X)\n"),
        ("ML205", "import numpy as np\ndef evaluate(m):\n    return m(1)\n"),
        ("ML206", "import pandas as pd\ndf['a'] = 1\n"),
        ("ML207", "y = model.forward(x)\n"),
    ],
)
def test_gate_rejects_files_missing_a_required_part(code: str, text: str) -> None:
    assert not passes(CHECKER[code], text)


def test_all_of_semantics() -> None:
    gate = AllOf(("alpha", "beta"), ("gamma",), confirm=(r"gamma\(",))
    assert gate.search("beta ... gamma(1)")
    assert not gate.search("beta ... gamma 1")  # confirm fails
    assert not gate.search("gamma(1)")  # first group missing
    assert AllOf(("x",)).search("axb")
    with pytest.raises(ValueError):
        AllOf(())
    assert "alpha|beta" in repr(gate)
