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
from hypothesis import given, settings
from hypothesis import strategies as st
from mlvet.config import Config
from mlvet.rules import reproducibility, smells
from mlvet.rules.base import Checker, Context, Walker
from mlvet.rules.ml2_prefilter import AllOf
from mlvet.rules.reproducibility import RULES
from mlvet.sources import Source, parse_source

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


# -- ML201 gate (SeedGate): what the text shows the checker would or would not report ----

ML201_GATE_PASSES = [
    # names under other names
    "import numpy.random as npr\nx = npr.rand(3)\n",
    "from numpy import random as r\nx = r.normal(size=3)\n",
    "from numpy import linalg, random\nx = random.permutation(10)\n",
    "import torch as th\nx = th.randn(2, 3)\n",
    "import torch\nth = torch\nx = th.rand(2)\n",
    "from torch import randn\nx = randn(4)\n",
    "import numpy as np\nrs = np.random\nidx = rs.permutation(10)\n",
    "import numpy as np\nxp = np\nidx = xp.random.permutation(10)\n",
    "import random as rnd\nrnd.shuffle(items)\n",
    "import torch\nnoise = torch.randn\nx = noise(3)\n",
    "from torch import *\nx = rand(3)\n",
    "from tensorflow.image import random_flip_left_right\nimg = random_flip_left_right(img)\n",
    "import tensorflow.compat.v1 as tf\nw = tf.truncated_normal([3, 3])\n",
    "from jax import random as jr\nimport time\nkey = jr.PRNGKey(int(time.time()))\n",
    "from torch.utils.data import DataLoader as DL\nloader = DL(ds, batch_size=8, shuffle=True)\n",
    # notebook cells are joined: the import may come after the use
    "x = np.random.rand(3)\n\nimport numpy as np\n",
    # seeds the text cannot vouch for
    "from mylib import make_deterministic\nimport numpy as np\nmake_deterministic()\n"
    "np.random.shuffle(a)\n",
    "import numpy as np\nnp.random.seed()\nx = np.random.rand(3)\n",
    "import time\nimport numpy as np\nnp.random.seed(int(time.time()))\nx = np.random.rand(3)\n",
    "import time\nimport numpy as np\nseed = time.time_ns() % 2**32\nnp.random.seed(seed)\n"
    "x = np.random.rand(3)\n",
    "import time\nimport numpy as np\nclock = time.time\nnp.random.seed(int(clock()))\n"
    "x = np.random.rand(3)\n",
    "import time\nimport numpy as np\nseed = int(\n    time.time()\n)\n"
    "rng = np.random.default_rng(seed)\n",
    "import numpy as np\nimport tensorflow as tf\ntf.random.set_seed(0)\nx = np.random.rand(3)\n",
    "import torch\ntorch.cuda.manual_seed_all(0)\nx = torch.randn(3)\n",
    "import torch\nimport numpy as np\ntorch.manual_seed(0)\nx = torch.randn(3) + np.random.rand(3)\n",
    # generator objects: no seed, None, or one that changes per run (whatever else is seeded)
    "import numpy as np\nnp.random.seed(0)\nrng = np.random.default_rng()\n",
    "import numpy as np\nrs = np.random.RandomState(seed=None)\n",
    "import numpy as np\nrs = np.random.RandomState(rs)\n",
    "import numpy as np\nss = np.random.SeedSequence(42)\nrng = np.random.default_rng(ss)\n",
    "import os\nimport random\nr = random.Random(os.getpid())\n",
    # dropout-like code the indentation cannot vouch for
    "import torch\n\n\ndef forward(self, x):\n    def noise():\n        return torch.rand(3)\n"
    "\n    if self.training:\n        x = x + noise()\n    return x\n",
    'import torch\n\n\ndef forward(self, x):\n    """Adds noise during training."""\n'
    "    return x + torch.rand(3)\n",
    "import torch\n\n\ndef forward(self, x):\n    # only while training\n    return x + torch.rand(3)\n",
    "import torch\n\n\ndef step(model, x):\n    model(x, training=True)\n    return torch.rand(3)\n",
    # calls the checker reads the arguments of
    "import torch\nfrom torch.utils.data import DataLoader\ndl = DataLoader(ds, 32, True)\n",
    "import torch\nfrom torch.utils.data import DataLoader\n"
    "dl = DataLoader(\n    ds,\n    batch_size=32,  # (per device)\n    shuffle=True,\n)\n",
    "import torch\nx = torch.randn((3, 4), dtype=torch.float32)\n",
    "import tensorflow as tf\nx = tf.random.normal([2], seed=None)\n",
    # code after a docstring that mentions a draw
    'import numpy as np\n\n\ndef f():\n    """np.random.rand(3) in prose."""\n'
    "    return np.random.rand(3)\n",
]

