"""Reading a call's arguments the way the callee will see them.

`**{"weights_only": True}` counts as the keyword; `**kwargs` makes an absent keyword
unknowable rather than absent, so rules that fire on "not passed" stay quiet.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Literal

from mlvet.rules.base import NOT_LITERAL, CallSite, literal

ArgState = Literal["given", "absent", "unknown"]


@dataclass(frozen=True)
class Arg:
    state: ArgState
    node: ast.expr | None = None

    @property
    def value(self) -> object:
        """The literal value when given as a constant, else NOT_LITERAL."""
        return literal(self.node) if self.node is not None else NOT_LITERAL


def find_arg(call: CallSite, name: str, index: int | None = None) -> Arg:
    """The argument `name` (or positional `index`): given, surely absent, or unknowable."""
    unknown = False
    for kw in call.node.keywords:
        if kw.arg == name:
            return Arg("given", kw.value)
        if kw.arg is None:
            if isinstance(kw.value, ast.Dict):
                value = dict_entry(kw.value, name)
                if value is not None:
                    return Arg("given", value)
                if any(k is None for k in kw.value.keys):
                    unknown = True  # {**other} inside the literal
            else:
                unknown = True
    if index is not None:
        for i, a in enumerate(call.node.args):
            if isinstance(a, ast.Starred):
                unknown = True
                break
            if i == index:
                return Arg("given", a)
    return Arg("unknown" if unknown else "absent")


def dict_entry(node: ast.Dict, key: str) -> ast.expr | None:
    """The value stored under the string key `key` in a dict literal (last one wins)."""
    found: ast.expr | None = None
    for k, v in zip(node.keys, node.values, strict=True):
        if isinstance(k, ast.Constant) and k.value == key:
            found = v
    return found


def string_value(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def is_falsy_constant(node: ast.expr | None) -> bool:
    """A literal False, None or 0 (the only values a "turn it off" flag can safely hold)."""
    if not isinstance(node, ast.Constant):
        return False
    v = node.value
    return v is None or v is False or (type(v) is int and v == 0)


def is_true_constant(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def callee_text(call: CallSite) -> str:
    """How the user wrote the callee, for messages: `AutoModel.from_pretrained`."""
    func = call.node.func
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    elif isinstance(func, ast.Call):
        inner = callee_text(CallSite(func, None, ""))
        parts.append(f"{inner}(...)")
    else:
        parts.append("(...)")
    return ".".join(reversed(parts)) or call.name


# Calls that look at a function rather than call it: a loader passed to these is not run.
_INTROSPECTING_BUILTINS = frozenset(
    {
        "print",
        "repr",
        "str",
        "id",
        "type",
        "callable",
        "hasattr",
        "getattr",
        "setattr",
        "isinstance",
        "issubclass",
        "help",
        "dir",
        "vars",
        "hash",
    }
)
_INTROSPECTING = frozenset({"functools.wraps", "functools.update_wrapper"})


def introspects(call: CallSite, bound: set[str]) -> bool:
    """`inspect.signature(f)`, `functools.wraps(f)`, `print(f)`: f is looked at, not run."""
    qual = call.qualname
    if qual is not None:
        return qual.startswith("inspect.") or qual in _INTROSPECTING
    func = call.node.func
    return (
        isinstance(func, ast.Name) and func.id in _INTROSPECTING_BUILTINS and (func.id not in bound)
    )
