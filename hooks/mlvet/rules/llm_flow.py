"""ML701's data flow: follow language-model output through one scope to a sink.

Each function body (and the module body) is read once, statement by statement, keeping an
environment of which names hold model text and which hold LLM clients. Branches are
merged (may-analysis), loops are read once, nested functions are their own scopes (seeing
the clients, not the text, of the function that encloses them).
Helpers in the same file are summarised first (does it return model text, pass an
argument through, or return a client), so `code = ask(q); exec(code)` is followed too.

This module holds what is known per file (FileIndex, FileFlow); llm_scope.py reads one
scope's statements, llm_exprs.py its expressions and calls, llm_sinks.py its sinks.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from mlvet.rules import llm_catalog as cat
from mlvet.rules.base import Context
from mlvet.rules.llm_scope import Scope
from mlvet.rules.llm_values import Env, Func, Reporter, Summary

# Callee names that may produce model output (methods of every tracked kind, SDK entry
# points, decoding of generated ids); a scope calling none of them cannot hold model text.
_SOURCE_NAMES = frozenset(
    {m.rsplit(".", 1)[-1] for methods in cat.KIND_METHODS.values() for m in methods}
    | {
        "create",
        "acreate",
        "parse",
        "completion",
        "acompletion",
        "text_completion",
        "atext_completion",
        "generate_content",
        "generate_content_async",
        "decode",
        "batch_decode",
        "pipeline",
    }
)


# Callee names that may run text (every sink in llm_sinks.py, .py writes included); a
# scope calling none of them, nor a helper that does, cannot report.
_SINK_NAMES = frozenset(
    {
        "exec",
        "eval",
        "compile",
        "__import__",
        "import_module",
        "loads",
        "load",
        "text",
        "read_sql",
        "read_sql_query",
        "read_database",
        "sql",
        "query",
        "execute",
        "executemany",
        "exec_driver_sql",
        "executescript",
        "run",
        "run_no_throw",
        "run_cell",
        "run_cell_async",
        "ex",
        "ev",
        "system",
        "getoutput",
        "getstatusoutput",
        "system_raw",
        "system_piped",
        "popen",
        "popen2",
        "popen3",
        "popen4",
        "call",
        "check_call",
        "check_output",
        "Popen",
        "create_subprocess_shell",
        "create_subprocess_exec",
        "spawn",
        "write",
        "writelines",
        "write_text",
        "write_bytes",
    }
)


def _sink_qual(qual: str) -> bool:
    last = qual.rsplit(".", 1)[-1]
    return last in _SINK_NAMES or cat.is_os_exec(qual) or qual.startswith("subprocess.")


@dataclass
class FileIndex:
    """Functions, classes, imports and callee names of a file, gathered during the shared
    walk (or by `build` when used on its own)."""

    ctx: Context
    functions: list[Func] = field(default_factory=list)
    owner: dict[Func, ast.ClassDef] = field(default_factory=dict)
    methods: dict[ast.ClassDef, dict[str, Func]] = field(default_factory=dict)
    classes: list[ast.ClassDef] = field(default_factory=list)
    loaders: list[tuple[int, str | None]] = field(default_factory=list)
    calls: dict[Func | None, set[str]] = field(default_factory=dict)
    # Scopes that call something that may run text (a sink's name, by callee or import).
    sink_scopes: set[Func | None] = field(default_factory=set)
    # A function defined inside another function (not in a class): its enclosing one.
    outer: dict[Func, Func] = field(default_factory=dict)
    # Modules imported with `from m import *` (their names are bare in this file).
    star_modules: list[str] = field(default_factory=list)

    def add_node(
        self, node: ast.AST, parent: ast.AST | None, enclosing: Func | None = None
    ) -> None:
        if isinstance(node, ast.ClassDef):
            self.classes.append(node)
            self.methods.setdefault(node, {})
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.functions.append(node)
            if isinstance(parent, ast.ClassDef):
                self.owner[node] = parent
                self.methods.setdefault(parent, {})[node.name] = node
            elif enclosing is not None:
                self.outer[node] = enclosing
        elif isinstance(node, ast.Import):
            for a in node.names:
                self.loaders.append((node.lineno, a.name.split(".")[-1]))
        elif isinstance(node, ast.ImportFrom) and node.module:
            self.loaders.append((node.lineno, node.module.split(".")[-1]))
            for a in node.names:
                self.loaders.append((node.lineno, a.name))
                if a.name == "*" and not node.level:
                    self.star_modules.append(node.module)

    def add_call(self, node: ast.Call, qual: str | None, scope: Func | None) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        self.calls.setdefault(scope, set()).add(name)
        if scope not in self.sink_scopes and (
            name in _SINK_NAMES or (qual is not None and _sink_qual(qual))
        ):
            self.sink_scopes.add(scope)
        if qual in cat.LOADERS or name == "__import__":
            self.loaders.append((node.lineno, None))
        elif qual and (qual.startswith("subprocess.") or qual in cat.SHELL_STRING):
            for sub in ast.walk(node):
                runs_python = (
                    isinstance(sub, ast.Constant)
                    and isinstance(sub.value, str)
                    and sub.value.split(" ")[0].split("/")[-1].startswith("python")
                ) or (isinstance(sub, ast.Attribute) and sub.attr == "executable")
                if runs_python:
                    self.loaders.append((node.lineno, None))
                    break

    @classmethod
    def build(cls, ctx: Context) -> FileIndex:
        index = cls(ctx)

        def visit(node: ast.AST, parent: ast.AST | None, scope: Func | None) -> None:
            index.add_node(node, parent, scope)
            if isinstance(node, ast.Call):
                index.add_call(node, ctx.qualname(node.func), scope)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                scope = node
            for child in ast.iter_child_nodes(node):
                visit(child, node, scope)

        visit(ctx.tree, None, None)
        return index


class FileFlow:
    """Everything ML701 learns about one file, then one reporting pass per scope."""

    def __init__(self, ctx: Context, report: Reporter, index: FileIndex | None = None) -> None:
        self.ctx = ctx
        self.report = report
        index = index or FileIndex.build(ctx)
        self.functions = index.functions
        self.owner = index.owner
        self.methods = index.methods
        self.classes = index.classes
        self.loaders = index.loaders
        self.calls = index.calls
        self.sink_scopes = index.sink_scopes
        self.outer = index.outer
        self.star_modules = index.star_modules
        self._outer_kinds: dict[Func, dict[str, str]] = {}
        self._sinkish: frozenset[str] = frozenset()
        self.by_name: dict[str, Func | None] = {}
        for fn in self.functions:
            if fn not in self.owner:
                # A name defined twice is ambiguous: follow neither.
                self.by_name[fn.name] = None if fn.name in self.by_name else fn
        self.summaries: dict[Func, Summary] = {}
        self.class_kinds: dict[ast.ClassDef, dict[str, str]] = {}
        self.module_kinds: dict[str, str] = {}
        self._busy: set[Func] = set()
        self.kind_summaries: dict[Func, str | None] = {}
        self.modules = {q.split(".")[0] for q in ctx.aliases.values()}
        self.modules |= {m.split(".")[0] for m in index.star_modules}
        self._triggers: frozenset[str] = frozenset()
        # Raw HTTP to a model API: only looked for when the text names such an endpoint.
        self.model_urls = cat.MODEL_URL.search(ctx.source.text) is not None
        self.constants: dict[str, ast.expr] = {}
        if self.model_urls:
            for st in ctx.tree.body:
                if isinstance(st, ast.Assign) and len(st.targets) == 1:
                    target = st.targets[0]
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = st.value

    def qualname(self, func: ast.expr) -> str | None:
        """`ctx.qualname`, and for a bare name nothing binds, the name in a star-imported
        module that the rules know (a sink, a model call or a client class)."""
        qual = self.ctx.qualname(func)
        if qual is not None or not self.star_modules or not isinstance(func, ast.Name):
            return qual
        name = func.id
        if name in self.ctx.bound or name in self.ctx.aliases:
            return None
        for module in self.star_modules:
            cand = f"{module}.{name}"
            if cat.known_callable(cand):
                return cand
        return None

    def imports(self, *tops: str) -> bool:
        """Whether the file imports one of these libraries (or a `name_*` companion)."""
        return any(m == t or m.startswith(t + "_") for m in self.modules for t in tops)

    def _make_triggers(self) -> frozenset[str]:
        names = set(_SOURCE_NAMES) | set(self.by_name) | set(self.module_kinds)
        if self.model_urls:
            names |= {"post", "request"}
        for table in self.methods.values():
            names |= set(table)
        for kinds in self.class_kinds.values():
            names |= {k.rsplit(".", 1)[-1] for k in kinds}
        for alias, qual in self.ctx.aliases.items():
            if cat.kind_of_callable(qual) or qual in cat.MODULE_SOURCES:
                names.add(alias)
                names.add(qual.rsplit(".", 1)[-1])
        return frozenset(names)

    def _make_sinkish(self) -> frozenset[str]:
        """Names of this file's functions that may run text, directly or through another."""
        names = {fn.name for fn in self.functions if fn in self.sink_scopes}
        grew = True
        while grew:
            grew = False
            for fn in self.functions:
                if fn.name not in names and not self.calls.get(fn, set()).isdisjoint(names):
                    names.add(fn.name)
                    grew = True
        return frozenset(names)

    def may_report(self, fn: Func | None) -> bool:
        """Whether a scope calls a sink, or a helper of this file that may call one."""
        return fn in self.sink_scopes or not self.calls.get(fn, set()).isdisjoint(self._sinkish)

    def may_hold_text(self, fn: Func | None) -> bool:
        """Whether a scope calls anything that could produce model output."""
        return not self.calls.get(fn, set()).isdisjoint(self._triggers)

    def resolve(self, func: ast.expr, cls: ast.ClassDef | None) -> Func | None:
        """A helper defined in this file that `func` calls."""
        if isinstance(func, ast.Name):
            if func.id in self.ctx.aliases:
                return None
            return self.by_name.get(func.id)
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
            and cls is not None
        ):
            return self.methods.get(cls, {}).get(func.attr)
        return None

    def where(self, node: ast.AST | int) -> str:
        line = node if isinstance(node, int) else getattr(node, "lineno", 1)
        loc = self.ctx.source.locate(line, 0)
        if loc.cell is not None:
            return f"cell {loc.cell}, line {loc.line}"
        return f"line {loc.line}"

    def run(self) -> None:
        """Kinds first (module, then classes: cheap, statements only), then one reporting
        pass per scope; helpers are summarised when a call to them is first met."""
        if not self.sink_scopes:
            return  # the text gate saw a sink word, but nothing here calls a sink
        tree = self.ctx.tree
        self._sinkish = self._make_sinkish()
        self.module_kinds = Scope(self, None, reporting=False, kinds_only=True).run(tree.body).kinds
        # A class's methods are read (reported, or summarised through `self.`) only when
        # one of them may report: the other classes' clients are never needed.
        wanted = {
            self.owner[fn] for fn in self.functions if fn in self.owner and self.may_report(fn)
        }
        for cls in self.classes:
            if cls in wanted:
                self._class_kinds(cls)
        # Summaries made while kinds were incomplete are provisional.
        self.summaries.clear()
        self._triggers = self._make_triggers()
        if self.may_report(None) and self.may_hold_text(None):
            Scope(self, None, reporting=True).run(tree.body)
        for fn in self.functions:
            if self.may_report(fn) and self.may_hold_text(fn):
                Scope(self, fn, reporting=True).run(fn.body)

    def summary(self, fn: Func) -> Summary:
        found = self.summaries.get(fn)
        if found is not None:
            return found
        if fn in self._busy:
            return Summary()  # recursion: assume nothing
        self._busy.add(fn)
        scope = Scope(self, fn, reporting=False)
        scope.run(fn.body)
        self._busy.discard(fn)
        found = self.summaries[fn] = scope.summary()
        return found

    def outer_kinds(self, fn: Func) -> dict[str, str]:
        """Clients a nested function sees from its enclosing one (a statements-only pass
        of the enclosing body, memoised): `client = OpenAI()` then `def handler(): ...`."""
        outer = self.outer.get(fn)
        if outer is None:
            return {}
        found = self._outer_kinds.get(outer)
        if found is None:
            self._outer_kinds[outer] = {}  # recursion: assume nothing
            env = Scope(self, outer, reporting=False, kinds_only=True).run(outer.body)
            found = self._outer_kinds[outer] = env.kinds
        return found

    def kind_summary(self, fn: Func) -> str | None:
        """The kind of client a helper returns (a statements-only pass, memoised)."""
        if fn in self.kind_summaries:
            return self.kind_summaries[fn]
        self.kind_summaries[fn] = None  # recursion: assume nothing
        scope = Scope(self, fn, reporting=False, kinds_only=True)
        scope.run(fn.body)
        kind = self.kind_summaries[fn] = scope.return_kinds[0] if scope.return_kinds else None
        return kind

    def _class_kinds(self, cls: ast.ClassDef) -> None:
        """`self.llm = ChatOpenAI()` anywhere in the class (and `llm = ...` in its body)."""
        scope = Scope(self, None, reporting=False, kinds_only=True)
        env = Env(kinds=dict(self.module_kinds))
        table = self.class_kinds.setdefault(cls, {})
        for item in cls.body:
            if isinstance(item, (ast.Assign, ast.AnnAssign)) and item.value is not None:
                kind = scope.kind(item.value, env)
                targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                for t in targets:
                    if kind and isinstance(t, ast.Name):
                        table["self." + t.id] = kind
        for method in self.methods.get(cls, {}).values():
            env = Scope(self, method, reporting=False, kinds_only=True).run(method.body)
            for key, kind in env.kinds.items():
                if key.startswith("self."):
                    table[key] = kind
