"""ML101 pickle-load: pickle and everything that unpickles, through any import spelling."""

from __future__ import annotations

import pytest
from conftest import check_code
from ml1_support import assert_marked, lines_hit

POSITIVE = {
    "plain": """
        import pickle
        with open("m.pkl", "rb") as f:
            model = pickle.load(f)  # !
        obj = pickle.loads(blob)  # !
    """,
    "alias": """
        import pickle as pk
        x = pk.load(f)  # !
    """,
    "from-import-alias": """
        from pickle import load as pl, loads
        a = pl(f)  # !
        b = loads(data)  # !
    """,
    "cpickle-try-except": """
        try:
            import cPickle as pickle
        except ImportError:
            import pickle
        data = pickle.load(open("d.pkl", "rb"))  # !
    """,
    "_pickle": """
        import _pickle
        _pickle.loads(b)  # !
    """,
    "six-moves": """
        from six.moves import cPickle
        cPickle.load(f)  # !
    """,
    "dill": """
        import dill
        dill.load(f)  # !
        dill.loads(b)  # !
        dill.load_session("session.pkl")  # !
        dill.load_module("mod.pkl")  # !
    """,
    "cloudpickle": """
        import cloudpickle as cp
        fn = cp.loads(payload)  # !
    """,
    "marshal": """
        import marshal
        code = marshal.loads(raw)  # !
        other = marshal.load(f)  # !
    """,
    "joblib": """
        import joblib
        clf = joblib.load("model.joblib")  # !
    """,
    "joblib-from-alias": """
        from joblib import load as jl
        clf = jl("m.joblib", mmap_mode="r")  # !
    """,
    "sklearn-externals-joblib": """
        from sklearn.externals import joblib
        clf = joblib.load("old.pkl")  # !
    """,
    "shelve": """
        import shelve
        with shelve.open("cache.db") as db:  # !
            x = db["k"]
    """,
    "jsonpickle": """
        import jsonpickle
        obj = jsonpickle.decode(text)  # !
        obj2 = jsonpickle.loads(text)  # !
    """,
    "pandas": """
        import pandas as pd
        df = pd.read_pickle("frame.pkl")  # !
    """,
    "pandas-from": """
        from pandas import read_pickle
        df = read_pickle("frame.pkl.gz", compression="gzip")  # !
    """,
    "pandas-full-name": """
        import pandas
        df = pandas.read_pickle(path)  # !
    """,
    "unpickler": """
        import pickle
        u = pickle.Unpickler(f)  # !
        obj = u.load()  # !
    """,
    "unpickler-chained": """
        import pickle
        obj = pickle.Unpickler(f).load()  # !
    """,
    "unpickler-attribute-target": """
        import pickle
        class Reader:
            def __init__(self, f):
                self.u = pickle.Unpickler(f)  # !
            def read(self):
                return self.u.load()  # !
    """,
    "module-level-rebinding": """
        import pickle
        loader = pickle.load
        def read(f):
            return loader(f)  # !
    """,
    "rebinding-under-main-guard": """
        import pickle
        import sys
        if __name__ == "__main__":
            try:
                loader = pickle.load
            except AttributeError:
                sys.exit(1)
            obj = loader(open(sys.argv[1], "rb"))  # !
    """,
    "chained-and-tuple-rebinding": """
        import json
        import pickle as pk
        loader = restore = pk.loads
        read_json, read_pickle = json.load, pk.load
        a = loader(blob)  # !
        b = restore(blob)  # !
        c = read_pickle(fh)  # !
        d = read_json(fh)
    """,
    "reference-map": """
        import pickle
        objs = list(map(pickle.loads, blobs))  # !
    """,
    "reference-partial": """
        import pickle
        from functools import partial
        reader = partial(pickle.load)  # !
    """,
    "reference-apply": """
        import pickle
        df["obj"] = df["blob"].apply(pickle.loads)  # !
    """,
    "reference-keyword": """
        import joblib
        ds = Dataset(root, loader=joblib.load)  # !
    """,
    "star-import": """
        from pickle import *
        obj = loads(blob)  # !
    """,
    "no-import-notebook-style": """
        model = pickle.load(open("m.pkl", "rb"))  # !
    """,
    "nested-in-function-and-class": """
        import pickle
        class Store:
            def get(self, key):
                with open(key, "rb") as f:
                    return pickle.load(f)  # !
    """,
    "multi-line": """
        import pickle
        obj = pickle.loads(  # !
            base64.b64decode(
                payload
            )
        )
    """,
    "odd-spacing": """
        import pickle
        obj = pickle . loads ( blob )  # !
    """,
    "lambda": """
        import pickle
        load = lambda p: pickle.load(open(p, "rb"))  # !
    """,
    "comprehension": """
        import pickle
        parts = [pickle.loads(b) for b in blobs]  # !
    """,
    "function-level-import": """
        def read(p):
            import pickle as pk
            return pk.load(open(p, "rb"))  # !
    """,
    "pickle5-backport": """
        import pickle5 as pickle
        pickle.load(f)  # !
    """,
}

