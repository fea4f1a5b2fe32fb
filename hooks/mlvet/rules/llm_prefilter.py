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
    r"(?:openai|anthropic|litellm|ollama|transformers|huggingface_hub|langchain\w*|llama_index"
    r"|vllm|google|vertexai|mistralai|cohere|groq|together|smolagents)\b"
)
_IMPORT = re.compile(r"import[ \t]+" + _LLM_MODULES)
_FROM = re.compile(r"from[ \t]+" + _LLM_MODULES)

# Anything that can run text: code, shell, SQL, pickle, dynamic import, a written .py file.
_SINK_WORDS = re.compile(
    r"exec|eval|compile|subprocess|system|popen|spawn|read_sql|import_module|__import__"
    r"|pickle|marshal|text\(|\.sql\(|\.run\(|\.py\b"
)

_last: list[object] = [None, False]


def imports_llm_library(text: str) -> bool:
    """Whether the text imports an LLM or agent library (memoised for the current file)."""
    if _last[0] is text:
        return bool(_last[1])
    found = bool(_IMPORT.search(text) or _FROM.search(text))
    _last[0], _last[1] = text, found
    return found


class _Gate:
    """Duck-typed stand-in for a compiled pattern: `search(text)` is truthy when it may match."""

    def __init__(
        self, name: str, need_import: bool, need_sink: bool, extra: tuple[re.Pattern[str], ...]
    ) -> None:
        self.pattern = name
        self.flags = 0
        self._need_import = need_import
        self._need_sink = need_sink
        self._extra = extra

    def search(self, text: str, pos: int = 0, endpos: int = 2**63 - 1) -> bool:
        if any(p.search(text) for p in self._extra):
            return True
        if not self._need_import or not imports_llm_library(text):
            return False
        return not self._need_sink or _SINK_WORDS.search(text) is not None


def gate(
    name: str, *, need_import: bool = True, need_sink: bool = False, extra: tuple[str, ...] = ()
) -> re.Pattern[str]:
    """A prefilter for `Checker.pattern`: any `extra` regex (each should start with a literal),
    or an LLM-library import (plus a sink word, if asked)."""
    compiled = tuple(re.compile(e) for e in extra)
    return cast("re.Pattern[str]", _Gate(name, need_import, need_sink, compiled))
