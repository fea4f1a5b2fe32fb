"""The stripper on real notebook files: what goes, what stays, layout, safety."""

from __future__ import annotations

import copy
import json
import os
import stat
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import make_notebook, notebook_text
from mlvet.config import ConfigError, config_from_table
from mlvet.wrappers.strip import (
    DEFAULT_STRIP_KEYS,
    StripError,
    StripOptions,
    detect_layout,
    strip_notebook,
    strip_path,
)

OPTS = StripOptions()


def code(
    source: str,
    count: int | None = None,
    outputs: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    cell_id: str | None = "c",
) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": count,
        "metadata": metadata if metadata is not None else {},
        "outputs": outputs or [],
        "source": source.splitlines(keepends=True),
    }
    if cell_id is not None:
        cell["id"] = f"{cell_id}{abs(hash(source)) % 10**6}"
    return cell


def stream(text: str = "epoch 1 loss 0.5\n") -> dict[str, Any]:
    return {"name": "stdout", "output_type": "stream", "text": [text]}


def result(count: int | None, text: str = "0.93") -> dict[str, Any]:
    return {
        "data": {"text/plain": [text]},
        "execution_count": count,
        "metadata": {},
        "output_type": "execute_result",
    }


def widget_view() -> dict[str, Any]:
    return {
        "data": {
            "application/vnd.jupyter.widget-view+json": {
                "model_id": "4f6c2b0e9d",
                "version_major": 2,
                "version_minor": 0,
            },
            "text/plain": ["  0%|          | 0/10 [00:00<?, ?it/s]"],
        },
        "metadata": {},
        "output_type": "display_data",
    }


def dirty_notebook(minor: int = 5) -> dict[str, Any]:
    cells: list[Any] = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Fine-tuning ü 模型\n"]},
        code(
            "import torch\nfrom tqdm.auto import tqdm",
            1,
            [widget_view()],
            metadata={"collapsed": False, "scrolled": True, "tags": ["setup"]},
        ),
        code(
            "for epoch in range(3):\n    print(loss)",
            2,
            [stream(), {"ename": "E", "evalue": "v", "output_type": "error", "traceback": []}],
            metadata={"execution": {"iopub.execute_input": "2024-05-01T10:00:00.1Z"}},
        ),
        code("accuracy", 3, [result(3)], metadata={"tags": ["keep-output"]}),
    ]
    nb = make_notebook(cells, nbformat_minor=minor)
    nb["metadata"]["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {"state": {"4f6c2b0e9d": {}}}
    }
    nb["metadata"]["language_info"]["version"] = "3.11.7"
    nb["metadata"]["my_project"] = {"dataset": "cifar10"}
    if minor < 5:
        for cell in nb["cells"]:
            cell.pop("id", None)
    else:
        for i, cell in enumerate(nb["cells"]):
            cell.setdefault("id", f"md{i}")
    return nb


def write(path: Path, nb: dict[str, Any]) -> Path:
    path.write_text(notebook_text(nb), encoding="utf-8")
    return path


def stripped(nb: dict[str, Any], options: StripOptions = OPTS) -> dict[str, Any]:
    res = strip_notebook(notebook_text(nb).encode(), options)
    assert res.text is not None
    out = json.loads(res.text)
    assert isinstance(out, dict)
    return out


# -- what goes and what stays ---------------------------------------------------------


def test_outputs_counts_and_volatile_metadata_go() -> None:
    nb = dirty_notebook()
    out = stripped(nb)
    cells = out["cells"]
    assert cells[1]["outputs"] == [] and cells[1]["execution_count"] is None
    assert cells[2]["outputs"] == [] and cells[2]["execution_count"] is None
    assert "widgets" not in out["metadata"]
    assert cells[1]["metadata"] == {"tags": ["setup"]}  # collapsed/scrolled gone, tags kept
    assert cells[2]["metadata"] == {}  # execution timings gone


