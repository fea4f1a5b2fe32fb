"""LLM-application safety: model output executed (ML701), agents given code or shell
execution (ML702), pickle-loading opt-outs in vector stores and loaders (ML703)."""

from __future__ import annotations

import ast

from mlvet.registry import Rule
from mlvet.rules.base import CallSite, Checker, Context
from mlvet.rules.llm_agents import DangerousAgentToolChecker, DangerousDeserializationChecker
from mlvet.rules.llm_catalog import (
    KIND_METHODS,
    LANGCHAIN,
    LI_LLM,
    LLM_RECEIVER,
    MODEL_URL,
    kind_of_callable,
)
from mlvet.rules.llm_prefilter import gate
from mlvet.rules.llm_tools import CustomExecToolChecker

_OWASP_LLM = "https://genai.owasp.org/llmrisk/llm052025-improper-output-handling/"
_OWASP_AGENCY = "https://genai.owasp.org/llmrisk/llm062025-excessive-agency/"

RULES: list[Rule] = [
    Rule(
        code="ML701",
        name="llm-output-executed",
        severity="error",
        summary="text from a language-model call reaches exec/eval/shell/SQL/pickle in the same scope",
        what=(
            "Follows the output of a language-model call (OpenAI and Azure OpenAI clients, "
            "Anthropic, litellm, Ollama, Hugging Face `pipeline` and `InferenceClient`, "
            "`model.generate` decoded by a tokenizer, LangChain models and chains, LlamaIndex "
            "query engines and agents, Gemini, vLLM, raw HTTP posts to a model API) through "
            "assignments, attribute and subscript access, f-strings, `.format`, concatenation, "
            "`json.loads`, lambdas (`map(lambda c: run(c), cmds)` too) and helpers in the "
            "same file (helpers that return model text, and helpers that run their argument; "
            "a nested function sees the clients of the one enclosing it; names from "
            "`from m import *` of known modules resolve), and reports "
            "when it reaches `exec`, `eval`, `compile`, `subprocess`, `os.system`/`os.popen`/"
            "`os.exec*`, `pickle.loads`, SQL execution (`cursor.execute`, `executescript`, "
            "SQLAlchemy `text()`, `pandas.read_sql`, LangChain `SQLDatabase.run`), "
            "`importlib.import_module`, `get_ipython().run_cell`, or a `.py` file that is then "
            "imported or run. Output passed through `ast.literal_eval`, validated "
            "into a pydantic schema, checked against an allowlist in an `if` that guards the "
            "sink, or passed to SQL as parameters is not reported."
        ),
        why=(
            "Model output is attacker-controlled: a prompt injection in a document, web page "
            "or user message decides what the model writes. Executing it as code, a shell "
            "command or SQL gives that attacker remote code execution or the database."
        ),
        bad=(
            "from openai import OpenAI\n"
            "import subprocess\n"
            "\n"
            "client = OpenAI()\n"
            "\n"
            "def run_task(task):\n"
            "    resp = client.chat.completions.create(\n"
            '        model="gpt-4o", messages=[{"role": "user", "content": task}]\n'
            "    )\n"
            "    cmd = resp.choices[0].message.content\n"
            "    subprocess.run(cmd, shell=True)\n"
        ),
        good=(
            "from openai import OpenAI\n"
            "import subprocess\n"
            "\n"
            "client = OpenAI()\n"
            'ALLOWED = {"git status": ["git", "status"], "ls": ["ls", "-la"]}\n'
            "\n"
            "def run_task(task):\n"
            "    resp = client.chat.completions.create(\n"
            '        model="gpt-4o", messages=[{"role": "user", "content": task}]\n'
            "    )\n"
            "    cmd = resp.choices[0].message.content.strip()\n"
            "    if cmd in ALLOWED:\n"
            "        subprocess.run(ALLOWED[cmd])\n"
        ),
        fix=(
            "Never execute model output: parse it with ast.literal_eval or into a validated "
            "schema, check it against an allowlist, pass SQL values as parameters, or run "
            "generated code in a real sandbox."
        ),
        references=(
            _OWASP_LLM,
            "https://cwe.mitre.org/data/definitions/94.html",
            "https://cwe.mitre.org/data/definitions/78.html",
            "https://cwe.mitre.org/data/definitions/89.html",
        ),
        security_severity=9.3,
        tags=("security", "llm"),
    ),
    Rule(
        code="ML702",
        name="dangerous-agent-tool",
        severity="error",
        summary="an agent or chain is given unrestricted Python or shell execution",
        what=(
            "Flags agents and chains that run model-written code or commands: LangChain "
            "`PythonREPLTool`, `PythonAstREPLTool`, `PythonREPL`, `ShellTool`, `LLMBashChain`, "
            '`create_python_agent`, `load_tools(["python_repl"/"terminal"])`, '
            "`allow_dangerous_code=True` (pandas/CSV/Spark dataframe agents, PALChain), "
            "`allow_dangerous_requests=True`, `allow_dangerous_tools=True`, `PALChain` and "
            "`LLMMathChain` from langchain 0.0.x, LlamaIndex `CodeInterpreterToolSpec` and "
            "the pre-0.10 `PandasQueryEngine`, and smolagents / transformers agents or local "
            'Python executors with `additional_authorized_imports=["*"]` (or a module that '
            "runs processes or code: `subprocess`, `pty`, `ctypes`, `runpy`, `builtins`, "
            "`importlib`, `code`; `os` is not reported: smolagents blocks `os.system` and "
            "`os.popen`, and `os` is mostly authorised for paths); and hand-written "
            "tools (`@tool`, `Tool(func=...)`, `StructuredTool.from_function`, "
            "`FunctionTool.from_defaults`) that pass their argument to exec/eval or a shell. "
            "A flag forwarded under its own name (`allow_dangerous_code=allow_dangerous_code`, "
            '`=self.allow_dangerous_code`, `=cfg.get("allow_dangerous_code")`) is the '
            "caller's choice: the wrapper is not reported, the call that sets it is."
        ),
        why=(
            "An agent's input includes text an attacker can influence (documents, web pages, "
            "tool results). With a Python REPL or a shell among its tools, a prompt injection "
            "becomes code execution on the machine that runs the agent."
        ),
        bad=(
            "from langchain.agents import AgentType, initialize_agent\n"
            "from langchain_experimental.tools import PythonREPLTool\n"
            "from langchain_openai import ChatOpenAI\n"
            "\n"
            'llm = ChatOpenAI(model="gpt-4o")\n'
            "agent = initialize_agent([PythonREPLTool()], llm, agent=AgentType.ZERO_SHOT_REACT_DESCRIPTION)\n"
        ),
        good=(
            "from langchain.agents import AgentType, initialize_agent\n"
            "from langchain_community.tools import DuckDuckGoSearchRun\n"
            "from langchain_openai import ChatOpenAI\n"
            "\n"
            'llm = ChatOpenAI(model="gpt-4o")\n'
            "agent = initialize_agent([DuckDuckGoSearchRun()], llm, agent=AgentType.ZERO_SHOT_REACT_DESCRIPTION)\n"
        ),
        fix=(
            "Give agents narrow tools with validated arguments; if code must run, run it in "
            "a sandbox (container, E2B, Docker executor) with no credentials or network."
        ),
        references=(
            _OWASP_AGENCY,
            "https://python.langchain.com/docs/security/",
            "https://nvd.nist.gov/vuln/detail/CVE-2023-29374",
            "https://huggingface.co/docs/smolagents/tutorials/secure_code_execution",
        ),
        security_severity=8.8,
        tags=("security", "llm"),
    ),
    Rule(
        code="ML703",
        name="dangerous-deserialization-flag",
        severity="error",
        summary="`allow_dangerous_deserialization=True` and similar opt-outs that unpickle files",
        what=(
            "Flags `allow_dangerous_deserialization=` (LangChain `FAISS.load_local`, Annoy, "
            "ScaNN, SKLearnVectorStore and other stores) and `allow_unsafe_deserialization=` "
            "set to anything but a literal `False`, also inside a keyword dict, and "
            "`skops.io.load(..., trusted=True)`. A flag forwarded under its own name "
            "(`allow_dangerous_deserialization=allow_dangerous_deserialization`, "
            "`=self.allow_dangerous_deserialization`, `=data.get(...)` of that key) is a "
            "wrapper passing its caller's choice on and is not reported; the caller is."
        ),
        why=(
            "These flags switch on pickle loading of index or store files. Whoever can "
            "replace the file (a shared drive, a downloaded index, a model hub) runs code in "
            "your process. A variable may be True at run time, so only a literal False is safe."
        ),
        bad=(
            "from langchain_community.vectorstores import FAISS\n"
            "from langchain_openai import OpenAIEmbeddings\n"
            "\n"
            'db = FAISS.load_local("faiss_index", OpenAIEmbeddings(), allow_dangerous_deserialization=True)\n'
        ),
        good=(
            "from langchain_chroma import Chroma\n"
            "from langchain_openai import OpenAIEmbeddings\n"
            "\n"
            'db = Chroma(persist_directory="chroma_db", embedding_function=OpenAIEmbeddings())\n'
        ),
        fix=(
            "Load only indexes you built yourself from a location nobody else can write, or "
            "use a store that persists without pickle; never enable the flag for downloaded files."
        ),
        references=(
            "https://python.langchain.com/docs/security/",
            "https://cwe.mitre.org/data/definitions/502.html",
        ),
        security_severity=8.1,
        tags=("security", "llm"),
    ),
]


