"""One walk per file: import resolution in a shared context, checks dispatched by node.

A checker declares the codes it reports, a text pattern (files that cannot match are
never parsed for it), and handlers for calls and for the node types it cares about.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol

from mlvet.config import Config
from mlvet.findings import Finding
from mlvet.sources import Source

if TYPE_CHECKING:
    from mlvet.registry import Rule

# Bare names that, when nothing in the file binds them, mean the module by convention
# (notebook cells and snippets whose imports live elsewhere).
CONVENTIONAL_MODULES: dict[str, str] = {
    "np": "numpy",
    "numpy": "numpy",
    "pd": "pandas",
    "pandas": "pandas",
    "tf": "tensorflow",
    "torch": "torch",
    "pickle": "pickle",
    "cPickle": "cPickle",
    "dill": "dill",
    "cloudpickle": "cloudpickle",
    "joblib": "joblib",
    "yaml": "yaml",
    "marshal": "marshal",
    "shelve": "shelve",
    "jsonpickle": "jsonpickle",
    "keras": "keras",
    "random": "random",
    "transformers": "transformers",
    "huggingface_hub": "huggingface_hub",
    "datasets": "datasets",
    "sklearn": "sklearn",
    "os": "os",
    "subprocess": "subprocess",
}


@dataclass
class CallSite:
    """A call with its callee's qualified name resolved through the file's imports."""

    node: ast.Call
    qualname: str | None  # "torch.load"; None when the callee is not an import
    name: str  # the last part of the callee: "load" for anything.load(...)

    def keyword(self, name: str) -> ast.keyword | None:
        for kw in self.node.keywords:
            if kw.arg == name:
                return kw
        return None

    def kwarg(self, name: str) -> ast.expr | None:
        kw = self.keyword(name)
        return kw.value if kw else None

    def arg(self, index: int, name: str | None = None) -> ast.expr | None:
        """The argument at `index` positionally, or given by keyword `name`."""
        if name is not None:
            value = self.kwarg(name)
            if value is not None:
                return value
        args = self.node.args
        for i, a in enumerate(args):
            if isinstance(a, ast.Starred):
                return None  # position unknowable from here on
            if i == index:
                return a
        return None

    @property
    def has_star_kwargs(self) -> bool:
        return any(kw.arg is None for kw in self.node.keywords)

    @property
    def has_star_args(self) -> bool:
        return any(isinstance(a, ast.Starred) for a in self.node.args)


def literal(node: ast.expr | None) -> object:
    """The value of a constant expression, or the sentinel NOT_LITERAL."""
    if isinstance(node, ast.Constant):
        return node.value
    return NOT_LITERAL


class _NotLiteral:
    def __repr__(self) -> str:
        return "NOT_LITERAL"


NOT_LITERAL = _NotLiteral()


def dotted(node: ast.expr) -> str | None:
    """`a.b.c` -> "a.b.c" for a chain of names and attributes."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


