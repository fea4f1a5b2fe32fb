"""Parsing only the definitions a rule could care about (large runs): cuts, fallbacks, trees."""

from __future__ import annotations

import ast
import gc
import textwrap
from pathlib import Path

import pytest
from mlvet import engine, fragments
from mlvet.config import Config
from mlvet.engine import check_source, selected_rules
from mlvet.sources import Source

# A long module: most definitions never mention randomness.
FILLER = "".join(
    textwrap.dedent(
        f'''
        def helper_{i}(x, y=None):
            """Add things up.

            Nothing to see here.
            """
            total = x + {i}
            if y is not None:
                total += y
            return total

        '''
    )
    for i in range(60)
)

HEADER = textwrap.dedent(
    '''\
    """A module docstring
    that runs over several lines,
    with text in column 0.
    def not_a_function(): it is prose
    """
    import numpy as np
    from numpy.random import rand as rnd_draw

    CONSTANT = 3
    '''
)

DRAWS = textwrap.dedent(
    """
    @decorator
    @other(
        arg=1,
    )
    def draws():
        return np.random.permutation(10)


    def aliased():
        return rnd_draw(3)


    class Model:
        def sample(self):
            return np.random.rand(2)
    """
)


def source(text: str, path: str = "big.py") -> Source:
    return Source(path=path, kind="python", text=text, lines=None)


def stmt_lines(mod: ast.Module) -> list[int]:
    return [s.lineno for s in mod.body]


def test_cuts_at_top_level_statements_only() -> None:
    text = HEADER + DRAWS
    starts = fragments.statement_starts(text)
    lines = [text.count("\n", 0, p) + 1 for p in starts]
    tree = ast.parse(text)
    # Every cut is a real statement start, and every top-level statement of the file
    # that follows a cut position starts one (decorators stay with their definition).
    real = {s.lineno for s in tree.body} | {
        d.lineno for s in tree.body for d in getattr(s, "decorator_list", [])
    }
    assert set(lines) <= real | {1}
    assert text.count("\n", 0, starts[1]) + 1 == 6  # the docstring is not cut
    assert "@decorator" in text[starts[lines.index(11)] :].splitlines()[0]


def test_else_and_except_in_column_zero_are_not_cuts() -> None:
    text = "try:\n    x = 1\nexcept ValueError:\n    x = 2\nelse:\n    pass\nfinally:\n    y = 3\n"
    assert fragments.statement_starts(text) == [0]


def test_selected_tree_equals_the_full_trees_statements() -> None:
    text = HEADER + FILLER + DRAWS + FILLER
    words = fragments.expand_words(text, ("random", "rand"))
    assert "rnd_draw" in words  # `rand as rnd_draw` makes it a word
    runs = fragments.select(text, words)
    assert runs is not None
    parsed = sum(len(p) for _, p in runs)
    assert parsed < 0.3 * len(text)
    mod = fragments.parse_selected(text, runs, "big.py")
    assert mod is not None
    full = ast.parse(text)
    by_line = {s.lineno: ast.dump(s, include_attributes=True) for s in full.body}
    assert mod.body, "nothing parsed"
    for stmt in mod.body:
        assert ast.dump(stmt, include_attributes=True) == by_line[stmt.lineno]
    names = {s.name for s in mod.body if isinstance(s, (ast.FunctionDef, ast.ClassDef))}
    assert names == {"draws", "aliased", "Model"}
    assert not any(n.startswith("helper_") for n in names)


def test_small_files_and_files_with_little_to_skip_are_parsed_whole() -> None:
    assert fragments.select(HEADER + DRAWS, ("random",)) is None  # small
    text = HEADER + FILLER.replace("Nothing", "random") + DRAWS
    assert fragments.select(text, ("random",)) is None  # every definition holds a word


