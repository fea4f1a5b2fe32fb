"""ML1xx rules inside notebooks: cell/line positions, magics, suppressions across cells."""

from __future__ import annotations

from typing import Any

from conftest import check_notebook, make_notebook, notebook_text
from mlvet.config import Config
from mlvet.engine import NATIVE_PREFIXES, check_source, selected_rules
from mlvet.sources import notebook_source


def found(nb: dict[str, Any], select: list[str]) -> list[tuple[str, int | None, int, int]]:
    return sorted((f.rule, f.cell, f.line, f.column) for f in check_notebook(nb, select=select))


def test_imports_in_one_cell_resolve_calls_in_a_later_cell() -> None:
    nb = make_notebook(
        [
            ("markdown", "# Load the model"),
            "import pickle as pk\nimport torch",
            ("markdown", "Now load"),
            "x = 1\nmodel = pk.load(open('m.pkl', 'rb'))\nsd = torch.load('m.pt')",
        ]
    )
    assert found(nb, ["ML101", "ML102"]) == [("ML101", 4, 2, 9), ("ML102", 4, 3, 6)]


def test_time_line_magic_is_checked_with_the_original_column() -> None:
    nb = make_notebook(["import pickle", "%time x = pickle.load(f)"])
    [f] = check_notebook(nb, select=["ML101"])
    assert (f.cell, f.line, f.column) == (2, 1, 11)
    assert f.physical_line is not None


def test_timeit_with_options_is_checked() -> None:
    nb = make_notebook(["import yaml", "%timeit -n 3 yaml.load(open('c.yml'))"])
    assert found(nb, ["ML104"]) == [("ML104", 2, 1, 14)]


def test_time_cell_magic_body_is_checked() -> None:
    nb = make_notebook(["import torch", "%%time\nsd = torch.load('ckpt.pt')\n"])
    assert found(nb, ["ML102"]) == [("ML102", 2, 2, 6)]


def test_bash_and_writefile_cells_are_skipped() -> None:
    nb = make_notebook(
        [
            "import pickle",
            '%%bash\npython -c \'import pickle; pickle.load(open("x", "rb"))\'\n',
            "%%writefile train.py\nimport torch\nsd = torch.load('m.pt')\n",
        ]
    )
    assert found(nb, ["ML101", "ML102"]) == []


def test_shell_lines_do_not_hide_later_code() -> None:
    nb = make_notebook(
        [
            "!pip install transformers\nfrom transformers import AutoModel\n"
            "m = AutoModel.from_pretrained('org/m', trust_remote_code=True)",
        ]
    )
    assert found(nb, ["ML106", "ML108"]) == [("ML106", 1, 3, 5), ("ML108", 1, 3, 5)]


def test_conventional_names_without_imports_in_cells() -> None:
    nb = make_notebook(
        [
            "df = pd.read_pickle('frame.pkl')",
            "arr = np.load('a.npy', allow_pickle=True)",
            "cfg = yaml.load(open('c.yaml'))",
        ]
    )
    assert found(nb, ["ML1"]) == [("ML101", 1, 1, 6), ("ML103", 2, 1, 7), ("ML104", 3, 1, 7)]


def test_suppression_in_a_cell() -> None:
    nb = make_notebook(
        [
            "import pickle",
            "a = pickle.load(f)  # mlvet: ignore[ML101]\nb = pickle.load(g)  # mlvet: ignore",
            "c = pickle.load(h)  # mlvet: ignore[ML104]",
        ]
    )
    assert found(nb, ["ML101"]) == [("ML101", 3, 1, 5)]


def test_multi_line_call_in_a_cell_points_at_its_first_line() -> None:
    nb = make_notebook(
        [
            "import torch",
            "model = torch.hub.load(\n    'facebookresearch/dinov2',\n    'dinov2_vits14',\n)",
        ]
    )
    assert found(nb, ["ML107"]) == [("ML107", 2, 1, 9)]


def test_broken_cell_does_not_hide_findings_in_other_cells() -> None:
    nb = make_notebook(["import pickle", "def broken(:\n", "obj = pickle.loads(b)"])
    config = Config().with_cli(select=["ML101"])
    source = notebook_source("nb.ipynb", notebook_text(nb).encode())
    findings, errors = check_source(source, config, selected_rules(config, NATIVE_PREFIXES))
    assert [(f.cell, f.line) for f in findings] == [(3, 1)]
    assert len(errors) == 1 and "cell 2" in errors[0].message


def test_non_python_notebook_is_not_checked() -> None:
    nb = make_notebook(["x <- readRDS('m.rds')\npickle.load(f)"], language="R")
    assert found(nb, ["ML101"]) == []