ML201_GATE_REJECTS = [
    # mentions without a draw the checker would judge
    "import torch\ntorch.random.manual_seed(0)\nx = torch.zeros(3)\n",
    "import tensorflow as tf\ng = tf.random.get_global_generator()\n",
    "import jax\nkey = jax.random.PRNGKey(0)\nx = jax.random.normal(key, (3,))\n",
    "from sklearn.model_selection import KFold\ncv = KFold(5, shuffle=True)\n",
    "import tensorflow as tf\nds = ds.to_tf_dataset(shuffle=True)\n",
    "import time\nstart = time.time()\nelapsed = time.time() - start\n",
    "import optuna\nsampler = optuna.samplers.RandomSampler()\n",
    "from torch.utils.data import RandomSampler\n\n\nclass MySampler(RandomSampler):\n    pass\n",
    # comments, strings, docstrings, doctests
    "import numpy as np\n# x = np.random.rand(3)\ns = 'np.random.rand(3)'\n",
    'import torch\n\n\ndef f():\n    """Example::\n\n        x = torch.randn(2, 32)\n    """\n',
    "import torch\n\n\ndef f():\n    '''\n    >>> torch.rand(3)\n    '''\n",
    # what the arguments rule out
    "import torch\nx = torch.randn(3, generator=g)\n",
    "import torch\nx = torch.randn((3, 4), generator=g)\n",
    "import torch\nx = torch.rand(3, **opts)\n",
    "import torch\nfrom torch.utils.data import DataLoader\ndl = DataLoader(ds, batch_size=4)\n",
    "import torch\nfrom torch.utils.data import DataLoader\ndl = DataLoader(ds, shuffle=is_train)\n",
    "import torch\nfrom torch.utils.data import DataLoader\ndl = DataLoader(ds, shuffle=True, sampler=s)\n",
    "import tensorflow as tf\nx = tf.random.normal([2], seed=3)\n",
    "import numpy as np\n\n\ndef make(seed):\n    return np.random.RandomState(seed)\n",
    "import numpy as np\nrng = np.random.default_rng(42)\nx = rng.normal(size=3)\n",
    # seeded families
    "import numpy as np\nnp.random.seed(0)\nx = np.random.rand(3)\n",
    "import random\nimport torch\nrandom.seed(1)\ntorch.manual_seed(1)\nrandom.shuffle(a)\n"
    "x = torch.rand(3)\n",
    "from transformers import set_seed\nimport torch\nset_seed(42)\nx = torch.randn(3)\n",
    "import numpy as np\nSEED = 7\nnp.random.seed(SEED)\nx = np.random.rand(3)\n",
    "import time\nimport numpy as np\nstart_time = 0\nnp.random.seed(start_time)\n"
    "x = np.random.rand(3)\nelapsed = time.time() - start_time\n",
    "import numpy as np\ncfg = load_config(\n    'train.yaml',\n)\nnp.random.seed(cfg.seed)\n"
    "x = np.random.rand(3)\n",
    # dropout-like code
    "import torch\n\n\nclass Block:\n    def forward(self, x):\n        if self.training:\n"
    "            x = x * (torch.rand(x.shape[0]) > 0.1)\n        return x\n",
    "import torch\n\n\ndef drop_path(\n    x, p: float = 0.0, training: bool = False\n) -> torch.Tensor:\n"
    '    """Drop paths (stochastic depth) while training."""\n'
    "    if p == 0.0 or not training:\n        return x\n    return x * (torch.rand(x.shape[0]) > p)\n",
    "import random\n\n\ndef forward(self, x, training=False):\n"
    "    if training and random.uniform(0, 1) < self.layerdrop:\n        return x\n    return x\n",
    # files with neither draws nor their module names
    "import numpy as np\nx = np.linspace(0, 1, 10)\n",
]


