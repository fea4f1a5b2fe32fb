"""Cheap text gates for the LLM rules: decide, without parsing, whether a file can match.

Regex alternations without a common literal prefix cost a charset test at every
position; a few regexes that each start with a literal ("import", "from", "allow_") let
the regex engine jump between occurrences instead. The gate object offers the one method
the engine calls (`search`) and is shared by the LLM checkers through a one-file memo.
"""

from __future__ import annotations

import re
from typing import cast

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
    ".sql(",
    "duckdb",
    ".run(",
    "run_path",
    "builtins",
    "get_ipython",
)
# A model's text written to a .py file counts only where something is written at all:
# ".py" alone is in most library files (comments, docstrings naming scripts).
_PY_FILE = (".py", "write")
# `model.eval()` and `torch.compile(...)` are everywhere in ML code: only bare calls count.
_BARE_CALLS = ("exec(", "eval(", "compile(")


def has_sink_word(text: str) -> bool:
    if any(word in text for word in _SINK_LITERALS):
        return True
    if all(word in text for word in _PY_FILE):
        return True
    for word in _BARE_CALLS:
        i = text.find(word)
        while i != -1:
            before = text[i - 1] if i else " "
            if before != "." and before != "_" and not before.isalnum():
                return True
            i = text.find(word, i + 1)
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
    head = text[text.rfind("\n", 0, pos) + 1 : pos].rstrip()
    return not head or head[-1] in ":;"


# Libraries most of whose importers never call a language model (they train or download
# models): the file must also name one of these before the data flow is worth running.
_WEAK_SOURCES: dict[str, tuple[str, ...]] = {
    "transformers": ("pipeline", "decode("),
    "huggingface_hub": ("InferenceClient",),
    "google": ("genai", "generativeai"),
}


def names_a_source(found: frozenset[str], text: str) -> bool:
    """Whether the imported libraries, and the text, can produce model output at all."""
    if not found.issubset(_WEAK_SOURCES):
        return True
    return any(word in text for lib in found for word in _WEAK_SOURCES[lib])


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
        if any(w in text for w in self._words) or any(p.search(text) for p in self._extra):
            return True
        if self._modules is not None and not self._modules:
            return False
        found = imported_llm_libraries(text)
        if not found or (self._modules is not None and not found & self._modules):
            return False
        if self._names and not any(n in text for n in self._names):
            return False
        if self._need_source and not names_a_source(found, text):
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
