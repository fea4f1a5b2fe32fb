"""Review of ML101-ML108 in notebooks: cells run out of order, magics around the calls."""

from __future__ import annotations

from conftest import check_notebook, make_notebook


def _hits(nb: dict[str, object], rules: list[str]) -> list[tuple[str, int | None, int]]:
    return sorted((f.rule, f.cell, f.line) for f in check_notebook(nb, select=rules))


def test_imports_in_a_later_cell_resolve_aliases_used_earlier() -> None:
    # A Kaggle notebook whose import cell was moved to the end after it had run.
    nb = make_notebook(
        [
            ("markdown", "## Load artifacts"),
            "state = T.load('model.pt', map_location='cpu')\n"
            "cfg = Y.load(open('config.yaml'))\n"
            "feats = pk.load(open('feats.pkl', 'rb'))\n"
            "meta = onp.load('meta.npy', allow_pickle=True)\n",
            "ok = T.load('w.pt', weights_only=True)\ncfg2 = Y.safe_load(open('c.yaml'))",
            "import torch as T\nimport yaml as Y\nimport pickle as pk\nimport numpy as onp",
        ]
    )
    assert _hits(nb, ["ML101", "ML102", "ML103", "ML104"]) == [
        ("ML101", 2, 3),
        ("ML102", 2, 1),
        ("ML103", 2, 4),
        ("ML104", 2, 2),
    ]


def test_from_import_in_a_later_cell() -> None:
    nb = make_notebook(
        [
            "clf = jl('model.joblib')\nm = hub_load('ultralytics/yolov5', 'yolov5s')",
            "from joblib import load as jl\nfrom torch.hub import load as hub_load",
        ]
    )
    assert _hits(nb, ["ML101", "ML107"]) == [("ML101", 1, 1), ("ML107", 1, 2)]


def test_later_cell_import_of_an_unrelated_module_stays_silent() -> None:
    nb = make_notebook(
        [
            "cfg = cfgio.load(open('config.json'))\nst = store.load('x')",
            "import json as cfgio\nfrom mylib import store",
        ]
    )
    assert _hits(nb, ["ML101", "ML102", "ML104"]) == []


def test_magics_around_the_calls() -> None:
    nb = make_notebook(
        [
            "!pip install -q transformers\n%load_ext autoreload\n%autoreload 2\nimport torch",
            "%%time\nckpt = torch.load('last.ckpt')\nmodel.load_state_dict(ckpt['state_dict'])",
            "%timeit torch.load('w.pt', weights_only=True)",
            "%%bash\npython -c \"import torch; torch.load('x.pt')\"",
            "model = AutoModelForCausalLM.from_pretrained(\n"
            "    'mistralai/Mistral-7B-v0.1',\n"
            "    trust_remote_code=True,\n"
            ")",
        ]
    )
    assert _hits(nb, ["ML102", "ML106", "ML108"]) == [
        ("ML102", 2, 2),
        ("ML106", 5, 1),
        ("ML108", 5, 1),
    ]
