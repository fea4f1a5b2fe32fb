"""Property tests: random and mutated input to every reader never escapes as an exception.

Each reader either returns findings or a one-line FileError / SourceError / ConfigError.
(The long fuzzing run, 100,000+ inputs per reader, is scripts/fuzz.py.)
"""

from __future__ import annotations

import contextlib
import json
import pickle
import tempfile
from pathlib import Path

from conftest import make_notebook, notebook_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mlvet.config import Config, ConfigError, config_from_table
from mlvet.engine import NATIVE_PREFIXES, check_source, selected_rules
from mlvet.sources import Source, SourceError, notebook_source, read_source

# Derandomized: the same examples every run (CI must not flake); scripts/fuzz.py explores.
SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
CONFIG = Config()
CODE_RULES = {
    c: r for c, r in selected_rules(CONFIG, NATIVE_PREFIXES).items() if not c.startswith("ML4")
}
ART_RULES = {c: r for c, r in selected_rules(CONFIG, ("ML4",)).items()}

SNIPPETS = [
    "import pickle\n",
    "pickle.load(f)\n",
    "torch.load(p, weights_only=x)\n",
    "np.load(p, None, True)\n",
    "for x in y:\n    loss.backward()\n    opt.step()\n",
    "with torch.no_grad():\n    model(x)\n",
    "df['a'][0] = 1\n",
    "exec(client.chat.completions.create().choices[0].message.content)\n",
    "def f(:\n",
    "\x00",
    "%time x = 1\n",
    "'''unterminated\n",
    "lambda: (yield)\n",
    "class A(B, **k): pass\n",
    "async def f():\n    await g()\n",
    "@dec\ndef h(*, a=1, **kw): ...\n",
    "x: int = 3\n",
    "\t\tbad indent\n",
]


def _check_text(text: str) -> None:
    src = Source(path="f.py", kind="python", text=text, lines=text.splitlines())
    findings, errors = check_source(src, CONFIG, CODE_RULES, always_parse=True)
    for e in errors:
        assert "\n" not in e.message
    for f in findings:
        assert f.line >= 1 and f.column >= 1


@SETTINGS
@given(st.lists(st.sampled_from(SNIPPETS), max_size=12), st.text(max_size=40))
def test_python_source_never_raises(parts: list[str], noise: str) -> None:
    _check_text("".join(parts) + noise)


@SETTINGS
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_random_text_never_raises(text: str) -> None:
    _check_text(text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@SETTINGS
@given(
    st.lists(
        st.fixed_dictionaries(
            {"cell_type": st.sampled_from(["code", "markdown", "raw", 3, None])},
            optional={
                "source": st.one_of(
                    st.text(max_size=60), st.lists(st.text(max_size=30), max_size=4), json_values
                ),
                "outputs": json_values,
                "execution_count": st.one_of(st.none(), st.integers(), st.text(max_size=3)),
                "metadata": json_values,
            },
        ),
        max_size=6,
    ),
    json_values,
)
def test_notebook_json_never_raises(cells: list[dict[str, object]], metadata: object) -> None:
    nb = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    data = json.dumps(nb, indent=1).encode()
    try:
        src = notebook_source("n.ipynb", data)
    except SourceError as exc:
        assert "\n" not in str(exc)
        return
    _, errors = check_source(src, CONFIG, CODE_RULES, always_parse=True)
    assert all("\n" not in e.message for e in errors)


@SETTINGS
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=399))
def test_mutated_notebook_bytes_never_raise(noise: bytes, at: int) -> None:
    base = notebook_text(
        make_notebook(["import pickle\nx = pickle.load(f)", ("markdown", "hi")])
    ).encode()
    data = base[:at] + noise + base[at + len(noise) :]
    with contextlib.suppress(SourceError):
        notebook_source("n.ipynb", data)


@SETTINGS
@given(st.binary(max_size=200))
def test_binary_junk_as_python_is_an_error_or_parses(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "junk.py"
        path.write_bytes(data)
        try:
            src = read_source(str(path))
        except SourceError as exc:
            assert "\n" not in str(exc)
            return
        check_source(src, CONFIG, CODE_RULES, always_parse=True)


toml_values = st.recursive(
    st.booleans() | st.integers() | st.text(max_size=12) | st.floats(allow_nan=False),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=10), c, max_size=3),
    max_leaves=10,
)


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "select",
                "ignore",
                "per-file-ignores",
                "exclude",
                "fail-on",
                "severity",
                "max-artifact-size",
                "allowed-pickle-globals",
                "seed-functions",
                "other",
            ]
        ),
        toml_values,
        max_size=5,
    )
)
def test_config_tables_give_config_or_config_error(table: dict[str, object]) -> None:
    try:
        cfg = config_from_table(table, root=Path("."), path=Path("pyproject.toml"))
    except ConfigError as exc:
        assert str(exc)
        return
    cfg.is_selected("ML101")
    cfg.ignored_for_path("ML101", "a/b.py")
    cfg.is_excluded("a/b.py")


def _scan_bytes(name: str, data: bytes) -> None:
    from mlvet.artifacts import scan_paths

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(data)
        report = scan_paths([str(path)], CONFIG, ART_RULES)
        for e in report.errors:
            assert "\n" not in e.message


PICKLES = [pickle.dumps({"a": [1, 2.0, "x"]}, protocol=p) for p in range(6)] + [
    b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x00\x85R."
]


@SETTINGS
@given(st.sampled_from(PICKLES), st.binary(max_size=16), st.integers(min_value=0, max_value=60))
def test_mutated_pickles_never_raise(base: bytes, noise: bytes, at: int) -> None:
    _scan_bytes("m.pkl", base[:at] + noise + base[at + len(noise) :])


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_as_artifacts_never_raise(data: bytes) -> None:
    for prefix in (b"", b"PK\x03\x04", b"\x93NUMPY\x01\x00", b"\x80\x04"):
        _scan_bytes("m.bin", prefix + data)


def _zip_bytes() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", PICKLES[2])
        zf.writestr("archive/version", "3\n")
    return buf.getvalue()


ZIP = _zip_bytes()


@SETTINGS
@given(st.binary(min_size=1, max_size=8), st.integers(min_value=0, max_value=len(ZIP) - 1))
def test_mutated_zip_checkpoints_never_raise(noise: bytes, at: int) -> None:
    _scan_bytes("model.pt", ZIP[:at] + noise + ZIP[at + len(noise) :])


@SETTINGS
@given(st.text(max_size=80), st.binary(max_size=40))
def test_npy_headers_never_raise(header: str, body: bytes) -> None:
    raw = header.encode("latin-1", "replace")
    data = b"\x93NUMPY\x01\x00" + len(raw).to_bytes(2, "little") + raw + body
    _scan_bytes("a.npy", data)
