"""What the LLM rules know about libraries: client constructors, model-call methods, sinks.

Pure tables and small lookups on qualified names ("openai.OpenAI", "langchain_openai.ChatOpenAI");
the data-flow pass (llm_flow.py) asks these questions while it walks a scope.
"""

from __future__ import annotations

import re

# Object kinds the flow pass tracks on variables.
OPENAI = "openai"
ANTHROPIC = "anthropic"
OLLAMA = "ollama"
HF_INFERENCE = "hf-inference"
HF_PIPELINE = "hf-pipeline"
VLLM = "vllm"
GEMINI = "gemini"
MISTRAL = "mistral"
COHERE = "cohere"
AZURE_INFERENCE = "azure-inference"
LLAMA_CPP = "llama-cpp"
GPT4ALL = "gpt4all"
DSPY = "dspy"
LANGCHAIN = "langchain"
LC_VALIDATED = "langchain-structured"  # with_structured_output: schema-validated results
LI_LLM = "llamaindex-llm"
LI_ENGINE = "llamaindex-engine"
SQL_DATABASE = "sql-database"  # LangChain SQLDatabase: .run(sql) executes
PYTHON_REPL = "python-repl"  # LangChain PythonREPL: .run(code) executes
DB = "db"  # DB-API connection/cursor, SQLAlchemy engine/session, DuckDB

# Methods (dotted path after the object) that return model output, per kind.
KIND_METHODS: dict[str, frozenset[str]] = {
    OPENAI: frozenset(
        {
            "chat.completions.create",
            "chat.completions.parse",
            "beta.chat.completions.parse",
            "beta.chat.completions.stream",
            "chat.completions.stream",
            "completions.create",
            "responses.create",
            "responses.parse",
            "responses.stream",
        }
    ),
    ANTHROPIC: frozenset(
        {
            "messages.create",
            "messages.stream",
            "beta.messages.create",
            "completions.create",
        }
    ),
    OLLAMA: frozenset({"chat", "generate"}),
    HF_INFERENCE: frozenset(
        {
            "text_generation",
            "chat_completion",
            "chat.completions.create",
            "conversational",
        }
    ),
    VLLM: frozenset({"generate", "chat"}),
    GEMINI: frozenset(
        {
            "generate_content",
            "generate_content_async",
            "models.generate_content",
            "send_message",
            "aio.models.generate_content",
        }
    ),
    MISTRAL: frozenset({"chat.complete", "chat.complete_async", "chat.stream", "fim.complete"}),
    COHERE: frozenset({"chat", "generate"}),
    AZURE_INFERENCE: frozenset({"complete"}),
    LLAMA_CPP: frozenset({"create_completion", "create_chat_completion", "__call__"}),
    GPT4ALL: frozenset({"generate", "chat_completion"}),
    DSPY: frozenset({"__call__", "forward"}),
    LANGCHAIN: frozenset(
        {
            "invoke",
            "ainvoke",
            "predict",
            "apredict",
            "run",
            "arun",
            "stream",
            "astream",
            "batch",
            "abatch",
            "generate",
            "agenerate",
            "predict_messages",
            "call",
            "acall",
            "__call__",
        }
    ),
    LI_LLM: frozenset(
        {
            "complete",
            "acomplete",
            "chat",
            "achat",
            "stream_complete",
            "stream_chat",
            "predict",
        }
    ),
    LI_ENGINE: frozenset({"query", "aquery", "chat", "achat", "stream_chat"}),
}

# Kinds whose objects are called directly: generator(prompt), chain(inputs), llm(prompt).
CALLABLE_KINDS = frozenset({HF_PIPELINE, LANGCHAIN, LLAMA_CPP, DSPY})

