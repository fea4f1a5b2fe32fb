"""Cheap text gates for the LLM rules: decide, without parsing, whether a file can match.

Regex alternations without a common literal prefix cost a charset test at every
position; a few regexes that each start with a literal ("import", "from", "allow_") let
the regex engine jump between occurrences instead. The gate object offers the one method
the engine calls (`search`) and is shared by the LLM checkers through a one-file memo.
"""

from __future__ import annotations

import re
from typing import cast

from mlvet.rules.llm_catalog import MODEL_URL
from mlvet.rules.ml2_gates_smells import CodeText, doctest_at, line_start

# Modules whose import makes a file an LLM application (or an agent framework).
_LLM_MODULES = (
    r"(openai|anthropic|litellm|ollama|transformers|huggingface_hub|langchain\w*|llama_index"
    r"|vllm|google|vertexai|mistralai|cohere|groq|together|smolagents|llama_cpp|gpt4all|dspy"
    r"|replicate|mlx_lm)\b"
)
_IMPORT = re.compile(r"import[ \t]+(?:[\w.]+[ \t]*,[ \t]*)*" + _LLM_MODULES)
_FROM = re.compile(r"from[ \t]+" + _LLM_MODULES)

# Anything that can run text: code, shell, SQL, pickle, dynamic import, a written .py file.
# Plain substring tests: far cheaper than one regex alternation over the whole text.
_SINK_LITERALS = (
    "subprocess",
    "system(",
    "popen(",
    "spawn",
    "execute",
    "os.exec",
    "execv",
    "execl",
    "read_sql",
    "import_module",
    "__import__",
    "pickle",
    "marshal",
    "dill",
    "sqlalchemy",
    "sqlmodel",
    "duckdb",
    "run_path",
    "builtins",
    "get_ipython",
)
# `spark.sql(q)`, `db.run(q)` (a SQLDatabase), with any spacing; `os.system (cmd)`.
_SQL_OR_RUN = re.compile(r"\.\s*(?:sql|run)\s*\(")
_SPACED_SHELL = re.compile(r"(?:system|popen)\s+\(")
# A model's text written to a .py file counts only where something is written at all:
# ".py" alone is in most library files (comments, docstrings naming scripts).
_PY_FILE = (".py", "write")
# `model.eval()` and `torch.compile(...)` are everywhere in ML code: only bare calls count
# (`exec(`, `exec (`).
_BARE_CALLS = tuple(re.compile(word + r"\s*\(") for word in ("exec", "eval", "compile"))


def has_sink_word(text: str) -> bool:
    if any(word in text for word in _SINK_LITERALS):
        return True
    if ("sql" in text or "run" in text) and _SQL_OR_RUN.search(text):
        return True
    if ("system" in text or "popen" in text) and _SPACED_SHELL.search(text):
        return True
    if all(word in text for word in _PY_FILE):
        return True
    for call in _BARE_CALLS:
        for m in call.finditer(text):
            i = m.start()
            before = text[i - 1] if i else " "
            if before != "." and before != "_" and not before.isalnum():
                return True
    return False


_last: list[object] = [None, frozenset()]


def imported_llm_libraries(text: str) -> frozenset[str]:
    """Top-level LLM/agent modules the text imports (memoised for the current file)."""
    if _last[0] is text:
        return _last[1]  # type: ignore[return-value]
    found = frozenset(
        m.group(1).split("_")[0] if m.group(1).startswith("langchain") else m.group(1)
        for pattern in (_IMPORT, _FROM)
        for m in pattern.finditer(text)
        if _statement_start(text, m.start())
    )
    _last[0], _last[1] = text, found
    return found


def _statement_start(text: str, pos: int) -> bool:
    """Whether `pos` begins a statement: only indentation (or `try:`, `x = 1;`) before it
    on its line. Imports in doctests (`>>> from transformers import ...`), comments and
    prose are not imports of the file."""
    j = pos
    while j > 0 and text[j - 1] in " \t\r\f\v":
        j -= 1
    return j == 0 or text[j - 1] in "\n:;"