def _ml201_ungated(text: str) -> bool:
    """Whether the checker reports on `text` (gates bypassed)."""
    source = Source(path="x.py", kind="python", text=text, lines=text.splitlines())
    tree, _ = parse_source(source)
    ctx = Context(source=source, tree=tree, config=Config(), rules={r.code: r for r in RULES})
    Walker(ctx, [reproducibility.SeedChecker(ctx)]).run()
    return bool(ctx.findings)


@pytest.mark.parametrize("text", ML201_GATE_PASSES)
def test_ml201_gate_passes_files_with_a_finding(text: str) -> None:
    assert _ml201_ungated(text)
    assert passes(CHECKER["ML201"], text)


@pytest.mark.parametrize("text", ML201_GATE_REJECTS)
def test_ml201_gate_rejects_files_without_one(text: str) -> None:
    assert not _ml201_ungated(text)
    assert not passes(CHECKER["ML201"], text)


@pytest.mark.parametrize(("src", "expected"), t201.CLOCK_SEEDED)
def test_ml201_gate_passes_clock_seeds(src: str, expected: list[int]) -> None:
    assert passes(CHECKER["ML201"], src)


# -- ML202 gate (RandomStateGate) --------------------------------------------------------

ML202_GATE_PASSES = [
    "import sklearn\nsklearn.model_selection.train_test_split(X, y)\n",  # no import needed
    "import sklearn.model_selection as ms\na, b = ms.train_test_split(X, y, test_size=0.2)\n",
    "from sklearn import ensemble\nm = ensemble.RandomForestClassifier(max_depth=(3))\n",
    "from sklearn import model_selection\nms = model_selection\ncv = ms.ShuffleSplit(5)\n",
    "from sklearn.ensemble import RandomForestClassifier as RFC\nRF = RFC\nm = RF()\n",
    "from sklearn.ensemble import *\nm = RandomForestClassifier()\n",
    "import lightgbm\nm = lightgbm.LGBMRegressor(seed=None)\n",
    # the seed is an argument of a nested call, not of this one
    "from sklearn.ensemble import RandomForestClassifier\n"
    "m = RandomForestClassifier(max_features=int(np.sqrt(f(random_state=1))))\n",
    "from sklearn.ensemble import RandomForestClassifier\n"
    "m = RandomForestClassifier(\n    n_estimators=10,  # (many)\n    random_state=(None),\n)\n",
    # the conditional ones, with what makes them randomise
    "from sklearn.model_selection import KFold\ncv = KFold(5, shuffle=(True))\n",
    "from sklearn.model_selection import StratifiedKFold\ncv = StratifiedKFold(5, True)\n",
    "from sklearn.decomposition import PCA\np = PCA(10, svd_solver='randomized')\n",
    "from sklearn.decomposition import PCA\np = PCA(10, svd_solver='random' 'ized')\n",
    "from sklearn.linear_model import LogisticRegression\nm = LogisticRegression(solver=r'saga')\n",
    "from sklearn.datasets import make_moons\nX, y = make_moons(100)\n",
    "from sklearn.model_selection import train_test_split\na, b = train_test_split(X, shuffle=True)\n",
    "from lightgbm import LGBMClassifier\nm = LGBMClassifier('gbdt', 31, -1, 0.1, 100, 200000, None,"
    " None, 0.0, 0.001, 20, 1.0, 0, 1.0, 0.0, 0.0, None)\n",
]

ML202_GATE_REJECTS = [
    # seeded, by keyword (any value but None) or position
    "from sklearn.ensemble import RandomForestClassifier\n"
    "m = RandomForestClassifier(\n    max_depth=(3, 4)[0],\n    random_state=rng,\n)\n",
    "import xgboost as xgb\nm = xgb.XGBRegressor(random_seed=0)\n",
    "from sklearn.model_selection import KFold\ncv = KFold(5, True, 42)\n",
    "from sklearn.ensemble import RandomForestClassifier\nm = RandomForestClassifier(**params)\n",
    # conditional ones without what makes them randomise
    "from sklearn.model_selection import KFold\ncv = KFold(n_splits=5)\n",
    "from sklearn.model_selection import KFold\ncv = KFold(5, shuffle=shuffle)\n",
    "from sklearn.decomposition import PCA\np = PCA(n_components=2)\n",
    "from sklearn.linear_model import LogisticRegression\nm = LogisticRegression(C=2.0)\n",
    "from sklearn.svm import SVC\nm = SVC(kernel='rbf')\n",
    "from sklearn.model_selection import train_test_split\na, b = train_test_split(X, shuffle=False)\n",
    "from sklearn.datasets import make_moons\nX, y = make_moons(100, shuffle=False)\n",
    # not the library's callee: relative imports, other libraries, definitions, text
    "from ..model_selection import KFold\ncv = KFold(5, shuffle=True)\n",
    "import optuna\nsampler = optuna.samplers.TPESampler()\ncv = KFold(5, shuffle=True)\n"
    "# sklearn is not imported\n",
    "import sklearn\n\n\nclass KFold:\n    def __init__(self, n_splits=5, shuffle=True):\n"
    "        self.n_splits = n_splits\n",
    'def split(X):\n    """Like sklearn.model_selection.train_test_split(X)."""\n    return X\n',
    "def split(X):\n    '''\n    >>> from sklearn.cluster import KMeans\n    >>> KMeans(3)\n    '''\n",
    "from sklearn.utils import Bunch\nfrom sklearn.ensemble import RandomForestClassifier\n"
    "b = Bunch(model=RandomForestClassifier)\n",
    "from sklearn.metrics import accuracy_score\nprint(accuracy_score(y, p))\n",
]


