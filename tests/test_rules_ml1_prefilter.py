"""The ML1xx text prefilters: never hold back a file with a finding, skip most others."""

from __future__ import annotations

import re
import textwrap

import pytest
import test_rules_ml1_loaders as loaders
import test_rules_ml1_pickle as pickles
import test_rules_ml1_remote as remote
from hypothesis import given, settings
from hypothesis import strategies as st
from ml1_support import marked_lines
from mlvet.rules import deserialization, remote_code, textgate
from mlvet.rules.base import Checker
from mlvet.rules.textgate import (
    Gate,
    around_imports,
    contains,
    followed_by,
    import_matches,
    import_view,
    in_doctest,
)

CHECKER_OF = {c.codes[0]: c for c in [*deserialization.CHECKERS, *remote_code.CHECKERS]}
CASES: list[tuple[str, str, str]] = [
    *(("ML101", k, v) for k, v in pickles.POSITIVE.items()),
    *(("ML102", k, v) for k, v in loaders.TORCH.items()),
    *(("ML103", k, v) for k, v in loaders.NUMPY.items()),
    *(("ML104", k, v) for k, v in loaders.YAML.items()),
    *(("ML105", k, v) for k, v in loaders.KERAS.items()),
    *(("ML106", k, v) for k, v in remote.TRUST.items()),
    *(("ML107", k, v) for k, v in remote.HUB.items()),
    *(("ML108", k, v) for k, v in remote.HF.items()),
]
FIRING = [(code, name, text) for code, name, text in CASES if marked_lines(textwrap.dedent(text))]


def passes(checker: type[Checker], text: str) -> bool:
    assert checker.pattern is not None
    return bool(checker.pattern.search(textwrap.dedent(text)))


@pytest.mark.parametrize(("code", "name", "text"), FIRING, ids=[f"{c}-{n}" for c, n, _ in FIRING])
def test_gate_lets_every_firing_case_through(code: str, name: str, text: str) -> None:
    assert passes(CHECKER_OF[code], text)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("ML101", "from pickle import PicklingError, HIGHEST_PROTOCOL\nx = 1\n"),
        ("ML101", "import pickle\npickle.dump(obj, f)\n"),
        ("ML101", "from .utils._dill import dumps\n"),
        ("ML101", "from joblib import Parallel, delayed\n"),
        ("ML101", '"""\n>>> obj = pickle.loads(blob)\n"""\n'),
        # an alias of a loader module, but nothing named load, Unpickler, pickle or shelve
        ("ML101", "import joblib as jl\njl.dump(model, path)\n"),
        ("ML101", "import dill as d\nblob = d.dumps(obj)\n"),
        ("ML102", "import torch\nx = torch.zeros(3)\n"),
        ("ML102", "import torch\nmodel.load_state_dict(sd)\n"),
        (
            "ML102",
            "import torch\nsd = torch.load(p, map_location=torch.device('cpu'),\n"
            "                weights_only=True)\n",
        ),
        ("ML103", "import numpy as np\narr = np.load(path)\nx = download(a, b, c)\n"),
        ("ML103", "import numpy as np\narr = np.load(p, allow_pickle=False)\n"),
        ("ML103", "def f(allow_pickle: bool = False):\n    x = loader.load(a, b, c)\n"),
        ("ML104", "import yaml\ncfg = yaml.safe_load(f)\n"),
        ("ML105", "import keras\nm = keras.models.load_model(p)\n"),
        ("ML106", "def load(name, trust_remote_code=False):\n    pass\n"),
        ("ML106", "def load(name, trust_remote_code: bool = True):\n    pass\n"),
        ("ML107", "from huggingface_hub import hf_hub_download\n"),
        # no torch anywhere: `hub` is someone else's (tensorflow_hub, a local name)
        ("ML107", "import tensorflow_hub as hub\nm = hub.load('https://tfhub.dev/x/1')\n"),
        ("ML107", "m = hub.load('org/repo')\n"),
        ("ML108", "model = AutoModel.from_pretrained(model_name)\n"),
        ("ML108", '"""Example:\n\n    model = AutoModel.from_pretrained("org/m")\n"""\n'),
        ("ML108", "def f():\n    '''\n    >>> AutoModel.from_pretrained(\"org/m\")\n    '''\n"),
        ("ML108", "from sklearn.pipeline import Pipeline\np = Pipeline([('s', 'a/b')])\n"),
    ],
)
def test_gate_skips_files_without_a_possible_finding(code: str, text: str) -> None:
    assert not passes(CHECKER_OF[code], text)


