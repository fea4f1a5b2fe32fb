"""ML702 dangerous-agent-tool and ML703 dangerous-deserialization-flag on real code."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code


def lines(code: str, rule: str) -> set[int]:
    return {f.line for f in check_code(textwrap.dedent(code), select=[rule])}


def marked(code: str) -> set[int]:
    return {i for i, line in enumerate(textwrap.dedent(code).splitlines(), 1) if "# BAD" in line}


ML702_CASES: dict[str, str] = {
    "python_repl_tool": """
        from langchain_experimental.tools import PythonREPLTool
        from langchain.agents import initialize_agent
        tools = [PythonREPLTool()]  # BAD
        agent = initialize_agent(tools, llm)
    """,
    "python_repl_tool_old_path": """
        from langchain.tools.python.tool import PythonREPLTool as Repl
        tools = [Repl()]  # BAD
    """,
    "python_ast_repl_tool": """
        from langchain_experimental.tools.python.tool import PythonAstREPLTool
        tool = PythonAstREPLTool(locals={"df": df})  # BAD
    """,
    "shell_tool": """
        from langchain_community.tools import ShellTool
        shell_tool = ShellTool()  # BAD
    """,
    "python_repl_utility_in_tool": """
        from langchain_core.tools import Tool
        from langchain_experimental.utilities import PythonREPL
        repl = PythonREPL()  # BAD
        tool = Tool(name="python_repl", description="run python", func=repl.run)
    """,
    "create_python_agent": """
        from langchain_experimental.agents.agent_toolkits import create_python_agent
        from langchain_experimental.tools import PythonREPLTool
        agent = create_python_agent(  # BAD
            llm=llm,
            tool=PythonREPLTool(),  # BAD
            verbose=True,
        )
    """,
    "pandas_agent_allow_dangerous_code": """
        from langchain_experimental.agents import create_pandas_dataframe_agent
        agent = create_pandas_dataframe_agent(  # BAD
            llm, df, verbose=True,
            allow_dangerous_code=True,
        )
    """,
    "csv_agent_allow_dangerous_code": """
        from langchain_experimental.agents.agent_toolkits import create_csv_agent
        agent = create_csv_agent(llm, "titanic.csv", allow_dangerous_code=True)  # BAD
    """,
    "allow_dangerous_code_variable": """
        from langchain_experimental.agents import create_pandas_dataframe_agent
        agent = create_pandas_dataframe_agent(llm, df, allow_dangerous_code=args.unsafe)  # BAD
    """,
    "requests_toolkit": """
        from langchain_community.agent_toolkits.openapi.toolkit import RequestsToolkit
        from langchain_community.utilities.requests import TextRequestsWrapper
        toolkit = RequestsToolkit(requests_wrapper=TextRequestsWrapper(headers={}), allow_dangerous_requests=True)  # BAD
    """,
    "load_tools_terminal": """
        from langchain.agents import load_tools
        tools = load_tools(["serpapi", "terminal"], llm=llm, allow_dangerous_tools=True)  # BAD
    """,
    "load_tools_python_repl": """
        from langchain.agents import load_tools
        tools = load_tools(  # BAD
            ["python_repl", "llm-math"],
            llm=llm,
        )
    """,
    "pal_chain_old": """
        from langchain.chains import PALChain
        pal_chain = PALChain.from_math_prompt(llm, verbose=True)  # BAD
    """,
    "pal_chain_experimental_opt_in": """
        from langchain_experimental.pal_chain import PALChain
        pal = PALChain.from_math_prompt(llm, allow_dangerous_code=True)  # BAD
    """,
    "llm_math_chain_top_level_import": """
        from langchain import OpenAI, LLMMathChain
        llm_math = LLMMathChain(llm=OpenAI(temperature=0))  # BAD
    """,
    "llm_math_chain_pinned_old": """
        # requirements: langchain==0.0.64
        from langchain.chains import LLMMathChain
        chain = LLMMathChain.from_llm(llm)  # BAD
    """,
    "llm_bash_chain": """
        from langchain_experimental.llm_bash.base import LLMBashChain
        bash_chain = LLMBashChain.from_llm(llm, verbose=True)  # BAD
    """,
    "smolagents_star_imports": """
        from smolagents import CodeAgent, InferenceClientModel
        agent = CodeAgent(tools=[], model=InferenceClientModel(), additional_authorized_imports=["*"])  # BAD
    """,
    "smolagents_star_imports_constant": """
        from smolagents import CodeAgent, LiteLLMModel
        IMPORTS = ["numpy", "*"]
        agent = CodeAgent(  # BAD
            tools=[],
            model=LiteLLMModel("gpt-4o"),
            additional_authorized_imports=IMPORTS,
        )
    """,
    "smolagents_local_executor": """
        from smolagents.local_python_executors import LocalPythonExecutor
        executor = LocalPythonExecutor(additional_authorized_imports=["*"])  # BAD
    """,
    "transformers_react_code_agent": """
        from transformers.agents import ReactCodeAgent, HfApiEngine
        agent = ReactCodeAgent(tools=[], llm_engine=HfApiEngine(), additional_authorized_imports=["*"])  # BAD
    """,
    "llamaindex_code_interpreter": """
        from llama_index.tools.code_interpreter import CodeInterpreterToolSpec
        from llama_index.core.agent import ReActAgent
        tools = CodeInterpreterToolSpec().to_tool_list()  # BAD
        agent = ReActAgent.from_tools(tools, llm=llm)
    """,
    "llamaindex_old_pandas_query_engine": """
        from llama_index.query_engine import PandasQueryEngine
        engine = PandasQueryEngine(df=df, verbose=True)  # BAD
    """,
}

ML702_NEGATIVES: dict[str, str] = {
    "safe_tools": """
        from langchain.agents import initialize_agent, load_tools
        from langchain_community.tools import DuckDuckGoSearchRun, WikipediaQueryRun
        tools = load_tools(["serpapi", "llm-math"], llm=llm)
        agent = initialize_agent([DuckDuckGoSearchRun()], llm)
    """,
    "pandas_agent_without_opt_in": """
        from langchain_experimental.agents import create_pandas_dataframe_agent
        agent = create_pandas_dataframe_agent(llm, df, allow_dangerous_code=False)
        other = create_pandas_dataframe_agent(llm, df)
    """,
    "import_only": """
        from langchain_experimental.tools import PythonREPLTool, ShellTool
        # PythonREPLTool() is mentioned here but never built
        doc = "ShellTool() gives an agent a shell"
    """,
    "smolagents_restricted_imports": """
        from smolagents import CodeAgent, HfApiModel
        agent = CodeAgent(tools=[], model=HfApiModel(), additional_authorized_imports=["numpy", "pandas"])
    """,
    "new_llm_math_chain": """
        from langchain.chains import LLMMathChain
        chain = LLMMathChain.from_llm(llm)
    """,
    "experimental_pandas_query_engine": """
        from llama_index.experimental.query_engine import PandasQueryEngine
        engine = PandasQueryEngine(df=df)
    """,
    "own_shell_tool_class": """
        from langchain_core.tools import BaseTool
        class ShellTool(BaseTool):
            name: str = "echo"
        t = ShellTool()
    """,
}

ML703_CASES: dict[str, str] = {
    "faiss_load_local": """
        from langchain_community.vectorstores import FAISS
        from langchain_huggingface import HuggingFaceEmbeddings
        vs = FAISS.load_local("index", HuggingFaceEmbeddings(), allow_dangerous_deserialization=True)  # BAD
    """,
    "faiss_multiline_variable": """
        from langchain_community.vectorstores import FAISS
        trust = os.environ.get("TRUST_INDEX") == "1"
        store = FAISS.load_local(  # BAD
            folder_path="vectorstore",
            embeddings=emb,
            allow_dangerous_deserialization=trust,
        )
    """,
    "other_vector_stores": """
        from langchain_community.vectorstores import Annoy, SKLearnVectorStore
        a = Annoy.load_local("annoy", emb, allow_dangerous_deserialization=True)  # BAD
        s = SKLearnVectorStore(embedding=emb, persist_path="s.parquet", serializer="parquet", allow_dangerous_deserialization=1)  # BAD
    """,
    "kwargs_dict": """
        from langchain_community.vectorstores import FAISS
        load_kwargs = {"allow_dangerous_deserialization": True}  # BAD
        db = FAISS.load_local("idx", emb, **load_kwargs)
    """,
    "dict_call": """
        opts = dict(allow_dangerous_deserialization=True)  # BAD
    """,
    "no_imports_snippet": """
        db = FAISS.load_local("faiss_index", embeddings, allow_dangerous_deserialization=True)  # BAD
    """,
    "skops_trusted": """
        import skops.io as sio
        clf = sio.load("model.skops", trusted=True)  # BAD
    """,
}

ML703_NEGATIVES: dict[str, str] = {
    "literal_false": """
        from langchain_community.vectorstores import FAISS
        db = FAISS.load_local("idx", emb, allow_dangerous_deserialization=False)
        cfg = {"allow_dangerous_deserialization": False}
    """,
    "absent": """
        from langchain_community.vectorstores import FAISS
        db = FAISS.from_documents(docs, emb)
        db.save_local("idx")
    """,
    "mentioned_in_string": """
        NOTE = "never pass allow_dangerous_deserialization=True"
    """,
    "skops_trusted_list": """
        import skops.io as sio
        unknown = sio.get_untrusted_types(file="model.skops")
        clf = sio.load("model.skops", trusted=["sklearn.tree.DecisionTreeClassifier"])
    """,
    "unrelated_trusted_keyword": """
        session = make_session(trusted=True)
    """,
}


@pytest.mark.parametrize("name", sorted(ML702_CASES))
def test_ml702_fires(name: str) -> None:
    code = ML702_CASES[name]
    assert lines(code, "ML702") == marked(code)


@pytest.mark.parametrize("name", sorted(ML702_NEGATIVES))
def test_ml702_silent(name: str) -> None:
    assert lines(ML702_NEGATIVES[name], "ML702") == set()


@pytest.mark.parametrize("name", sorted(ML703_CASES))
def test_ml703_fires(name: str) -> None:
    code = ML703_CASES[name]
    assert lines(code, "ML703") == marked(code)


@pytest.mark.parametrize("name", sorted(ML703_NEGATIVES))
def test_ml703_silent(name: str) -> None:
    assert lines(ML703_NEGATIVES[name], "ML703") == set()


def test_ml702_messages() -> None:
    code = textwrap.dedent(ML702_CASES["csv_agent_allow_dangerous_code"])
    (f,) = check_code(code, select=["ML702"])
    assert f.message.startswith("create_csv_agent(..., allow_dangerous_code=True)")
    assert f.severity == "error" and f.name == "dangerous-agent-tool"
    code = textwrap.dedent(ML702_CASES["shell_tool"])
    (f,) = check_code(code, select=["ML702"])
    assert f.message == "ShellTool gives an agent a shell"


def test_ml703_message_shows_variable() -> None:
    code = textwrap.dedent(ML703_CASES["faiss_multiline_variable"])
    (f,) = check_code(code, select=["ML703"])
    assert f.message.startswith("FAISS.load_local(..., allow_dangerous_deserialization=trust)")
    assert f.name == "dangerous-deserialization-flag"
    assert (f.line, f.column) == (4, 9)  # the call, where a suppression comment goes


CUSTOM_TOOLS: dict[str, str] = {
    "langchain_tool_decorator_exec": """
        from langchain_core.tools import tool

        @tool
        def run_python(code: str) -> str:  # BAD
            \"\"\"Run Python code and return what it printed.\"\"\"
            import io, contextlib
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                exec(code)
            return buf.getvalue()
    """,
    "langchain_tool_with_name_shell": """
        import subprocess
        from langchain.tools import tool

        @tool("terminal", return_direct=False)
        def terminal(command: str) -> str:  # BAD
            \"\"\"Run a shell command.\"\"\"
            return subprocess.run(command, shell=True, capture_output=True, text=True).stdout
    """,
    "tool_wrapper_func": """
        import os
        from langchain.agents import Tool

        def shell(cmd):  # BAD
            return os.popen(f"{cmd} 2>&1").read()

        tools = [Tool(name="shell", func=shell, description="run a command")]
    """,
    "structured_tool_from_function": """
        import subprocess, shlex
        from langchain_core.tools import StructuredTool

        def run(command: str) -> str:  # BAD
            return subprocess.check_output(shlex.split(command)).decode()

        shell_tool = StructuredTool.from_function(run)
    """,
    "llamaindex_function_tool": """
        from llama_index.core.tools import FunctionTool

        def calculate(expression: str) -> float:  # BAD
            return eval(expression)

        calc = FunctionTool.from_defaults(fn=calculate)
    """,
    "smolagents_tool": """
        from smolagents import tool
        import subprocess

        @tool
        def bash(script: str) -> str:  # BAD
            \"\"\"Runs a bash script.

            Args:
                script: the script
            \"\"\"
            return subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout
    """,
}

CUSTOM_TOOL_NEGATIVES: dict[str, str] = {
    "tool_with_allowlist": """
        import subprocess
        from langchain_core.tools import tool

        @tool
        def git(sub: str) -> str:
            \"\"\"Run a read-only git command.\"\"\"
            return subprocess.run(["git", "status"], capture_output=True, text=True).stdout
    """,
    "tool_safe_math": """
        import ast
        from langchain_core.tools import tool

        @tool
        def calc(expr: str) -> str:
            \"\"\"Evaluate a literal.\"\"\"
            return str(ast.literal_eval(expr))
    """,
    "not_a_tool": """
        import subprocess
        from langchain_openai import ChatOpenAI

        def run(cmd):
            return subprocess.run(cmd, shell=True)
    """,
    "tool_passes_argument_as_data": """
        import subprocess
        from langchain_core.tools import tool

        @tool
        def say(text: str) -> None:
            \"\"\"Speak text.\"\"\"
            subprocess.run(["say", text])
    """,
}


@pytest.mark.parametrize("name", sorted(CUSTOM_TOOLS))
def test_custom_exec_tools(name: str) -> None:
    code = CUSTOM_TOOLS[name]
    assert lines(code, "ML702") == marked(code)


@pytest.mark.parametrize("name", sorted(CUSTOM_TOOL_NEGATIVES))
def test_custom_tools_silent(name: str) -> None:
    assert lines(CUSTOM_TOOL_NEGATIVES[name], "ML702") == set()


def test_custom_tool_message() -> None:
    code = textwrap.dedent(CUSTOM_TOOLS["llamaindex_function_tool"])
    (f,) = check_code(code, select=["ML702"])
    assert f.message == (
        "tool calculate() passes its argument to eval() (line 5): the agent gets unrestricted "
        "Python execution"
    )