def _ml202_ungated(text: str) -> bool:
    source = Source(path="x.py", kind="python", text=text, lines=text.splitlines())
    tree, _ = parse_source(source)
    ctx = Context(source=source, tree=tree, config=Config(), rules={r.code: r for r in RULES})
    Walker(ctx, [reproducibility.RandomStateChecker(ctx)]).run()
    return bool(ctx.findings)


@pytest.mark.parametrize("text", ML202_GATE_PASSES)
def test_ml202_gate_passes_files_with_a_finding(text: str) -> None:
    assert _ml202_ungated(text)
    assert passes(CHECKER["ML202"], text)


@pytest.mark.parametrize("text", ML202_GATE_REJECTS)
def test_ml202_gate_rejects_files_without_one(text: str) -> None:
    assert not _ml202_ungated(text)
    assert not passes(CHECKER["ML202"], text)


# -- ML203-ML206 gates (ml2_gates_smells): what a finding needs, where it must be -------


def _smells_ungated(code: str, text: str, path: str = "train.py") -> list[int]:
    """The checker's findings with its gate bypassed."""
    source = Source(path=path, kind="python", text=text, lines=text.splitlines())
    tree, _ = parse_source(source)
    rules = {r.code: r for r in smells.RULES}
    ctx = Context(source=source, tree=tree, config=Config(), rules=rules)
    Walker(ctx, [CHECKER[code](ctx)]).run()
    return sorted(f.line for f in ctx.findings if f.rule == code)