@pytest.mark.parametrize(
    "text",
    [
        "import torch\nsd = torch.load(f(weights_only=True))\n",
        "import torch\nsd = torch.load(p, weights_only=False)\n",
        "import torch\nok = torch.load(p, weights_only=True)\nbad = torch.load(p)\n",
        "import torch\nloader = partial(torch.load, weights_only=True)\n",
    ],
)
def test_torch_gate_is_conservative_about_weights_only(text: str) -> None:
    assert passes(CHECKER_OF["ML102"], text)


def test_docstring_skip_counts_triple_quotes_before_the_match() -> None:
    gate = CHECKER_OF["ML108"].pattern
    assert gate is not None
    text = (
        '"""Doc: AutoModel.from_pretrained("org/a")."""\nm = AutoModel.from_pretrained("org/b")\n'
    )
    assert gate.search(text)


def test_needle_answers_are_cached_per_text_object() -> None:
    a = "x = 1\n" + "pickle" * 3
    b = "y = 2\n" + "marshal"
    assert contains(a, "pickle") and not contains(a, "marshal")
    assert contains(b, "marshal") and not contains(b, "pickle")
    assert contains(a, "pickle") and not contains(a, "marshal")


def test_gate_needs_a_needle_and_a_confirming_match() -> None:
    gate = Gate(("torch",), (r"torch\s*\.\s*load\b",))
    assert gate.search("import torch\ntorch.load(p)\n")
    assert not gate.search("import torch\ntorch.loads(p)\n")
    assert not gate.search("x.load(p)\n")
    assert Gate(("abc",)).search("zabcz") and not Gate(("abc",)).search("ab c")
    with pytest.raises(ValueError, match="needle"):
        Gate(())


def test_a_gate_with_requires_needs_one_of_them_too() -> None:
    gate = Gate(("yaml",), requires=("load", "Loader"))
    assert gate.search("import yaml\ncfg = yaml.load(f)\n")
    assert gate.search("import yaml\nLoader = yaml.Loader\n")
    assert not gate.search("import yaml\nyaml.dump(cfg, f)\n")
    assert not gate.search("cfg = json.load(f)\n")


def test_requires_are_asked_before_the_needles(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def spy(text: str, needle: str) -> bool:
        asked.append(needle)
        return needle in text

    monkeypatch.setattr(textgate, "contains", spy)
    assert not Gate(("yaml", "dill"), requires=("load",)).search("import yaml\n")
    assert asked == ["load"]  # the rarer needles are never scanned for


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("torch.load(p)\n", True),
        ("torch . load (p)\n", True),
        ("x = (torch.\n     load(p))\n", True),
        ("th.load(p)\n", False),  # `before` must match just ahead of `load`
        ("torch.save(m)\nmodel.load(p)\n", False),
        ('"""\n>>> torch.load(p)\n"""\n', False),  # a doctest line
        ("torch" + " " * 2000 + ".load(p)\n", False),  # beyond the window: not looked at
    ],
)
def test_confirming_regex_with_a_before_part(text: str, found: bool) -> None:
    gate = Gate(("torch",), (("load", r"load\b", r"torch\s*\.\s*\Z"),))
    assert bool(gate.search(text)) is found


def test_a_before_part_is_shown_ahead_of_its_regex() -> None:
    gate = Gate(("torch",), (("load", r"load\b", r"torch\s*\.\s*\Z"),))
    assert gate.pattern == r"torch\s*\.\s*load\b"


def test_import_view_holds_the_text_around_every_import() -> None:
    body = "x = 1\n" * 2000
    text = "import os\n" + body + "from torch import load\n" + body + "y = 2\n"
    view, view_starts, text_starts = import_view(text)
    assert "import os" in view and "from torch import load" in view
    assert len(view) < len(text) // 2  # the filler between the imports is left out
    for v, t in zip(view_starts, text_starts, strict=True):
        assert view[v : v + 50] == text[t : t + 50]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("import torch as th\n", True),
        ("x = 1\n" * 3000 + "import torch as th\n", True),  # a late import
        ("x = 1\n" * 3000 + "import torch\n", False),
        ('"""\n>>> import torch as th\n"""\n' + "x = 1\n" * 3000, False),  # doctest
    ],
)
def test_a_regex_marked_around_imports_is_searched_there(text: str, found: bool) -> None:
    gate = Gate(("torch",), (around_imports(r"import\s+torch\s+as\s"),))
    assert bool(gate.search(text)) is found
    assert gate.pattern == r"import\s+torch\s+as\s"