class LLMOutputExecutedChecker(Checker):
    """ML701: one data-flow pass per scope, run after the shared walk (imports known).

    The shared walk only notes whether the file can hold a model call at all; files
    that cannot (an ML script that imports transformers and never generates text) are
    not analysed further.
    """

    codes = ("ML701",)
    # An LLM-library import and a sink word; or a model API's URL (raw HTTP clients).
    pattern = gate(
        "ML701",
        need_sink=True,
        need_source=True,
        extra=(
            r"https?://[^\s\"']*(?:/chat/completions|/v1/completions|/v1/messages|/api/generate"
            r"|/api/chat|api\.openai\.com|api\.anthropic\.com|generativelanguage\.googleapis)",
        ),
    )
    node_types = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._calls: set[str] = set()
        self._llm_receiver = False
        from mlvet.rules.llm_flow import FileIndex  # the data-flow code loads only when needed

        self._index = FileIndex(ctx)

    def on_node(self, node: ast.AST) -> None:
        self._index.add_node(
            node, self.ctx.stack[-1] if self.ctx.stack else None, self.ctx.function
        )

    def on_call(self, call: CallSite) -> None:
        self._index.add_call(call.node, call.qualname, self.ctx.function)
        if call.name in _CANDIDATE_CALLS:
            self._calls.add(call.name)
        elif call.name == "pipeline" and call.qualname == "transformers.pipeline":
            self._calls.add("create")  # `transformers.pipeline(...)` builds a text source
        elif call.name in _MODEL_METHODS and not self._llm_receiver:
            func = call.node.func
            receiver = func.value if isinstance(func, ast.Attribute) else None
            rname = (
                receiver.attr
                if isinstance(receiver, ast.Attribute)
                else getattr(receiver, "id", "")
            )
            self._llm_receiver = bool(LLM_RECEIVER.match(rname))

    def _may_call_a_model(self) -> bool:
        if self._llm_receiver or self._calls & _DIRECT_SOURCES:
            return True
        if "generate" in self._calls and self._calls & {"decode", "batch_decode"}:
            return True
        if "post" in self._calls and MODEL_URL.search(self.ctx.source.text):
            return True
        if any(
            m.split(".")[0] in _SOURCE_MODULES or m.startswith(("langchain", "llama_index"))
            for m in self._index.star_modules
        ):
            return True  # `from langchain_openai import *`: its names are bare here
        return any(
            v.split(".")[0] in _SOURCE_MODULES
            or v.startswith(("google.genai", "google.generativeai"))
            or kind_of_callable(v) is not None
            for v in self.ctx.aliases.values()
        )

    def finish(self) -> None:
        if not self.ctx.enabled("ML701") or not self._may_call_a_model():
            return
        from mlvet.rules.llm_flow import FileFlow

        def report(node: ast.AST, message: str, fix: str) -> None:
            self.ctx.report("ML701", node, message, fix)

        try:
            FileFlow(self.ctx, report, self._index).run()
        except RecursionError:
            # Expressions nested deeper than the data flow can follow (machine-written
            # code): stay silent rather than fail a file the shared walk could read.
            return