def test_a_tenth_left_out_is_still_left_out() -> None:
    # Once cut, the pieces parse faster than the whole file even when most are kept.
    kept = HEADER + FILLER.replace("Nothing", "random") + DRAWS
    skipped = "".join(f"def spare_{i}(x):\n    return x + {i}\n\n" for i in range(len(kept) // 300))
    text = kept + skipped
    assert 0.05 < len(skipped) / len(text) < 0.2
    runs = fragments.select(text, ("random",))
    assert runs is not None
    parsed = "".join(piece for _, piece in runs)
    assert "spare_" not in parsed and "helper_" in parsed


@pytest.mark.parametrize(
    "trap",
    [
        # an unclosed bracket makes column-0 lines continuation lines
        "VALUES = [\nhelper_a,\nhelper_b,\n]\n",
        # a single-quoted string continued with a backslash
        "MSG = 'first \\\ndef fake(): pass'\n",
        # triple quotes the pairing heuristic gets wrong (one inside a comment)
        '# a stray """ in a comment\nTEMPLATE = """\ndef fake():\n    pass\n"""\n',
    ],
)
def test_a_cut_inside_a_construct_falls_back_or_matches(trap: str) -> None:
    text = HEADER + FILLER + trap + FILLER + DRAWS
    runs = fragments.select(text, ("random", "rand"))
    full = ast.parse(text)
    by_line = {s.lineno: ast.dump(s, include_attributes=True) for s in full.body}
    if runs is None:
        return
    mod = fragments.parse_selected(text, runs, "big.py")
    if mod is None:
        return  # the caller parses the whole file: always right
    for stmt in mod.body:
        assert ast.dump(stmt, include_attributes=True) == by_line[stmt.lineno]


def test_a_syntax_error_in_a_piece_means_none() -> None:
    text = HEADER + FILLER + "def broken(:\n    np.random.rand()\n" + FILLER + DRAWS
    runs = fragments.select(text, ("random",))
    assert runs is not None
    assert fragments.parse_selected(text, runs, "big.py") is None


def test_expand_words_follows_imports_and_plain_aliases() -> None:
    text = textwrap.dedent(
        """
        import numpy.random as npr
        import numpy as np
        from jax.random import key, split as sp
        from torch import (
            randn as gaussian,
            nn,
        )
        noise = np.random.normal
        other = np.linalg.norm
        """
    )
    words = fragments.expand_words(text, ("random", "randn", "normal"))
    assert {"npr", "key", "sp", "gaussian", "noise"} <= set(words)
    assert not {"np", "nn", "other"} & set(words)


@pytest.mark.parametrize(
    ("line", "alias"),
    [
        ("noise = np.random.normal\n", True),
        ("noise=np.random   # the module's\n", True),
        ("\tnoise = np.random\r\n", False),  # a carriage return ends no plain alias
        ("noise = other = np.random\n", False),
        ("noise: object = np.random\n", False),
        ("self.noise = np.random\n", False),
        ("noise == np.random\n", False),
        ("noise = np.random(3)\n", False),
        ("import np.random as noise\n", True),
        ("ximport np.random as noise\n", False),
        ("a.import np.random as noise\n", False),
    ],
)
def test_expand_words_reads_whole_alias_lines_and_imports(line: str, alias: bool) -> None:
    text = "x = 1\n" + line + "y = 2\n"
    assert ("noise" in fragments.expand_words(text, ("random",))) is alias


def test_expand_words_takes_words_as_plain_text() -> None:
    # Words holding regex syntax (`time.`, `normal(`) match only themselves.
    text = "from timex import a\nfrom time import b\nc = normal\nd = x.normal(\ne = rng.normal_\n"
    words = fragments.expand_words(text, ("time.", "normal(", "rng.normal_"))
    assert set(words) == {"time.", "normal(", "rng.normal_", "e"}
    assert fragments.expand_words(text, ()) == ()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("torch.load(p)", True),
        ("pk.loads(b)", True),
        ("getattr(torch, 'load')", True),
        ("pickle._load(f)", False),  # `_load`: its own word (and "ickle" is one)
        ("download(url)", False),
        ("model.load_state_dict(sd)", False),
        ("for batch in dataloader: pass", False),
        ("payload = reload(m)", False),
    ],
)
def test_identifier_words_match_names_not_parts_of_names(text: str, found: bool) -> None:
    word = fragments.identifier("load", r"s?\b")
    assert (word.search(text) is not None) is found


def test_pattern_words_bring_in_their_aliases() -> None:
    text = textwrap.dedent(
        """
        from torch import load as tl, save
        import joblib
        fetch = torch.hub.download_url_to_file
        """
    )
    words = fragments.expand_words(text, (), (fragments.identifier("load", r"s?\b"),))
    assert "tl" in words
    assert not {"save", "fetch", "joblib"} & set(words)


def test_a_definition_holding_only_a_longer_name_is_left_out() -> None:
    loads = textwrap.dedent(
        """
        def restore(path):
            return torch.load(path)


        def fetch(url):
            return download(url)


        def train(model, sd, dataloader):
            model.load_state_dict(sd)
            for batch in dataloader:
                model(batch)
        """
    )
    text = "import torch\n" + FILLER + loads
    runs = fragments.select(text, (fragments.identifier("load", r"s?\b"),))
    assert runs is not None
    kept = "".join(piece for _, piece in runs)
    assert "def restore" in kept
    assert "def fetch" not in kept and "def train" not in kept


