"""ML7 rules on whole, realistic LLM applications: notebooks, code interpreters, text-to-SQL,
agents; and through the CLI."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import check_code, check_notebook, make_notebook, notebook_text, run_cli


def ml7(code: str) -> list[tuple[str, int]]:
    return sorted((f.rule, f.line) for f in check_code(textwrap.dedent(code), select=["ML7"]))


# ---- notebooks ---------------------------------------------------------------------------


def test_notebook_flow_across_cells() -> None:
    nb = make_notebook(
        [
            ("markdown", "# Code interpreter demo"),
            "%pip install openai\nfrom openai import OpenAI\nclient = OpenAI()",
            "resp = client.chat.completions.create(\n    model='gpt-4o',\n    messages=[{'role': 'user', 'content': 'plot a sine wave'}],\n)\ncode = resp.choices[0].message.content",
            ("markdown", "Run what the model wrote:"),
            "print(code)\nexec(code)",
        ]
    )
    (f,) = check_notebook(nb, select=["ML701"])
    assert (f.cell, f.line, f.column) == (5, 2, 1)
    assert "client.chat.completions.create() (cell 3, line 1)" in f.message
    assert "exec() (cell 5, line 2)" in f.message
    assert f.physical_line is not None


def test_notebook_get_ipython_run_cell() -> None:
    nb = make_notebook(
        [
            "from openai import OpenAI\nclient = OpenAI()",
            "code = client.chat.completions.create(model='gpt-4o', messages=m).choices[0].message.content",
            "get_ipython().run_cell(code)\nget_ipython().system(code)\nget_ipython().run_cell('x = 1')",
        ]
    )
    found = [(f.cell, f.line) for f in check_notebook(nb, select=["ML701"])]
    assert found == [(3, 1), (3, 2)]


def test_notebook_magics_and_shell_escapes_do_not_count() -> None:
    nb = make_notebook(
        [
            "!pip install langchain-openai\nfrom langchain_openai import ChatOpenAI\nllm = ChatOpenAI()",
            "answer = llm.invoke('hello').content\n!echo done\n%time print(answer)",
        ]
    )
    assert check_notebook(nb, select=["ML7"]) == []


def test_notebook_suppression_in_cell() -> None:
    nb = make_notebook(
        [
            "import anthropic, subprocess\nc = anthropic.Anthropic()",
            "m = c.messages.create(model='claude-3-haiku', max_tokens=100, messages=msgs)\n"
            "subprocess.run(m.content[0].text, shell=True)  # mlvet: ignore[ML701]",
        ]
    )
    assert check_notebook(nb, select=["ML701"]) == []


def test_notebook_agent_tools_and_faiss() -> None:
    nb = make_notebook(
        [
            "from langchain_community.vectorstores import FAISS\nfrom langchain_experimental.tools import PythonREPLTool",
            "db = FAISS.load_local('idx', emb, allow_dangerous_deserialization=True)",
            "tools = [PythonREPLTool()]",
        ]
    )
    found = sorted((f.rule, f.cell, f.line) for f in check_notebook(nb, select=["ML7"]))
    assert found == [("ML702", 3, 1), ("ML703", 2, 1)]


def test_notebook_of_another_language_is_skipped() -> None:
    nb = make_notebook(["exec(client.chat.completions.create())"], language="R")
    assert check_notebook(nb, select=["ML7"]) == []


# ---- whole applications ----------------------------------------------------------------


CODE_INTERPRETER = '''
"""A toy code interpreter: ask GPT for code, run it, feed errors back."""
import re
import sys
import traceback
from io import StringIO

from openai import OpenAI

SYSTEM = "You write Python. Answer with one ```python block."
client = OpenAI()


def extract_code(reply: str) -> str:
    m = re.search(r"```python\\n(.*?)```", reply, re.DOTALL)
    return m.group(1) if m else reply


def run_code(code: str) -> str:
    buf, old = StringIO(), sys.stdout
    sys.stdout = buf
    try:
        exec(code, {"__name__": "__main__"})
    except Exception:
        traceback.print_exc(file=buf)
    finally:
        sys.stdout = old
    return buf.getvalue()


def chat(task: str, rounds: int = 3) -> str:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task}]
    output = ""
    for _ in range(rounds):
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        text = reply.choices[0].message.content
        messages.append({"role": "assistant", "content": text})
        code = extract_code(text)
        output = run_code(code)
        if "Traceback" not in output:
            break
        messages.append({"role": "user", "content": f"Error:\\n{output}"})
    return output


if __name__ == "__main__":
    print(chat(" ".join(sys.argv[1:])))
'''


def test_code_interpreter_toy() -> None:
    # The model's code reaches exec() inside run_code(): reported where it is handed over.
    findings = check_code(CODE_INTERPRETER, select=["ML701"])
    assert [f.line for f in findings] == [39]
    assert findings[0].message == (
        "model output from client.chat.completions.create() (line 35) reaches exec() "
        "(line 23) through run_code() (line 39)"
    )


def test_code_interpreter_inline_exec_is_found() -> None:
    code = CODE_INTERPRETER.replace("output = run_code(code)", "exec(code)\n        output = ''")
    findings = check_code(code, select=["ML701"])
    assert [f.line for f in findings] == [39]
    assert (
        "client.chat.completions.create() (line 35) reaches exec() (line 39)" in findings[0].message
    )


TEXT_TO_SQL = """
import sqlite3