def test_user_metadata_ids_and_sources_stay() -> None:
    nb = dirty_notebook()
    out = stripped(nb)
    assert out["metadata"]["my_project"] == {"dataset": "cifar10"}
    assert out["metadata"]["kernelspec"] == nb["metadata"]["kernelspec"]
    assert out["metadata"]["language_info"] == nb["metadata"]["language_info"]
    assert [c.get("id") for c in out["cells"]] == [c.get("id") for c in nb["cells"]]
    assert [c["source"] for c in out["cells"]] == [c["source"] for c in nb["cells"]]
    assert [c["cell_type"] for c in out["cells"]] == [c["cell_type"] for c in nb["cells"]]


def test_result_describes_what_changed() -> None:
    res = strip_notebook(notebook_text(dirty_notebook()).encode(), OPTS)
    assert res.changed
    assert (res.outputs, res.counts) == (2, 3)
    assert res.first_cell == 1  # position of the first code cell
    assert "metadata.widgets" in res.metadata and "cell.metadata.scrolled" in res.metadata
    text = res.describe(done=False)
    assert text.startswith("2 cells have outputs, 3 have execution counts; volatile metadata (")
    assert res.describe(done=True).startswith("2 cells had outputs, 3 had execution counts")
    assert res.physical_line is not None
    lines = notebook_text(dirty_notebook()).splitlines()
    assert '"import torch\\n"' in lines[res.physical_line - 1]
    assert res.text is not None and res.new_physical_line is not None
    assert res.new_physical_line < res.physical_line  # the outputs above it are gone
    assert '"import torch\\n"' in res.text.splitlines()[res.new_physical_line - 1]


def test_output_is_exactly_what_nbformat_writes() -> None:
    nb = dirty_notebook()
    res = strip_notebook(notebook_text(nb).encode(), OPTS)
    assert res.text is not None
    node = nbformat.reads(res.text, as_version=nbformat.NO_CONVERT)
    assert nbformat.writes(node) + "\n" == res.text
    nbformat.validate(node)


def test_attachments_are_kept() -> None:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    cell = {
        "attachments": {"plot.png": {"image/png": png}},
        "cell_type": "markdown",
        "id": "att",
        "metadata": {},
        "source": ["![plot](attachment:plot.png)"],
    }
    nb = make_notebook([cell, code("x = 1", 4, [stream()])])
    out = stripped(nb)
    assert out["cells"][0] == cell


@pytest.mark.parametrize(
    "metadata",
    [
        {"tags": ["keep-output"]},
        {"tags": ["keep_output"]},
        {"keep_output": True},
        {"init_cell": True},
    ],
)
def test_cells_marked_to_keep_output_keep_it(metadata: dict[str, Any]) -> None:
    nb = make_notebook(
        [
            code("df.describe()", 5, [result(5), stream()], metadata=metadata),
            code("y", 6, [stream()]),
        ]
    )
    out = stripped(nb)
    kept = out["cells"][0]
    assert len(kept["outputs"]) == 2
    assert kept["outputs"][0]["data"] == {"text/plain": ["0.93"]}
    assert kept["outputs"][0]["execution_count"] is None  # counts go unless keep-count
    assert kept["execution_count"] is None
    assert kept["metadata"] == metadata  # our keep marker never leaks into the file
    assert out["cells"][1]["outputs"] == []


def test_configured_tag_and_keep_count() -> None:
    nb = make_notebook([code("fig", 8, [result(8)], metadata={"tags": ["show"]})])
    out = stripped(nb, StripOptions())
    assert out["cells"][0]["outputs"] == []
    opts = StripOptions(keep_output_tag="show", keep_count=True)
    res = strip_notebook(notebook_text(nb).encode(), opts)
    assert res.text is None  # nothing to strip: output kept, counts kept


def test_keep_count_keeps_counts_but_strips_outputs() -> None:
    nb = make_notebook([code("a", 1, [stream()]), code("b", 2)])
    out = stripped(nb, StripOptions(keep_count=True))
    assert [c["execution_count"] for c in out["cells"]] == [1, 2]
    assert out["cells"][0]["outputs"] == []


def test_notebook_level_keep_output() -> None:
    nb = make_notebook([code("a", 1, [stream()])])
    nb["metadata"]["keep_output"] = True
    out = stripped(nb)
    assert out["cells"][0]["outputs"] == [stream()]
    assert out["cells"][0]["execution_count"] is None


