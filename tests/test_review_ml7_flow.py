"""Review of ML701's data flow: shapes of real LLM code found missing or over-reported.
Lines marked `# BAD` must be reported, and nothing else."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code


def flagged(code: str) -> set[int]:
    return {f.line for f in check_code(textwrap.dedent(code), select=["ML701"])}


def marked(code: str) -> set[int]:
    return {i for i, line in enumerate(textwrap.dedent(code).splitlines(), 1) if "# BAD" in line}


CASES: dict[str, str] = {
    "pipeline_through_module_attribute": """
        import transformers
        import torch as T
        generator = transformers.pipeline("text-generation", model="codegen-350M")
        snippet = generator("# plot loss\\n", max_length=64)[0]["generated_text"]
        exec(snippet)  # BAD
    """,
    "pipeline_module_alias": """
        import transformers as tf_hf
        pipe = tf_hf.pipeline(task="text-generation")
        def run(task):
            cmd = pipe(task)[0]["generated_text"]
            import os
            os.system(cmd)  # BAD
    """,
    "lambda_runs_model_output": """
        from openai import OpenAI
        client = OpenAI()
        run = lambda q: exec(client.chat.completions.create(model="m", messages=[{"role": "user", "content": q}]).choices[0].message.content)  # BAD
    """,
    "lambda_over_model_text_in_function": """
        import subprocess
        from langchain_openai import ChatOpenAI
        llm = ChatOpenAI()
        def main():
            cmds = llm.invoke("list three shell commands").content.splitlines()
            list(map(lambda c: subprocess.run(c, shell=True), cmds))  # BAD
    """,
    "lambda_parameter_shadows_model_text": """
        from openai import OpenAI
        client = OpenAI()
        code = client.chat.completions.create(model="m", messages=[]).choices[0].message.content
        check = lambda code: eval(code)
        print(code)
    """,
    "lambda_without_model_text": """
        from openai import OpenAI
        client = OpenAI()
        answer = client.chat.completions.create(model="m", messages=[]).choices[0].message.content
        score = lambda expr: eval(expr, {"__builtins__": {}})
        print(answer, score("1 + 1"))
    """,
    "pipeline_attribute_of_unrelated_object": """
        import subprocess
        import transformers
        from sklearn.pipeline import Pipeline
        pipe = Pipeline([])
        out = pipe.predict(X)
        subprocess.run(out, shell=True)
        model = transformers.AutoModel.from_pretrained("bert-base-uncased")
        model.eval()
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(name: str) -> None:
    code = CASES[name]
    assert flagged(code) == marked(code)
