"""ML202 missing-random-state: real source text through the real engine."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code, check_notebook, make_notebook


def lines(code: str) -> list[int]:
    found = check_code(textwrap.dedent(code), select=["ML202"])
    assert all(f.rule == "ML202" for f in found)
    return sorted(f.line for f in found)


MS = "from sklearn.model_selection import "

POSITIVE = [
    (MS + "train_test_split\na, b = train_test_split(X, test_size=0.2)\n", [2]),
    (MS + "train_test_split\na, b = train_test_split(X, random_state=None)\n", [2]),
    (MS + "train_test_split\na, b = train_test_split(X, shuffle=True)\n", [2]),
    (MS + "train_test_split as tts\na, b = tts(X, y)\n", [2]),
    ("import sklearn.model_selection as ms\nms.train_test_split(X)\n", [2]),
    ("import sklearn\nsklearn.model_selection.train_test_split(X)\n", [2]),
    ("from sklearn import model_selection\nmodel_selection.train_test_split(X)\n", [2]),
    (MS + "KFold\ncv = KFold(n_splits=5, shuffle=True)\n", [2]),
    (MS + "StratifiedKFold\ncv = StratifiedKFold(5, shuffle=True, random_state=None)\n", [2]),
    (MS + "GroupKFold\ncv = GroupKFold(5, shuffle=True)\n", [2]),
    (MS + "KFold\ncv = KFold(5, True)\n", [2]),
    (MS + "KFold\ncv = KFold(5, True, None)\n", [2]),
    (MS + "ShuffleSplit\ncv = ShuffleSplit(n_splits=3)\n", [2]),
    (MS + "StratifiedShuffleSplit\ncv = StratifiedShuffleSplit()\n", [2]),
    (MS + "RepeatedStratifiedKFold\ncv = RepeatedStratifiedKFold(n_repeats=3)\n", [2]),
    (MS + "RandomizedSearchCV\ns = RandomizedSearchCV(est, dist, n_iter=20)\n", [2]),
    ("import sklearn.ensemble as ens\nclf = ens.RandomForestClassifier(n_estimators=10)\n", [2]),
    ("from sklearn.ensemble import RandomForestRegressor as RFR\nm = RFR()\n", [2]),
    ("from sklearn.ensemble import ExtraTreesClassifier\nm = ExtraTreesClassifier()\n", [2]),
    (
        "from sklearn.ensemble import GradientBoostingRegressor\nm = GradientBoostingRegressor()\n",
        [2],
    ),
    (
        "from sklearn.ensemble import HistGradientBoostingClassifier\n"
        "m = HistGradientBoostingClassifier(max_iter=100)\n",
        [2],
    ),
    ("from sklearn.ensemble import IsolationForest\nm = IsolationForest()\n", [2]),
    ("from sklearn.tree import DecisionTreeClassifier\nm = DecisionTreeClassifier()\n", [2]),
    ("from sklearn.cluster import KMeans\nkm = KMeans(n_clusters=3)\n", [2]),
    ("from sklearn.cluster import MiniBatchKMeans\nkm = MiniBatchKMeans(8)\n", [2]),
    ("from sklearn.manifold import TSNE\nemb = TSNE(n_components=2).fit_transform(X)\n", [2]),
    ("from sklearn.decomposition import PCA\np = PCA(10, svd_solver='randomized')\n", [2]),
    ("from sklearn.linear_model import SGDClassifier\nm = SGDClassifier()\n", [2]),
    ("from sklearn.neural_network import MLPClassifier\nm = MLPClassifier((64,))\n", [2]),
    (
        "from sklearn.linear_model import LogisticRegression\nm = LogisticRegression(solver='saga')\n",
        [2],
    ),
    (
        "from sklearn.linear_model import LogisticRegression\n"
        "m = LogisticRegression(C=1.0, solver='liblinear')\n",
        [2],
    ),
    ("from sklearn.svm import SVC\nm = SVC(kernel='rbf', probability=True)\n", [2]),
    ("from sklearn.datasets import make_classification\nX, y = make_classification(200)\n", [2]),
    ("from sklearn.datasets import make_blobs\nX, y = make_blobs(n_samples=100)\n", [2]),
    ("from sklearn import datasets\nX, y = datasets.make_regression(100, 5)\n", [2]),
    ("from sklearn.utils import shuffle\nX, y = shuffle(X, y)\n", [2]),
    ("from sklearn.utils import resample\nXb = resample(X, n_samples=10)\n", [2]),
    ("import sklearn.utils\nXs = sklearn.utils.shuffle(X)\n", [2]),
    ("import xgboost as xgb\nm = xgb.XGBClassifier(n_estimators=100)\n", [2]),
    ("from xgboost import XGBRegressor\nm = XGBRegressor(seed=None)\n", [2]),
    ("import lightgbm as lgb\nm = lgb.LGBMClassifier(num_leaves=31)\n", [2]),
    ("from lightgbm import LGBMRegressor\nm = LGBMRegressor()\n", [2]),
    ("from sklearn.datasets import make_moons\nX, y = make_moons(200, noise=0.1)\n", [2]),
    (
        "from sklearn.datasets import make_circles\nX, y = make_circles(shuffle=False, noise=0.05)\n",
        [2],
    ),
    (
        "from sklearn.ensemble import AdaBoostClassifier\n"
        "from sklearn.tree import DecisionTreeClassifier\n"
        "m = AdaBoostClassifier(DecisionTreeClassifier(max_depth=1))\n",
        [3, 3],
    ),
    (
        "from sklearn.model_selection import GridSearchCV\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "s = GridSearchCV(RandomForestClassifier(), grid, cv=5)\n",
        [3],
    ),
    # nested inside other calls: every randomised call is its own finding
    (
        "from sklearn.pipeline import make_pipeline\n"
        "from sklearn.preprocessing import StandardScaler\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "pipe = make_pipeline(StandardScaler(), RandomForestClassifier())\n",
        [4],
    ),
]


@pytest.mark.parametrize(("src", "expected"), POSITIVE)
def test_fires(src: str, expected: list[int]) -> None:
    assert lines(src) == expected


NEGATIVE = [
    MS + "train_test_split\na, b = train_test_split(X, random_state=42)\n",
    MS + "train_test_split\na, b = train_test_split(X, random_state=SEED)\n",
    MS + "train_test_split\na, b = train_test_split(X, random_state=rng)\n",
    MS + "train_test_split\na, b = train_test_split(X, shuffle=False)\n",
    MS + "train_test_split\na, b = train_test_split(X, **split_kwargs)\n",
    MS + "KFold\ncv = KFold(n_splits=5)\n",
    MS + "KFold\ncv = KFold(n_splits=5, shuffle=False)\n",
    MS + "KFold\ncv = KFold(5, shuffle=True, random_state=0)\n",
    MS + "StratifiedKFold\ncv = StratifiedKFold(5)\n",
    MS + "GroupKFold\ncv = GroupKFold(5)\n",
    MS + "KFold\ncv = KFold(5, True, 42)\n",
    MS + "StratifiedKFold\ncv = StratifiedKFold(10, True, SEED)\n",
    MS + "KFold\ncv = KFold(5, False)\n",
    MS + "ShuffleSplit\ncv = ShuffleSplit(5, 0.2, None, 0)\n",
    MS + "TimeSeriesSplit\ncv = TimeSeriesSplit(5)\n",
    MS + "GridSearchCV\ns = GridSearchCV(est, grid)\n",
    "from sklearn.ensemble import RandomForestClassifier\nm = RandomForestClassifier(random_state=0)\n",
    "from sklearn.ensemble import RandomForestClassifier\nm = RandomForestClassifier(**params)\n",
    "from sklearn.decomposition import PCA\np = PCA(10)\n",
    "from sklearn.decomposition import PCA\np = PCA(10, svd_solver='full')\n",
    "from sklearn.linear_model import LogisticRegression\nm = LogisticRegression()\n",
    "from sklearn.linear_model import LogisticRegression\nm = LogisticRegression(solver='lbfgs')\n",
    "from sklearn.linear_model import LinearRegression\nm = LinearRegression()\n",
    "from sklearn.svm import SVC\nm = SVC(kernel='rbf')\n",
    "from sklearn.neighbors import KNeighborsClassifier\nm = KNeighborsClassifier(3)\n",
    "from sklearn.preprocessing import StandardScaler\ns = StandardScaler()\n",
    "from sklearn.cluster import DBSCAN\nc = DBSCAN()\n",
    "from sklearn.cluster import KMeans\nkm = KMeans(n_clusters=3, random_state=0, n_init=10)\n",
    "import xgboost as xgb\nm = xgb.XGBClassifier(random_state=1)\n",
    "import xgboost as xgb\nm = xgb.XGBClassifier(seed=1)\n",
    "import lightgbm as lgb\nm = lgb.LGBMClassifier(random_state=7)\n",
    "import lightgbm as lgb\nm = lgb.LGBMClassifier(seed=7)\n",
    "import xgboost as xgb\nbst = xgb.train(params, dtrain)\n",
    "from sklearn.datasets import make_moons\nX, y = make_moons(100, shuffle=False)\n",
    "from sklearn.datasets import make_circles\nX, y = make_circles(shuffle=False, noise=None)\n",
    (
        "from sklearn.ensemble import AdaBoostClassifier\n"
        "from sklearn.tree import DecisionTreeClassifier\n"
        "m = AdaBoostClassifier(DecisionTreeClassifier(max_depth=1), random_state=0)\n"
    ),
    (
        "from sklearn.ensemble import BaggingRegressor\n"
        "from sklearn.tree import DecisionTreeRegressor\n"
        "m = BaggingRegressor(\n    estimator=DecisionTreeRegressor(max_depth=4),\n"
        "    random_state=rng,\n)\n"
    ),
    # same names, not scikit-learn
    "import random\nrandom.shuffle(x)\n",
    "def train_test_split(X):\n    return X[:8], X[8:]\na, b = train_test_split(X)\n",
    "from mylib.split import train_test_split\na, b = train_test_split(X)\n",
    "from datasets import load_dataset\nds = load_dataset('imdb')\nds = ds['train'].train_test_split(0.1)\n",
    "class KMeans:\n    pass\nk = KMeans()\n",
    "from cuml.cluster import KMeans\nk = KMeans(3)\n",
    # import alone, string, comment
    "from sklearn.ensemble import RandomForestClassifier\ns = 'RandomForestClassifier()'  # KMeans()\n",
]


@pytest.mark.parametrize("src", NEGATIVE)
def test_silent(src: str) -> None:
    assert lines(src) == []


def test_finding_points_at_first_line_of_multiline_call() -> None:
    src = """\
    from sklearn.model_selection import train_test_split

    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=0.25,
        stratify=y,
    )
    """
    (f,) = check_code(textwrap.dedent(src), select=["ML202"])
    assert (f.line, f.column) == (3, 36)
    assert "train_test_split" in f.message and "random_state" in f.message
    assert f.severity == "warning"


def test_random_state_none_message() -> None:
    (f,) = check_code(
        "from sklearn.cluster import KMeans\nk = KMeans(3, random_state=None)\n", select=["ML202"]
    )
    assert "random_state=None" in f.message


def test_suppression_on_first_line() -> None:
    src = "from sklearn.cluster import KMeans\nk = KMeans(  # mlvet: ignore[ML202]\n    3,\n)\n"
    assert lines(src) == []


def test_notebook_cells() -> None:
    nb = make_notebook(
        [
            "import numpy as np\nfrom sklearn.model_selection import train_test_split",
            ("markdown", "## Split"),
            "X_tr, X_te = train_test_split(X, test_size=0.2, random_state=0)",
            "from sklearn.ensemble import RandomForestClassifier\n\nclf = RandomForestClassifier()",
        ]
    )
    found = check_notebook(nb, select=["ML202"])
    assert [(f.cell, f.line) for f in found] == [(4, 3)]


def test_realistic_script() -> None:
    src = """\
    import pandas as pd
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split

    SEED = 13

    df = pd.read_csv("train.csv")
    X, y = df.drop(columns="label"), df["label"]
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, random_state=SEED)
    models = {
        "rf": RandomForestClassifier(n_estimators=500, n_jobs=-1),
        "gb": GradientBoostingClassifier(random_state=SEED),
    }
    cv = StratifiedKFold(n_splits=5, shuffle=True)
    for name, model in models.items():
        print(name, cross_val_score(model, X_train, y_train, cv=cv).mean())
    """
    assert lines(src) == [11, 14]