def test_contradicting_keep_metadata_is_an_error_not_a_guess() -> None:
    cell = code("a", 1, [stream()], metadata={"keep_output": False, "tags": ["keep_output"]})
    with pytest.raises(StripError, match="keep_output"):
        strip_notebook(notebook_text(make_notebook([cell])).encode(), OPTS)


def test_colab_vscode_papermill_run_metadata() -> None:
    nb = make_notebook(
        [
            code(
                "!nvidia-smi",
                1,
                [stream("Tesla T4\n")],
                metadata={
                    "colab": {"base_uri": "https://localhost:8080/", "height": 300},
                    "executionInfo": {"elapsed": 5, "status": "ok", "user": {"displayName": "A"}},
                    "outputId": "8a1b",
                    "id": "Xy12",
                    "papermill": {"duration": 1.5, "status": "completed"},
                    "jupyter": {"outputs_hidden": True, "source_hidden": True},
                    "trusted": True,
                },
            ),
            code("x", 2, metadata={"jupyter": {"outputs_hidden": False}}),
        ]
    )
    nb["metadata"].update(
        {
            "colab": {"provenance": [], "gpuType": "T4"},
            "accelerator": "GPU",
            "vscode": {"interpreter": {"hash": "ab12"}},
            "papermill": {"duration": 12.0, "parameters": {"lr": 0.1}},
            "kaggle": {"dataSources": [{"sourceId": 1}], "isGpuEnabled": True},
        }
    )
    out = stripped(nb)
    meta = out["metadata"]
    assert "colab" not in meta and "vscode" not in meta and "papermill" not in meta
    assert meta["accelerator"] == "GPU"
    assert meta["kaggle"] == nb["metadata"]["kaggle"]  # attached data sources are config
    # Colab's own cell id and a hidden source stay; run records and output state go.
    assert out["cells"][0]["metadata"] == {"id": "Xy12", "jupyter": {"source_hidden": True}}
    assert out["cells"][1]["metadata"] == {}


def test_extra_keys_and_keep_metadata() -> None:
    nb = make_notebook([code("a", metadata={"slideshow": {"slide_type": "slide"}, "mine": 1})])
    nb["metadata"]["colab"] = {"provenance": []}
    nb["metadata"]["toc"] = {"nav_menu": {}}
    opts = StripOptions(
        extra_keys=("metadata.toc", "cell.metadata.slideshow"), keep_metadata=("metadata.colab",)
    )
    out = stripped(nb, opts)
    assert "toc" not in out["metadata"]
    assert out["metadata"]["colab"] == {"provenance": []}
    assert out["cells"][0]["metadata"] == {"mine": 1}


def test_options_from_config() -> None:
    table = {
        "strip": {
            "keep-output-tag": "show",
            "keep-count": True,
            "extra-keys": ["metadata.toc", "cell.metadata.slideshow"],
            "keep-metadata": "metadata.vscode cell.metadata.scrolled",
        }
    }
    opts = StripOptions.from_config(config_from_table(table, Path.cwd(), Path("x.toml")))
    assert opts.keep_output_tag == "show" and opts.keep_count is True
    assert "metadata.toc" in opts.strip_keys and "cell.metadata.slideshow" in opts.strip_keys
    assert "metadata.vscode" not in opts.strip_keys
    assert "cell.metadata.scrolled" not in opts.strip_keys
    assert "metadata.widgets" in opts.strip_keys
    assert set(StripOptions().strip_keys) == set(DEFAULT_STRIP_KEYS)


@pytest.mark.parametrize(
    "table",
    [
        {"keep-count": "yes"},
        {"keep-output-tag": ""},
        {"keep-output-tag": 3},
        {"extra-keys": ["outputs"]},
        {"extra-keys": ["metadata"]},
        {"extra-keys": [1]},
        {"keep-metadata": {"a": 1}},
    ],
)
def test_bad_strip_config_is_a_config_error(table: dict[str, Any]) -> None:
    config = config_from_table({"strip": table}, Path.cwd(), Path("pyproject.toml"))
    with pytest.raises(ConfigError, match=r"\[tool\.mlvet\.strip\]"):
        StripOptions.from_config(config)


