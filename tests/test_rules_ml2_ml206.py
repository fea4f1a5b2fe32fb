"""ML206 pandas-chained-assignment: writes through two indexing steps."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code, check_notebook, make_notebook


def lines(code: str) -> list[int]:
    found = check_code(textwrap.dedent(code), select=["ML206"])
    assert all(f.rule == "ML206" for f in found)
    return sorted(f.line for f in found)


PD = "import pandas as pd\n"

POSITIVE = [
    (PD + "df = pd.read_csv('a.csv')\ndf['a'][0] = 1\n", [3]),
    (PD + "df = pd.read_csv('a.csv')\ndf['age'][df['age'] < 0] = 0\n", [3]),
    (PD + "df = pd.DataFrame(d)\ndf[df.x > 0]['y'] = 1\n", [3]),
    (PD + "df = pd.read_csv('a.csv')\ndf['a'][0] += 1\n", [3]),
    (PD + "df = pd.read_csv('a.csv')\ndf.loc[0]['a'] = 5\n", [3]),
    (PD + "df = pd.read_csv('a.csv')\ndf.iloc[0][1] = 5\n", [3]),
    (PD + "df = pd.read_csv('a.csv')\ndf['a'].loc[3] = 5\n", [3]),
    (PD + "df = pd.read_csv('a.csv')\ndf['a'].iloc[0] = 5\n", [3]),
    (PD + "df = pd.read_csv('a.csv')\ndf.loc[mask]['a'] = None\n", [3]),
    # .loc/.iloc chains are pandas whatever the name and imports
    ("frame.loc[0]['a'] = 5\n", [1]),
    ("data.iloc[2][0] = 5\n", [1]),
    # names: derived frames, annotated params, df-like names in a pandas file
    (PD + "raw = pd.read_parquet('p')\nclean = raw.dropna()\nclean['a'][1] = 0\n", [4]),
    (PD + "train = pd.read_csv('train.csv')\ntrain['Age'][train['Age'].isnull()] = 30\n", [3]),
    (PD + "def fix(frame: pd.DataFrame):\n    frame['a'][0] = 1\n", [3]),
    (PD + "def fix(df):\n    df['a'][0] = 1\n", [3]),
    (PD + "def fix(train_df):\n    train_df['a'][0] = 1\n", [3]),
    (PD + "class P:\n    def run(self):\n        self.df['a'][0] = 1\n", [4]),
    # in-place method on a column
    (PD + "df = pd.read_csv('a.csv')\ndf['a'].fillna(0, inplace=True)\n", [3]),
    (PD + "df = pd.read_csv('a.csv')\ndf['c'].replace({'x': 'y'}, inplace=True)\n", [3]),
    (PD + "df = pd.read_csv('a.csv')\ndf.loc[:, 'a'].fillna(0, inplace=True)\n", [3]),
    # pandas imported only inside an earlier function still makes df-like names frames
    ("def load():\n    import pandas\n\ndef put(k):\n    df[k]['b'] = 1\n", [5]),
    # multi-line target
    (PD + "df = pd.read_csv('a.csv')\ndf[\n    'a'\n][\n    0\n] = 1\n", [3]),
]


@pytest.mark.parametrize(("src", "expected"), POSITIVE)
def test_fires(src: str, expected: list[int]) -> None:
    assert lines(src) == expected


NEGATIVE = [
    PD + "df = pd.read_csv('a.csv')\ndf.loc[0, 'a'] = 1\n",
    PD + "df = pd.read_csv('a.csv')\ndf.loc[df['age'] < 0, 'age'] = 0\n",
    PD + "df = pd.read_csv('a.csv')\ndf['a'] = 1\n",
    PD + "df = pd.read_csv('a.csv')\ndf.at[0, 'a'] = 1\n",
    PD + "df = pd.read_csv('a.csv')\ndf.iloc[0, 1] = 1\n",
    PD + "df = pd.read_csv('a.csv')\nx = df['a'][0]\n",  # a read is fine
    PD + "df = pd.read_csv('a.csv')\ndf['a'] = df['a'].fillna(0)\n",
    PD + "df = pd.read_csv('a.csv')\ndf.fillna(0, inplace=True)\n",
    # dict and list nesting in a pandas file
    PD + "config = {}\nconfig['model']['lr'] = 0.1\n",
    PD + "results = defaultdict(dict)\nresults[name][metric] = v\n",
    PD + "grid = [[0] * 3 for _ in range(3)]\ngrid[1][2] = 5\n",
    PD + "import numpy as np\narr = np.zeros((3, 3))\narr[0][1] = 2\n",
    PD + "scores[name][fold] = s\n",  # unknown name, not df-like
    PD + "df = {}\ndf['a']['b'] = 1\n",  # a dict that happens to be called df
    PD + "import json\ndf_meta = json.load(f)\ndf_meta['a']['b'] = 1\n",
    # no pandas in the file: plain nesting is never reported
    "df['a'][0] = 1\n",
    "matrix[i][j] = 0\n",
    # strings and comments
    PD + "s = \"df['a'][0] = 1\"  # df['a'][0] = 1\n",
    # a class body binds at module scope: here `df` is a dict for the function below
    PD + "class Store:\n    df = {}\n\ndef put(k):\n    df[k]['b'] = 1\n",
]


@pytest.mark.parametrize("src", NEGATIVE)
def test_silent(src: str) -> None:
    assert lines(src) == []


def test_message_and_fix() -> None:
    (f,) = check_code(PD + "df = pd.read_csv('a.csv')\ndf['a'][0] = 1\n", select=["ML206"])
    assert "copy" in f.message and f.fix and ".loc" in f.fix
    assert (f.line, f.column, f.severity) == (3, 1, "warning")


def test_suppressed() -> None:
    src = PD + "df = pd.read_csv('a.csv')\ndf['a'][0] = 1  # mlvet: ignore[ML206]\n"
    assert lines(src) == []


def test_notebook_cells() -> None:
    nb = make_notebook(
        [
            "import pandas as pd",
            "titanic = pd.read_csv('titanic.csv')\ntitanic.head()",
            ("markdown", "Clean ages"),
            "titanic['Age'][titanic['Age'].isna()] = titanic['Age'].median()\n"
            "titanic.loc[titanic['Fare'] < 0, 'Fare'] = 0",
        ]
    )
    found = check_notebook(nb, select=["ML206"])
    assert [(f.cell, f.line) for f in found] == [(4, 1)]


def test_last_binding_in_scope_wins() -> None:
    src = """\
    import pandas as pd

    def a():
        expected = pd.Series([1, 2])
        return expected

    def b(left, right):
        expected = list((left // right, left % right))
        expected[0][0] = 1

    def c():
        frame = {}
        frame = pd.DataFrame({"a": [1]})
        frame["a"][0] = 2
    """
    assert lines(src) == [14]


def test_other_pandas_functions_do_not_make_frames() -> None:
    src = """\
    import pandas as pd
    from pandas.io.formats.format import get_level_lengths

    levels = get_level_lengths(index)
    levels[0][1] = 1
    table = pd.pivot_table(raw, index="a")
    table["x"][0] = 1
    """
    assert lines(src) == [7]


def test_derived_frame_in_function() -> None:
    src = """\
    import pandas as pd

    def clean(path):
        raw = pd.read_csv(path)
        sub = raw[raw["age"] > 0].copy()
        sub["age"][sub["age"] > 90] = 90
        return sub
    """
    assert lines(src) == [6]