_DIRECT_SOURCES = frozenset(
    {
        "create",
        "parse",
        "generate_content",
        "generate_content_async",
        "as_query_engine",
        "as_chat_engine",
    }
)
_CANDIDATE_CALLS = _DIRECT_SOURCES | {"generate", "decode", "batch_decode", "post"}
_MODEL_METHODS = KIND_METHODS[LANGCHAIN] | KIND_METHODS[LI_LLM]
# Importing any of these is enough to look for model calls (transformers is not: most of its
# users train models; they count through `pipeline` or `generate` + `decode`; nor are
# LangChain and LlamaIndex, whose prompts, parsers and stores make no text: they count
# through a model or chain class, a factory, an `llm`-named receiver or `as_query_engine`).
_SOURCE_MODULES = frozenset(
    {
        "openai",
        "anthropic",
        "litellm",
        "ollama",
        "replicate",
        "mlx_lm",
        "llama_cpp",
        "gpt4all",
        "dspy",
        "vllm",
        "cohere",
        "mistralai",
        "groq",
        "together",
        "huggingface_hub",
        "vertexai",
    }
)


CHECKERS: list[type[Checker]] = [
    LLMOutputExecutedChecker,
    DangerousAgentToolChecker,
    DangerousDeserializationChecker,
    CustomExecToolChecker,
]