NEGATIVE = {
    "import-only": """
        import pickle
        import joblib, dill, shelve, marshal
    """,
    "dump-only": """
        import pickle
        pickle.dump(obj, f)
        blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        joblib.dump(clf, "m.joblib")
    """,
    "string-and-comment": """
        # pickle.load(f) is unsafe
        msg = "never call pickle.loads on user data"
    """,
    "json-load": """
        import json
        cfg = json.load(f)
        cfg2 = json.loads(s)
    """,
    "self-and-model-load": """
        class M:
            def run(self):
                self.load()
                model.load("x")
                self.loader.load(f)
    """,
    "local-def-load": """
        import pickle
        def load(path):
            return path
        x = load("a")
    """,
    "unrelated-module-load": """
        import torch
        import numpy as np
        sd = safetensors.torch.load_file("m.safetensors")
        arr = np.load("x.npy")
    """,
    "restricted-unpickler-subclass": """
        import pickle
        class SafeUnpickler(pickle.Unpickler):
            def find_class(self, module, name):
                raise pickle.UnpicklingError(name)
        obj = SafeUnpickler(f).load()
    """,
    "isinstance-reference": """
        import pickle
        ok = isinstance(u, pickle.Unpickler)
    """,
    "to-pickle": """
        import pandas as pd
        df.to_pickle("frame.pkl")
        df2 = pd.read_parquet("frame.parquet")
    """,
    "shadowed-pickle-variable": """
        def f(pickle):
            return pickle.load()
    """,
    "joblib-parallel": """
        from joblib import Parallel, delayed
        Parallel(n_jobs=2)(delayed(f)(i) for i in range(3))
    """,
    "shelve-other": """
        import shelve
        shelve.close_all = None
    """,
    "round-trip-copy": """
        import pickle, cloudpickle
        clone = pickle.loads(pickle.dumps(model))
        fn2 = cloudpickle.loads(cloudpickle.dumps(fn, protocol=4))
        other = pickle.loads(pickle.dumps(a), fix_imports=True)
        mixed = pickle.loads(zlib.decompress(blob))  # !
    """,
    "function-local-name-is-not-a-module-alias": """
        import pickle
        def setup():
            loader = pickle.load
            return loader
        def other(loader):
            return loader(f)
    """,
    "unpickler-var-reassigned": """
        import pickle
        u = pickle.Unpickler(f)  # !
        u = make_reader()
        u.load()
    """,
}


@pytest.mark.parametrize("code", POSITIVE.values(), ids=POSITIVE.keys())
def test_positive(code: str) -> None:
    assert_marked(code, "ML101")


@pytest.mark.parametrize("code", NEGATIVE.values(), ids=NEGATIVE.keys())
def test_negative(code: str) -> None:
    assert_marked(code, "ML101")