def whole_and_parts(text: str) -> tuple[list[tuple[str, int, int, str]], ...]:
    """Findings of a whole-file parse, then of a large run's fragment parse."""
    config = Config()
    rules = selected_rules(config)
    return tuple(
        [
            (f.rule, f.line, f.column, f.message)
            for f in check_source(source(text), config, rules, always_parse=whole)[0]
        ]
        for whole in (True, False)
    )


def test_engine_reports_the_same_findings_in_large_runs() -> None:
    whole, parts = whole_and_parts(
        HEADER + FILLER + DRAWS + FILLER + "\nidx = np.random.choice(5)\n"
    )
    assert whole == parts
    assert any(rule == "ML201" for rule, *_ in whole)


def test_engine_reports_a_draw_through_an_alias_in_a_large_run() -> None:
    text = (
        "import random as rnd_mod\n\n"
        + FILLER
        + "def pick(items):\n    return rnd_mod.choice(items)\n"
        + FILLER
    )
    config = Config()
    rules = selected_rules(config)
    parts, _ = check_source(source(text), config, rules, always_parse=False)
    assert [f.rule for f in parts] == ["ML201"]


def test_configured_seed_functions_keep_their_definitions() -> None:
    text = (
        "import numpy as np\nfrom myproj.utils import fix_rng\n\n"
        + FILLER
        + "def setup():\n    fix_rng(0)\n"
        + FILLER
        + "\nx = np.random.rand(3)\n"
    )
    config = Config(seed_functions=("myproj.utils.fix_rng",))
    rules = selected_rules(config)
    whole, _ = check_source(source(text), config, rules, always_parse=True)
    parts, _ = check_source(source(text), config, rules, always_parse=False)
    assert [f.rule for f in whole] == [f.rule for f in parts] == []
    # and without the setting the draw is reported in both modes
    plain = Config()
    assert [f.rule for f in check_source(source(text), plain, rules, always_parse=False)[0]] == [
        "ML201"
    ]


def test_large_runs_do_parse_less(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = fragments.parse_selected

    def spy(text: str, runs: list[tuple[int, str]], filename: str) -> ast.Module | None:
        seen.append(sum(len(p) for _, p in runs))
        return real(text, runs, filename)

    monkeypatch.setattr(fragments, "parse_selected", spy)
    text = HEADER + FILLER + DRAWS + FILLER
    config = Config()
    check_source(source(text), config, selected_rules(config), always_parse=False)
    assert seen and seen[0] < 0.3 * len(text)


def test_seed_words_skip_random_state_but_keep_draws() -> None:
    from mlvet.rules.reproducibility import SeedChecker

    body = textwrap.dedent(
        """
        def fit(X, random_state=None):
            rs = check_random_state(random_state)
            return rs


        def noise(shape):
            return torch.randn(shape)


        def tally(operand, grand_total):
            return operand + grand_total
        """
    )
    text = "import torch\n" + FILLER + body
    words = SeedChecker.words_for(Config())
    assert words is not None
    runs = fragments.select(text, words)
    assert runs is not None
    kept = "".join(piece for _, piece in runs)
    assert "def noise" in kept
    assert "def fit" not in kept and "def tally" not in kept
    config = Config()
    rules = selected_rules(config)
    whole, _ = check_source(source(text), config, rules, always_parse=True)
    parts, _ = check_source(source(text), config, rules, always_parse=False)
    assert [f.rule for f in whole] == ["ML201"]
    assert [(f.rule, f.line) for f in whole] == [(f.rule, f.line) for f in parts]


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ('x = """a"""\n', [(4, 11)]),
        ("x = '''a \"\"\" b'''\n", [(4, 17)]),  # the other kind of quote opens nothing inside
        ('"""a\'\'\'"""', [(0, 10)]),
        ('""""', [(0, 4)]),  # never closed: runs to the end
        ('"""x', [(0, 4)]),
        ('""""""""', [(0, 6)]),  # two quotes left over open nothing
        ("a = 1\n", []),
    ],
)
def test_string_spans(text: str, spans: list[tuple[int, int]]) -> None:
    assert fragments._string_spans(text) == spans


# -- members of a class ---------------------------------------------------------------

METHODS = "".join(
    textwrap.indent(
        textwrap.dedent(
            f'''
            def method_{i}(
                self,
                x,
            ):
                """Add things up.

            Prose in column 0 inside a docstring.
                """
                return x + {i}
            '''
        ),
        "    ",
    )
    for i in range(40)
)