import streamlit as st
from langchain_core.prompts import PromptTemplate
from langchain_openai import ChatOpenAI

SCHEMA = "CREATE TABLE orders(id INTEGER, customer TEXT, total REAL, created TEXT)"
PROMPT = PromptTemplate.from_template(
    "Schema:\\n{schema}\\nWrite one SQLite query answering: {question}\\nSQL:"
)
llm = ChatOpenAI(model="gpt-4o-mini", temperature=0)
sql_chain = PROMPT | llm


@st.cache_resource
def get_connection() -> sqlite3.Connection:
    return sqlite3.connect("orders.db", check_same_thread=False)


def answer(question: str):
    sql = sql_chain.invoke({"schema": SCHEMA, "question": question}).content
    sql = sql.strip().strip("`").removeprefix("sql").strip()
    st.code(sql, language="sql")
    cur = get_connection().cursor()
    cur.execute(sql)
    return cur.fetchall()


def answer_safely(question: str):
    customer = sql_chain.invoke({"schema": SCHEMA, "question": question}).content.strip()
    cur = get_connection().cursor()
    cur.execute("SELECT * FROM orders WHERE customer = ?", (customer,))
    return cur.fetchall()


q = st.text_input("Ask about your orders")
if q:
    st.dataframe(answer(q))
"""


def test_text_to_sql_app() -> None:
    findings = check_code(TEXT_TO_SQL, select=["ML701"])
    assert [f.line for f in findings] == [26]
    assert "sql_chain.invoke() (line 22)" in findings[0].message
    assert "cur.execute() (line 26)" in findings[0].message


AGENT_APP = """
import os
from langchain.agents import AgentType, initialize_agent
from langchain_community.agent_toolkits.load_tools import load_tools
from langchain_community.tools import ShellTool
from langchain_community.vectorstores import FAISS
from langchain_openai import ChatOpenAI, OpenAIEmbeddings

llm = ChatOpenAI(temperature=0)
store = FAISS.load_local(os.environ["INDEX_DIR"], OpenAIEmbeddings(),
                         allow_dangerous_deserialization=True)
tools = load_tools(["ddg-search"], llm=llm) + [ShellTool()]
agent = initialize_agent(tools, llm, agent=AgentType.ZERO_SHOT_REACT_DESCRIPTION, verbose=True)

def main(question):
    context = store.similarity_search(question, k=4)
    result = agent.run(f"{question}\\n\\nContext: {context}")
    print(result)
"""


def test_agent_app() -> None:
    assert ml7(AGENT_APP) == [("ML702", 12), ("ML703", 10)]


CHATBOT = """
import json
from anthropic import Anthropic
from pydantic import BaseModel

client = Anthropic()
TOOLS = {"weather": get_weather, "time": get_time}

class ToolCall(BaseModel):
    name: str
    city: str

def respond(history):
    msg = client.messages.create(model="claude-3-5-haiku-latest", max_tokens=512, messages=history)
    text = msg.content[0].text
    try:
        call = ToolCall.model_validate(json.loads(text))
    except ValueError:
        return text
    if call.name in TOOLS:
        return TOOLS[call.name](call.city)
    return text