def test_position_is_call_start_and_message_names_api_and_alternative() -> None:
    code = "import pickle as pk\n\nx = [1,\n     pk.loads(\n        blob)]\n"
    [f] = check_code(code, select=["ML101"])
    assert (f.line, f.column) == (4, 6)
    assert f.rule == "ML101" and f.name == "pickle-load" and f.severity == "error"
    assert "`pickle.loads()`" in f.message
    assert "safetensors" in f.message and "JSON" in f.message
    assert f.fix


@pytest.mark.parametrize(
    ("code", "api", "alternative"),
    [
        ("import joblib\njoblib.load('m')\n", "joblib.load", "skops"),
        ("import pandas as pd\npd.read_pickle('f')\n", "pandas.read_pickle", "Parquet"),
        ("import jsonpickle\njsonpickle.decode(s)\n", "jsonpickle.decode", "json.loads"),
        ("import shelve\nshelve.open('db')\n", "shelve.open", "sqlite3"),
        ("import marshal\nmarshal.loads(b)\n", "marshal.loads", "JSON"),
        ("import pickle\npickle.Unpickler(f)\n", "pickle.Unpickler", "find_class"),
        ("import dill\ndill.load_session('s')\n", "dill.load_session", "JSON"),
    ],
)
def test_message_is_specific(code: str, api: str, alternative: str) -> None:
    [f] = check_code(code, select=["ML101"])
    assert api in f.message
    assert alternative in f.message


def test_reference_message_names_the_receiving_call() -> None:
    [f] = check_code("import pickle\nout = pool.map(pickle.loads, blobs)\n", select=["ML101"])
    assert "`pickle.loads`" in f.message and "`pool.map()`" in f.message
    assert (f.line, f.column) == (2, 7)


def test_both_calls_on_one_line_are_reported() -> None:
    code = "import pickle\na, b = pickle.loads(x), pickle.loads(y)\n"
    found = check_code(code, select=["ML101"])
    assert [(f.line, f.column) for f in found] == [(2, 8), (2, 25)]


def test_suppressed_inline() -> None:
    code = (
        "import pickle\n"
        "a = pickle.load(f)  # mlvet: ignore[ML101]\n"
        "b = pickle.load(f)  # mlvet: ignore\n"
        "c = pickle.load(f)  # mlvet: ignore[ML102]\n"
    )
    assert lines_hit(code, "ML101") == [4]


def test_not_selected_means_not_reported() -> None:
    assert check_code("import pickle\npickle.load(f)\n", select=["ML102"]) == []


def test_callables_passed_by_attribute_are_told_by_their_last_name() -> None:
    # `_references` looks only at attributes whose name pickle_api can accept
    from mlvet.rules import deserialization as d

    modules = sorted(
        d._PICKLE_MODULES
        | {"joblib", "numpy_pickle", "jsonpickle", "shelve", "pandas", "modin", "dill"}
    )
    names = sorted(
        d._API_NAMES
        | {"dump", "dumps", "Unpickler", "Pickler", "read_csv", "load_state_dict", "save"}
    )
    for module in modules:
        for name in names:
            for qual in (f"{module}.{name}", f"six.moves.{module}.{name}"):
                if d.pickle_api(qual) is not None:
                    assert name in d._API_NAMES, qual


@pytest.mark.parametrize(
    ("code", "hit"),
    [
        ("import pickle\nblobs = list(map(pickle.loads, raw))\n", True),
        ("import shelve\nwith closing(shelve.open) as s: pass\nrun(shelve.open)\n", True),
        ("import pandas as pd\nframes = pool.map(pd.read_pickle, paths)\n", True),
        ("import pickle\nrun(pickle.dumps, obj)\nrun(model.load_state_dict)\n", False),
    ],
)
def test_loaders_passed_as_callables(code: str, hit: bool) -> None:
    found = check_code(code, select=["ML101"])
    assert bool(found) is hit
