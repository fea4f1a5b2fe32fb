"""Bare names brought in by `from module import *`, for the ML1xx rules.

`from numpy import *` then `load(p, allow_pickle=True)` is numpy's load. As in Python,
the last star import that exports a name wins; one of a module we do not know (the
project's own `from helpers import *`) may define the same name, so it makes the name
unknowable rather than resolved.
"""

from __future__ import annotations

import ast

from mlvet.rules.base import Checker, Context

_PICKLES = frozenset({"load", "loads", "Unpickler"})
_YAML = frozenset(
    {
        "load",
        "load_all",
        "unsafe_load",
        "unsafe_load_all",
        "safe_load",
        "safe_load_all",
        "full_load",
        "full_load_all",
    }
)
_KERAS = frozenset({"load_model"})

# module -> the names of interest it exports (its public `load`-like API).
EXPORTS: dict[str, frozenset[str]] = {
    "pickle": _PICKLES,
    "cPickle": _PICKLES,
    "_pickle": _PICKLES,
    "cloudpickle": _PICKLES,
    "dill": _PICKLES | {"load_session", "load_module"},
    "marshal": frozenset({"load", "loads"}),
    "joblib": frozenset({"load"}),
    "numpy": frozenset({"load"}),
    "torch": frozenset({"load"}),
    "torch.serialization": frozenset({"load"}),
    "torch.hub": frozenset({"load", "list", "help"}),
    "yaml": _YAML,
    "keras.models": _KERAS,
    "keras.saving": _KERAS,
    "tensorflow.keras.models": _KERAS,
    "tensorflow.keras.saving": _KERAS,
}


class StarImports:
    """The modules a file star-imports, in order; resolves a bare call name through them."""

    def __init__(self) -> None:
        self.modules: list[str] = []

    def add(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level and any(a.name == "*" for a in node.names):
            self.modules.append(node.module)

    def qualname(self, ctx: Context, func: ast.expr) -> str | None:
        """ "numpy.load" for a bare `load` a star import supplies; None when unsure."""
        if not self.modules or not isinstance(func, ast.Name):
            return None
        name = func.id
        if name in ctx.bound or name in ctx.aliases:
            return None
        for module in reversed(self.modules):
            exported = EXPORTS.get(module)
            if exported is None:
                return None  # an unknown module may define the name itself
            if name in exported:
                return f"{module}.{name}"
        return None


class StarImportChecker(Checker):
    """A checker whose callee may come from `from module import *`: tracks star imports."""

    node_types = (ast.ImportFrom,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.stars = StarImports()

    def on_node(self, node: ast.AST) -> None:
        assert isinstance(node, ast.ImportFrom)
        self.stars.add(node)
