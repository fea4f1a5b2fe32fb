"""The values ML701's data flow tracks: where model text came from, what a scope knows."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

TEXT = "text"  # model output (a string or a response object holding one)
IDS = "ids"  # token ids from model.generate: text once a tokenizer decodes them
PARAM = "param"  # a helper's parameter, while summarising that helper
_RANK = {PARAM: 0, IDS: 1, TEXT: 2}

Func = ast.FunctionDef | ast.AsyncFunctionDef
Reporter = Callable[[ast.AST, str, str], None]


@dataclass(frozen=True)
class Origin:
    label: str
    desc: str  # the model call: "client.chat.completions.create()"
    where: str  # "line 8" or "cell 2, line 3"
    contained: bool = False  # a container holding model text, not the text itself
    param: int = -1

    def whole(self) -> Origin:
        return replace(self, contained=False) if self.contained else self

    def inside(self) -> Origin:
        return self if self.contained else replace(self, contained=True)


@dataclass
class Env:
    taint: dict[str, Origin] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    # Names holding a .py path or a file opened on one: (description, module stem).
    files: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    # Expressions an allowlist check has vouched for: `args["cmd"]`.
    clean: set[str] = field(default_factory=set)

    def copy(self) -> Env:
        return Env(dict(self.taint), dict(self.kinds), dict(self.files), set(self.clean))


def merge(envs: list[Env]) -> Env:
    out = envs[0].copy()
    for env in envs[1:]:
        for k, o in env.taint.items():
            out.taint.setdefault(k, o)
        for k, kind in env.kinds.items():
            out.kinds.setdefault(k, kind)
        for k, f in env.files.items():
            out.files.setdefault(k, f)
        out.clean &= env.clean
    return out


def pick(origins: Iterable[Origin | None]) -> Origin | None:
    """The most telling origin: whole model text first."""
    best: Origin | None = None
    for o in origins:
        if o is None:
            continue
        if o.label == TEXT and not o.contained:
            return o
        if best is None or _RANK[o.label] > _RANK[best.label]:
            best = o
    return best


def name_of(node: ast.expr) -> str:
    """A short readable callee: `client.chat.completions.create`, `pipeline(...)`."""
    if isinstance(node, ast.Name):
        text = node.id
    elif isinstance(node, ast.Attribute):
        text = f"{name_of(node.value)}.{node.attr}"
    elif isinstance(node, ast.Call):
        text = f"{name_of(node.func)}(...)"
    elif isinstance(node, ast.Subscript):
        text = f"{name_of(node.value)}[...]"
    else:
        text = "..."
    return text if len(text) <= 80 else "..." + text[-77:]


def call_arg(call: ast.Call, index: int, *names: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    for i, a in enumerate(call.args):
        if isinstance(a, ast.Starred):
            return None
        if i == index:
            return a
    return None


@dataclass(frozen=True)
class Summary:
    text: Origin | None = None  # the helper returns model text
    params: frozenset[int] = frozenset()  # parameters it returns (as text)
    kind: str | None = None  # the helper returns an LLM client / chain
    # Parameters the helper runs: (index, sink, where the sink is, sink category).
    sinks: frozenset[tuple[int, str, str, str]] = frozenset()


def parameters(fn: Func, cls: ast.ClassDef | None) -> list[tuple[str, ast.expr | None]]:
    """A function's positional parameters and annotations (without `self` for methods)."""
    args = [*fn.args.posonlyargs, *fn.args.args]
    static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list)
    if cls is not None and not static and args:
        args = args[1:]
    return [(a.arg, a.annotation) for a in args]
