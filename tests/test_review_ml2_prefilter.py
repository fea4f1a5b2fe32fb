"""Review: sharper ML2xx prefilters keep every finding, and the misses they once caused."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code
from mlvet.rules.ml2_prefilter import literal_prefix
from mlvet.rules.reproducibility import RandomStateChecker, SeedChecker
from mlvet.rules.smells import EvalModeChecker, LeakageChecker, ZeroGradChecker


def found(code: str, code_id: str) -> list[int]:
    return sorted(f.line for f in check_code(textwrap.dedent(code), select=[code_id]))


# numpy.random under another name was held back by the ML201 prefilter.
@pytest.mark.parametrize(
    "code",
    [
        "import numpy.random as npr\nx = npr.rand(3)\n",
        "import numpy as np\nrs = np.random\nx = rs.permutation(10)\n",
        "import numpy as np\nrs = np.random  # the global generator\nx = rs.rand(2)\n",
    ],
)
def test_ml201_numpy_random_module_alias(code: str) -> None:
    assert SeedChecker.pattern is not None and SeedChecker.pattern.search(code)
    assert found(code, "ML201") == [2 if "npr" in code else 3]


def test_ml201_seed_from_a_clock_variable_still_does_not_count() -> None:
    code = """
    import time, random
    t0 = time.time()
    s = int(t0) % 1000
    random.seed(s)
    random.shuffle(items)
    """
    assert found(code, "ML201") == [6]


def test_ml201_self_referencing_assignment_terminates() -> None:
    code = """
    import random
    s = 1
    s = s + 1
    random.seed(s)
    x = random.random()
    """
    assert found(code, "ML201") == []


ML202_PASS = [
    # aliased import: the call names the alias only
    "from sklearn.ensemble import RandomForestClassifier as RFC\nm = RFC()\n",
    "from sklearn.ensemble import (\n    RandomForestClassifier as RFC,\n)\nm = RFC()\n",
    # module-level rebinding
    "from sklearn import ensemble\nRF = ensemble.RandomForestClassifier\nm = RF()\n",
    # random_state=None is a finding
    "from sklearn.cluster import KMeans\nk = KMeans(3, random_state=None)\n",
    # a seed of another (nested) call does not seed this one
    "from sklearn.cluster import KMeans\nk = KMeans(n_clusters=len(f(random_state=1)))\n",
]


@pytest.mark.parametrize("code", ML202_PASS)
def test_ml202_prefilter_lets_findings_through(code: str) -> None:
    assert RandomStateChecker.pattern is not None
    assert RandomStateChecker.pattern.search(code)
    assert found(code, "ML202")


@pytest.mark.parametrize(
    "code",
    [
        "from sklearn.cluster import KMeans\nk = KMeans(n_clusters=3, random_state=0)\n",
        "from sklearn.ensemble import RandomForestClassifier\n# RandomForestClassifier docs\n",
        "import xgboost as xgb\nm = xgb.XGBClassifier(n_estimators=5, seed=7)\n",
    ],
)
def test_ml202_prefilter_skips_seeded_files(code: str) -> None:
    assert RandomStateChecker.pattern is not None
    assert not RandomStateChecker.pattern.search(code)
    assert found(code, "ML202") == []


def test_ml203_needs_a_step_in_the_text() -> None:
    assert ZeroGradChecker.pattern is not None
    assert not ZeroGradChecker.pattern.search("import torch\nloss.backward()\n")
    loop = "import torch\nfor b in data:\n    loss.backward()\n    xm.optimizer_step(o)\n"
    assert ZeroGradChecker.pattern.search(loop)
    assert found(loop, "ML203") == [2]


def test_ml204_needs_a_transformer_in_the_text() -> None:
    assert LeakageChecker.pattern is not None
    text = "from sklearn.model_selection import train_test_split\nclf.fit(X, y)\n"
    assert not LeakageChecker.pattern.search(text)
    leak = (
        "from sklearn.model_selection import train_test_split\n"
        "from sklearn.preprocessing import StandardScaler\n"
        "s = StandardScaler()\nXs = s.fit_transform(X)\nparts = train_test_split(Xs, y)\n"
    )
    assert LeakageChecker.pattern.search(leak)
    assert found(leak, "ML204") == [4]


def test_ml205_eval_alone_needs_a_step() -> None:
    pattern = EvalModeChecker.pattern
    assert pattern is not None
    assert not pattern.search("import torch\nmodel.eval()\nexport(model)\n")
    code = """
    import torch
    for x, y in loader:
        model.eval()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
    """
    assert pattern.search(textwrap.dedent(code))
    assert found(code, "ML205") == [4]


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [
        (r"time\.time\(", "time.time("),
        (r"random\.(?!seed\b)\w+\s*\(", "random."),
        (r"PCG64|MT19937", ""),  # alternation: no common literal
        (r"(?m)^@torch", ""),
        (r"\.forward(?<!self\.forward)\s*\(", ".forward"),
        (r"abc?d", "ab"),  # an optional character ends the literal
        (r"default_rng\(\s*(?:\)|None)", "default_rng("),
        (r"\bKMeans", ""),
        (r"[ab]x", ""),
    ],
)
def test_literal_prefix_is_what_every_match_starts_with(pattern: str, prefix: str) -> None:
    assert literal_prefix(pattern) == prefix


def test_guarded_regexes_still_skip_doctest_lines() -> None:
    text = 'def f():\n    """\n    >>> x = torch.rand(3)\n    """\nimport torch\n'
    assert SeedChecker.pattern is not None
    assert not SeedChecker.pattern.search(text)
    assert SeedChecker.pattern.search(text + "y = torch.rand(2)\n")


@pytest.mark.parametrize(
    ("text", "passes"),
    [
        ("import torch\n@torch.no_grad()\ndef run(model, x):\n    return model(x)\n", True),
        ("@torch.no_grad()\ndef run(model, x):\n    return model(x)\nimport torch\n", True),
        (
            "import torch\nclass A:\n    @torch.no_grad()\n    def run(self, x):\n        pass\n",
            False,
        ),
    ],
)
def test_ml205_decorator_at_line_start_only(text: str, passes: bool) -> None:
    assert EvalModeChecker.pattern is not None
    assert bool(EvalModeChecker.pattern.search(text)) is passes


@pytest.mark.parametrize(
    ("text", "passes"),
    [
        ("import torch\ny = model.forward(x)\n", True),
        ("import torch\ny = model.forward (x)\n", True),
        ("import torch\ny = self.forward(x)\n", False),
        ("import torch\ny = super().forward(x)\n", False),
    ],
)
def test_ml207_prefilter(text: str, passes: bool) -> None:
    from mlvet.rules.smells import ForwardCallChecker

    assert ForwardCallChecker.pattern is not None
    assert bool(ForwardCallChecker.pattern.search(text)) is passes
