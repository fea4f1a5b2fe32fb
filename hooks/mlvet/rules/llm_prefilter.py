"""Cheap text gates for the LLM rules: decide, without parsing, whether a file can match.

Regex alternations without a common literal prefix cost a charset test at every
position; regexes that start with a literal ("allow_") let the regex engine jump between
occurrences instead, and the import readers try theirs only where the word `import` is
(one substring pass, shared with the other gates). The gate object offers the one method
the engine calls (`search`) and is shared by the LLM checkers through a one-file memo.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import cast

from mlvet.rules.llm_catalog import MODEL_URL
from mlvet.rules.ml2_gates_smells import CodeText, doctest_at, line_start
from mlvet.rules.textgate import contains, import_matches, import_positions

# Modules whose import makes a file an LLM application (or an agent framework).
_LLM_MODULES = (
    r"(openai|anthropic|litellm|ollama|transformers|huggingface_hub|langchain\w*|llama_index"
    r"|vllm|google|vertexai|mistralai|cohere|groq|together|smolagents|llama_cpp|gpt4all|dspy"
    r"|replicate|mlx_lm)\b"
)
# Names imported before the one looked for: `import os, numpy as np, openai`.
_OTHER_NAMES = r"(?:[\w.]+(?:[ \t]+as[ \t]+\w+)?[ \t]*,[ \t]*)*"
# Both tried only near the word `import` (textgate.import_positions, shared by the gates):
# an import statement's names follow it, a from-import's module comes at most this far
# before it.
_IMPORT = re.compile(r"import[ \t]+" + _OTHER_NAMES + _LLM_MODULES)
_FROM = re.compile(r"from[ \t]+" + _LLM_MODULES)
_FROM_REACH = 1000

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
        # Only an `import` that starts a statement is tried: most are the `import` of a
        # from-import, or inside a longer word.
        for m in itertools.chain(
            import_matches(text, _IMPORT, where=_statement_start), _from_llm(text)
        )
    )
    _last[0], _last[1] = text, found
    return found


def _from_llm(text: str) -> Iterator[re.Match[str]]:
    """`from <LLM module>` starting a statement before each `import` (after the one
    before it): every from-import that parses has its `import` there, and its `from`
    is the last one there that starts a statement (its module's name holds no other)."""
    done = 0
    for pos in import_positions(text):
        low = max(done, pos - _FROM_REACH)
        done = pos
        p = text.rfind("from", low, pos)
        while p >= 0:
            if _statement_start(text, p):
                m = _FROM.match(text, p, pos)
                if m is not None:
                    yield m
                break
            p = text.rfind("from", low, p)


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
    """Whether the imported libraries, and the text, can produce model output at all
    (transformers through `pipeline`: see `_source_without_import`)."""
    if not found.issubset(_WEAK_SOURCES):
        return True
    return any(
        contains(text, word) for lib in found - {"transformers"} for word in _WEAK_SOURCES[lib]
    )


# After `from transformers`: the rest of the module name and the imported names (a
# parenthesised list, or the rest of the line). After `import transformers`: an alias.
_FROM_TRANSFORMERS_REST = re.compile(r"[\w.]*[ \t]+import[ \t]+(?:\([^)]{0,2000}\)|[^\n]{0,500})")
_ALIAS = re.compile(r"[ \t]+as[ \t]+(\w+)")
_DOT_PIPELINE = re.compile(r"\s*\.\s*pipeline\b")
# A from- or import-statement's start, up to the name after it (searched in one line).
_KEYWORD_BEFORE = re.compile(r"\b(from|import)[ \t]+" + _OTHER_NAMES + r"\Z")


def _hf_pipeline(text: str) -> bool:
    """`transformers.pipeline` as the data flow resolves it: imported from transformers
    (by name, under another, or with `*`), or an attribute of transformers (a
    conventional name) or of a name transformers is imported as."""
    aliases: list[str] = []
    for pos in _occurrences(text, "transformers"):
        end = pos + len("transformers")
        if _pipeline_attribute(text, pos, end):
            return True
        keyword = _keyword_before(text, pos)
        if keyword == "from":
            names = _FROM_TRANSFORMERS_REST.match(text, end)
            if names and ("pipeline" in names.group() or "*" in names.group()):
                return True
        elif keyword == "import" and (alias := _ALIAS.match(text, end)):
            aliases.append(alias.group(1))
    return any(
        _pipeline_attribute(text, pos, pos + len(alias))
        for alias in aliases
        for pos in _occurrences(text, alias)
    )


def _occurrences(text: str, word: str) -> Iterator[int]:
    """Where `word` starts as a name: not inside a longer name or after a dot."""
    pos = text.find(word)
    while pos >= 0:
        before = text[pos - 1] if pos else " "
        after = text[pos + len(word) : pos + len(word) + 1]
        if not (before.isalnum() or before in "_.") and not (after.isalnum() or after == "_"):
            yield pos
        pos = text.find(word, pos + len(word))


def _pipeline_attribute(text: str, pos: int, end: int) -> bool:
    """Whether the name at `pos:end` is followed by `.pipeline`, outside a doctest."""
    return _DOT_PIPELINE.match(text, end) is not None and not doctest_at(text, pos)


def _keyword_before(text: str, pos: int) -> str:
    """`from` or `import` when it starts the statement that names `pos`, else ""
    (looked for in the 300 characters before: a search from the start of a long line at
    each occurrence would make the whole quadratic)."""
    start = max(line_start(text, pos), pos - 300)
    head = _KEYWORD_BEFORE.search(text, start, pos)
    if head is None or not _statement_start(text, head.start()):
        return ""
    return head.group(1)


# Model calls the data flow finds without any import: a client passed in as a parameter
# (`client.chat.completions.create`, `model.generate_content`, `index.as_query_engine()`),
# ids from `.generate(` decoded by `.decode(` (in code: library docstrings show both), a
# raw HTTP post (requests, httpx, `session.post`) to a model API's URL.
_CHAT_COMPLETIONS = re.compile(r"chat\s*\.\s*completions\s*\.\s*(?:create|parse)\b")
_GENERATE = re.compile(r"generate(?:_content|\s*\()")
_DECODE_CALL = re.compile(r"decode\s*\(")


def _source_without_import(text: str) -> bool:
    if contains(text, "generate") and _generates_text(text):
        return True
    if contains(text, "completions") and _CHAT_COMPLETIONS.search(text):
        return True
    if contains(text, "transformers") and contains(text, "pipeline") and _hf_pipeline(text):
        return True  # `transformers.pipeline(...)`: a conventional name, no import needed
    return contains(text, "_engine") and (
        contains(text, "as_query_engine") or contains(text, "as_chat_engine")
    )


# llm_catalog.MODEL_URL is an alternation the regex engine tries at every position. Each
# of its URLs starts with one of these paths or is a host ending in ".com": MODEL_URL is
# tried only where such a path starts (a regex that starts with a literal), and a host is
# compared with the text before each ".com" (a substring search); same answer, far cheaper.
_URL_PATH = re.compile(r"/(?:chat|v1|api)(?=/)")
# The hosts, as plain text: a host ends at a ".com" of the text, so that text ends with it.
_MODEL_HOSTS = tuple(
    url.replace("\\.", ".") for url in MODEL_URL.pattern.split("|") if url.endswith("\\.com")
)


def names_model_url(text: str) -> bool:
    """Whether llm_catalog.MODEL_URL matches somewhere in the text."""
    for m in _URL_PATH.finditer(text):
        if MODEL_URL.match(text, m.start()):
            return True
    end = text.find(".com") + 4
    while end >= 4:
        if text.endswith(_MODEL_HOSTS, 0, end):
            return True
        end = text.find(".com", end) + 4
    return False


def _posts_to_model_url(text: str) -> bool:
    """Whether the text may post over HTTP to a model API's URL: llm_catalog.HTTP_POSTS
    (`requests.post`, `requests.request`, `httpx.post`, under any name they are imported
    as) or a `session.post(...)`, each of which names `post` or `request`."""
    return names_model_url(text) and (contains(text, "request") or contains(text, "post"))


def _generates_text(text: str) -> bool:
    """`x.generate_content(...)`, or `x.generate(...)` and `y.decode(...)` in code."""
    generate = []
    for m in _GENERATE.finditer(text):
        if m.group() == "generate_content":
            return True
        if _method_at(text, m.start()):
            generate.append(m.start())
    if not generate or not contains(text, "decode"):
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


def makes_model_text(text: str, model_url: bool) -> bool:
    """Whether the text may hold a call that ML701's data flow takes for model output
    (`model_url`: whether it posts to a model API's URL)."""
    found = imported_llm_libraries(text)
    if model_url or (found and names_a_source(found, text)):
        return True
    return _source_without_import(text)


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
        if self._require and not any(contains(text, w) for w in self._require):
            return False
        if self._need_source:
            # Model output, then something that runs it. A model API's URL (`extra`)
            # matters only where something posts to it.
            model_url = _posts_to_model_url(text)
            if any(contains(text, w) for w in self._words) or (
                model_url and any(p.search(text) for p in self._extra)
            ):
                return True
            return makes_model_text(text, model_url) and (
                not self._need_sink or has_sink_word(text)
            )
        if any(contains(text, w) for w in self._words) or any(p.search(text) for p in self._extra):
            return True
        if self._modules is not None and not self._modules:
            return False
        found = imported_llm_libraries(text)
        if not found or (self._modules is not None and not found & self._modules):
            return False
        if self._names and not any(contains(text, n) for n in self._names):
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