SMELLS_GATE_PASSES: list[tuple[str, str]] = [
    # ML203: optimizer names, receivers and clearing calls the gate reads by hand
    (
        "ML203",
        "import torch\ng = torch.optim.SGD(p, lr=0.1)\nfor x in xs:\n    loss(x).backward()\n    g.step()\n",
    ),
    (
        "ML203",
        "from torch.optim import AdamW as W\nopt_g = W(p)\nfor x in xs:\n    loss(x).backward()\n    opt_g.step()\n",
    ),
    (
        "ML203",
        "for x, y in loader:\n    scaler.scale(loss_fn(model(x), y)).backward()\n    scaler.step(optimizer)\n    scaler.update()\n",
    ),
    (
        "ML203",
        "import torch_xla.core.xla_model as xm\nfor b in data:\n    model(b).loss.backward()\n    xm.optimizer_step(opt)\n",
    ),
    (
        "ML203",
        "for x in xs:\n    f = lambda: optimizer.zero_grad()\n    loss(x).backward()\n    optimizer.step()\n",
    ),
    (
        "ML203",
        'for x in xs:\n    """optimizer.zero_grad() would clear them."""\n    loss(x).backward()\n    (\n        optimizer\n        .step()\n    )\n',
    ),
    (
        "ML203",
        "for x in xs:\n    loss(x).backward()  # then optimizer.zero_grad()\n    optimizer.step()\n",
    ),
    ("ML203", "while True:\n\tloss().backward()\n\toptimizer.step()\n"),
    # ML204: aliases, annotated instances, splitters the old needles missed
    (
        "ML204",
        "from sklearn.preprocessing import StandardScaler\nfrom sklearn.model_selection import train_test_split as tts\nX = StandardScaler().fit_transform(X)\nparts = tts(X, y)\n",
    ),
    (
        "ML204",
        "from sklearn.preprocessing import MinMaxScaler\nfrom sklearn.model_selection import TimeSeriesSplit\nscaler: MinMaxScaler = MinMaxScaler()\nscaler.fit(X)\nfor tr, te in TimeSeriesSplit(3).split(X):\n    pass\n",
    ),
    (
        "ML204",
        "from sklearn.compose import make_column_transformer\nfrom sklearn.model_selection import cross_val_score\nct = make_column_transformer((enc, cols))\nXt = ct.fit_transform(df)\ncross_val_score(model, Xt, y)\n",
    ),
    (
        "ML204",
        "import sklearn . preprocessing as prep\nfrom sklearn . model_selection import train_test_split\nXs = prep . RobustScaler() . fit_transform(X)\nparts = train_test_split(Xs)\n",
    ),
    # ML204: sinks named in full, as the gate's first words ask
    (
        "ML204",
        "from sklearn.preprocessing import StandardScaler\nfrom sklearn.model_selection import permutation_test_score\nXs = StandardScaler().fit_transform(X)\npermutation_test_score(clf, Xs, y)\n",
    ),
    (
        "ML204",
        "from sklearn.preprocessing import StandardScaler\nfrom sklearn.model_selection import LeaveOneGroupOut\nXs = StandardScaler().fit_transform(X)\nfor tr, te in LeaveOneGroupOut().split(Xs, y, g):\n    pass\n",
    ),
    # ML205: contexts and modules the old regexes missed
    (
        "ML205",
        "import torch\nfrom torch import no_grad as ng\n\ndef run(model, x):\n    with ng():\n        return model(x)\n",
    ),
    (
        "ML205",
        "import torch\ndef run(model, x):\n    with (\n        torch.no_grad(),\n        open('log') as fh,\n    ):\n        return model(x)\n",
    ),
    ("ML205", "import lightning as L\n\ndef evaluate(model, x):\n    return model(x)\n"),
    (
        "ML205",
        "import torch\n\nclass Evaluator:\n    @torch.no_grad()\n    def run(self, model, x):\n        return model(x)\n\ndef fit(model, opt, x):\n    loss_fn(model(x)).backward()\n    opt.step()\n",
    ),
    (
        "ML205",
        "import torch\ndetr = torch.hub.load('facebookresearch/detr', 'detr_resnet50')\nwith torch.no_grad():\n    out = detr(images)\n",
    ),
    (
        "ML205",
        'import torch\nfrom torch import nn\n\nclass Head(nn.Module):\n    """Call head.eval() before use."""\n\nhead = Head()\n# head.eval()\nwith torch.no_grad():\n    y = head(x)\n',
    ),
    (
        "ML205",
        "import torch\n\ndef fit(model, opt, loader, val):\n    for x in loader:\n        model.eval()\n        score(model, val)\n        loss_fn(model(x)).backward()\n        opt.step()\n",
    ),
    # ML205: a module not named like one, assigned with spaces around the dot
    (
        "ML205",
        "import torch\nfrom torch import nn\nbox . layer = nn.Linear(2, 2)\nwith torch.no_grad():\n    y = box.layer(x)\n",
    ),
    # ML206: frames without the words the old needles wanted, odd spacing and brackets
    ("ML206", "df = pd.DataFrame({'a': [1]})\ndf['a'][0] = 2\n"),
    ("ML206", "import seaborn as sns\ntips = sns.load_dataset('tips')\ntips['tip'][0] = 1\n"),
    ("ML206", "frame . loc [0] ['a'] = 5\n"),
    ("ML206", "import pandas as pd\ndf = pd.read_csv('a.csv')\ndf['a]'][0] = 1\n"),
    ("ML206", "import pandas as pd\n# the frequency, per year.\ndf['Frequency'][0] = 1\n"),
    (
        "ML206",
        "import pandas as pd\ntrain = pd.read_csv('t.csv')\ntrain['Age'].fillna(\n    30,\n    inplace=True,\n)\n",
    ),
    # ML206: a subscript subscripted again, however spaced (the first thing the gate asks)
    ("ML206", "import pandas as pd\ndf = pd.read_csv('a.csv')\ndf['a'] . iat[0] = 1\n"),
    ("ML206", "import pandas as pd\ndf = pd.read_csv('a.csv')\ndf['a']  [0] += 1\n"),
    ("ML206", "import pandas as pd\ndf = pd.read_csv('a.csv')\n(df['a']\n    [0]) = 1\n"),
]

