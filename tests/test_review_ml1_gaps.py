"""Review of ML101-ML108 against the specification: misses found by a hand-written corpus.

Each case is real ML-style code; `# !` marks the lines that must be reported.
"""

from __future__ import annotations

import pytest
from ml1_support import assert_marked

# A conditional value is not the literal safe value, so it is flagged (only a literal
# True / False counts as safe); the text prefilter must not skip such calls either.
CONDITIONAL = {
    "ML102": """
        import torch
        def restore(path, safe):
            return torch.load(path, weights_only=True if safe else False)  # !
        ok = torch.load("w.pt", weights_only=True)
        ok2 = torch.load("w.pt", weights_only=True  # reviewed
                         )
    """,
    "ML103": """
        import numpy as np
        def read(path, legacy):
            return np.load(path, allow_pickle=False if not legacy else True)  # !
        ok = np.load("a.npy", allow_pickle=False)
    """,
    "ML106": """
        from transformers import AutoModel
        def build(name, remote):
            return AutoModel.from_pretrained(name, trust_remote_code=False if not remote else True)  # !
        ok = AutoModel.from_pretrained("gpt2", trust_remote_code=False)
    """,
}


@pytest.mark.parametrize("rule", sorted(CONDITIONAL))
def test_conditional_value_is_not_the_literal_safe_value(rule: str) -> None:
    assert_marked(CONDITIONAL[rule], rule)


# `from module import *` brings the loader in under its bare name.
STAR = {
    "ML102-torch": (
        "ML102",
        """
        from torch import *
        state = load("model.pt", map_location="cpu")  # !
        fine = load("model.pt", weights_only=True)
    """,
    ),
    "ML102-serialization": (
        "ML102",
        """
        from torch.serialization import *
        state = load("model.pt")  # !
    """,
    ),
    "ML103-numpy": (
        "ML103",
        """
        from numpy import *
        x = zeros(3)
        meta = load("meta.npy", allow_pickle=True).item()  # !
        arr = load("arr.npy")
    """,
    ),
    "ML104-yaml": (
        "ML104",
        """
        from yaml import *
        with open("config.yaml") as f:
            cfg = load(f)  # !
        docs = load_all(open("runs.yaml"), Loader=Loader)  # !
        ok = load(open("c.yaml"), Loader=SafeLoader)
        ok2 = safe_load(open("c.yaml"))
    """,
    ),
    "ML105-keras": (
        "ML105",
        """
        from tensorflow.keras.models import *
        def restore(path, unsafe):
            return load_model(path, compile=False, safe_mode=not unsafe)  # !
        ok = load_model("m.keras")
    """,
    ),
    "ML107-hub": (
        "ML107",
        """
        from torch.hub import *
        model = load("ultralytics/yolov5", "yolov5s")  # !
        pinned = load("pytorch/vision:v0.17.0", "resnet18")
    """,
    ),
}


@pytest.mark.parametrize("case", sorted(STAR))
def test_star_import_resolves_the_bare_name(case: str) -> None:
    rule, code = STAR[case]
    assert_marked(code, rule)


STAR_NEGATIVE = {
    # The last star import that exports the name wins, as in Python.
    "yaml-then-numpy": (
        "ML104",
        """
        from yaml import *
        from numpy import *
        arr = load("a.npy")
    """,
    ),
    "numpy-then-torch": (
        "ML103",
        """
        from numpy import *
        from torch import *
        state = load("m.pt", None, True)
    """,
    ),
    # An unknown module star-imported later may export its own `load`: stay silent.
    "unknown-later": (
        "ML102",
        """
        from torch import *
        from helpers import *
        state = load("m.pt")
    """,
    ),
    # A local definition shadows the star import.
    "local-def": (
        "ML104",
        """
        from yaml import *
        def load(path):
            return path
        cfg = load("c.yaml")
    """,
    ),
    # Without a star import a bare `load` is nobody's.
    "no-star": (
        "ML102",
        """
        import torch
        state = load("m.pt")
    """,
    ),
}


@pytest.mark.parametrize("case", sorted(STAR_NEGATIVE))
def test_star_import_negatives(case: str) -> None:
    rule, code = STAR_NEGATIVE[case]
    assert_marked(code, rule)


# Looking at a loader is not calling it: introspection and wrapper plumbing stay silent,
# while handing the loader to something that will call it is still reported.
REFERENCES = {
    "ML102": """
        import functools
        import inspect
        import torch

        _HAS_WEIGHTS_ONLY = "weights_only" in inspect.signature(torch.load).parameters

        @functools.wraps(torch.load)
        def safe_load(*args, **kwargs):
            kwargs.setdefault("weights_only", True)
            return torch.load(*args, **kwargs)

        print(torch.load, callable(torch.load), hasattr(torch.load, "__wrapped__"))
        states = list(map(torch.load, ["a.pt", "b.pt"]))  # !
    """,
    "ML101": """
        import functools
        import inspect
        import pickle

        sig = inspect.signature(pickle.load)
        wrapper = functools.update_wrapper(lambda f: None, pickle.load)
        print(repr(pickle.loads), id(pickle.loads), isinstance(pickle.loads, type))
        rows = list(map(pickle.loads, [b"a", b"b"]))  # !
    """,
}


@pytest.mark.parametrize("rule", sorted(REFERENCES))
def test_introspecting_a_loader_is_not_calling_it(rule: str) -> None:
    assert_marked(REFERENCES[rule], rule)


def test_keras_safe_mode_given_positionally() -> None:
    # load_model(filepath, custom_objects=None, compile=True, safe_mode=True)
    assert_marked(
        """
        import keras
        m = keras.models.load_model("m.keras", None, False, False)  # !
        ok = keras.models.load_model("m.keras", None, False, True)
        ok2 = keras.models.load_model("m.keras", {"Scale": object}, False)
    """,
        "ML105",
    )