# -- formats and layouts --------------------------------------------------------------


@pytest.mark.parametrize("minor", [0, 1, 2, 3, 4, 5])
def test_every_nbformat_4_minor(minor: int) -> None:
    nb = dirty_notebook(minor)
    res = strip_notebook(notebook_text(nb).encode(), OPTS)
    assert res.text is not None
    out = json.loads(res.text)
    assert out["nbformat"] == 4 and out["nbformat_minor"] == minor
    assert all(("id" in c) == (minor >= 5) for c in out["cells"])  # no ids invented
    nbformat.validate(nbformat.reads(res.text, as_version=nbformat.NO_CONVERT))
    assert strip_notebook(res.text.encode(), OPTS).text is None


def test_crlf_file_stays_crlf() -> None:
    raw = notebook_text(dirty_notebook()).replace("\n", "\r\n").encode()
    res = strip_notebook(raw, OPTS)
    assert res.text is not None
    data = res.text.encode()
    assert data.count(b"\r\n") == data.count(b"\n") > 10
    assert res.text.endswith("}\r\n")
    assert strip_notebook(data, OPTS).text is None
    lf = strip_notebook(raw.replace(b"\r\n", b"\n"), OPTS).text
    assert lf is not None and "\r" not in lf and res.text == lf.replace("\n", "\r\n")


def test_unicode_is_written_raw_and_escaped_files_stay_escaped() -> None:
    nb = dirty_notebook()
    res = strip_notebook(notebook_text(nb).encode(), OPTS)
    assert res.text is not None and "ü 模型" in res.text
    escaped = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=True) + "\n"
    assert escaped.isascii()
    res2 = strip_notebook(escaped.encode(), OPTS)
    assert res2.text is not None and res2.text.isascii() and "\\u6a21" in res2.text
    assert json.loads(res2.text)["cells"][0]["source"] == ["# Fine-tuning ü 模型\n"]


def test_bom_is_kept() -> None:
    raw = b"\xef\xbb\xbf" + notebook_text(dirty_notebook()).encode()
    res = strip_notebook(raw, OPTS)
    assert res.text is not None and res.text.startswith("\ufeff{")
    assert strip_notebook(res.text.encode(), OPTS).text is None


def test_colab_layout_keeps_indent_and_key_order() -> None:
    nb = {
        "nbformat": 4,
        "nbformat_minor": 0,
        "metadata": {"colab": {"provenance": []}, "kernelspec": {"name": "python3"}},
        "cells": [
            {
                "cell_type": "code",
                "source": ["print('hi')"],
                "metadata": {"id": "Ab1"},
                "execution_count": 3,
                "outputs": [stream("hi\n")],
            },
            {"cell_type": "markdown", "source": ["# done"], "metadata": {"id": "Cd2"}},
        ],
    }
    raw = json.dumps(nb, indent=2) + "\n"
    layout = detect_layout(raw, bom=False)
    assert layout.indent == 2 and layout.sort_keys is False
    res = strip_notebook(raw.encode(), OPTS)
    assert res.text is not None
    expected = copy.deepcopy(nb)
    del expected["metadata"]["colab"]
    expected["cells"][0]["execution_count"] = None
    expected["cells"][0]["outputs"] = []
    assert res.text == json.dumps(expected, indent=2) + "\n"


def test_sources_stored_as_one_string_stay_one_string() -> None:
    cell = code("a = 1\nb = 2", 1, [stream()])
    cell["source"] = "a = 1\nb = 2"
    out = stripped(make_notebook([cell]))
    assert out["cells"][0]["source"] == "a = 1\nb = 2"


# -- no change, idempotence -----------------------------------------------------------


def test_clean_notebook_needs_no_change() -> None:
    nb = make_notebook(
        [
            ("markdown", "# Title"),
            code("import numpy as np", metadata={"tags": ["parameters"], "custom": [1, 2]}),
            ("raw", "raw text"),
        ]
    )
    nb["metadata"]["my_tool"] = {"x": 1}
    res = strip_notebook(notebook_text(nb).encode(), OPTS)
    assert res.text is None and not res.changed


