"""ML207 direct-forward-call: `module.forward(x)` from the outside."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code, check_notebook, make_notebook


def lines(code: str) -> list[int]:
    found = check_code(textwrap.dedent(code), select=["ML207"])
    assert all(f.rule == "ML207" for f in found)
    return sorted(f.line for f in found)


T = "import torch\n"

POSITIVE = [
    (T + "y = model.forward(x)\n", [2]),
    (T + "logits = net.forward(\n    inputs,\n    mask=m,\n)\n", [2]),
    (T + "out = ddp_model.module.forward(x)\n", [2]),
    (T + "out = models[0].forward(x)\n", [2]),
    ("import torch.nn as nn\nG = make_g()\nfake = G.forward(z)\n", [3]),
    ("from torch import nn\nlayer = nn.Linear(2, 2)\nlayer.forward(x)\n", [3]),
    ("import lightning as L\nout = model.forward(batch)\n", [2]),
    (
        T
        + "class Net(torch.nn.Module):\n"
        + "    def forward(self, x):\n"
        + "        return self.head.forward(self.body(x))\n",
        [4],
    ),
    (T + "def run(m):\n    return m.forward(torch.ones(1))\n", [3]),
    (T + "feats = self.encoder.forward(x)\n", [2]),
    # torch imported only inside another function still counts
    ("def setup():\n    import torch\n\ndef run(m, x):\n    return m.forward(x)\n", [5]),
]


@pytest.mark.parametrize(("src", "expected"), POSITIVE)
def test_fires(src: str, expected: list[int]) -> None:
    assert lines(src) == expected


NEGATIVE = [
    T + "class A(torch.nn.Module):\n    def forward(self, x):\n        return super().forward(x)\n",
    T + "class A(B):\n    def forward(self, x):\n        return super(A, self).forward(x)\n",
    T + "class A(B):\n    def forward(self, x):\n        return B.forward(self, x)\n",
    T + "class A(torch.nn.Module):\n    def predict(self, x):\n        return self.forward(x)\n",
    T + "class F(torch.autograd.Function):\n    pass\ny = F.forward(ctx, x)\n",
    T + "y = torch.nn.Module.forward(m, x)\n",
    T + "y = model(x)\n",
    T + "y = load_extension().forward(x)\n",
    T + "y = exported.module().forward(x)\n",
    T + "y = model.forward_features(x)\n",
    T + "def forward(x):\n    return x\ny = forward(1)\n",
    # no torch in the file
    "y = model.forward(x)\n",
    "import numpy as np\ny = hmm.forward(obs)\n",
    # strings and comments
    T + "s = 'model.forward(x)'  # model.forward(x)\n",
    # a name imported in another function (before the call) is that import, no module
    T + "def setup():\n    from pkg import model\n\ndef run(x):\n    return model.forward(x)\n",
]


@pytest.mark.parametrize("src", NEGATIVE)
def test_silent(src: str) -> None:
    assert lines(src) == []


def test_message_and_fix() -> None:
    (f,) = check_code(T + "y = model.forward(x)\n", select=["ML207"])
    assert "model.forward" in f.message and "hook" in f.message
    assert f.fix == "call the module itself: model(...)"
    assert (f.line, f.column, f.severity) == (2, 5, "warning")


def test_notebook() -> None:
    nb = make_notebook(["import torch", ("markdown", "x"), "out = model.forward(batch)"])
    found = check_notebook(nb, select=["ML207"])
    assert [(f.cell, f.line, f.column) for f in found] == [(3, 1, 7)]


def test_import_after_use_still_counts_as_torch_file() -> None:
    assert lines("y = model.forward(x)\nimport torch\n") == [1]
