"""ML204 preprocessing-leakage: data flow from a fit to a split or cross-validation."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code, check_notebook, make_notebook


def lines(code: str) -> list[int]:
    found = check_code(textwrap.dedent(code), select=["ML204"])
    assert all(f.rule == "ML204" for f in found)
    return sorted(f.line for f in found)


IMPORTS = """\
import pandas as pd
from sklearn.preprocessing import StandardScaler, MinMaxScaler, OneHotEncoder, LabelEncoder
from sklearn.impute import SimpleImputer
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest, VarianceThreshold
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import (
    train_test_split, cross_val_score, cross_validate, GridSearchCV, KFold,
)
from sklearn.pipeline import make_pipeline, Pipeline
"""
N = IMPORTS.count("\n")  # lines before each snippet


POSITIVE = {
    "fit_transform_then_split": (
        """\
        scaler = StandardScaler()
        X_scaled = scaler.fit_transform(X)
        X_train, X_test, y_train, y_test = train_test_split(X_scaled, y, random_state=0)
        """,
        [2],
    ),
    "reassigned_in_place": (
        """\
        X = StandardScaler().fit_transform(X)
        X_train, X_test, y_train, y_test = train_test_split(X, y)
        """,
        [1],
    ),
    "fit_then_transform_then_split": (
        """\
        scaler = MinMaxScaler()
        scaler.fit(X)
        X = scaler.transform(X)
        a, b = train_test_split(X)
        """,
        [2],
    ),
    "fit_on_data_then_split_raw": (
        """\
        imp = SimpleImputer(strategy="median")
        imp.fit(X)
        X_tr, X_te = train_test_split(X, test_size=0.2)
        """,
        [2],
    ),
    "dataframe_columns": (
        """\
        sc = StandardScaler()
        df[num_cols] = sc.fit_transform(df[num_cols])
        X = df.drop(columns=["target"])
        y = df["target"]
        X_train, X_test, y_train, y_test = train_test_split(X, y)
        """,
        [2],
    ),
    "cross_val_score": (
        """\
        X_s = StandardScaler().fit_transform(X)
        scores = cross_val_score(model, X_s, y, cv=5)
        """,
        [1],
    ),
    "cross_validate_keyword_X": (
        """\
        X_p = PCA(n_components=10).fit_transform(X)
        res = cross_validate(estimator=model, X=X_p, y=y)
        """,
        [1],
    ),
    "grid_search_fit": (
        """\
        X_sel = SelectKBest(k=20).fit_transform(X, y)
        GridSearchCV(model, grid, cv=5).fit(X_sel, y)
        """,
        [1],
    ),
    "grid_search_variable": (
        """\
        vt = VarianceThreshold(0.01)
        X_v = vt.fit_transform(X)
        search = GridSearchCV(model, grid)
        search.fit(X_v, y)
        """,
        [2],
    ),
    "kfold_split": (
        """\
        X_s = StandardScaler().fit_transform(X)
        kf = KFold(5, shuffle=True, random_state=0)
        for tr, te in kf.split(X_s):
            pass
        """,
        [1],
    ),
    "tfidf_on_all_texts": (
        """\
        vec = TfidfVectorizer(min_df=2)
        X = vec.fit_transform(df["text"])
        X_train, X_test, y_train, y_test = train_test_split(X, df["label"])
        """,
        [2],
    ),
    "one_hot_all_rows": (
        """\
        enc = OneHotEncoder(handle_unknown="ignore")
        X_cat = enc.fit_transform(data[cat_cols]).toarray()
        X_all = np.hstack([X_num, X_cat])
        train_test_split(X_all, y)
        """,
        [2],
    ),
    "inside_function": (
        """\
        def prepare(X, y):
            scaler = StandardScaler()
            X = scaler.fit_transform(X)
            return train_test_split(X, y, test_size=0.3)
        """,
        [3],
    ),
    "fit_then_transform_chained": (
        """\
        X_scaled = StandardScaler().fit(X).transform(X)
        cross_val_score(model, X_scaled, y)
        """,
        [1],
    ),
    "fitted_scaler_variable": (
        """\
        scaler = StandardScaler().fit(X)
        X_s = scaler.transform(X)
        train_test_split(X_s, y)
        """,
        [1],
    ),
    "dataframe_rebuilt": (
        """\
        scaler = MinMaxScaler()
        df_scaled = pd.DataFrame(scaler.fit_transform(df), columns=df.columns)
        X = df_scaled.drop("target", axis=1)
        X_train, X_test = train_test_split(X, random_state=1)
        """,
        [2],
    ),
    "multiline_fit": (
        """\
        X_scaled = StandardScaler(
            with_mean=True,
        ).fit_transform(
            X
        )
        train_test_split(X_scaled)
        """,
        [1],
    ),
    "fit_then_cv_in_a_function": (
        """\
        def evaluate(model, X, y):
            X = StandardScaler().fit_transform(X)
            return cross_val_score(model, X, y)
        """,
        [2],
    ),
    # the scaler's import, inside an earlier function, still names it
    "import_in_another_function": (
        """\
        def setup():
            from sklearn.preprocessing import RobustScaler

        def run(model, X, y):
            X = RobustScaler().fit_transform(X)
            return cross_val_score(model, X, y)
        """,
        [5],
    ),
    # a class body binds at module scope: the function's `scaler` is that scaler
    "class_attribute_scaler": (
        """        class Prep:
            scaler = StandardScaler()

        def run(X, y):
            X = scaler.fit_transform(X)
            return train_test_split(X, y)
        """,
        [5],
    ),
}


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_fires(name: str) -> None:
    src, expected = POSITIVE[name]
    assert lines(IMPORTS + textwrap.dedent(src)) == [n + N for n in expected]


NEGATIVE = {
    "split_then_fit_train": """\
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
        scaler = StandardScaler()
        X_train = scaler.fit_transform(X_train)
        X_test = scaler.transform(X_test)
        """,
    "split_then_fit_then_cv_on_train": """\
        X_train, X_test, y_train, y_test = train_test_split(X, y)
        scaler = StandardScaler().fit(X_train)
        X_train_s = scaler.transform(X_train)
        print(cross_val_score(model, X_train_s, y_train))
        """,
    "pipeline_cv": """\
        pipe = make_pipeline(StandardScaler(), model)
        scores = cross_val_score(pipe, X, y, cv=5)
        """,
    "pipeline_class": """\
        pipe = Pipeline([("scale", StandardScaler()), ("clf", model)])
        pipe.fit(X, y)
        GridSearchCV(pipe, grid).fit(X, y)
        """,
    "label_encoder_on_target": """\
        y = LabelEncoder().fit_transform(y)
        X_train, X_test, y_train, y_test = train_test_split(X, y)
        """,
    "fit_no_split_afterwards": """\
        scaler = StandardScaler()
        X_scaled = scaler.fit_transform(X)
        model.fit(X_scaled, y)
        """,
    "split_of_other_data": """\
        X_s = StandardScaler().fit_transform(X_other)
        train_test_split(X, y)
        """,
    "rebound_to_clean_data": """\
        X = StandardScaler().fit_transform(X)
        X = load_raw()
        train_test_split(X, y)
        """,
    "model_fit_is_not_preprocessing": """\
        model.fit(X, y)
        cross_val_score(model, X, y)
        """,
    "separate_files_train_test": """\
        scaler = StandardScaler()
        X_train = scaler.fit_transform(train_df[cols])
        X_test = scaler.transform(test_df[cols])
        """,
    "different_function_scopes": """\
        def a(X):
            return StandardScaler().fit_transform(X)

        def b(X, y):
            return train_test_split(X, y)
        """,
    "fit_inside_cv_folds": """\
        kf = KFold(5, shuffle=True, random_state=0)
        for fold, (tr, te) in enumerate(kf.split(X)):
            scaler = StandardScaler()
            X_tr = scaler.fit_transform(X[tr])
            X_te = scaler.transform(X[te])
            model.fit(X_tr, y[tr])
        print(cross_val_score(make_pipeline(StandardScaler(), model), X, y))
        """,
    "fit_inside_cv_folds_iloc": """\
        for train_index, valid_index in KFold(5).split(df):
            enc = OneHotEncoder().fit(df.iloc[train_index][cat_cols])
            out = enc.transform(df.iloc[valid_index][cat_cols])
        scores = cross_val_score(model, df, y)
        """,
    "string_only": """\
        code = "X = StandardScaler().fit_transform(X); train_test_split(X)"
        """,
}


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_silent(name: str) -> None:
    assert lines(IMPORTS + textwrap.dedent(NEGATIVE[name])) == []


def test_unrelated_same_named_classes() -> None:
    src = """\
    from mylib import StandardScaler
    from sklearn.model_selection import train_test_split
    X = StandardScaler().fit_transform(X)
    train_test_split(X)
    """
    assert lines(src) == []


def test_alias_import_and_message() -> None:
    src = """\
    import sklearn.preprocessing as prep
    from sklearn.model_selection import train_test_split as tts
    X_s = prep.RobustScaler().fit_transform(X)
    X_tr, X_te = tts(X_s, random_state=1)
    """
    (f,) = check_code(textwrap.dedent(src), select=["ML204"])
    assert f.line == 3 and f.severity == "warning"
    assert "RobustScaler" in f.message and "line 4" in f.message


def test_one_finding_per_fit() -> None:
    src = IMPORTS + textwrap.dedent(
        """\
        X_s = StandardScaler().fit_transform(X)
        train_test_split(X_s)
        cross_val_score(model, X_s, y)
        """
    )
    assert lines(src) == [N + 1]


def test_notebook_across_cells() -> None:
    nb = make_notebook(
        [
            "import pandas as pd\nfrom sklearn.preprocessing import StandardScaler\n"
            "from sklearn.model_selection import train_test_split",
            "df = pd.read_csv('d.csv')\nX = df.drop('y', axis=1)\ny = df['y']",
            ("markdown", "Scale"),
            "scaler = StandardScaler()\nX = scaler.fit_transform(X)",
            "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)",
        ]
    )
    found = check_notebook(nb, select=["ML204"])
    assert [(f.cell, f.line) for f in found] == [(4, 2)]
