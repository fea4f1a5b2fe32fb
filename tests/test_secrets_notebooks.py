"""Notebooks: tokens in code cells, markdown and outputs, reported by cell and line."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import secrets_fakes as fake
from conftest import make_notebook, notebook_text
from mlvet.findings import Finding
from mlvet.wrappers.secrets import Options, scan_file


def write_nb(tmp_path: Path, nb: dict[str, Any], name: str = "nb.ipynb") -> str:
    path = tmp_path / name
    path.write_text(notebook_text(nb), encoding="utf-8")
    return str(path)


def scan_nb(tmp_path: Path, nb: dict[str, Any]) -> list[Finding]:
    findings, errors = scan_file(write_nb(tmp_path, nb), Options())
    assert not errors, errors
    return findings


def physical(path: str, needle: str) -> int:
    for i, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError("needle not in file")


def code_cell(source: str, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "id": "x" + str(len(source)),
        "metadata": {},
        "outputs": outputs,
        "source": source.splitlines(keepends=True),
    }


def test_token_in_code_cell_reports_cell_and_line(tmp_path: Path) -> None:
    token = fake.hugging_face()
    nb = make_notebook([("markdown", "# Train"), f"import os\n\nHF_TOKEN = '{token}'\n"])
    path = write_nb(tmp_path, nb)
    (f,) = scan_file(path, Options())[0]
    assert (f.cell, f.line, f.name) == (2, 3, "hugging-face-token")
    assert f.physical_line == physical(path, token)
    assert "output" not in f.message


def test_token_printed_in_stream_output(tmp_path: Path) -> None:
    token = fake.openai_project()
    out = {
        "name": "stdout",
        "output_type": "stream",
        "text": ["loaded config\n", f"OPENAI_API_KEY={token}\n"],
    }
    nb = make_notebook(["print('hi')\n", code_cell("print(os.environ)\n", [out])])
    path = write_nb(tmp_path, nb)
    (f,) = scan_file(path, Options())[0]
    assert (f.cell, f.line, f.name) == (2, 2, "openai-api-key")
    assert f.message.endswith("in the output of cell 2")
    assert f.physical_line == physical(path, token)


def test_token_in_execute_result_and_traceback(tmp_path: Path) -> None:
    t1, t2 = fake.wandb(), fake.anthropic()
    result = {
        "output_type": "execute_result",
        "execution_count": 1,
        "metadata": {},
        "data": {"text/plain": [f"{{'WANDB_API_KEY': '{t1}'}}"]},
    }
    error = {
        "output_type": "error",
        "ename": "AuthenticationError",
        "evalue": "bad key",
        "traceback": ["Traceback", f"AuthenticationError: invalid key {t2}"],
    }
    nb = make_notebook([code_cell("dict(os.environ)\n", [result]), code_cell("call()\n", [error])])
    found = scan_nb(tmp_path, nb)
    assert [(f.cell, f.name) for f in found] == [(1, "wandb-api-key"), (2, "anthropic-api-key")]


def test_image_data_in_outputs_is_not_scanned(tmp_path: Path) -> None:
    # Base64 image data full of token-like runs: a chance "AIza..." must not match.
    blob = base64.b64encode(bytes(range(256)) * 40).decode()
    blob = blob[:500] + "AIza" + fake.rand(35) + blob[500:]
    out = {
        "output_type": "display_data",
        "metadata": {},
        "data": {"image/png": blob, "text/plain": ["<Figure size 640x480>"]},
    }
    html = {
        "output_type": "display_data",
        "metadata": {},
        "data": {"text/html": [f'<img src="data:image/png;base64,{blob}"/>']},
    }
    nb = make_notebook([code_cell("plt.show()\n", [out, html])])
    assert scan_nb(tmp_path, nb) == []


def test_placeholders_and_env_reads_in_notebooks(tmp_path: Path) -> None:
    nb = make_notebook(
        [
            "from getpass import getpass\nHF_TOKEN = getpass('token: ')\n",
            "import os\nos.environ['WANDB_API_KEY'] = '<YOUR_KEY>'\n",
            ("markdown", "Set `HF_TOKEN=hf_xxx` in your shell."),
            "%env OPENAI_API_KEY=sk-...\n",
        ]
    )
    assert scan_nb(tmp_path, nb) == []


def test_magic_env_line_with_real_token(tmp_path: Path) -> None:
    nb = make_notebook([f"%env WANDB_API_KEY={fake.wandb()}\n!wandb login\n"])
    (f,) = scan_nb(tmp_path, nb)
    assert (f.cell, f.line, f.name) == (1, 1, "wandb-api-key")


def test_token_in_markdown_cell(tmp_path: Path) -> None:
    nb = make_notebook([("markdown", f"My key: {fake.groq()}\n")])
    (f,) = scan_nb(tmp_path, nb)
    assert (f.cell, f.line, f.name) == (1, 1, "groq-api-key")


def test_mlvet_ignore_inside_a_cell(tmp_path: Path) -> None:
    nb = make_notebook([f"TOKEN = '{fake.hugging_face()}'  # mlvet: ignore[ML501]\n"])
    assert scan_nb(tmp_path, nb) == []


def test_broken_notebook_is_an_error_and_still_scanned(tmp_path: Path) -> None:
    token = fake.hugging_face()
    path = tmp_path / "broken.ipynb"
    path.write_text(f'{{"cells": [{{"source": "HF_TOKEN = \'{token}\'"', encoding="utf-8")
    findings, errors = scan_file(str(path), Options())
    assert len(errors) == 1 and "not valid JSON" in errors[0].message
    assert errors[0].path == str(path)
    assert [f.name for f in findings] == ["hugging-face-token"]


def test_single_string_sources_and_outputs(tmp_path: Path) -> None:
    token = fake.replicate()
    nb = make_notebook([])
    nb["cells"] = [
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "a",
            "metadata": {},
            "source": f"x = 1\nREPLICATE_API_TOKEN = '{token}'\n",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "ok\n"}],
        }
    ]
    path = tmp_path / "s.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    (f,) = scan_file(str(path), Options())[0]
    assert (f.cell, f.line, f.physical_line) == (1, 2, 1)
