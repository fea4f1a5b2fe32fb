"""Bare names brought in by `from module import *`, for the ML2xx rules.

`from numpy.random import *` then `rand(3)` draws from NumPy's global generator;
`from sklearn.ensemble import *` then `RandomForestClassifier()` is scikit-learn's. As in
Python, the last star import that exports a name wins; a module we do not know (the
project's own `from utils import *`) may define the same name, so it makes the name
unknowable (silence) rather than resolved.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from mlvet.rules.base import CallSite, Context

# (module, name) -> whether the module exports the name; None for a module we do not know.
Exports = Callable[[str, str], "bool | None"]


class StarNames:
    """The modules a file star-imports, in order; resolves bare call names through them."""

    def __init__(self, exports: Exports) -> None:
        self.modules: list[str] = []
        self.exports = exports

    def add(self, node: ast.AST) -> None:
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and not node.level
            and any(a.name == "*" for a in node.names)
        ):
            self.modules.append(node.module)

    def resolve(self, ctx: Context, call: CallSite) -> CallSite:
        """`call` with its qualname filled in from a star import, when that is certain."""
        func = call.node.func
        if call.qualname is not None or not self.modules or not isinstance(func, ast.Name):
            return call
        name = func.id
        if name in ctx.bound or name in ctx.aliases:
            return call
        for module in reversed(self.modules):
            known = self.exports(module, name)
            if known is None:
                return call  # an unknown module may define the name itself
            if known:
                return CallSite(call.node, f"{module}.{name}", call.name)
        return call