# Libraries most of whose importers never call a language model (they train or download
# models): the file must also name one of these before the data flow is worth running.
# (transformers makes text through `pipeline`, and through `generate` + `decode`, which
# needs no import at all: see `_source_without_import`.)
_WEAK_SOURCES: dict[str, tuple[str, ...]] = {
    "transformers": ("pipeline",),
    "huggingface_hub": ("InferenceClient",),
    "google": ("genai", "generativeai"),
}


def names_a_source(found: frozenset[str], text: str) -> bool:
    """Whether the imported libraries, and the text, can produce model output at all."""
    if not found.issubset(_WEAK_SOURCES):
        return True
    if "transformers" in found and "pipeline" in text and _hf_pipeline(text):
        return True
    return any(word in text for lib in found - {"transformers"} for word in _WEAK_SOURCES[lib])


_IMPORT_STATEMENT = re.compile(r"import[ \t]+(?:\([^)]{0,2000}\)|[^\n]{0,500})")
_MODULE_ALIAS = re.compile(r"import[ \t]+transformers[ \t]+as[ \t]+(\w+)")


def _hf_pipeline(text: str) -> bool:
    """`transformers.pipeline` as the data flow resolves it: imported from transformers
    (by name, under another, or with `*`), or an attribute of transformers (a
    conventional name) or of a name transformers is imported as."""
    modules = ["transformers"]
    for m in _IMPORT_STATEMENT.finditer(text):
        start = max(line_start(text, m.start()), m.start() - 300)
        statement = text[start : m.end()]
        if "transformers" not in statement or not _statement_start(
            text, start + (len(statement) - len(statement.lstrip()))
        ):
            continue
        if statement.lstrip().startswith("from") and ("pipeline" in statement or "*" in statement):
            return True
        modules.extend(_MODULE_ALIAS.findall(statement))
    for module in modules:
        for m in re.finditer(re.escape(module) + r"\s*\.\s*pipeline\b", text):
            before = text[m.start() - 1 : m.start()]
            if not (before.isalnum() or before in "_.") and not doctest_at(text, m.start()):
                return True
    return False


# Model calls the data flow finds without any import: a client passed in as a parameter
# (`client.chat.completions.create`, `model.generate_content`, `index.as_query_engine()`),
# ids from `.generate(` decoded by `.decode(` (in code: library docstrings show both), a
# raw HTTP post (requests, httpx, `session.post`) to a model API's URL.
_CHAT_COMPLETIONS = re.compile(r"chat\s*\.\s*completions\s*\.\s*(?:create|parse)\b")
_GENERATE_CALL = re.compile(r"generate\s*\(")
_DECODE_CALL = re.compile(r"decode\s*\(")


def _source_without_import(text: str, posts: bool) -> bool:
    if "generate" in text:
        if "generate_content" in text:
            return True
        if _generate_and_decode(text):
            return True
    if "completions" in text and _CHAT_COMPLETIONS.search(text):
        return True
    if "pipeline" in text and "transformers" in text and _hf_pipeline(text):
        return True  # `transformers.pipeline(...)`: a conventional name, no import needed
    if "_engine" in text and ("as_query_engine" in text or "as_chat_engine" in text):
        return True
    if posts:
        # MODEL_URL (an alternation the regex engine tries at every position) runs only
        # where one of its literals occurs.
        return any(w in text for w in _MODEL_URL_WORDS) and MODEL_URL.search(text) is not None
    return False


# What every match of llm_catalog.MODEL_URL holds.
_MODEL_URL_WORDS = (
    "/v1/",
    "/chat/completions",
    "api.openai",
    "api.anthropic",
    "/api/",
    "generativelanguage",
    "openai.azure",
)