CLASS = (
    textwrap.dedent(
        '''
        @dataclass
        class Sampler(Base):
            """A sampler.

            def fake(self): pass
            """
            size: int = 3
        '''
    )
    + METHODS
    + textwrap.dedent(
        """
            @property
            @other(
                arg=1,
            )
            def draw(self):
                return np.random.rand(self.size)

            if DEBUG:
                def debug(self):
                    return 0
            else:
                debug = None

            class Meta:
                ordering = 1
        """
    ).replace("\n", "\n    ")
)


def _same_statements(text: str, mod: ast.Module) -> None:
    """Every statement of `mod` is the full tree's statement on its line, or a `pass`
    standing where a member was left out."""
    full = ast.parse(text)
    by_line = {
        n.lineno: ast.dump(n, include_attributes=True)
        for n in ast.walk(full)
        if isinstance(n, ast.stmt)
    }
    names = {n.lineno: n.name for n in ast.walk(full) if isinstance(n, ast.ClassDef)}
    for node in ast.walk(mod):
        if isinstance(node, ast.ClassDef):  # its body may hold `pass`es: compare the rest
            assert names[node.lineno] == node.name
        elif isinstance(node, ast.stmt) and not isinstance(node, ast.Pass):
            assert ast.dump(node, include_attributes=True) == by_line[node.lineno]


def test_class_members_holding_no_word_are_left_out() -> None:
    text = HEADER + FILLER + CLASS
    runs = fragments.select(text, ("random", "rand"))
    assert runs is not None
    kept = "".join(piece for _, piece in runs)
    assert "def draw" in kept and "@property" in kept and "arg=1" in kept
    assert "def method_" not in kept  # black-style signatures are cut like any other
    assert "size: int = 3" in kept and "class Meta" not in kept
    assert "if DEBUG:" in kept and "else:" in kept  # a block of the body stays whole
    mod = fragments.parse_selected(text, runs, "big.py")
    assert mod is not None
    _same_statements(text, mod)
    sampler = next(s for s in mod.body if isinstance(s, ast.ClassDef))
    assert [type(s).__name__ for s in sampler.body].count("Pass") == 41  # 40 methods, Meta
    assert sampler.decorator_list
    assert sampler.lineno == text.count("\n", 0, text.index("class Sampler")) + 1


@pytest.mark.parametrize(
    "body",
    [
        # a method whose bracket runs back to column 0: the class stays whole
        "    def long(self):\n        return f(\n1)\n",
        # a line at the body's indent inside a bracket opened by a method
        "    def long(self):\n        return (a\n    @ b)\n",
        # a decorator whose arguments run over lines starting with a name
        "    @decorator(\n    arg)\n    def decorated(self):\n        return 1\n",
        # a method continued with a backslash
        "    def cont(self):\n        x = 1 + \\\n2\n        return x\n",
    ],
)
def test_a_cut_inside_a_class_falls_back_or_matches(body: str) -> None:
    pick = "    def pick(self):\n        return np.random.rand()\n"
    text = HEADER + FILLER + "class Traps:\n" + METHODS + body + pick + METHODS + CLASS
    assert ast.parse(text)
    runs = fragments.select(text, ("random", "rand"))
    if runs is None:
        return
    mod = fragments.parse_selected(text, runs, "big.py")
    if mod is None:
        return  # the caller parses the whole file: always right
    _same_statements(text, mod)
    traps = next(s for s in mod.body if isinstance(s, ast.ClassDef) and s.name == "Traps")
    assert "pick" in {s.name for s in traps.body if isinstance(s, ast.FunctionDef)}


def test_a_class_whose_methods_all_hold_words_is_not_cut() -> None:
    text = HEADER + FILLER + CLASS.replace("return x +", "return np.random.rand() +")
    runs = fragments.select(text, ("random", "rand"))
    assert runs is not None
    kept = "".join(piece for _, piece in runs)
    assert kept.count("def method_") == 40


def test_engine_reports_a_draw_in_a_method_of_a_large_class() -> None:
    whole, parts = whole_and_parts(HEADER + FILLER + CLASS)
    assert whole == parts
    assert [rule for rule, *_ in whole].count("ML201") == 1


def test_a_serial_check_quiets_the_cycle_collector_and_restores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = []
    for i in range(70):  # enough files that the run is a large one, checked in this process
        path = tmp_path / f"m{i}.py"
        path.write_text("import numpy as np\nx = np.random.rand(3)\n")
        files.append(str(path))
    seen: list[tuple[int, int, int]] = []
    real = engine.check_file

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.get_threshold())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    before = gc.get_threshold()
    monkeypatch.setattr(engine, "check_file", spy)
    config = Config()
    report = engine.check_code_files(files, config, selected_rules(config), jobs=1)
    assert len(report.findings) == 70
    assert set(seen) == {engine._GC_THRESHOLDS}
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