def test_clean_notebook_in_any_layout_is_left_alone() -> None:
    nb = make_notebook([code("x = 1")])
    for raw in (json.dumps(nb), json.dumps(nb, indent=4), json.dumps(nb, indent=1)):
        assert strip_notebook(raw.encode(), OPTS).text is None


def test_kept_output_with_no_count_needs_no_change() -> None:
    nb = make_notebook([code("plot", None, [result(None)], metadata={"tags": ["keep-output"]})])
    assert strip_notebook(notebook_text(nb).encode(), OPTS).text is None


def test_second_run_changes_nothing() -> None:
    for nb in (dirty_notebook(), dirty_notebook(0)):
        first = strip_notebook(notebook_text(nb).encode(), OPTS)
        assert first.text is not None
        assert strip_notebook(first.text.encode(), OPTS).text is None


def test_idempotent_on_generated_notebooks() -> None:
    import random

    rng = random.Random(1234)
    for _ in range(60):
        cells: list[dict[str, Any]] = []
        for i in range(rng.randint(0, 8)):
            kind = rng.choice(["code", "code", "markdown", "raw"])
            if kind != "code":
                cells.append({"cell_type": kind, "metadata": {}, "source": [f"t{i}"]})
                continue
            meta: dict[str, Any] = rng.choice(
                [{}, {"tags": ["keep-output"]}, {"collapsed": True}, {"keep_output": True}]
            )
            outs = rng.choice([[], [stream()], [result(rng.randint(1, 9))], [widget_view()]])
            count = rng.choice([None, rng.randint(1, 50)])
            cells.append(code(f"v{i} = {i}", count, outs, dict(meta), cell_id=None))
        nb = make_notebook(cells, nbformat_minor=rng.randint(0, 4))
        if rng.random() < 0.5:
            nb["metadata"]["widgets"] = {"state": {}}
        raw = notebook_text(nb)
        if rng.random() < 0.3:
            raw = raw.replace("\n", "\r\n")
        first = strip_notebook(raw.encode(), OPTS)
        text = first.text if first.text is not None else raw
        assert strip_notebook(text.encode(), OPTS).text is None
        after = json.loads(text)
        assert [c["source"] for c in after["cells"]] == [c["source"] for c in nb["cells"]]


# -- broken input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"cells": [', "not valid JSON"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
        (b"\xff\xfe{\x00}\x00", "not UTF-8"),
        (b'{"cells": [], "nbformat": 3, "metadata": {}}', "nbformat"),
        (b'{"worksheets": [], "nbformat": 3}', "cells"),
        (b"[1, 2, 3]", "not a Jupyter notebook"),
        (b'{"cells": [1], "nbformat": 4, "metadata": {}}', "cell 1 is not an object"),
        (b'{"cells": [], "nbformat": 4, "metadata": []}', "metadata"),
        (
            b'{"cells": [{"cell_type": "code", "outputs": {}, "source": ""}], "nbformat": 4}',
            "outputs",
        ),
        (
            b'{"cells": [{"cell_type": "code", "outputs": ["execution_count"], "source": ""}],'
            b' "nbformat": 4}',
            "list of objects",
        ),
        (b"[" * 100000 + b"]" * 100000, "JSON"),
    ],
)
def test_broken_notebooks_raise_one_line_errors(data: bytes, message: str) -> None:
    with pytest.raises(StripError) as info:
        strip_notebook(data, OPTS)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


# -- files: writes, no writes, atomicity ----------------------------------------------


def test_strip_path_rewrites_and_keeps_mode(tmp_path: Path) -> None:
    path = write(tmp_path / "nb.ipynb", dirty_notebook())
    os.chmod(path, 0o640)
    res = strip_path(str(path), OPTS, write=True)
    assert res.changed
    assert path.read_text(encoding="utf-8") == res.text
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb.ipynb"]


def test_no_change_leaves_file_untouched(tmp_path: Path) -> None:
    path = write(tmp_path / "clean.ipynb", make_notebook([code("a = 1")]))
    os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = path.stat()
    data = path.read_bytes()
    res = strip_path(str(path), OPTS, write=True)
    assert not res.changed
    after = path.stat()
    assert path.read_bytes() == data
    assert after.st_mtime_ns == before.st_mtime_ns and after.st_ino == before.st_ino