SMELLS_GATE_REJECTS: list[tuple[str, str]] = [
    # ML203: loops that clear, steps of schedulers, backward outside any loop
    (
        "ML203",
        "for x, y in loader:\n    optimizer.zero_grad()\n    loss_fn(model(x), y).backward()\n    optimizer.step()\n    scheduler.step()\n",
    ),
    (
        "ML203",
        "import torch\nfor t in steps:\n    opt = torch.optim.SGD([z], lr=0.1)\n    loss(z).backward()\n    opt.step()\n",
    ),
    ("ML203", "loss = loss_fn(model(x), y)\nloss.backward()\noptimizer.step()\n"),
    (
        "ML203",
        "import torch\nclass F(torch.autograd.Function):\n    @staticmethod\n    def backward(ctx, g):\n        return g\n\nfor t in timesteps:\n    latents = scheduler.step(noise, t, latents)\n",
    ),
    # ML204: a split first, fits in other functions, models rather than preprocessors
    (
        "ML204",
        "from sklearn.preprocessing import StandardScaler\nfrom sklearn.model_selection import train_test_split\nX_tr, X_te = train_test_split(X)\nStandardScaler().fit(X_tr)\n",
    ),
    (
        "ML204",
        "from sklearn.preprocessing import StandardScaler\nfrom sklearn.model_selection import train_test_split\n\ndef prep(X):\n    return StandardScaler().fit_transform(X)\n\ndef split(X):\n    return train_test_split(X)\n",
    ),
    (
        "ML204",
        "from sklearn.linear_model import Ridge\nfrom sklearn.model_selection import cross_val_score\nfrom sklearn.preprocessing import StandardScaler\nm = Ridge().fit(X, y)\ncross_val_score(m, X, y)\n",
    ),
    # ML204: words like a sink's (`_split`, `_curve`) but no sklearn sink named
    (
        "ML204",
        "from sklearn.preprocessing import StandardScaler\nXs = StandardScaler().fit_transform(X)\nparts = data_split(Xs)\nlc = plot_curve(Xs)\n",
    ),
    # ML205: modules' own methods, put in eval mode, docstrings, inference wrappers
    (
        "ML205",
        "import torch\nfrom torch import nn\n\nclass Net(nn.Module):\n    @torch.no_grad()\n    def generate(self, x):\n        return self.decoder(self.encoder(x))\n",
    ),
    (
        "ML205",
        "import torch\nmodel = build()\nmodel.eval()\nwith torch.no_grad():\n    y = model(x)\n",
    ),
    (
        "ML205",
        'import torch\n\nclass Pipe:\n    @torch.no_grad()\n    def __call__(self, prompt, generator=None):\n        """\n        generator (`torch.Generator`): the random source.\n        """\n        return self.unet(prompt)\n',
    ),
    ("ML205", "import torch\n\ndef validate_args(args):\n    return parse(args)\n"),
    # ML205: the callee's last part is assigned (`layer = 3`), the dotted name never is
    (
        "ML205",
        "import torch\nfrom torch import nn\nbox.other = nn.Linear(2, 2)\nlayer = 3\nwith torch.no_grad():\n    y = box.layer(x)\n",
    ),
    # ML206: nested containers, comparisons, strings, single indexers
    ("ML206", "import pandas as pd\nconfig = {}\nconfig['model']['lr'] = 0.1\n"),
    ("ML206", "import pandas as pd\ndf = pd.read_csv('a.csv')\nassert df['a'][0] == 1\n"),
    ("ML206", "import pandas as pd\ns = \"df['a'][0] = 1\"\n"),
    ("ML206", "x.loc[a, 'b'] = 1\ny.iloc[0] = 2\n"),
    ("ML206", "import pandas as pd\ndf = pd.read_csv('a.csv')\ndf.fillna(0, inplace=True)\n"),
    # ML206: no subscript is subscripted or indexed again (`.attrs` is no `.at`)
    (
        "ML206",
        "import pandas as pd\ndf = pd.read_csv('a.csv')\ndf['b'] = df['a'].shift(1) + df['a'].attrs['k']\n",
    ),
]


@pytest.mark.parametrize(("code", "text"), SMELLS_GATE_PASSES)
def test_smells_gates_pass_files_with_a_finding(code: str, text: str) -> None:
    assert _smells_ungated(code, text)
    assert passes(CHECKER[code], text)


