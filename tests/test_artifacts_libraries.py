"""Real pickles of fitted scikit-learn estimators and pandas frames must not be noise
(skipped when the libraries are not installed). Written by the libraries, only scanned."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from artifacts_helpers import RunsCommand, codes, scan


@pytest.fixture(scope="module")
def data() -> tuple[Any, Any]:
    datasets = pytest.importorskip("sklearn.datasets")
    return datasets.make_classification(120, 6, random_state=0)  # type: ignore[no-any-return]


def estimators() -> list[Any]:
    pytest.importorskip("sklearn")
    from sklearn import (
        calibration,
        decomposition,
        ensemble,
        impute,
        linear_model,
        naive_bayes,
        neighbors,
        neural_network,
        pipeline,
        preprocessing,
        svm,
        tree,
    )

    return [
        linear_model.LogisticRegression(max_iter=300),
        ensemble.RandomForestClassifier(4, random_state=0),
        ensemble.GradientBoostingClassifier(n_estimators=4, random_state=0),
        ensemble.HistGradientBoostingClassifier(max_iter=4, random_state=0),
        tree.DecisionTreeClassifier(random_state=0),
        svm.SVC(),
        neighbors.KNeighborsClassifier(),
        naive_bayes.GaussianNB(),
        neural_network.MLPClassifier(max_iter=10, random_state=0),
        calibration.CalibratedClassifierCV(linear_model.LogisticRegression(), cv=2),
        pipeline.make_pipeline(
            preprocessing.StandardScaler(),
            impute.SimpleImputer(),
            decomposition.PCA(3),
            linear_model.LogisticRegression(),
        ),
    ]


@pytest.mark.filterwarnings("ignore")
def test_fitted_sklearn_estimators_are_clean(data: tuple[Any, Any], tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib")
    x, y = data
    for i, model in enumerate(estimators()):
        model.fit(x, y)
        as_joblib = tmp_path / f"m{i}.joblib"
        joblib.dump(model, as_joblib)
        as_pickle = tmp_path / f"m{i}.pkl"
        as_pickle.write_bytes(pickle.dumps(model))
        for path in (as_joblib, as_pickle):
            report = scan(path)
            assert report.findings == [], (
                type(model).__name__,
                [f.message for f in report.findings],
            )


@pytest.mark.filterwarnings("ignore")
def test_estimator_carrying_a_payload(data: tuple[Any, Any], tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib")
    linear_model = pytest.importorskip("sklearn.linear_model")
    x, y = data
    model = linear_model.LogisticRegression().fit(x, y)
    model.backdoor_ = RunsCommand()
    path = tmp_path / "model.joblib"
    joblib.dump(model, path, compress=3)
    assert codes(path) == ["ML401"]


def test_pandas_frame_pickle_is_clean(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "a": [1, 2],
            "s": ["x", "y"],
            "c": pd.Categorical(["u", "v"]),
            "t": pd.to_datetime(["2020-01-01", "2021-06-01"]),
        }
    )
    path = tmp_path / "frame.pkl"
    frame.to_pickle(path)
    assert codes(path) == []