# Methods on a kind that return another tracked object.
DERIVED: dict[str, dict[str, str]] = {
    LANGCHAIN: {
        "bind": LANGCHAIN,
        "bind_tools": LANGCHAIN,
        "with_retry": LANGCHAIN,
        "with_config": LANGCHAIN,
        "with_fallbacks": LANGCHAIN,
        "pipe": LANGCHAIN,
        "configurable_fields": LANGCHAIN,
        "configurable_alternatives": LANGCHAIN,
        "with_types": LANGCHAIN,
        "with_listeners": LANGCHAIN,
        "with_structured_output": LC_VALIDATED,
    },
    GEMINI: {"start_chat": GEMINI},
    DB: {"cursor": DB, "connect": DB, "begin": DB, "raw_connection": DB, "session": DB},
}

# Methods that turn any receiver into a query engine.
ENGINE_FACTORIES = frozenset({"as_query_engine", "as_chat_engine"})

# (top-level module, callable name) -> kind, for constructors and factories.
_CTORS: dict[tuple[str, str], str] = {
    **{
        ("openai", n): OPENAI
        for n in (
            "OpenAI",
            "AsyncOpenAI",
            "AzureOpenAI",
            "AsyncAzureOpenAI",
            "Client",
            "AsyncClient",
        )
    },
    **{
        ("anthropic", n): ANTHROPIC
        for n in (
            "Anthropic",
            "AsyncAnthropic",
            "AnthropicBedrock",
            "AsyncAnthropicBedrock",
            "AnthropicVertex",
            "AsyncAnthropicVertex",
            "Client",
            "AsyncClient",
        )
    },
    ("ollama", "Client"): OLLAMA,
    ("ollama", "AsyncClient"): OLLAMA,
    ("huggingface_hub", "InferenceClient"): HF_INFERENCE,
    ("huggingface_hub", "AsyncInferenceClient"): HF_INFERENCE,
    ("transformers", "pipeline"): HF_PIPELINE,
    ("vllm", "LLM"): VLLM,
    ("vertexai", "GenerativeModel"): GEMINI,
    ("mistralai", "Mistral"): MISTRAL,
    ("mistralai", "MistralClient"): COHERE,  # the 0.x client: .chat(...)
    ("llama_cpp", "Llama"): LLAMA_CPP,
    ("gpt4all", "GPT4All"): GPT4ALL,
    **{("dspy", n): DSPY for n in ("Predict", "ChainOfThought", "ReAct", "ProgramOfThought")},
    ("cohere", "Client"): COHERE,
    ("cohere", "ClientV2"): COHERE,
    ("groq", "Groq"): OPENAI,
    ("groq", "AsyncGroq"): OPENAI,
    ("together", "Together"): OPENAI,
    ("azure", "ChatCompletionsClient"): AZURE_INFERENCE,
    ("azure", "AzureOpenAI"): OPENAI,
    **{
        (m, "connect"): DB
        for m in (
            "sqlite3",
            "psycopg2",
            "psycopg",
            "pymysql",
            "MySQLdb",
            "mysql",
            "duckdb",
            "snowflake",
            "pyodbc",
            "cx_Oracle",
            "oracledb",
            "pymssql",
            "sqlalchemy",
        )
    },
    ("sqlite3", "Connection"): DB,
    ("sqlite3", "Cursor"): DB,
    ("sqlalchemy", "create_engine"): DB,
    ("sqlalchemy", "Session"): DB,
    ("sqlalchemy", "sessionmaker"): DB,
    ("sqlmodel", "create_engine"): DB,
    ("sqlmodel", "Session"): DB,
}

_GOOGLE = frozenset(
    {
        "google.genai.Client",
        "google.generativeai.GenerativeModel",
        "google.generativeai.generative_models.GenerativeModel",
    }
)

