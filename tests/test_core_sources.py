"""Reading scripts and notebooks: magics, line maps, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_notebook, notebook_text
from mlvet.sources import (
    SourceError,
    neutralise_magics,
    notebook_source,
    notebook_source_lines,
    parse_source,
    read_source,
)


def test_magics_keep_line_count_and_indent() -> None:
    lines = [
        "%matplotlib inline",
        "!pip install x",
        "for i in range(3):",
        "    !echo hi",
        "files = !ls",
        "df?",
        "x = 1",
    ]
    out, _ = neutralise_magics(lines)
    assert len(out) == len(lines)
    assert out[0] == "pass" and out[1] == "pass" and out[3] == "    pass"
    assert out[4] == "files = None" and out[5] == "pass" and out[6] == "x = 1"
    compile("\n".join(out), "x", "exec")


def test_timing_line_magic_keeps_statement_and_shifts_column() -> None:
    out, shifts = neutralise_magics(["%time obj = load(f)"])
    assert out == ["obj = load(f)"]
    assert shifts == {0: len("%time ")}


def test_timing_cell_body_is_checked_other_cell_magics_are_not() -> None:
    body, _ = neutralise_magics(["%%time", "a = 1", "b = 2"])
    assert body == ["", "a = 1", "b = 2"]
    bash, _ = neutralise_magics(["%%bash", "echo $HOME", "ls -la"])
    assert bash == ["", "", ""]


def test_notebook_location_maps_cell_line_and_physical_line(tmp_path: Path) -> None:
    nb = make_notebook([("markdown", "# title"), "import os\nx = 1", "y = 2\n%time z = 3"])
    text = notebook_text(nb)
    src = notebook_source("nb.ipynb", text.encode())
    assert src.text.splitlines() == ["import os", "x = 1", "y = 2", "z = 3"]
    loc = src.locate(4, 0)  # joined line 4 is cell 3, line 2
    assert (loc.cell, loc.line, loc.column) == (3, 2, 7)
    physical = text.splitlines()[loc.physical_line - 1]  # type: ignore[operator]
    assert "%time z = 3" in physical


def test_physical_lines_for_single_string_sources() -> None:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": "a = 1\nb = 2",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 2,
    }
    raw = json.dumps(nb, indent=1)
    rows = notebook_source_lines(raw)
    assert rows[0][0] == rows[0][1]
    assert '"source"' in raw.splitlines()[rows[0][0] - 1]


def test_broken_cell_is_dropped_and_named() -> None:
    nb = make_notebook(["import pickle", "def broken(:\n  pass", "x = 2"])
    src = notebook_source("nb.ipynb", notebook_text(nb).encode())
    tree, problems = parse_source(src)
    assert len(tree.body) == 2
    assert problems == ["cell 2: syntax error: invalid syntax (line 1)"]


def test_non_python_kernel_is_not_parsed() -> None:
    nb = make_notebook(["library(ggplot2)"], language="R")
    src = notebook_source("nb.ipynb", notebook_text(nb).encode())
    assert src.is_python is False


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("bad.py", b"def f(:\n", "syntax error"),
        ("bin.py", b"\x00\x01\x02binary", "binary file"),
        ("latin.py", "x = 'caf\u00e9'\n".encode("latin-1"), "not valid utf-8"),
        ("nb.ipynb", b"{not json", "not valid JSON"),
        ("old.ipynb", json.dumps({"cells": [], "nbformat": 3}).encode(), "nbformat 4"),
        ("empty.ipynb", b"", "empty file"),
        ("list.ipynb", b"[1, 2]", "not a Jupyter notebook"),
    ],
)
def test_bad_input_gives_one_line_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError) as info:
        src = read_source(str(path))
        parse_source(src)
    assert reason.lower() in str(info.value).lower()
    assert "\n" not in str(info.value)


def test_coding_cookie_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes("# -*- coding: latin-1 -*-\nx = 'caf\u00e9'\n".encode("latin-1"))
    assert "caf\u00e9" in read_source(str(path)).text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # a cookie on line 2 (after a shebang) still decides the encoding
        (b"#!/usr/bin/env python\n# coding: latin-1\nx = '\xe9'\n", "x = '\u00e9'"),
        # a UTF-8 byte-order mark is not part of the text
        (b"\xef\xbb\xbfx = '\xc3\xa9'\n", "x = '\u00e9'"),
        # no newline at all, no cookie
        (b"x = 1", "x = 1"),
        # "coding" on line 3 is no cookie: UTF-8 as usual
        (b"a = 1\nb = 2\n# coding: latin-1\nx = '\xc3\xa9'\n", "x = '\u00e9'"),
    ],
)
def test_encodings_are_read_as_python_reads_them(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "enc.py"
    path.write_bytes(content)
    text = read_source(str(path)).text
    assert expected in text
    assert not text.startswith("\ufeff")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"x = 1\ny = 2\nz = '\xe9'\n", "not valid utf-8 text"),  # bad byte after line 2
        (b"x = '\xe9'\n", "not valid utf-8 text (no encoding declaration)"),
        (b"\xef\xbb\xbf# coding: latin-1\n", "bad encoding declaration"),
    ],
)
def test_bad_bytes_name_the_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "enc.py"
    path.write_bytes(content)
    with pytest.raises(SourceError) as info:
        read_source(str(path))
    assert reason in str(info.value)


def test_empty_script_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "__init__.py"
    path.write_text("")
    tree, problems = parse_source(read_source(str(path)))
    assert tree.body == [] and problems == []


def test_deep_nesting_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.py"
    path.write_text("x = " + "(" * 5000 + ")" * 5000 + "\n")
    with pytest.raises(SourceError):
        parse_source(read_source(str(path)))


def test_missing_and_broken_symlink(tmp_path: Path) -> None:
    link = tmp_path / "link.py"
    link.symlink_to(tmp_path / "nowhere.py")
    with pytest.raises(SourceError, match="broken symbolic link"):
        read_source(str(link))
    with pytest.raises(SourceError, match="no such file"):
        read_source(str(tmp_path / "missing.py"))
