"""Review corpus for ML201-ML207: realistic positives and near-miss negatives.

Each case is a whole small file; the expected (rule, line) pairs are exact."""

from __future__ import annotations

import pytest
from conftest import check_code, check_notebook, make_notebook

CODES = ["ML201", "ML202", "ML203", "ML204", "ML205", "ML206", "ML207"]

CASES: dict[str, tuple[str, list[tuple[str, int]]]] = {
    "n201a": (
        'import numpy as np\nimport torch\nimport random\nfrom transformers import set_seed\n\ndef main():\n    x = np.random.rand(3)\n    random.shuffle([1,2])\n    return torch.rand(2)\n\nif __name__ == "__main__":\n    set_seed(42)\n    main()\n',
        [],
    ),
    "n201b": (
        'import numpy as np\nrng = np.random.default_rng(seed=7)\nx = rng.normal(size=3)\ng = np.random.RandomState(0)\n# torch.rand is mentioned here\ns = "np.random.rand(3)"\nimport random\n',
        [],
    ),
    "n201d": (
        "from torch.utils.data import DataLoader\nimport torch\nimport lightning as L\nL.seed_everything(1)\ntrain_loader = DataLoader(ds, batch_size=32, shuffle=True)\n",
        [],
    ),
    "n201h": (
        "import jax\nkey = jax.random.PRNGKey(0)\nk1, k2 = jax.random.split(key)\nx = jax.random.normal(k1, (3,))\n",
        [],
    ),
    "n201i": (
        "import torch\ng = torch.Generator().manual_seed(0)\nx = torch.rand(3, generator=g)\n",
        [],
    ),
    "n201j": (
        "import torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.drop = nn.Dropout(0.1)\n",
        [],
    ),
    "n202a": (
        "from sklearn.model_selection import train_test_split, KFold\nfrom sklearn.linear_model import LogisticRegression\nXtr, Xte = train_test_split(X, shuffle=False)\ncv = KFold(5)\nlr = LogisticRegression()\nm = RandomForest(**params)\nfrom sklearn.ensemble import RandomForestClassifier\nm2 = RandomForestClassifier(**params)\nimport lightgbm as lgb\nb = lgb.LGBMClassifier(seed=1)\n",
        [],
    ),
    "n203a": (
        "import torch\ndef train(model, loader, optimizer, scheduler):\n    model.train()\n    for step, batch in enumerate(loader):\n        loss = model(**batch).loss\n        loss.backward()\n        if (step + 1) % 4 == 0:\n            optimizer.step()\n            scheduler.step()\n            optimizer.zero_grad()\n",
        [],
    ),
    "n203b": (
        "import torch\nfor x in data:\n    loss = f(x)\n    loss.backward()\n    scheduler.step()\n",
        [],
    ),
    "n204a": (
        "from sklearn.preprocessing import StandardScaler\nfrom sklearn.model_selection import train_test_split\nX_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)\nscaler = StandardScaler()\nX_train = scaler.fit_transform(X_train)\nX_test = scaler.transform(X_test)\n",
        [],
    ),
    "n204b": (
        "from sklearn.pipeline import make_pipeline\nfrom sklearn.preprocessing import StandardScaler\nfrom sklearn.model_selection import cross_val_score\nfrom sklearn.linear_model import Ridge\npipe = make_pipeline(StandardScaler(), Ridge())\nscores = cross_val_score(pipe, X, y, cv=5)\n",
        [],
    ),
    "n205a": (
        "import torch\ndef evaluate(model, loader):\n    model.eval()\n    correct = 0\n    with torch.no_grad():\n        for x, y in loader:\n            out = model(x)\n    return correct\n",
        [],
    ),
    "n206a": (
        'import pandas as pd\nimport numpy as np\ndf = pd.read_csv("x.csv")\ndf.loc[df["b"] > 0, "a"] = 1\narr = np.zeros((3, 3))\narr[0][1] = 2\nd = {}\nd["a"]["b"] = 3\nresults[k][j] = 4\n',
        [],
    ),
    "n207a": (
        'import torch\nclass Net(torch.nn.Module):\n    def forward(self, x):\n        return super().forward(x)\ny = net(x)\n# model.forward(x) in comment\ns = "model.forward(x)"\n',
        [],
    ),
    "p201a": (
        "import numpy as np\nimport torch as T\nfrom random import shuffle as shuf\n\ndef make():\n    idx = list(range(10))\n    shuf(idx)\n    return T.randn(3, 4)\n",
        [("ML201", 7), ("ML201", 8)],
    ),
    "p201b": (
        "import numpy as np\nrng = np.random.default_rng()\nx = rng.normal(size=3)\n",
        [("ML201", 2)],
    ),
    "p201c": (
        "import tensorflow as tf\nx = tf.random.uniform((3,))\n",
        [("ML201", 2)],
    ),
    "p201d": (
        "from torch.utils.data import DataLoader\nimport torch\ntrain_loader = DataLoader(\n    ds,\n    batch_size=32,\n    shuffle=True,\n)\n",
        [("ML201", 3)],
    ),
    "p201e": (
        "import numpy as np\nnp.random.seed()\nx = np.random.choice(10, 3)\n",
        [("ML201", 3)],
    ),
    "p201f": (
        "import random\nr = random.Random()\n",
        [("ML201", 2)],
    ),
    "p201g": (
        "from numpy.random import *\nx = rand(3)\n",
        [("ML201", 2)],
    ),
    "p201h": (
        "import jax, time\nkey = jax.random.PRNGKey(int(time.time()))\n",
        [("ML201", 2)],
    ),
    "p202a": (
        "from sklearn.model_selection import train_test_split as tts, KFold\nfrom sklearn import ensemble\nimport xgboost as xgb\nXtr, Xte = tts(X,\n    test_size=0.2)\ncv = KFold(5, shuffle=True)\nm = ensemble.RandomForestRegressor(n_estimators=10)\nb = xgb.XGBClassifier(n_estimators=100)\n",
        [("ML202", 4), ("ML202", 6), ("ML202", 7), ("ML202", 8)],
    ),
    "p202b": (
        'from sklearn.decomposition import PCA\nfrom sklearn.manifold import TSNE\nfrom sklearn.svm import SVC\nfrom sklearn.linear_model import LogisticRegression\np = PCA(n_components=2, svd_solver="randomized")\nt = TSNE(n_components=2)\ns = SVC(probability=True)\nl = LogisticRegression(solver="saga")\n',
        [("ML202", 5), ("ML202", 6), ("ML202", 7), ("ML202", 8)],
    ),
    "p202c": (
        "from sklearn.utils import shuffle\nfrom sklearn.cluster import KMeans\nX, y = shuffle(X, y)\nkm = KMeans(n_clusters=3, random_state=None)\n",
        [("ML202", 3), ("ML202", 4)],
    ),
    "p203a": (
        "import torch\ndef train(model, loader, opt):\n    for epoch in range(10):\n        for batch in loader:\n            out = model(batch)\n            loss = out.loss\n            loss.backward()\n            opt.step()\n",
        [("ML203", 4)],
    ),
    "p203b": (
        'import torch\nscaler = torch.cuda.amp.GradScaler()\nwhile True:\n    with torch.autocast("cuda"):\n        loss = crit(net(x), y)\n    scaler.scale(loss).backward()\n    scaler.step(optimizer)\n    scaler.update()\n',
        [("ML203", 3)],
    ),
    "p204a": (
        "from sklearn.preprocessing import StandardScaler\nfrom sklearn.model_selection import train_test_split\nscaler = StandardScaler()\nX_scaled = scaler.fit_transform(X)\nX_train, X_test, y_train, y_test = train_test_split(X_scaled, y, test_size=0.2, random_state=0)\n",
        [("ML204", 4)],
    ),
    "p204b": (
        "from sklearn.preprocessing import MinMaxScaler\nfrom sklearn.model_selection import cross_val_score\nfrom sklearn.linear_model import Ridge\nX = MinMaxScaler().fit_transform(X)\nscores = cross_val_score(Ridge(), X, y, cv=5)\n",
        [("ML204", 4)],
    ),
    "p204c": (
        'from sklearn.impute import SimpleImputer\nfrom sklearn.model_selection import train_test_split\nimp = SimpleImputer(strategy="mean")\nimp.fit(df[features])\ndf[features] = imp.transform(df[features])\ntrain, test = train_test_split(df, test_size=0.2, random_state=1)\n',
        [("ML204", 4)],
    ),
    "p205a": (
        "import torch\ndef evaluate(model, loader):\n    correct = 0\n    with torch.no_grad():\n        for x, y in loader:\n            out = model(x)\n            correct += (out.argmax(1) == y).sum().item()\n    return correct\n",
        [("ML205", 6)],
    ),
    "p205b": (
        "import torch\nmodel = Net()\nfor epoch in range(3):\n    model.train()\n    for x, y in train_loader:\n        optimizer.zero_grad()\n        loss = crit(model(x), y)\n        loss.backward()\n        optimizer.step()\n    with torch.no_grad():\n        for x, y in val_loader:\n            val = model(x)\n",
        [("ML205", 12)],
    ),
    "p205c": (
        "import torch\ndef fit(model, opt, train_loader, val_loader):\n    for epoch in range(3):\n        for x, y in train_loader:\n            opt.zero_grad()\n            loss = crit(model(x), y)\n            loss.backward()\n            opt.step()\n        model.eval()\n        with torch.no_grad():\n            for x, y in val_loader:\n                model(x)\n",
        [("ML205", 9)],
    ),
    "p206a": (
        'import pandas as pd\ndf = pd.read_csv("x.csv")\ndf["a"][df["b"] > 0] = 1\ndf.loc[0]["a"] = 2\n',
        [("ML206", 3), ("ML206", 4)],
    ),
    "p206b": (
        'import pandas as pd\ndata = pd.read_csv("x.csv")\ndata["age"][data.age.isna()] = 0\ndata["col"].fillna(0, inplace=True)\n',
        [("ML206", 3), ("ML206", 4)],
    ),
    "p207a": (
        "import torch\nmodel = MyNet()\nout = model.forward(x)\nlogits = self.backbone.forward(images)\n",
        [("ML207", 3), ("ML207", 4)],
    ),
    "n201k": (
        "import random\nimport numpy as np\nimport torch\n\ndef seed_all(seed):\n    random.seed(seed)\n    np.random.seed(seed)\n    torch.manual_seed(seed)\n\ndef augment(x):\n    if random.random() < 0.5:\n        x = x[::-1]\n    return x + np.random.normal(0, 1, x.shape) + torch.randn(1).item()\n",
        [],
    ),
    "n201l": (
        "import numpy as np\nimport torch\nfrom accelerate.utils import set_seed as acc_seed\nacc_seed(1234)\nx = np.random.rand(3); y = torch.rand(3)\n",
        [],
    ),
    "n201m": (
        "import random\nclass Sampler:\n    def __init__(self, seed=0):\n        self.rng = random.Random(seed)\n    def pick(self, xs):\n        return self.rng.choice(xs)\n",
        [],
    ),
    "n201n": (
        "import torch\nfrom torch.utils.data import random_split\ntrain_ds, val_ds = random_split(ds, [0.8, 0.2], generator=torch.Generator().manual_seed(42))\n",
        [],
    ),
    "n201p": (
        'import numpy as np\nimport torch\ncfg = {"seed": 1}\nnp.random.seed(cfg["seed"])\ntorch.manual_seed(cfg["seed"])\nidx = np.random.permutation(10)\nw = torch.nn.init.normal_(torch.empty(3))\nz = torch.normal(mean=0.0, std=1.0, size=(3,))\n',
        [],
    ),
    "n201r": (
        "import torch\ndef sample(logits):\n    probs = torch.softmax(logits, -1)\n    return torch.multinomial(probs, 1)\ntorch.manual_seed(0)\n",
        [],
    ),
    "n201s": (
        "from numpy.random import *\nseed(0)\nx = rand(3)\n",
        [],
    ),
    "n201t": (
        "from numpy.random import *\nfrom mylib import *\nx = rand(3)\n",
        [],
    ),
    "n202b": (
        "from sklearn.model_selection import StratifiedKFold, GroupKFold, train_test_split\nfrom sklearn.ensemble import RandomForestClassifier\nSEED = 42\nskf = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)\ngkf = GroupKFold(n_splits=5)\nclf = RandomForestClassifier(n_estimators=100, random_state=SEED, n_jobs=-1)\na, b = train_test_split(df, test_size=0.1, random_state=cfg.seed)\n",
        [],
    ),
    "n202c": (
        "def train_test_split(x): return x\na = train_test_split(df)\nclass KMeans: pass\nk = KMeans()\nfrom mylib import RandomForestClassifier\nr = RandomForestClassifier()\n",
        [],
    ),
    "n202s": (
        "from sklearn.ensemble import *\nfrom helpers import *\nm = RandomForestClassifier()\n",
        [],
    ),
    "n203c": (
        "import torch\nclass Trainer:\n    def fit(self):\n        for batch in self.loader:\n            self.model.zero_grad()\n            loss = self.model(batch)\n            loss.backward()\n            self.optimizer.step()\n",
        [],
    ),
    "n203d": (
        "import torch\nfor batch in loader:\n    loss = model(batch)\n    accelerator.backward(loss)\n    optimizer.step()\n    lr_scheduler.step()\n    optimizer.zero_grad(set_to_none=True)\n",
        [],
    ),
    "n203e": (
        "import torch\noptimizer.zero_grad()\nfor i in range(3):\n    loss = f()\n    loss.backward()\noptimizer.step()\n",
        [],
    ),
    "n204d": (
        "from sklearn.preprocessing import LabelEncoder\nfrom sklearn.model_selection import train_test_split\nle = LabelEncoder()\ny = le.fit_transform(y)\nX_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)\n",
        [],
    ),
    "n205d": (
        'import torch\nfrom transformers import AutoModelForSequenceClassification\nmodel = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased", revision="main")\nwith torch.no_grad():\n    out = model(**inputs)\n',
        [],
    ),
    "n205e": (
        "import torch\n@torch.inference_mode()\ndef predict(model, x):\n    model.eval()\n    return model(x)\n",
        [],
    ),
    "n206c": (
        'import pandas as pd\ndf = pd.DataFrame({"a": [1]})\ndf["a"] = df["a"].fillna(0)\ndf.fillna(0, inplace=True)\ndf.loc[:, "a"] = 2\ndf.at[0, "a"] = 3\nmatrix[i][j] = 0\n',
        [],
    ),
    "p207c": (
        "import torch\nclass Wrapper(torch.nn.Module):\n    def forward(self, x):\n        return self.model.forward(x)\n",
        [("ML207", 4)],
    ),
    "p201n": (
        "import torch\nfrom torch.utils.data import random_split\ntrain_ds, val_ds = random_split(ds, [0.8, 0.2])\n",
        [("ML201", 3)],
    ),
    "p201o": (
        "import torch\ntorch.cuda.manual_seed_all(0)\nx = torch.randint(0, 10, (4,))\n",
        [("ML201", 3)],
    ),
    "p201q": (
        "import tensorflow as tf\ntf.random.set_seed(0)\nimport numpy as np\nidx = np.random.permutation(10)\n",
        [("ML201", 4)],
    ),
    "p201s": (
        "import numpy as np\nfrom numpy.random import *\nx = rand(3)\n",
        [("ML201", 3)],
    ),
    "p202d": (
        "import sklearn.model_selection as ms\nfrom sklearn.ensemble import (\n    GradientBoostingClassifier as GBC,\n)\nfrom lightgbm import LGBMRegressor\nfrom sklearn.datasets import make_classification\nX, y = make_classification(n_samples=1000)\na, b = ms.train_test_split(X)\ng = GBC()\nl = LGBMRegressor(n_estimators=10)\n",
        [("ML202", 7), ("ML202", 8), ("ML202", 9), ("ML202", 10)],
    ),
    "p202s": (
        "import pandas as pd\nfrom sklearn.model_selection import *\nfrom sklearn.ensemble import *\na, b = train_test_split(X)\nm = RandomForestClassifier()\n",
        [("ML202", 4), ("ML202", 5)],
    ),
    "p203c": (
        "import torch\nclass Trainer:\n    def fit(self):\n        for epoch in range(self.epochs):\n            for batch in self.loader:\n                self.optimizer.zero_grad\n                loss = self.model(batch)\n                loss.backward()\n                self.optimizer.step()\n",
        [("ML203", 5)],
    ),
    "p204d": (
        'import pandas as pd\nfrom sklearn.preprocessing import LabelEncoder, StandardScaler\nfrom sklearn.model_selection import train_test_split\ndf = pd.read_csv("train.csv")\nnum_cols = ["a", "b"]\nsc = StandardScaler()\ndf[num_cols] = sc.fit_transform(df[num_cols])\nX = df.drop("y", axis=1)\ny = df["y"]\nX_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)\n',
        [("ML204", 7)],
    ),
    "p204e": (
        'from sklearn.feature_selection import SelectKBest, f_classif\nfrom sklearn.model_selection import GridSearchCV\nfrom sklearn.svm import SVC\nX_new = SelectKBest(f_classif, k=10).fit_transform(X, y)\ngs = GridSearchCV(SVC(), {"C": [1, 10]}, cv=5)\ngs.fit(X_new, y)\n',
        [("ML204", 4)],
    ),
    "p205d": (
        "import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n    def forward(self, x): return x\nnet = Net()\n@torch.no_grad()\ndef predict(loader):\n    return [net(x) for x in loader]\n",
        [("ML205", 8)],
    ),
    "p205f": (
        "import torch\ndef validate(model, val_loader, criterion):\n    losses = []\n    for x, y in val_loader:\n        with torch.no_grad():\n            losses.append(criterion(model(x), y).item())\n    return sum(losses)\n",
        [("ML205", 6)],
    ),
    "p206c": (
        'import pandas as pd\ntrain_df = pd.read_parquet("a.parquet")\ntrain_df["label"].iloc[0] = 1\ntrain_df["x"]["y"] += 1\n',
        [("ML206", 3), ("ML206", 4)],
    ),
    "p207b": (
        "import torch\nwith torch.no_grad():\n    emb = encoder.forward(\n        input_ids=ids,\n        attention_mask=mask,\n    )\n",
        [("ML205", 3), ("ML207", 3)],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_case(name: str) -> None:
    code, expected = CASES[name]
    found = sorted((f.rule, f.line) for f in check_code(code, select=CODES))
    assert found == expected


def test_corpus_has_both_kinds() -> None:
    assert any(exp for _c, exp in CASES.values())
    assert any(not exp for _c, exp in CASES.values())


def test_notebook_seed_in_a_later_cell_covers_the_whole_notebook() -> None:
    nb = make_notebook(
        [
            "%matplotlib inline\nimport numpy as np\nimport pandas as pd",
            "idx = np.random.permutation(100)",
            "!pip install x\nnp.random.seed(0)",
        ]
    )
    assert check_notebook(nb, select=["ML2"]) == []


def test_notebook_cells_with_magics_report_cell_and_line() -> None:
    nb = make_notebook(
        [
            "import numpy as np\nimport pandas as pd\ndf = pd.read_csv('a.csv')",
            "%%time\ndf['a'][df.b > 1] = 0",
            "from sklearn.model_selection import train_test_split\ntr, te = train_test_split(df)",
        ]
    )
    found = sorted((f.rule, f.cell, f.line) for f in check_notebook(nb, select=["ML2"]))
    assert found == [("ML202", 3, 2), ("ML206", 2, 2)]


def test_notebook_import_in_a_later_cell_resolves_an_earlier_draw() -> None:
    nb = make_notebook(["x = torch.rand(3)", "import torch"])
    found = [(f.rule, f.cell, f.line) for f in check_notebook(nb, select=["ML201"])]
    assert found == [("ML201", 1, 1)]