_LC_CLASS = re.compile(
    r"^(?:Chat[A-Z]\w*|\w*LLM\w*|OpenAI|AzureOpenAI|Anthropic|Ollama|Cohere|Replicate"
    r"|HuggingFace(?:Pipeline|Hub|Endpoint|TextGenInference)|VertexAI|Bedrock|LlamaCpp|GPT4All"
    r"|CTransformers|VLLM\w*|Together|Fireworks|MistralAI|GooglePalm|GoogleGenerativeAI"
    r"|\w*Chain|RetrievalQA"
    r"|AgentExecutor|BaseChatModel|BaseLanguageModel)$"
)
_LC_NOT_MODEL = re.compile(
    r"(?:Template|Parser|Message|History|Memory|Embeddings?|Loader|Splitter|Retriever|Store"
    r"|Tool|Toolkit|Callback\w*|Handler|Result|Generation|Cache)$"
)
_LC_FACTORY = re.compile(
    r"^(?:create_\w+_(?:chain|agent)|load_\w*chain|initialize_agent|init_chat_model)$"
)
# Class methods that build an instance of their class.
_CLASS_FACTORIES = frozenset(
    {
        "from_llm",
        "from_chain_type",
        "from_llm_and_tools",
        "from_agent_and_tools",
        "from_uri",
        "from_defaults",
        "from_model_id",
        "from_string",
        "from_url",
        "from_pretrained",
        "from_args",
        "from_tools",
    }
)


def _langchain(top: str) -> bool:
    return top == "langchain" or top.startswith("langchain_")


def kind_of_callable(qual: str | None) -> str | None:
    """The kind of object a call to `qual` returns (constructor or factory), if tracked."""
    if not qual:
        return None
    parts = qual.split(".")
    top, name = parts[0], parts[-1]
    if name in _CLASS_FACTORIES and len(parts) > 2:
        return kind_of_callable(".".join(parts[:-1]))
    if _langchain(top):
        if name == "SQLDatabase":
            return SQL_DATABASE
        if name == "PythonREPL":
            return PYTHON_REPL
        if _LC_FACTORY.match(name):
            return LANGCHAIN
        if _LC_CLASS.match(name) and not _LC_NOT_MODEL.search(name):
            return LANGCHAIN
        return None
    if top == "llama_index":
        if name.endswith(("QueryEngine", "ChatEngine", "Agent", "AgentRunner", "AgentWorker")):
            return LI_ENGINE
        if ".llms." in qual or name in {"LLM", "CustomLLM", "FunctionCallingLLM"}:
            return LI_LLM
        return None
    if top == "google":
        return GEMINI if qual in _GOOGLE else None
    return _CTORS.get((top, name))


# Module-level functions that return model output.
MODULE_SOURCES = frozenset(
    {
        "openai.chat.completions.create",
        "openai.completions.create",
        "openai.responses.create",
        "openai.Completion.create",
        "openai.Completion.acreate",
        "openai.ChatCompletion.create",
        "openai.ChatCompletion.acreate",
        "litellm.completion",
        "litellm.acompletion",
        "litellm.text_completion",
        "litellm.atext_completion",
        "ollama.chat",
        "ollama.generate",
        "anthropic.Anthropic.messages.create",
        "replicate.run",
        "mlx_lm.generate",
        "mlx_lm.stream_generate",
    }
)

# Attributes of a model response that are not model-written text: schema-validated
# objects, token counts, ids and bookkeeping.
VALIDATED_ATTRS = frozenset(
    {
        "parsed",
        "output_parsed",
        "usage",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "input_tokens",
        "output_tokens",
        "id",
        "model",
        "created",
        "finish_reason",
        "stop_reason",
        "role",
        "index",
        "logprobs",
        "system_fingerprint",
        "response_metadata",
        "usage_metadata",
    }
)

# Receivers named like a chat model, for helpers that take the model as a parameter.
LLM_RECEIVER = re.compile(r"(?i)^_?(?:llm|\w+_llm|llm_\w+|chat_model|chat_llm)$")

# ---- propagation -------------------------------------------------------------------------