@dataclass
class Context:
    source: Source
    tree: ast.Module
    config: Config
    findings: list[Finding] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    bound: set[str] = field(default_factory=set)
    # Ancestors of the node being visited, outermost first.
    stack: list[ast.AST] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)

    def qualname(self, node: ast.expr | None) -> str | None:
        """Resolve a name/attribute chain through imports: `pk.load` -> "pickle.load"."""
        # Asked for every call of every walk: exact type tests, and the dotted tail is
        # joined only for a head that resolves. A call (`torch.hub.load(...)`) is not a
        # name; `pickle.Unpickler(f).load` is handled by the rules themselves.
        parts: list[str] = []
        while type(node) is ast.Attribute:
            parts.append(node.attr)
            node = node.value
        if type(node) is not ast.Name:
            return None
        head: str = node.id
        target = self.aliases.get(head)
        if target is None:
            if head in self.bound:
                return None
            target = CONVENTIONAL_MODULES.get(head)
            if target is None:
                return None
        if not parts:
            return target
        parts.append(target)
        parts.reverse()
        return ".".join(parts)

    def enabled(self, code: str) -> bool:
        return code in self.rules

    def report(
        self,
        code: str,
        node: ast.AST,
        message: str,
        fix: str | None = None,
    ) -> None:
        rule = self.rules.get(code)
        if rule is None:
            return
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        loc = self.source.locate(line, col)
        self.findings.append(
            Finding(
                rule=code,
                name=rule.name,
                severity=self.config.severity_for(code, rule.severity),
                path=self.source.path,
                line=loc.line,
                column=loc.column,
                message=message,
                cell=loc.cell,
                fix=fix if fix is not None else rule.fix,
                physical_line=loc.physical_line,
                snippet=self.source.line_text(line).strip(),
            )
        )

    def enclosing(self, *types: type[ast.AST]) -> ast.AST | None:
        for node in reversed(self.stack):
            if isinstance(node, types):
                return node
        return None

    @property
    def function(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        node = self.enclosing(ast.FunctionDef, ast.AsyncFunctionDef)
        assert node is None or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        return node


class TextFilter(Protocol):
    """Anything with a regex-like `search`: a cheaper prefilter than one big regex."""

    def search(self, string: str, /) -> object: ...


class Checker:
    """Base of every native check. Subclasses set `codes`, `pattern`, and handlers."""

    codes: ClassVar[tuple[str, ...]] = ()
    # The file's text must match this for the checker to run (None: always run).
    pattern: ClassVar[re.Pattern[str] | TextFilter | None] = None
    # Node types passed to on_node (calls go to on_call).
    node_types: ClassVar[tuple[type[ast.AST], ...]] = ()
    # Words such that a top-level function or class holding none of them can neither hold
    # a finding nor change one (imports and module-level code are always read). Large runs
    # then parse only the definitions that hold a word (see mlvet.fragments). None: the
    # checker needs the whole file (facts gathered across definitions).
    # A word may also be a compiled pattern, for what a substring cannot say.
    fragment_words: ClassVar[tuple[str | re.Pattern[str], ...] | None] = None

    @classmethod
    def words_for(cls, config: Config) -> tuple[str | re.Pattern[str], ...] | None:
        return cls.fragment_words

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_call(self, call: CallSite) -> None:
        pass

    def on_node(self, node: ast.AST) -> None:
        pass

    def finish(self) -> None:
        pass


class Walker:
    """Walk the tree once; keep imports resolved; dispatch to checkers."""

    def __init__(self, ctx: Context, checkers: list[Checker]) -> None:
        self.ctx = ctx
        self.checkers = checkers
        self.call_handlers = [c for c in checkers if type(c).on_call is not Checker.on_call]
        self.node_handlers: dict[type[ast.AST], list[Checker]] = {}
        for c in checkers:
            for t in c.node_types:
                self.node_handlers.setdefault(t, []).append(c)
        self.leaf_handlers = ast.Name in self.node_handlers or ast.Constant in self.node_handlers
        # How many function, class or lambda bodies enclose the node being visited.
        self.scope_depth = 0

    def run(self) -> None:
        if self.ctx.source.kind == "notebook":
            # Cells run in any order: an import in a later cell names what an earlier
            # cell uses, so the notebook's top-level imports are known from the start.
            for stmt in self.ctx.tree.body:
                if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    self._import(stmt)
        self._visit(self.ctx.tree)
        for c in self.checkers:
            c.finish()

    def _visit(self, node: ast.AST) -> None:
        # The hot loop of every check: exact type tests, leaves (names, constants) handled
        # without touching the ancestor stack, and per-type child-field tables that skip
        # the scalar and operator fields nobody dispatches on.
        ctx = self.ctx
        t = type(node)
        if t is ast.Name:
            if type(node.ctx) is ast.Store:  # type: ignore[attr-defined]
                ctx.bound.add(node.id)  # type: ignore[attr-defined]
            if self.leaf_handlers:
                self._dispatch(node, t)
            return
        if t is ast.Constant:
            if self.leaf_handlers:
                self._dispatch(node, t)
            return
        if t is ast.Import or t is ast.ImportFrom:
            self._import(node)  # type: ignore[arg-type]
        elif t is ast.Assign:
            if not self.scope_depth:
                self._assign(node)  # type: ignore[arg-type]
        elif t is ast.FunctionDef or t is ast.AsyncFunctionDef or t is ast.ClassDef:
            ctx.bound.add(node.name)  # type: ignore[attr-defined]
        elif t is ast.arg:
            ctx.bound.add(node.arg)  # type: ignore[attr-defined]
        handlers = self.node_handlers.get(t)
        if handlers:
            for h in handlers:
                h.on_node(node)
        if t is ast.Call and self.call_handlers:
            func = node.func  # type: ignore[attr-defined]
            site = CallSite(node, ctx.qualname(func), _callee_name(func))  # type: ignore[arg-type]
            for h in self.call_handlers:
                h.on_call(site)
        fields = _CHILD_FIELDS.get(t)
        if fields is None:
            fields = _child_fields(t)
        if not fields:
            return
        scope = t in _SCOPE_TYPES
        if scope:
            self.scope_depth += 1
        stack = ctx.stack
        stack.append(node)
        visit = self._visit
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        visit(item)
            elif isinstance(value, ast.AST):
                visit(value)
        stack.pop()
        if scope:
            self.scope_depth -= 1

    def _dispatch(self, node: ast.AST, t: type[ast.AST]) -> None:
        for h in self.node_handlers.get(t, ()):
            h.on_node(node)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        aliases = self.ctx.aliases
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
                else:
                    head = a.name.split(".")[0]
                    aliases[head] = head
            return
        if node.level or not node.module:
            return  # relative imports are the project's own code
        for a in node.names:
            if a.name == "*":
                continue
            aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def _assign(self, node: ast.Assign) -> None:
        # `loader = pickle.load` at module level makes `loader(...)` a pickle load; so does
        # one under a module-level `if __name__ == "__main__":`, `try:` or `with` (still the
        # module's scope), but not one inside a function or class (the caller checks).
        pairs: list[tuple[ast.expr, ast.expr]] = []
        for target in node.targets:  # `a = b = pickle.loads` binds both
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                if len(target.elts) == len(node.value.elts):
                    pairs.extend(zip(target.elts, node.value.elts, strict=True))
            else:
                pairs.append((target, node.value))
        for name, value in pairs:
            if isinstance(name, ast.Name) and isinstance(value, (ast.Name, ast.Attribute)):
                qual = self.ctx.qualname(value)
                if qual is not None:
                    self.ctx.aliases[name.id] = qual


# Nodes that open a scope of their own: assignments inside them are not module aliases.
_SCOPE_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})

# Fields that never hold a node anyone dispatches on: operator and context singletons
# (ast.Load, ast.Add, ...), identifiers and other scalars, and import aliases (imports are
# handled at the Import node).
_SKIP_FIELDS = frozenset(
    {
        "ctx",
        "op",
        "ops",
        "id",
        "attr",
        "arg",
        "module",
        "level",
        "conversion",
        "type_comment",
        "kind",
        "is_async",
        "simple",
        "rest",
        "kwd_attrs",
    }
)
# Per node type: which fields to descend into (filled on first sight of each type).
_CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _child_fields(t: type[ast.AST]) -> tuple[str, ...]:
    skip = set(_SKIP_FIELDS)
    if t in (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal):
        skip.add("names")  # aliases or plain strings
    if t.__name__ != "TypeAlias":  # 3.12's `type X = ...` names a node; elsewhere a string
        skip.add("name")
    if t is ast.MatchSingleton:
        skip.add("value")  # None, True or False
    fields = tuple(f for f in t._fields if f not in skip)
    _CHILD_FIELDS[t] = fields
    return fields


def _callee_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


NotebookCheck = Callable[[Source, Config], list[Finding]]