def test_check_mode_never_writes(tmp_path: Path) -> None:
    path = write(tmp_path / "nb.ipynb", dirty_notebook())
    data, mtime = path.read_bytes(), path.stat().st_mtime_ns
    res = strip_path(str(path), OPTS, write=False)
    assert res.changed and res.text is not None
    assert path.read_bytes() == data and path.stat().st_mtime_ns == mtime


def test_failed_replace_leaves_original_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "nb.ipynb", dirty_notebook())
    data = path.read_bytes()

    def boom(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(StripError, match="cannot write: No space left on device"):
        strip_path(str(path), OPTS, write=True)
    assert path.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["nb.ipynb"]


def test_interrupted_write_leaves_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "nb.ipynb", dirty_notebook())
    data = path.read_bytes()

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        strip_path(str(path), OPTS, write=True)
    assert path.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["nb.ipynb"]


def test_symlink_is_not_rewritten(tmp_path: Path) -> None:
    target = write(tmp_path / "real.ipynb", dirty_notebook())
    link = tmp_path / "link.ipynb"
    link.symlink_to(target)
    data = target.read_bytes()
    with pytest.raises(StripError, match="symbolic link"):
        strip_path(str(link), OPTS, write=True)
    assert link.is_symlink() and target.read_bytes() == data
    assert strip_path(str(link), OPTS, write=False).changed  # check mode reads through it


def test_missing_and_directory_paths(tmp_path: Path) -> None:
    with pytest.raises(StripError, match="no such file"):
        strip_path(str(tmp_path / "nope.ipynb"), OPTS, write=True)
    (tmp_path / "dir.ipynb").mkdir()
    with pytest.raises(StripError, match="directory"):
        strip_path(str(tmp_path / "dir.ipynb"), OPTS, write=True)


def test_unknown_strip_keys_are_a_notice_and_alias_is_read() -> None:
    from mlvet.wrappers.strip import config_notices

    table = {"strip": {"keep-ouput-tag": "typo", "keep-metadata-keys": ["metadata.vscode"]}}
    config = config_from_table(table, Path.cwd(), Path("pyproject.toml"))
    opts = StripOptions.from_config(config)
    assert opts.keep_output_tag == "keep-output"
    assert "metadata.vscode" not in opts.strip_keys
    (notice,) = config_notices(config)
    assert "keep-ouput-tag" in notice and "[tool.mlvet.strip]" in notice


def test_size_limit_is_the_strippers_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlvet.sources
    import mlvet.wrappers.strip as strip_module

    path = write(tmp_path / "big.ipynb", dirty_notebook())
    size = path.stat().st_size
    monkeypatch.setattr(mlvet.sources, "MAX_SOURCE_BYTES", 10)  # the code checker's limit
    assert strip_path(str(path), OPTS, write=False).changed
    monkeypatch.setattr(strip_module, "MAX_NOTEBOOK_BYTES", size - 1)
    data = path.read_bytes()
    with pytest.raises(StripError, match="too large to strip"):
        strip_path(str(path), OPTS, write=True)
    assert path.read_bytes() == data


def test_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = write(tmp_path / "locked.ipynb", dirty_notebook())
    os.chmod(path, 0)
    try:
        with pytest.raises(StripError, match="permission denied"):
            strip_path(str(path), OPTS, write=True)
    finally:
        os.chmod(path, 0o644)


def test_minimal_notebook_without_metadata_keys() -> None:
    raw = json.dumps(
        {
            "cells": [
                {"cell_type": "code", "source": "print(1)", "outputs": [stream()]},
                {"cell_type": "markdown", "source": "# hi"},
            ],
            "nbformat": 4,
            "nbformat_minor": 2,
        },
        indent=1,
    )
    res = strip_notebook(raw.encode(), OPTS)
    assert res.text is not None
    out = json.loads(res.text)
    assert "metadata" not in out  # nothing is invented
    assert out["cells"] == [
        {"cell_type": "code", "outputs": [], "source": "print(1)"},
        {"cell_type": "markdown", "source": "# hi"},
    ]
    assert strip_notebook(res.text.encode(), OPTS).text is None