# Functions whose result carries their arguments' text.
PROPAGATORS = frozenset(
    {
        "json.loads",
        "json.dumps",
        "textwrap.dedent",
        "textwrap.indent",
        "shlex.split",
        "shlex.join",
        "re.search",
        "re.match",
        "re.fullmatch",
        "re.findall",
        "re.finditer",
        "re.sub",
        "re.subn",
        "re.split",
        "base64.b64decode",
        "base64.urlsafe_b64decode",
        "base64.decodebytes",
        "base64.b85decode",
        "base64.a85decode",
        "base64.b32decode",
        "base64.standard_b64decode",
        "binascii.unhexlify",
        "binascii.a2b_base64",
        "codecs.decode",
        "html.unescape",
        "urllib.parse.unquote",
        "urllib.parse.unquote_plus",
        "yaml.safe_load",
        "yaml.load",
        "tomllib.loads",
        "tomli.loads",
        "io.BytesIO",
        "io.StringIO",
        "ast.parse",
        "ast.unparse",
        "zlib.decompress",
        "gzip.decompress",
        "bz2.decompress",
        "lzma.decompress",
        "typing.cast",
        "os.path.join",
        "pathlib.Path",
        "markdown.markdown",
        "os.fsencode",
        "os.fsdecode",
    }
)
BUILTIN_PROPAGATORS = frozenset(
    {
        "str",
        "bytes",
        "bytearray",
        "list",
        "tuple",
        "set",
        "frozenset",
        "dict",
        "sorted",
        "reversed",
        "next",
        "iter",
        "getattr",
        "format",
        "repr",
        "min",
        "max",
        "filter",
        "map",
        "zip",
        "enumerate",
    }
)
# Methods on any receiver whose result carries a text argument: TEMPLATE.format(code=out).
ARG_METHODS = frozenset(
    {
        "format",
        "format_map",
        "join",
        "replace",
        "search",
        "match",
        "fullmatch",
        "findall",
        "finditer",
        "sub",
        "subn",
        "substitute",
        "safe_substitute",
        "loads",
        "fromhex",
        "unhexlify",
        "b64decode",
        "safe_load",
    }
)

# Raw HTTP calls to a model API: requests.post("https://api.openai.com/v1/chat/completions")
HTTP_POSTS = frozenset(
    {
        "requests.post",
        "httpx.post",
        "requests.request",
        "httpx.AsyncClient.post",
    }
)
MODEL_URL = re.compile(
    r"/chat/completions|/v1/completions|/v1/messages|/v1/responses|api\.openai\.com"
    r"|api\.anthropic\.com|/api/generate|/api/chat|generativelanguage\.googleapis\.com"
    r"|/v1/chat|openai\.azure\.com"
)
# Methods on model text that return a verdict, not text.
VERDICT_METHODS = frozenset(
    {
        "startswith",
        "endswith",
        "isdigit",
        "isalpha",
        "isalnum",
        "isidentifier",
        "isspace",
        "isupper",
        "islower",
        "isdecimal",
        "isnumeric",
        "isascii",
        "isprintable",
        "istitle",
        "count",
        "find",
        "rfind",
        "index",
        "rindex",
        "__len__",
        "__contains__",
    }
)
# Methods that validate into a schema; their result is trusted.
VALIDATOR_METHODS = frozenset(
    {
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "parse_obj",
        "parse_raw",
        "validate_python",
        "validate_json",
        "validate_strings",
    }
)
# Mutating methods that put an argument into the receiver (list/dict/set).
MUTATORS = frozenset({"append", "extend", "insert", "add", "update", "appendleft", "setdefault"})
# Names a guard function may carry: if is_safe(cmd): ...
GUARD_NAME = re.compile(r"(?i)(?:safe|valid|allow|whitelist|permit|approve|trusted|sanit)")
GUARD_METHODS = frozenset(
    {
        "isidentifier",
        "isalnum",
        "isdigit",
        "isdecimal",
        "isnumeric",
        "isalpha",
    }
)
GUARD_FUNCS = frozenset({"re.fullmatch", "re.match"})