def _posts(text: str) -> bool:
    """Whether the text may post over HTTP: llm_catalog.HTTP_POSTS (`requests.post`,
    `requests.request`, `httpx.post`, under any name they are imported as) or a
    `session.post(...)`."""
    return "request" in text or ".post" in text or "httpx" in text


def _generate_and_decode(text: str) -> bool:
    generate = [m.start() for m in _GENERATE_CALL.finditer(text) if _method_at(text, m.start())]
    if not generate:
        return False
    decode = [m.start() for m in _DECODE_CALL.finditer(text) if _method_at(text, m.start())]
    if not decode:
        return False
    code = CodeText(text)
    return any(not code.in_string_or_comment(p) for p in generate) and any(
        not code.in_string_or_comment(p) for p in decode
    )


def _method_at(text: str, pos: int) -> bool:
    """Whether the name at `pos` is a method (`x.generate`, `x.batch_decode` also ends in
    `decode`), not on a doctest line."""
    before = pos
    while before > 0 and text[before - 1] in " \t":
        before -= 1
    if before == 0:
        return False
    c = text[before - 1]
    return (c == "." or c == "_") and not doctest_at(text, pos)


def makes_model_text(text: str, posts: bool) -> bool:
    """Whether the text may hold a call that ML701's data flow takes for model output
    (`posts`: whether it may post over HTTP)."""
    found = imported_llm_libraries(text)
    if found and names_a_source(found, text):
        return True
    return _source_without_import(text, posts)


class _Gate:
    """Duck-typed stand-in for a compiled pattern: `search(text)` is truthy when it may match."""

    def __init__(
        self,
        name: str,
        modules: frozenset[str] | None,
        need_sink: bool,
        words: tuple[str, ...],
        extra: tuple[re.Pattern[str], ...],
        require: tuple[str, ...] = (),
        names: tuple[str, ...] = (),
        need_source: bool = False,
    ) -> None:
        self.pattern = name
        self._need_source = need_source
        self._require = require
        self._names = names
        self.flags = 0
        self._modules = modules
        self._need_sink = need_sink
        self._words = words
        self._extra = extra

    def search(self, text: str, pos: int = 0, endpos: int = 2**63 - 1) -> bool:
        if self._require and not any(w in text for w in self._require):
            return False
        if self._need_source:
            # Model output, then something that runs it. A model API's URL (`extra`)
            # matters only where something posts to it.
            posts = _posts(text)
            if any(w in text for w in self._words) or (
                posts and any(p.search(text) for p in self._extra)
            ):
                return True
            return makes_model_text(text, posts) and (not self._need_sink or has_sink_word(text))
        if any(w in text for w in self._words) or any(p.search(text) for p in self._extra):
            return True
        if self._modules is not None and not self._modules:
            return False
        found = imported_llm_libraries(text)
        if not found or (self._modules is not None and not found & self._modules):
            return False
        if self._names and not any(n in text for n in self._names):
            return False
        return not self._need_sink or has_sink_word(text)


def gate(
    name: str,
    *,
    modules: tuple[str, ...] | None = None,
    need_sink: bool = False,
    words: tuple[str, ...] = (),
    extra: tuple[str, ...] = (),
    require: tuple[str, ...] = (),
    names: tuple[str, ...] = (),
    need_source: bool = False,
) -> re.Pattern[str]:
    """A prefilter for `Checker.pattern`: any of `words` (substrings) or `extra` regexes
    (each should start with a literal), or an import of one of `modules` (any LLM library
    when None; () for none), plus a sink word if asked. With `require`, one of those
    substrings must be present before anything else is looked at; with `names`, one of
    those must be present besides the import; with `need_source`, a library that can
    make model text (or, for transformers and the like, a word naming a source)."""
    compiled = tuple(re.compile(e) for e in extra)
    wanted = frozenset(modules) if modules is not None else None
    return cast(
        "re.Pattern[str]",
        _Gate(name, wanted, need_sink, words, compiled, require, names, need_source),
    )
