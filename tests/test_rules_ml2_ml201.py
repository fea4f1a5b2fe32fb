"""ML201 unseeded-randomness: real source text through the real engine."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code, check_notebook, make_notebook
from mlvet.config import Config


def lines(code: str, config: Config | None = None) -> list[int]:
    found = check_code(textwrap.dedent(code), select=["ML201"], config=config)
    assert all(f.rule == "ML201" for f in found)
    return sorted(f.line for f in found)


POSITIVE = [
    # (source, lines that must be reported)
    ("import random\nx = random.random()\n", [2]),
    ("import random\nrandom.shuffle(items)\n", [2]),
    ("import random\nk = random.choice([1, 2])\n", [2]),
    ("from random import shuffle, randint\nshuffle(a)\nrandint(0, 3)\n", [2]),
    ("import random as rnd\nrnd.sample(pop, 3)\n", [2]),
    ("import numpy as np\nx = np.random.rand(3)\n", [2]),
    ("import numpy as np\nnp.random.shuffle(idx)\n", [2]),
    ("import numpy\nnumpy.random.choice(10, 3)\n", [2]),
    ("from numpy import random as npr\nnpr.normal(size=3)\n", [2]),
    ("from numpy.random import permutation\np = permutation(10)\n", [2]),
    ("import numpy as np\nnp.random.seed()\nx = np.random.randn(2)\n", [3]),
    ("import numpy as np\nnp.random.seed(None)\nx = np.random.randn(2)\n", [3]),
    ("import torch\nx = torch.randn(3, 4)\n", [2]),
    ("import torch\nx = torch.rand(3)\n", [2]),
    ("import torch\np = torch.randperm(10)\n", [2]),
    ("import torch\nx = torch.randint(0, 10, (3,))\n", [2]),
    ("import torch\nx = torch.randn_like(y)\n", [2]),
    ("import torch\nm = torch.bernoulli(p)\n", [2]),
    ("import torch\ni = torch.multinomial(w, 2)\n", [2]),
    ("import torch\nn = torch.normal(0.0, 1.0, size=(3,))\n", [2]),
    ("from torch import randn as rn\nrn(2)\n", [2]),
    (
        "from torch.utils.data import DataLoader\n"
        "dl = DataLoader(ds, batch_size=32, shuffle=True)\n",
        [2],
    ),
    ("import torch\ndl = torch.utils.data.DataLoader(ds, 32, True)\n", [2]),
    ("from torch.utils.data import random_split\na, b = random_split(ds, [80, 20])\n", [2]),
    ("from torch.utils.data import RandomSampler\ns = RandomSampler(ds)\n", [2]),
    ("import tensorflow as tf\nx = tf.random.normal([2, 2])\n", [2]),
    ("import tensorflow as tf\nx = tf.random.uniform([2])\n", [2]),
    ("import tensorflow as tf\nds = tf.random.shuffle(t)\n", [2]),
    ("import tensorflow as tf\nx = tf.compat.v1.random_normal([2])\n", [2]),
    ("import tensorflow as tf\nimg = tf.image.random_flip_left_right(img)\n", [2]),
    # generator objects without a seed, always (even with global seeds set)
    ("import numpy as np\nrng = np.random.default_rng()\n", [2]),
    ("import numpy as np\nnp.random.seed(0)\nrng = np.random.default_rng(None)\n", [3]),
    ("from numpy.random import default_rng\nrng = default_rng(seed=None)\n", [2]),
    ("import numpy as np\nrs = np.random.RandomState()\n", [2]),
    ("import random\nrandom.seed(1)\nr = random.Random()\n", [3]),
    ("import numpy as np\ng = np.random.Generator(np.random.PCG64())\n", [2]),
    ("import tensorflow as tf\ng = tf.random.Generator.from_non_deterministic_state()\n", [2]),
    # JAX only with a key from a seed that changes per run
    ("import time\nimport jax\nkey = jax.random.PRNGKey(int(time.time()))\n", [3]),
    ("import os\nfrom jax import random as jr\nkey = jr.key(int.from_bytes(os.urandom(4)))\n", [3]),
]


@pytest.mark.parametrize(("src", "expected"), POSITIVE)
def test_fires(src: str, expected: list[int]) -> None:
    assert lines(src) == expected


NEGATIVE = [
    "import random\nrandom.seed(42)\nx = random.random()\n",
    "import random\nx = random.random()\nrandom.seed(42)\n",  # anywhere in the file
    "import random\nr = random.Random(42)\nr.random()\n",
    "import random\nr = random.SystemRandom()\nr.random()\n",
    "import numpy as np\nnp.random.seed(0)\nx = np.random.rand(3)\n",
    "import numpy as np\nnp.random.seed(seed=SEED)\nnp.random.shuffle(a)\n",
    "import numpy as np\nrng = np.random.default_rng(42)\nx = rng.normal(size=3)\n",
    "import numpy as np\nrng = np.random.default_rng(args.seed)\nrng.shuffle(a)\n",
    "import numpy as np\nrs = np.random.RandomState(0)\nrs.rand(2)\n",
    "import numpy as np\nx = np.random.RandomState(7).permutation(10)\n",
    "import torch\ntorch.manual_seed(0)\nx = torch.randn(3)\n",
    "import torch\ng = torch.Generator().manual_seed(0)\nx = torch.randn(3, generator=g)\n",
    "import torch\nx = torch.randperm(10, generator=gen)\n",
    "import torch\nfrom torch.utils.data import DataLoader\ndl = DataLoader(ds, shuffle=False)\n",
    "from torch.utils.data import DataLoader\ndl = DataLoader(ds, batch_size=4)\n",
    "from torch.utils.data import DataLoader\ndl = DataLoader(ds, shuffle=True, generator=g)\n",
    "from torch.utils.data import random_split\nrandom_split(ds, [8, 2], generator=g)\n",
    "import torch.nn as nn\nlayer = nn.Dropout(0.1)\n",
    "import torch.nn.functional as F\ny = F.dropout(x, 0.5, training=True)\n",
    "import torch\ny = torch.zeros(3)\n",
    "import tensorflow as tf\ntf.random.set_seed(1)\nx = tf.random.normal([2])\n",
    "import tensorflow as tf\nx = tf.random.normal([2], seed=3)\n",
    "import tensorflow as tf\ng = tf.random.Generator.from_seed(1)\nx = g.normal([2])\n",
    "import tensorflow as tf\nx = tf.random.stateless_normal([2], seed=[1, 2])\n",
    "import jax\nkey = jax.random.PRNGKey(0)\nx = jax.random.normal(key, (3,))\n",
    "import jax\nkey = jax.random.key(args.seed)\nk1, k2 = jax.random.split(key)\n",
    # random is a local object, not the module
    "random = make_rng()\nrandom.shuffle(a)\n",
    "def shuffle(a):\n    return a\nshuffle([1])\n",
    # only an import, a string, a comment
    "import random\ns = 'random.random()'  # random.shuffle(x)\n",
]


@pytest.mark.parametrize("src", NEGATIVE)
def test_silent(src: str) -> None:
    assert lines(src) == []


ALL_FAMILY_SEEDERS = [
    "import pytorch_lightning as pl\npl.seed_everything(42)\n",
    "from lightning.pytorch import seed_everything\nseed_everything(7, workers=True)\n",
    "import lightning as L\nL.seed_everything(1)\n",
    "from lightning.fabric import Fabric\nfabric = Fabric()\nfabric.seed_everything(3)\n",
    "from transformers import set_seed\nset_seed(42)\n",
    "import transformers\ntransformers.set_seed(SEED)\n",
    "from accelerate.utils import set_seed\nset_seed(0)\n",
    "import keras\nkeras.utils.set_random_seed(1)\n",
    "import tensorflow as tf\ntf.keras.utils.set_random_seed(1)\n",
    "from utils import set_seed\nset_seed(cfg.seed)\n",
    "from .common import seed_everything\nseed_everything(args.seed)\n",
    "def set_random_seed(s):\n    pass\nset_random_seed(5)\n",
]

DRAWS = (
    "import random\nimport numpy as np\nimport torch\nimport tensorflow as tf\n"
    "random.shuffle(a)\nnp.random.shuffle(b)\nx = torch.randn(2)\ny = tf.random.uniform([1])\n"
)


@pytest.mark.parametrize("seeder", ALL_FAMILY_SEEDERS)
def test_all_family_seeders_cover_every_family(seeder: str) -> None:
    assert lines(DRAWS + seeder) == []


def test_all_families_unseeded_one_finding_each() -> None:
    assert lines(DRAWS) == [5, 6, 7, 8]


def test_seeder_without_value_does_not_count() -> None:
    src = DRAWS + "import pytorch_lightning as pl\npl.seed_everything(workers=True)\n"
    assert lines(src) == [5, 6, 7, 8]
    assert lines(DRAWS + "set_seed(None)\n") == [5, 6, 7, 8]


def test_one_family_seed_does_not_cover_another() -> None:
    src = """\
    import numpy as np
    import torch
    import random

    torch.manual_seed(0)
    random.seed(0)
    a = torch.randn(3)
    b = np.random.rand(3)
    c = random.random()
    """
    found = check_code(textwrap.dedent(src), select=["ML201"])
    assert [(f.line, "NumPy" in f.message) for f in found] == [(8, True)]


def test_tf_seed_does_not_seed_numpy() -> None:
    src = "import numpy as np\nimport tensorflow as tf\ntf.random.set_seed(1)\nnp.random.rand(2)\n"
    assert lines(src) == [4]


def test_cuda_seed_alone_does_not_seed_torch() -> None:
    src = "import torch\ntorch.cuda.manual_seed_all(0)\nx = torch.randn(2)\n"
    assert lines(src) == [3]
    assert lines(src + "torch.manual_seed(0)\n") == []


def test_first_use_only_per_family() -> None:
    src = "import numpy as np\na = np.random.rand(1)\nb = np.random.rand(2)\nnp.random.shuffle(a)\n"
    assert lines(src) == [2]


def test_seed_under_main_guard_counts() -> None:
    src = """\
    import numpy as np

    def augment(x):
        return x + np.random.normal(size=x.shape)

    if __name__ == "__main__":
        np.random.seed(0)
        augment(data)
    """
    assert lines(src) == []


def test_seed_inside_a_helper_counts() -> None:
    src = """\
    import random
    import numpy as np
    import torch

    def fix_seeds(seed):
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)

    x = torch.rand(3) + np.random.rand(3)[0] + random.random()
    """
    assert lines(src) == []


def test_configured_seed_functions() -> None:
    src = "import numpy as np\nfrom mylib.repro import make_deterministic\nmake_deterministic()\n"
    src += "np.random.shuffle(a)\n"
    assert lines(src) == [4]
    assert lines(src, Config(seed_functions=("make_deterministic",))) == []
    assert lines(src, Config(seed_functions=("mylib.repro.make_deterministic",))) == []
    assert lines(src, Config(seed_functions=("other",))) == [4]


def test_message_names_the_family_and_call() -> None:
    (f,) = check_code("import numpy as np\nnp.random.shuffle(a)\n", select=["ML201"])
    assert "np.random.shuffle" in f.message and "never seeded" in f.message
    assert f.fix and "seed" in f.fix
    assert (f.line, f.column, f.severity) == (2, 1, "warning")


def test_instances_fire_each_time() -> None:
    src = "import numpy as np\na = np.random.default_rng()\nb = np.random.default_rng()\n"
    assert lines(src) == [2, 3]


def test_multiline_call_points_at_first_line() -> None:
    src = "import torch\nx = (\n    torch.randn(\n        3,\n        4,\n    )\n)\n"
    assert lines(src) == [3]


def test_notebook_is_one_file() -> None:
    nb = make_notebook(
        [
            "import numpy as np\nimport torch",
            ("markdown", "# Data"),
            "idx = np.random.permutation(100)\nx = torch.randn(3)",
            "np.random.seed(0)",
        ]
    )
    found = check_notebook(nb, select=["ML201"])
    assert [(f.cell, f.line) for f in found] == [(3, 2)]
    assert "torch" in found[0].message


def test_notebook_seed_in_first_cell() -> None:
    nb = make_notebook(["import random\nrandom.seed(3)", "random.shuffle(xs)"])
    assert check_notebook(nb, select=["ML201"]) == []


def test_suppression_comment() -> None:
    src = "import numpy as np\nx = np.random.rand(3)  # mlvet: ignore[ML201]\n"
    assert lines(src) == []


def test_realistic_training_script_unseeded() -> None:
    src = """\
    import argparse
    import random

    import numpy as np
    import torch
    from torch.utils.data import DataLoader, random_split


    def main():
        parser = argparse.ArgumentParser()
        parser.add_argument("--epochs", type=int, default=3)
        args = parser.parse_args()
        dataset = load_dataset()
        train_set, val_set = random_split(dataset, [0.9, 0.1])
        loader = DataLoader(
            train_set,
            batch_size=64,
            shuffle=True,
            num_workers=4,
        )
        for epoch in range(args.epochs):
            for xb, yb in loader:
                if random.random() < 0.5:
                    xb = xb.flip(-1)
                noise = np.random.normal(0, 0.1, size=xb.shape)


    if __name__ == "__main__":
        main()
    """
    found = check_code(textwrap.dedent(src), select=["ML201"])
    assert sorted(f.line for f in found) == [14, 23, 25]


def test_realistic_training_script_seeded() -> None:
    src = """\
    import random

    import numpy as np
    import torch
    from torch.utils.data import DataLoader


    def seed_everything(seed: int) -> None:
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        torch.cuda.manual_seed_all(seed)


    def main(cfg):
        seed_everything(cfg.seed)
        loader = DataLoader(ds, batch_size=64, shuffle=True)
        x = torch.randn(4, 4)
        random.shuffle(cfg.items)
        np.random.permutation(10)
    """
    assert lines(src) == []


def test_dropout_like_draws_in_training_code_are_not_findings() -> None:
    src = """\
    import random
    import torch
    from torch import nn

    class Block(nn.Module):
        def forward(self, x):
            if self.training and random.uniform(0, 1) < self.layerdrop:
                return x
            keep = torch.rand(x.shape[0], 1) > self.drop_prob
            return x * keep

    def drop_path(x, p: float, training: bool = False):
        if not training:
            return x
        return x * (torch.rand(x.shape[0]) > p)
    """
    assert lines(src) == []
    # the same draws outside such code still count
    assert lines(src + "noise = torch.randn(3)\n") == [16]


CLOCK_SEEDED = [
    ("import time\nimport random\nrandom.seed(time.time())\nrandom.shuffle(a)\n", [4]),
    ("import time\nimport numpy as np\nnp.random.seed(int(time.time()))\nnp.random.rand(2)\n", [4]),
    (
        "import os\nimport torch\ntorch.manual_seed(int.from_bytes(os.urandom(4)))\ntorch.rand(2)\n",
        [4],
    ),
    ("import time\nimport numpy as np\nrng = np.random.default_rng(int(time.time()))\n", [3]),
    (
        "import time\nimport numpy as np\nseed = time.time_ns()\nrng = np.random.default_rng(seed)\n",
        [4],
    ),
    ("import time\nimport jax\nseed = int(time.time())\nkey = jax.random.PRNGKey(seed)\n", [4]),
    (
        "import time\nfrom transformers import set_seed\nset_seed(int(time.time()))\nimport torch\n"
        "x = torch.randn(2)\n",
        [5],
    ),
]


@pytest.mark.parametrize(("src", "expected"), CLOCK_SEEDED)
def test_seed_from_the_clock_is_no_seed(src: str, expected: list[int]) -> None:
    assert lines(src) == expected


def test_seed_from_config_is_a_seed() -> None:
    src = "import time\nimport numpy as np\nstart = time.time()\nnp.random.seed(cfg.seed)\n"
    src += "np.random.rand(2)\nrng = np.random.default_rng(cfg.seed)\n"
    assert lines(src) == []


def test_training_is_looked_for_in_the_drawing_function_only() -> None:
    src = """\
    import torch

    def forward(self, x):
        if self.training:
            return x * (torch.rand(x.shape[0]) > 0.1)
        return x

    def init_noise(shape):
        return torch.randn(shape)
    """
    assert lines(src) == [9]


def test_training_in_a_decorator_makes_the_function_dropout_like() -> None:
    src = """\
    import torch

    @only_when(lambda self: self.training)
    def jitter(self, x):
        return x + torch.randn_like(x)
    """
    assert lines(src) == []


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_training_lines_are_counted_as_the_parser_counts_them(newline: str) -> None:
    src = textwrap.dedent(
        """\
        import torch
        x = 1
        def forward(self, x):
            if self.training:
                return x * (torch.rand(3) > 0.1)
            return x
        """
    ).replace("\n", newline)
    assert lines(src) == []