# ---- sinks -------------------------------------------------------------------------------

CODE = "code"
SHELL = "shell"
SQL = "sql"
PICKLE = "pickle"
IMPORT = "import"

FIXES: dict[str, str] = {
    CODE: "Never run model output as code: parse it with ast.literal_eval or json.loads into "
    "a validated schema, or run it in a real sandbox.",
    SHELL: "Never hand model output to a shell: map it onto an allowlist of commands and "
    "check it (`if cmd in ALLOWED:`) before running.",
    SQL: "Do not execute model-written SQL text: pass model values as query parameters, "
    "or check the statement against an allowlist on a read-only connection.",
    PICKLE: "Never unpickle model output; exchange data as JSON validated by a schema.",
    IMPORT: "Do not import modules named or written by a model; map output onto an "
    "allowlist of known modules.",
}

CODE_BUILTINS = frozenset({"exec", "eval", "compile"})
SHELL_STRING = frozenset(
    {
        "os.system",
        "os.popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "commands.getoutput",
        "os.popen2",
        "os.popen3",
        "os.popen4",
        "asyncio.create_subprocess_shell",
        "pty.spawn",
    }
)
SUBPROCESS = frozenset({"run", "call", "check_call", "check_output", "Popen"})
_OS_EXEC = re.compile(r"^os\.(?:exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?)$")
PICKLE_LOADS = frozenset(
    {
        f"{m}.{f}"
        for m in ("pickle", "cPickle", "_pickle", "dill", "cloudpickle", "marshal")
        for f in ("loads", "load")
    }
)
SQL_FUNCS = frozenset(
    {
        "pandas.read_sql",
        "pandas.read_sql_query",
        "pandas.io.sql.read_sql",
        "pandas.io.sql.read_sql_query",
        "duckdb.sql",
        "duckdb.query",
        "duckdb.execute",
        "polars.read_database",
    }
)
SQL_TEXT = frozenset(
    {
        "sqlalchemy.text",
        "sqlalchemy.sql.text",
        "sqlalchemy.sql.expression.text",
        "sqlmodel.text",
    }
)
IMPORT_FUNCS = frozenset({"importlib.import_module", "importlib.__import__"})
SQL_METHODS = frozenset({"execute", "executemany", "exec_driver_sql"})
DB_RECEIVER = re.compile(
    r"(?i)(?:^|_)(?:cur|curs|cursor|conn|con|cnx|connection|db|database|session|sess|engine"
    r"|sql|sqlite|duckdb|pg|mysql|postgres|spark|warehouse|bq|bigquery|snowflake)s?\d*(?:$|_)"
)
SHELLS = frozenset({"-c", "/c", "-Command", "-command", "-e"})
# Ways a file written earlier gets imported or run.
LOADERS = frozenset(
    {
        "importlib.import_module",
        "importlib.util.spec_from_file_location",
        "importlib.reload",
        "importlib.machinery.SourceFileLoader",
        "runpy.run_path",
        "runpy.run_module",
        "imp.load_source",
        "importlib.__import__",
    }
)


def is_os_exec(qual: str) -> bool:
    return _OS_EXEC.match(qual) is not None


def known_callable(qual: str) -> bool:
    """Whether the rules know `qual` as a sink, a model call or a client constructor."""
    last = qual.rsplit(".", 1)[-1]
    return (
        qual in MODULE_SOURCES
        or qual in SHELL_STRING
        or qual in PICKLE_LOADS
        or qual in SQL_FUNCS
        or qual in SQL_TEXT
        or qual in IMPORT_FUNCS
        or qual in CODE_QUALS
        or is_os_exec(qual)
        or (qual.startswith("subprocess.") and last in SUBPROCESS)
        or kind_of_callable(qual) is not None
    )


CODE_QUALS = frozenset({"builtins.exec", "builtins.eval", "builtins.compile"})
