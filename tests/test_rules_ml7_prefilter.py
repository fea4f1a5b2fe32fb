"""The ML7 text gates: which files are parsed for the LLM rules at all."""

from __future__ import annotations

import pytest
from mlvet.rules.llm import CHECKERS
from mlvet.rules.llm_prefilter import has_sink_word, imported_llm_libraries


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("import openai\n", {"openai"}),
        ("import os, openai\n", {"openai"}),
        (
            "from langchain_openai import ChatOpenAI\nfrom langchain.chains import LLMChain\n",
            {"langchain"},
        ),
        ("from llama_index.core import VectorStoreIndex\n", {"llama_index"}),
        (
            "import anthropic as ac\nfrom transformers import pipeline\n",
            {"anthropic", "transformers"},
        ),
        ("import torch\nimport numpy as np\n", set()),
        ("# we could use openai one day\n", set()),
        ("import openai_helpers\n", set()),
    ],
)
def test_imported_llm_libraries(text: str, expected: set[str]) -> None:
    assert imported_llm_libraries(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model.eval()\nopt = torch.compile(model)\n", False),
        ("x = eval(s)\n", True),
        ("exec(code)\n", True),
        ("(compile(src, 'f', 'exec'))", True),
        ("import subprocess\n", True),
        ("cur.executescript(sql)\n", True),
        ("df = pd.read_sql(q, con)\n", True),
        ("print(model.generate(x))\n", False),
    ],
)
def test_has_sink_word(text: str, expected: bool) -> None:
    assert has_sink_word(text) is expected


def _gates(text: str) -> set[str]:
    return {c.__name__ for c in CHECKERS if c.pattern is not None and c.pattern.search(text)}


def test_plain_ml_training_script_passes_no_gate() -> None:
    text = (
        "import torch\nfrom torch import nn\nmodel.eval()\nwith open('log.txt') as f:\n    pass\n"
    )
    assert _gates(text) == set()


def test_llm_file_without_sinks_skips_the_data_flow() -> None:
    text = "from openai import OpenAI\nprint(OpenAI().chat.completions.create(model='m', messages=[]))\n"
    assert "LLMOutputExecutedChecker" not in _gates(text)
    assert "LLMOutputExecutedChecker" in _gates(text + "import subprocess\n")


def test_agent_and_pickle_gates_need_their_names() -> None:
    imports = "from langchain_experimental.tools import PythonREPLTool\n"
    assert "DangerousAgentToolChecker" in _gates(imports + "tools = [PythonREPLTool()]")
    assert "DangerousAgentToolChecker" not in _gates("from langchain_openai import ChatOpenAI\n")
    assert "DangerousAgentToolChecker" in _gates(
        "create_csv_agent(llm, p, allow_dangerous_code=True)"
    )
    assert "DangerousDeserializationChecker" in _gates("x(allow_dangerous_deserialization=True)")
    assert "DangerousDeserializationChecker" in _gates("sio.load(p, trusted=True)")
    assert "DangerousDeserializationChecker" not in _gates("sio.load(p, trusted=[T])")
