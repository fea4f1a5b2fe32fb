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


# The flow reads only scopes that call a sink or a helper that may: these must still fire.
SINK_REACH: dict[str, str] = {
    "helper_chain_two_deep": """
        from openai import OpenAI
        import subprocess
        client = OpenAI()
        def _shell(c):
            subprocess.run(c, shell=True)
        def run_step(c):
            _shell(c)
        def main():
            cmd = client.chat.completions.create(model="m", messages=[]).choices[0].message.content
            run_step(cmd)  # BAD
    """,
    "method_calls_sinking_method": """
        import os
        from langchain_openai import ChatOpenAI
        class Bot:
            def __init__(self):
                self.llm = ChatOpenAI()
            def _do(self, command):
                os.system(command)
            def act(self, task):
                plan = self.llm.invoke(task).content
                self._do(plan)  # BAD
    """,
    "aliased_sink_name": """
        from subprocess import run as sh
        from os import system as shell_out
        import anthropic
        client = anthropic.Anthropic()
        def go():
            text = client.messages.create(model="m", max_tokens=9, messages=[]).content[0].text
            sh(text, shell=True)  # BAD
            shell_out(text)  # BAD
    """,
    "module_alias_of_sink": """
        import pickle
        import openai
        unpickle = pickle.loads
        blob = openai.chat.completions.create(model="m", messages=[]).choices[0].message.content
        obj = unpickle(blob.encode())  # BAD
    """,
    "langchain_parameter_model": """
        import sqlite3
        from langchain_core.language_models import BaseChatModel
        def answer(llm: BaseChatModel, question: str, con: sqlite3.Connection):
            sql = llm.invoke(f"SQL for {question}").content
            return con.execute(sql).fetchall()  # BAD
    """,
    "llamaindex_query_engine_from_index": """
        import subprocess
        from llama_index.core import VectorStoreIndex
        def main(docs):
            engine = VectorStoreIndex.from_documents(docs).as_query_engine()
            subprocess.run(engine.query("command?").response, shell=True)  # BAD
    """,
    "langchain_prompt_only_file": """
        import subprocess
        from langchain_core.prompts import PromptTemplate
        prompt = PromptTemplate.from_template("Summarise {text}")
        text = prompt.format(text="x")
        subprocess.run(["echo", text])
        subprocess.run(text, shell=True)
    """,
}


@pytest.mark.parametrize("name", sorted(SINK_REACH))
def test_sink_reach(name: str) -> None:
    code = SINK_REACH[name]
    assert flagged(code) == marked(code)


CLOSURES: dict[str, str] = {
    "gradio_handler_uses_outer_client": """
        import subprocess
        import gradio as gr
        from openai import OpenAI
        def build_app():
            client = OpenAI()
            def on_submit(task):
                resp = client.chat.completions.create(model="m", messages=[{"role": "user", "content": task}])
                return subprocess.check_output(resp.choices[0].message.content, shell=True)  # BAD
            return gr.Interface(fn=on_submit, inputs="text", outputs="text")
    """,
    "inner_function_uses_outer_chain": """
        from langchain_openai import ChatOpenAI
        from langchain_core.output_parsers import StrOutputParser
        def main():
            chat = ChatOpenAI() | StrOutputParser()
            def solve(q):
                exec(chat.invoke(q))  # BAD
            solve("x")
    """,
}


@pytest.mark.parametrize("name", sorted(CLOSURES))
def test_closures(name: str) -> None:
    code = CLOSURES[name]
    assert flagged(code) == marked(code)


STAR_IMPORTS: dict[str, str] = {
    "star_subprocess_sink": """
        from subprocess import *
        from openai import OpenAI
        client = OpenAI()
        cmd = client.chat.completions.create(model="m", messages=[]).choices[0].message.content
        run(cmd, shell=True)  # BAD
    """,
    "star_os_sink": """
        from os import *
        import anthropic
        text = anthropic.Anthropic().messages.create(model="m", max_tokens=5, messages=[]).content[0].text
        system(text)  # BAD
    """,
    "star_langchain_model": """
        from langchain_openai import *
        import sqlite3
        chat = ChatOpenAI(model="gpt-4o")
        sql = chat.invoke("write sql").content
        sqlite3.connect("x.db").executescript(sql)  # BAD
    """,
    "star_litellm_source": """
        from litellm import *
        code = completion(model="gpt-4o", messages=[]).choices[0].message.content
        exec(code)  # BAD
    """,
    "star_import_shadowed_by_local_def": """
        from subprocess import *
        from openai import OpenAI
        def run(text, shell=False):
            print(text)
        out = OpenAI().chat.completions.create(model="m", messages=[]).choices[0].message.content
        run(out, shell=True)
    """,
    "star_unrelated_module": """
        from mytools import *
        from openai import OpenAI
        out = OpenAI().chat.completions.create(model="m", messages=[]).choices[0].message.content
        run(out, shell=True)
    """,
}


@pytest.mark.parametrize("name", sorted(STAR_IMPORTS))
def test_star_imports(name: str) -> None:
    code = STAR_IMPORTS[name]
    assert flagged(code) == marked(code)