@pytest.mark.parametrize(("code", "text"), SMELLS_GATE_REJECTS)
def test_smells_gates_reject_files_without_one(code: str, text: str) -> None:
    assert not _smells_ungated(code, text)
    assert not passes(CHECKER[code], text)


def test_smells_gates_read_strings_as_the_tokenizer_does() -> None:
    import io
    import tokenize

    from mlvet.rules.ml2_gates_smells import CodeText

    tq, ts = '"' * 3, "'" * 3
    text = "\n".join(
        [
            f"x = \"a {ts}\" + 'b {tq}'  # {tq} in a comment",
            f"y = r{tq}raw \\{tq} still{tq}",
            f"z = f\"{{d['k']}}\" + {ts}multi",
            f"line # not a comment{ts}",
            'w = "#" + "\\\\"  # real comment',
            "",
        ]
    )
    lines = [0, *[i + 1 for i, c in enumerate(text) if c == "\n"]]
    expected = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        body = tok.string.lstrip("rRbBuUfF")
        if tok.type == tokenize.STRING and body.startswith((tq, ts)):
            start = lines[tok.start[0] - 1] + tok.start[1] + len(tok.string) - len(body)
            expected.append((start, lines[tok.end[0] - 1] + tok.end[1]))
    code = CodeText(text)
    assert list(zip(code.strings.starts, code.strings.ends, strict=True)) == expected
    assert len(expected) == 2
    assert code.in_string_or_comment(text.index("in a comment"))
    assert code.in_string_or_comment(text.index("not a comment"))
    assert code.in_string_or_comment(text.index("real comment"))
    assert not code.in_string_or_comment(text.index("w ="))


def _stepwise_in_string_or_comment(text: str, pos: int) -> bool:
    """The per-line reading one character at a time: what the gates' jumps must equal."""
    from mlvet.rules.ml2_gates_smells import Strings, _quote_after, line_start

    strings = Strings(text)
    if strings.inside(pos):
        return True
    i = line_start(text, pos)
    end = text.find("\n", i)
    end = len(text) if end < 0 else end
    spans = list(zip(strings.starts, strings.ends, strict=True))
    while i < end:
        inside = next((b for a, b in spans if a <= i < b), None)
        if inside is not None:
            i = inside
            continue
        if text[i] == "#":
            return pos >= i
        if text[i] in "\"'":
            j = _quote_after(text, text[i], i)
            close = end if j < 0 else j + 1
            if i <= pos < close:
                return True
            if j < 0:
                break
            i = j + 1
            continue
        i += 1
    return pos >= end  # the line's end counts as its comment's start


@given(
    st.lists(
        st.sampled_from(["a", " ", "#", '"', "'", "\n", "\\", '"""', "'''", "x = ", "(", "f("]),
        max_size=40,
    )
)
@settings(max_examples=400, deadline=None)
def test_smells_gates_jump_to_quotes_and_comments_as_a_step_by_step_read(parts: list[str]) -> None:
    from mlvet.rules.ml2_gates_smells import CodeText

    text = "".join(parts)
    code = CodeText(text)
    for pos in range(len(text) + 1):
        assert code.in_string_or_comment(pos) == _stepwise_in_string_or_comment(text, pos)


def test_smells_gates_match_brackets_around_strings_and_comments() -> None:
    from mlvet.rules.ml2_gates_smells import matching_close, matching_open

    text = "f(a, ')', # (\n  b[\"]\"])"
    assert matching_open(text, len(text) - 1) == 1
    assert matching_close(text, 1) == len(text) - 1
    assert matching_open('g("""a\nb""")', 10) is None  # a string over lines: unclear


def test_smells_gates_have_a_needle_for_every_transformer() -> None:
    import mlvet.rules.ml2_gates_smells as gates

    for name in smells.FITTED_TRANSFORMERS | smells.TRANSFORMER_FACTORIES:
        assert any(n in name for n in gates._TRANSFORMER_NEEDLES), name


def test_smells_gates_have_a_needle_for_every_sink() -> None:
    import mlvet.rules.ml2_gates_smells as gates

    sinks = smells.SPLITTERS | set(smells.CV_FUNCTIONS) | smells.SEARCHERS | smells.CV_SPLITTERS
    for name in sinks:
        assert any(n in name for n in gates.LeakageGate._SINK_WORDS), name