def test_positions_found_around_imports_are_positions_in_the_text() -> None:
    # skip_docstrings counts triple quotes before the match in the whole text
    doc = '"""\nimport torch as th\n"""\n'
    gate = Gate(("torch",), (around_imports(r"import\s+torch\s+as\s"),), skip_docstrings=True)
    assert not gate.search(doc + "x = 1\n" * 3000)
    assert gate.search(doc + "x = 1\n" * 3000 + "import torch as th\n")


@pytest.mark.parametrize(
    ("text", "pos", "inside"),
    [
        ("    >>> x = 1", 12, True),
        ("    ... x = 1", 12, True),
        ("x = 1\n  >>> y", 12, True),
        ("x = 1\ny = 2", 10, False),
        ("a = '>>> b'", 9, False),
    ],
)
def test_in_doctest(text: str, pos: int, inside: bool) -> None:
    assert in_doctest(text, pos) is inside


def test_every_ml1_checker_has_a_gate() -> None:
    for checker in CHECKER_OF.values():
        assert isinstance(checker.pattern, Gate)


# -- followed_by: the spans a word-then-regex finditer finds, without a regex per word --

_AFTERS = [
    r"[ \t]*=(?!=)",
    r"(?=[ \t]*=(?!=))",
    r"(?=(?:[ \t]*:[^=\n]*)?()[ \t]*=(?!=))",
    r"a*",
    r"(?=a)",
]


def _same_as_finditer(text: str, word: str, after: str) -> None:
    expected = [m.span() for m in re.finditer(re.escape(word) + after, text)]
    assert followed_by(text, word, after) == expected


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    st.text(alphabet="a =:\t\n!.", max_size=60),
    st.sampled_from(["a", "aa", "a.a", "aaa"]),
    st.sampled_from(_AFTERS),
)
def test_followed_by_finds_what_finditer_finds(text: str, word: str, after: str) -> None:
    _same_as_finditer(text, word, after)


@pytest.mark.parametrize(
    ("text", "word", "after"),
    [
        ("aa", "a", "a*"),  # a match swallows the next occurrence
        ("aaa =", "aa", _AFTERS[0]),  # overlapping occurrences, the second one assigned
        ("x: x = 1", "x", _AFTERS[2]),  # an annotation holding the word again
        ("a= a =", "a", _AFTERS[1]),
    ],
)
def test_followed_by_on_overlaps(text: str, word: str, after: str) -> None:
    _same_as_finditer(text, word, after)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.text(alphabet="a =:\t\n!.", max_size=60),
    st.sampled_from(["a", "aa", "a.a"]),
    st.sampled_from(_AFTERS),
    st.integers(min_value=0, max_value=4),
)
def test_followed_by_hands_over_to_the_regex_mid_text(
    text: str, word: str, after: str, many: int
) -> None:
    # With the switch point lowered, most examples change method part-way through,
    # also right after a match that swallowed later occurrences.
    saved = textgate._MANY
    textgate._MANY = many
    try:
        _same_as_finditer(text, word, after)
    finally:
        textgate._MANY = saved


_IMPORT_REGEXES = [
    re.compile(r"import[ \t]+([^\n]{0,20})"),
    re.compile(r"import[ \t]+(\w+)(?:[ \t]+as[ \t]+(\w+))?"),
    re.compile(r"import(?=s)"),
]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(st.sampled_from(["import", " ", "s", "x", "\n", "as", "#"]), max_size=25),
    st.sampled_from(_IMPORT_REGEXES),
)
def test_import_matches_finds_what_finditer_finds(parts: list[str], regex: re.Pattern[str]) -> None:
    # Matches that swallow a later `import` (`import x # import y`) hide it, as in finditer.
    text = "".join(parts)
    expected = [m.span() for m in regex.finditer(text)]
    assert [m.span() for m in import_matches(text, regex)] == expected


@pytest.mark.parametrize("copies", [1, 39, 41, 200])
def test_followed_by_answers_alike_for_few_and_many_occurrences(copies: int) -> None:
    text = "seed = 1\nx = seed\nseed == 2\nseed: int = 3\n" * copies
    expected = [m.span() for m in re.finditer(r"seed[ \t]*=(?!=)", text)]
    assert followed_by(text, "seed", r"[ \t]*=(?!=)") == expected
    assert len(expected) == copies