"""


def test_plain_chatbot_is_silent() -> None:
    assert ml7(CHATBOT) == []


def test_ml_training_code_with_generate_is_silent() -> None:
    code = """
    import subprocess
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained("gpt2", revision="main")
    model = AutoModelForCausalLM.from_pretrained("gpt2", revision="main")
    out = model.generate(**tok("hi", return_tensors="pt"), max_new_tokens=5)
    print(tok.decode(out[0]))
    subprocess.run(["nvidia-smi"], check=True)
    model = torch.compile(model)
    """
    assert ml7(code) == []


# ---- CLI ------------------------------------------------------------------------------


def test_cli_check_select_ml7(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.py").write_text(TEXT_TO_SQL, encoding="utf-8")
    (tmp_path / "agent.py").write_text(AGENT_APP, encoding="utf-8")
    nb = make_notebook(
        [
            "from openai import OpenAI\nc = OpenAI()",
            "exec(c.chat.completions.create(model='m', messages=[]).choices[0].message.content)",
        ]
    )
    (tmp_path / "demo.ipynb").write_text(notebook_text(nb), encoding="utf-8")
    code, out, err = run_cli(
        ["check", "--select", "ML7", "--format", "json", str(tmp_path)], capsys
    )
    assert code == 1, err
    data = json.loads(out)
    got = sorted((Path(f["path"]).name, f["rule"], f["line"], f["cell"]) for f in data["findings"])
    assert got == [
        ("agent.py", "ML702", 12, None),
        ("agent.py", "ML703", 10, None),
        ("app.py", "ML701", 26, None),
        ("demo.ipynb", "ML701", 1, 2),
    ]
    assert data["errors"] == []


def test_cli_broken_file_is_an_error_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.py").write_text("from openai import OpenAI\nexec(\n", encoding="utf-8")
    code, out, err = run_cli(
        ["check", "--select", "ML7", "--format", "json", str(tmp_path)], capsys
    )
    data = json.loads(out)
    assert code != 0
    assert [Path(e["path"]).name for e in data["errors"]] == ["bad.py"]
    assert "Traceback" not in err


def test_very_long_expression_does_not_fail_the_file() -> None:
    terms = " + ".join(f"'part{i}'" for i in range(600))
    code = (
        "import subprocess\nfrom openai import OpenAI\nclient = OpenAI()\n"
        f"PROMPT = {terms}\n"
        "out = client.chat.completions.create(model='m', messages=[PROMPT])\n"
        "subprocess.run(out.choices[0].message.content, shell=True)\n"
    )
    findings = check_code(code, select=["ML7"])  # check_code asserts there are no file errors
    assert [(f.rule, f.line) for f in findings] == [("ML701", 6)]


# `except*` is Python 3.11 syntax: below that the snippet goes without it.
_EXCEPT_STAR = """\
    try:
        pass
    except* ValueError as group:
        raise group
"""
ODD_SYNTAX = """
import subprocess
from openai import OpenAI

client = OpenAI()
HANDLERS = {}


def deco(f):
    return f


@deco
async def agent(*args, task=None, **kwargs):
    global HANDLERS
    out = (await client.chat.completions.create(model="m", messages=[*args])).choices[0].message.content
    lines = [ln async for ln in aiter_lines(out)] if kwargs else [ln for ln in out.splitlines() if ln]
    match lines:
        case [first, *rest]:
            subprocess.run(first, shell=True)
        case {"cmd": cmd, **others}:
            subprocess.run(cmd, shell=True)
        case _:
            pass
{EXCEPT_STAR}    handler = lambda c=out: subprocess.run(c, shell=True)  # noqa: E731 - not followed into
    del out
    nonlocal_free = [(yield x) for x in []] if False else None
    class Inner:
        code = client.chat.completions.create(model="m", messages=[]).choices[0].message.content
    with open("log.txt", "a") as fh, open("x.py") as src:
        fh.write(src.read())
""".replace("{EXCEPT_STAR}", _EXCEPT_STAR if sys.version_info >= (3, 11) else "")


def test_odd_syntax_is_followed_without_errors() -> None:
    findings = check_code(ODD_SYNTAX, select=["ML7"])
    assert [(f.rule, f.line) for f in findings] == [("ML701", 20), ("ML701", 22)]
