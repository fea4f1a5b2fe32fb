"""Review of the ML701 text gate: files of model libraries that never call a model for
text (training code, doctests, downloads) are not parsed for ML701; files that do still are."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code
from mlvet.rules.llm import LLMOutputExecutedChecker
from mlvet.rules.llm_prefilter import has_sink_word, imported_llm_libraries


def passes(text: str) -> bool:
    return bool(LLMOutputExecutedChecker.pattern.search(textwrap.dedent(text)))  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('    """\n    >>> from transformers import AutoTokenizer\n    """\n', set()),
        ("# from openai import OpenAI\n", set()),
        ("try:\n    import openai\nexcept ImportError:\n    openai = None\n", {"openai"}),
        ("try: import anthropic\nexcept ImportError: pass\n", {"anthropic"}),
        ("x = 1; import litellm\n", {"litellm"}),
        ("we moved away from langchain last year\n", set()),
    ],
)
def test_only_imports_at_a_statement_start_count(text: str, expected: set[str]) -> None:
    assert imported_llm_libraries(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# see run_glue.py for the script\n", False),
        ("path = 'gen.py'\nopen(path, 'w').write(code)\n", True),
        ("Path('tool.py').write_text(code)\n", True),
        ("import dill\nobj = dill.loads(blob)\n", True),
        ("from sqlalchemy import text as sql_text\n", True),
        ("title = soup.get_text()\n", False),
    ],
)
def test_sink_words(text: str, expected: bool) -> None:
    assert has_sink_word(text) is expected


def test_transformers_training_script_is_not_parsed_for_ml701() -> None:
    assert not passes("""
        import subprocess
        from transformers import AutoModelForSequenceClassification, Trainer
        model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased")
        Trainer(model=model).train()
        subprocess.run(["nvidia-smi"])
    """)


def test_library_module_with_doctest_imports_is_not_parsed_for_ml701() -> None:
    assert not passes('''
        import importlib
        def load(name):
            """
            >>> from transformers import pipeline
            >>> generator = pipeline("text-generation")
            """
            return importlib.import_module(name)
    ''')


def test_hub_download_script_is_not_parsed_for_ml701() -> None:
    assert not passes("""
        import pickle
        from huggingface_hub import hf_hub_download
        path = hf_hub_download("org/repo", "model.pkl", revision="abc123")
    """)


@pytest.mark.parametrize(
    "code",
    [
        """
        from transformers import pipeline
        gen = pipeline("text-generation")
        exec(gen("def f():")[0]["generated_text"])  # BAD
        """,
        """
        from transformers import AutoModelForCausalLM, AutoTokenizer
        tok = AutoTokenizer.from_pretrained("m")
        model = AutoModelForCausalLM.from_pretrained("m")
        out = tok.batch_decode(model.generate(**tok("q", return_tensors="pt")))[0]
        exec(out)  # BAD
        """,
        """
        from huggingface_hub import InferenceClient
        import os
        os.system(InferenceClient().text_generation("cmd"))  # BAD
        """,
        """
        from google import genai
        client = genai.Client()
        exec(client.models.generate_content(model="gemini-2.0-flash", contents="x").text)  # BAD
        """,
        """
        import dill
        from openai import OpenAI
        blob = OpenAI().chat.completions.create(model="m", messages=[]).choices[0].message.content
        obj = dill.loads(blob)  # BAD
        """,
        """
        from openai import OpenAI
        import importlib
        code = OpenAI().chat.completions.create(model="m", messages=[]).choices[0].message.content
        with open("generated_tool.py", "w") as fh:
            fh.write(code)  # BAD
        importlib.import_module("generated_tool")
        """,
    ],
)
def test_real_sources_still_pass_the_gate_and_fire(code: str) -> None:
    text = textwrap.dedent(code)
    assert passes(text)
    bad = {i for i, line in enumerate(text.splitlines(), 1) if "# BAD" in line}
    assert {f.line for f in check_code(text, select=["ML701"])} == bad
