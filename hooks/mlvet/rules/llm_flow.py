"""ML701's data flow: follow language-model output through one scope to a sink.

Each function body (and the module body) is read once, statement by statement, keeping an
environment of which names hold model text and which hold LLM clients. Branches are
merged (may-analysis), loops are read once, nested functions are their own scopes.
Helpers in the same file are summarised first (does it return model text, pass an
argument through, or return a client), so `code = ask(q); exec(code)` is followed too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace

from mlvet.rules import llm_catalog as cat
from mlvet.rules.base import Context, dotted
from mlvet.rules.llm_sinks import SinkRules
from mlvet.rules.llm_values import (
    IDS,
    PARAM,
    TEXT,
    Env,
    Func,
    Origin,
    Reporter,
    Summary,
    call_arg,
    merge,
    name_of,
    parameters,
    pick,
)

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)

# Callee names that may produce model output (methods of every tracked kind, SDK entry
# points, decoding of generated ids); a scope calling none of them cannot hold model text.
_SOURCE_NAMES = frozenset(
    {m.rsplit(".", 1)[-1] for methods in cat.KIND_METHODS.values() for m in methods}
    | {"create", "acreate", "parse", "completion", "acompletion", "text_completion",
       "atext_completion", "generate_content", "generate_content_async", "decode",
       "batch_decode", "pipeline"}
)


# Callee names that may run text (every sink in llm_sinks.py, .py writes included); a
# scope calling none of them, nor a helper that does, cannot report.
_SINK_NAMES = frozenset(
    {"exec", "eval", "compile", "__import__", "import_module", "loads", "load", "text",
     "read_sql", "read_sql_query", "read_database", "sql", "query", "execute", "executemany",
     "exec_driver_sql", "executescript", "run", "run_no_throw", "run_cell", "run_cell_async",
     "ex", "ev", "system", "getoutput", "getstatusoutput", "system_raw", "system_piped",
     "popen", "popen2", "popen3", "popen4", "call", "check_call", "check_output", "Popen",
     "create_subprocess_shell", "create_subprocess_exec", "spawn", "write", "writelines",
     "write_text", "write_bytes"}
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

    def add_node(self, node: ast.AST, parent: ast.AST | None) -> None:
        if isinstance(node, ast.ClassDef):
            self.classes.append(node)
            self.methods.setdefault(node, {})
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.functions.append(node)
            if isinstance(parent, ast.ClassDef):
                self.owner[node] = parent
                self.methods.setdefault(parent, {})[node.name] = node
        elif isinstance(node, ast.Import):
            for a in node.names:
                self.loaders.append((node.lineno, a.name.split(".")[-1]))
        elif isinstance(node, ast.ImportFrom) and node.module:
            self.loaders.append((node.lineno, node.module.split(".")[-1]))
            for a in node.names:
                self.loaders.append((node.lineno, a.name))

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
            index.add_node(node, parent)
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
        wanted = {self.owner[fn] for fn in self.functions if fn in self.owner and self.may_report(fn)}
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


class Scope(SinkRules):
    """One function body (or the module body), read in order."""

    def __init__(
        self, flow: FileFlow, fn: Func | None, reporting: bool, kinds_only: bool = False
    ) -> None:
        self.flow = flow
        self.kinds_only = kinds_only  # track clients only: no text, no sinks
        self.ctx = flow.ctx
        self.fn = fn
        self.reporting = reporting
        self.cls = flow.owner.get(fn) if fn is not None else None
        self.returns: list[Origin] = []
        self.return_kinds: list[str] = []
        self.reported: set[int] = set()
        self.param_sinks: set[tuple[int, str, str, str]] = set()

    # ---- driving -----------------------------------------------------------------------

    def run(self, body: list[ast.stmt]) -> Env:
        env = Env(kinds=dict(self.flow.module_kinds))
        if self.fn is not None:
            if self.cls is not None:
                env.kinds.update(self.flow.class_kinds.get(self.cls, {}))
            for i, (name, ann) in enumerate(self.params()):
                env.kinds.pop(name, None)
                kind = self.annotation_kind(ann)
                if kind:
                    env.kinds[name] = kind
                if not self.reporting and not self.kinds_only:
                    env.taint[name] = Origin(PARAM, name, "", param=i)
        out, _ = self.block(body, env)
        return out

    def params(self) -> list[tuple[str, ast.expr | None]]:
        assert self.fn is not None
        return parameters(self.fn, self.cls)

    def summary(self) -> Summary:
        text = next((o for o in self.returns if o.label == TEXT), None)
        params = frozenset(o.param for o in self.returns if o.label == PARAM)
        kind = self.return_kinds[0] if self.return_kinds else None
        return Summary(text.whole() if text else None, params, kind, frozenset(self.param_sinks))

    def annotation_kind(self, ann: ast.expr | None) -> str | None:
        if ann is None:
            return None
        if isinstance(ann, ast.BinOp):
            return self.annotation_kind(ann.left) or self.annotation_kind(ann.right)
        if isinstance(ann, ast.Subscript):
            return self.annotation_kind(ann.slice)
        return cat.kind_of_callable(self.ctx.qualname(ann))

    # ---- statements ----------------------------------------------------------------------

    def block(self, body: list[ast.stmt], env: Env) -> tuple[Env, bool]:
        for st in body:
            env, live = self.stmt(st, env)
            if not live:
                return env, False
        return env, True

    def stmt(self, st: ast.stmt, env: Env) -> tuple[Env, bool]:
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.forget(st.name, env)
        elif isinstance(st, ast.Assign):
            self.scan(st.value, env)
            self.assign(st.targets, st.value, env)
        elif isinstance(st, ast.AnnAssign):
            if st.value is not None:
                self.scan(st.value, env)
                self.assign([st.target], st.value, env)
        elif isinstance(st, ast.AugAssign):
            self.scan(st.value, env)
            o = pick([self.taint(st.target, env), self.taint(st.value, env)])
            if o is not None:
                self.bind(st.target, o.whole(), None, None, env, weak=True)
        elif isinstance(st, ast.Expr):
            self.scan(st.value, env)
            self.mutation(st.value, env)
        elif isinstance(st, ast.Return):
            if st.value is not None:
                self.scan(st.value, env)
                self.record_return(st.value, env)
            return env, False
        elif isinstance(st, ast.Raise):
            if st.exc is not None:
                self.scan(st.exc, env)
            return env, False
        elif isinstance(st, (ast.Continue, ast.Break)):
            return env, False
        elif isinstance(st, ast.If):
            return self.branch(st, env)
        elif isinstance(st, (ast.For, ast.AsyncFor)):
            self.scan(st.iter, env)
            body_env = env.copy()
            o = self.taint(st.iter, env)
            self.bind(st.target, o.whole() if o else None, None, None, body_env)
            body_env, _ = self.block(st.body, body_env)
            env = merge([env, body_env])
            env, _ = self.block(st.orelse, env)
        elif isinstance(st, ast.While):
            self.scan(st.test, env)
            body_env, _ = self.block(st.body, env.copy())
            env = merge([env, body_env])
            env, _ = self.block(st.orelse, env)
        elif isinstance(st, (ast.With, ast.AsyncWith)):
            for item in st.items:
                self.scan(item.context_expr, env)
                if item.optional_vars is not None:
                    ce = item.context_expr
                    self.bind(
                        item.optional_vars, self.taint(ce, env), self.kind(ce, env),
                        self.py_target(ce, env), env,
                    )
            return self.block(st.body, env)
        elif isinstance(st, ast.Try) or type(st).__name__ == "TryStar":
            return self.try_(st, env)
        elif isinstance(st, ast.Match):
            return self.match(st, env)
        elif isinstance(st, ast.Assert):
            self.scan(st.test, env)
            self.vouch(self.guards(st.test)[0], env)
        elif isinstance(st, (ast.Import, ast.ImportFrom)):
            for a in st.names:
                self.forget((a.asname or a.name).split(".")[0], env)
        elif isinstance(st, ast.Delete):
            for t in st.targets:
                key = dotted(t)
                if key:
                    self.forget(key, env)
        else:
            self.scan(st, env)
        return env, True

    def assign(self, targets: list[ast.expr], value: ast.expr, env: Env) -> None:
        o, kind, py = self.taint(value, env), self.kind(value, env), self.py_target(value, env)
        for target in targets:
            self.bind(target, o, kind, py, env, value=value)

    def branch(self, st: ast.If, env: Env) -> tuple[Env, bool]:
        self.scan(st.test, env)
        if_true, if_false = self.guards(st.test)
        body_env = env.copy()
        self.vouch(if_true, body_env)
        body_env, body_live = self.block(st.body, body_env)
        else_env = env.copy()
        self.vouch(if_false, else_env)
        else_env, else_live = self.block(st.orelse, else_env)
        live = [e for e, ok in ((body_env, body_live), (else_env, else_live)) if ok]
        if not live:
            return env, False
        return merge(live), True

    def try_(self, st: ast.stmt, env: Env) -> tuple[Env, bool]:
        body_env, _ = self.block(getattr(st, "body", []), env.copy())
        merged = merge([env, body_env])
        for handler in getattr(st, "handlers", []):
            h_env = merged.copy()
            if handler.name:
                self.forget(handler.name, h_env)
            h_env, _ = self.block(handler.body, h_env)
            merged = merge([merged, h_env])
        orelse = getattr(st, "orelse", [])
        if orelse:
            o_env, _ = self.block(orelse, body_env)
            merged = merge([merged, o_env])
        return self.block(getattr(st, "finalbody", []), merged)

    def match(self, st: ast.Match, env: Env) -> tuple[Env, bool]:
        self.scan(st.subject, env)
        o = self.taint(st.subject, env)
        outs = [env]
        for case in st.cases:
            case_env = env.copy()
            for node in ast.walk(case.pattern):
                name = getattr(node, "name", None) or getattr(node, "rest", None)
                if isinstance(name, str):
                    # Captures are (mostly) elements of the subject: the text itself.
                    part = o.whole() if o else None
                    self.bind(ast.Name(id=name, ctx=ast.Store()), part, None, None, case_env)
            if _literal_pattern(case.pattern):
                self.vouch(self.names(st.subject), case_env)
            if case.guard is not None:
                self.scan(case.guard, case_env)
                self.vouch(self.guards(case.guard)[0], case_env)
            case_env, live = self.block(case.body, case_env)
            if live:
                outs.append(case_env)
        return merge(outs), True

    # ---- bindings ------------------------------------------------------------------------

    def bind(
        self,
        target: ast.expr,
        o: Origin | None,
        kind: str | None,
        py: tuple[str, str | None] | None,
        env: Env,
        value: ast.expr | None = None,
        weak: bool = False,
    ) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            elts = target.elts
            if (
                isinstance(value, (ast.Tuple, ast.List))
                and len(value.elts) == len(elts)
                and not any(isinstance(e, ast.Starred) for e in [*elts, *value.elts])
            ):
                for t, v in zip(elts, value.elts, strict=True):
                    self.bind(t, self.taint(v, env), self.kind(v, env), None, env)
                return
            for t in elts:
                self.bind(t, o.whole() if o else None, None, None, env)
            return
        if isinstance(target, ast.Starred):
            self.bind(target.value, o.inside() if o else None, None, None, env)
            return
        if isinstance(target, ast.Subscript):
            key = dotted(target.value)
            if key and o is not None:
                env.taint.setdefault(key, o.inside())
            return
        key = dotted(target)
        if key is None:
            return
        if weak and o is None:
            return
        self.forget(key, env)
        if o is not None:
            env.taint[key] = o
        if kind:
            env.kinds[key] = kind
        if py:
            env.files[key] = py

    def forget(self, key: str, env: Env) -> None:
        env.taint.pop(key, None)
        env.kinds.pop(key, None)
        env.files.pop(key, None)
        prefix = key + "."
        for table in (env.taint, env.kinds):
            if any(k.startswith(prefix) for k in table):
                for k in [k for k in table if k.startswith(prefix)]:
                    del table[k]
        if env.clean:
            env.clean = {c for c in env.clean if not (c == key or c.startswith((prefix, key + "[")))}

    def vouch(self, exprs: set[str], env: Env) -> None:
        """An allowlist check passed for these names/expressions."""
        for e in exprs:
            if e.isidentifier():
                env.taint.pop(e, None)
                prefix = e + "."
                for k in [k for k in env.taint if k.startswith(prefix)]:
                    del env.taint[k]
            else:
                env.clean.add(e)

    def mutation(self, value: ast.expr, env: Env) -> None:
        """`parts.append(code)` makes `parts` hold model text."""
        if isinstance(value, ast.Await):
            value = value.value
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
            return
        if value.func.attr not in cat.MUTATORS:
            return
        o = pick(self.taint(a, env) for a in [*value.args, *(k.value for k in value.keywords)])
        key = dotted(value.func.value)
        if o is not None and key is not None:
            env.taint.setdefault(key, o.inside())

    def record_return(self, value: ast.expr, env: Env) -> None:
        o = self.taint(value, env)
        if o is not None:
            self.returns.append(o)
        kind = self.kind(value, env)
        if kind:
            self.return_kinds.append(kind)

    # ---- guards --------------------------------------------------------------------------

    def names(self, e: ast.expr) -> set[str]:
        """What an allowlist check on `e` vouches for."""
        if isinstance(e, ast.Name):
            return {e.id}
        if isinstance(e, (ast.Attribute, ast.Subscript)) and not any(
            isinstance(n, ast.Call) for n in ast.walk(e)
        ):
            return {ast.unparse(e)}
        return {n.id for n in ast.walk(e) if isinstance(n, ast.Name)}

    def guards(self, test: ast.expr) -> tuple[set[str], set[str]]:
        """Names vouched for when `test` is true, and when it is false."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            t, f = self.guards(test.operand)
            return f, t
        if isinstance(test, ast.BoolOp):
            parts = [self.guards(v) for v in test.values]
            trues, falses = [p[0] for p in parts], [p[1] for p in parts]
            if isinstance(test.op, ast.And):
                return set().union(*trues), set.intersection(*falses)
            return set.intersection(*trues), set().union(*falses)
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op, left, right = test.ops[0], test.left, test.comparators[0]
            if isinstance(op, (ast.In, ast.NotIn)):
                vouched = self.names(left) - {n.id for n in ast.walk(right) if isinstance(n, ast.Name)}
                if isinstance(left, ast.Constant):
                    vouched = set()
                return (vouched, set()) if isinstance(op, ast.In) else (set(), vouched)
            if isinstance(op, (ast.Eq, ast.NotEq)):
                if isinstance(right, ast.Constant):
                    vouched = self.names(left)
                elif isinstance(left, ast.Constant):
                    vouched = self.names(right)
                else:
                    vouched = set()
                return (vouched, set()) if isinstance(op, ast.Eq) else (set(), vouched)
        if isinstance(test, ast.Call):
            func = test.func
            qual = self.ctx.qualname(func)
            if qual in cat.GUARD_FUNCS and len(test.args) >= 2:
                return self.names(test.args[1]), set()
            if isinstance(func, ast.Attribute):
                if func.attr in cat.GUARD_METHODS:
                    return self.names(func.value), set()
                if func.attr in ("fullmatch", "match") and test.args:
                    return self.names(test.args[0]), set()
            fname = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if cat.GUARD_NAME.search(fname):
                return set().union(*(self.names(a) for a in test.args)), set()
        return set(), set()

    # ---- values --------------------------------------------------------------------------

    def taint(self, e: ast.expr, env: Env) -> Origin | None:
        if self.kinds_only:
            return None
        if isinstance(e, ast.Name):
            return env.taint.get(e.id)
        if isinstance(e, (ast.Attribute, ast.Subscript)):
            if env.clean and ast.unparse(e) in env.clean:
                return None
            if isinstance(e, ast.Attribute):
                key = dotted(e)
                if key is not None and key in env.taint:
                    return env.taint[key]
                if e.attr in cat.VALIDATED_ATTRS:
                    return None
            base = self.taint(e.value, env)
            return base.whole() if base else None
        if isinstance(e, ast.Call):
            return self.call(e, env)
        if isinstance(e, ast.Await):
            return self.taint(e.value, env)
        if isinstance(e, ast.JoinedStr):
            found = pick(self.taint(v.value, env) for v in e.values if isinstance(v, ast.FormattedValue))
            return found.whole() if found else None
        if isinstance(e, ast.FormattedValue):
            return self.taint(e.value, env)
        if isinstance(e, ast.BinOp):
            # a + b + c + ... nests to the left: walk the chain without recursing on it.
            terms: list[ast.expr] = []
            node: ast.expr = e
            while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod, ast.Mult)):
                terms.append(node.right)
                node = node.left
            if node is e:
                return None
            terms.append(node)
            found = pick(self.taint(t, env) for t in terms)
            return found.whole() if found else None
        if isinstance(e, ast.BoolOp):
            return pick(self.taint(v, env) for v in e.values)
        if isinstance(e, ast.IfExp):
            return pick([self.taint(e.body, env), self.taint(e.orelse, env)])
        if isinstance(e, (ast.List, ast.Tuple, ast.Set)):
            found = pick(self.taint(v, env) for v in e.elts)
            return found.inside() if found else None
        if isinstance(e, ast.Dict):
            found = pick(self.taint(v, env) for v in [*e.values, *(k for k in e.keys if k)])
            return found.inside() if found else None
        if isinstance(e, ast.Starred):
            return self.taint(e.value, env)
        if isinstance(e, ast.NamedExpr):
            o = self.taint(e.value, env)
            self.bind(e.target, o, self.kind(e.value, env), None, env)
            return o
        if isinstance(e, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            inner = self.comprehension(e, env)
            elts = [e.key, e.value] if isinstance(e, ast.DictComp) else [e.elt]
            found = pick(self.taint(v, inner) for v in elts)
            return found.inside() if found else None
        return None

    def comprehension(
        self, e: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, env: Env
    ) -> Env:
        inner = env.copy()
        for gen in e.generators:
            o = self.taint(gen.iter, inner)
            self.bind(gen.target, o.whole() if o else None, None, None, inner)
        return inner

    def kind(self, e: ast.expr, env: Env) -> str | None:
        if isinstance(e, (ast.Name, ast.Attribute)):
            key = dotted(e)
            return env.kinds.get(key) if key else None
        if isinstance(e, ast.Await):
            return self.kind(e.value, env)
        if isinstance(e, ast.BinOp) and isinstance(e.op, ast.BitOr):
            right = self.kind(e.right, env)
            if right == cat.LC_VALIDATED:
                return right
            if cat.LANGCHAIN in (self.kind(e.left, env), right):
                return cat.LANGCHAIN
            return None
        if not isinstance(e, ast.Call):
            return None
        func = e.func
        kind = cat.kind_of_callable(self.ctx.qualname(func))
        if kind:
            return kind
        fn = self.flow.resolve(func, self.cls)
        if fn is not None:
            return self.flow.kind_summary(fn)
        if isinstance(func, ast.Attribute):
            if func.attr in cat.ENGINE_FACTORIES:
                return cat.LI_ENGINE
            receiver = self.kind(func.value, env)
            if receiver:
                return cat.DERIVED.get(receiver, {}).get(func.attr)
        return None

    def py_path(self, e: ast.expr | None, env: Env) -> tuple[str, str | None] | None:
        """A path to a .py file: its description and module name (when known)."""
        if e is None:
            return None
        if isinstance(e, ast.Constant) and isinstance(e.value, str):
            if e.value.endswith(".py"):
                base = e.value.replace("\\", "/").rsplit("/", 1)[-1][:-3]
                return repr(e.value), base if base.isidentifier() else None
            return None
        if isinstance(e, ast.JoinedStr) and e.values:
            last = e.values[-1]
            if isinstance(last, ast.Constant) and str(last.value).endswith(".py"):
                return "a .py file", None
            return None
        if isinstance(e, (ast.Name, ast.Attribute)):
            key = dotted(e)
            return env.files.get(key) if key else None
        if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Div, ast.Add)):
            return self.py_path(e.right, env)
        if isinstance(e, ast.Call):
            func = e.func
            if isinstance(func, ast.Attribute) and func.attr == "with_suffix":
                arg = call_arg(e, 0)
                if isinstance(arg, ast.Constant) and arg.value == ".py":
                    return "a .py file", None
                return None
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("join", "Path", "PurePath", "abspath", "realpath") and e.args:
                return self.py_path(e.args[-1], env)
        return None

    def py_target(self, e: ast.expr, env: Env) -> tuple[str, str | None] | None:
        """A .py path, or a file opened for writing on one."""
        if isinstance(e, ast.Call):
            func = e.func
            suffix = call_arg(e, -1, "suffix")
            if isinstance(suffix, ast.Constant) and suffix.value == ".py":
                return "a temporary .py file", None  # NamedTemporaryFile(suffix=".py")
            is_open = (isinstance(func, ast.Name) and func.id == "open") or self.ctx.qualname(
                func
            ) in ("io.open", "codecs.open")
            if is_open:
                if _writes(call_arg(e, 1, "mode")):
                    return self.py_path(call_arg(e, 0, "file"), env)
                return None
            if isinstance(func, ast.Attribute) and func.attr == "open":
                if _writes(call_arg(e, 0, "mode")):
                    return self.py_path(func.value, env)
                return None
        return self.py_path(e, env)

    # ---- calls ---------------------------------------------------------------------------

    def is_builtin(self, name: str) -> bool:
        return name not in self.ctx.aliases and name not in self.ctx.bound

    def call(self, e: ast.Call, env: Env) -> Origin | None:
        src = self.source(e, env)
        if src is not None:
            return src
        func = e.func
        args = [*e.args, *(k.value for k in e.keywords)]
        fn = self.flow.resolve(func, self.cls)
        if fn is not None:
            return self.helper(e, fn, env)
        if isinstance(func, ast.Name) and self.is_builtin(func.id):
            if func.id in cat.BUILTIN_PROPAGATORS:
                found = pick(self.taint(a, env) for a in args)
                return found.whole() if found else None
            return None
        qual = self.ctx.qualname(func)
        if qual in cat.PROPAGATORS:
            found = pick(self.taint(a, env) for a in args)
            return found.whole() if found else None
        if not isinstance(func, ast.Attribute):
            return None
        method = func.attr
        if method in cat.VALIDATOR_METHODS:
            return None
        if method in ("decode", "batch_decode"):
            ids = pick(self.taint(a, env) for a in args)
            if ids is not None and ids.label == IDS:
                return Origin(TEXT, f"{ids.desc} decoded by {name_of(func)}()", ids.where)
        receiver = self.taint(func.value, env)
        if receiver is not None:
            if method in cat.VERDICT_METHODS:
                return None
            if receiver.label == IDS and method in ("decode", "batch_decode"):
                return Origin(TEXT, f"{receiver.desc} decoded", receiver.where)
            return receiver.whole()
        if method in cat.ARG_METHODS:
            found = pick(self.taint(a, env) for a in args)
            return found.whole() if found else None
        return None

    def helper(self, e: ast.Call, fn: Func, env: Env) -> Origin | None:
        args = [*e.args, *(k.value for k in e.keywords)]
        if not self.flow.may_hold_text(fn) and not any(self.taint(a, env) for a in args):
            return None  # neither makes model text nor is handed any: no summary needed
        summary = self.flow.summary(fn)
        if summary is None:
            return None
        if summary.text is not None:
            inner = summary.text
            return replace(inner, desc=f"{inner.desc} via {fn.name}()")
        if not summary.params:
            return None
        names = [n for n, _ in parameters(fn, self.flow.owner.get(fn))]
        found: list[Origin | None] = []
        for i in summary.params:
            arg = call_arg(e, i, names[i]) if i < len(names) else None
            if arg is not None:
                found.append(self.taint(arg, env))
        o = pick(found)
        return o.whole() if o else None

    def source(self, e: ast.Call, env: Env) -> Origin | None:
        """Model output produced by this call, if it is a model call."""
        if any(k.arg == "response_model" for k in e.keywords):
            return None  # instructor: the result is validated into a schema
        func = e.func
        if isinstance(func, ast.Name):
            if self.ctx.qualname(func) in cat.MODULE_SOURCES:
                return self.origin(e)
            if env.kinds.get(func.id) in cat.CALLABLE_KINDS:
                return self.origin(e)
            return None
        if isinstance(func, ast.Call):
            return self.origin(e) if self.kind(func, env) in cat.CALLABLE_KINDS else None
        if self.flow.model_urls and self.posts_to_model(e):
            return self.origin(e)
        if not isinstance(func, ast.Attribute):
            return None
        if self.ctx.qualname(func) in cat.MODULE_SOURCES:
            return self.origin(e)
        path = [func.attr]
        node: ast.expr = func.value
        while True:
            kind = self.kind(node, env)
            if kind:
                methods = cat.KIND_METHODS.get(kind, frozenset())
                return self.origin(e) if ".".join(reversed(path)) in methods else None
            if not isinstance(node, ast.Attribute):
                break
            path.append(node.attr)
            node = node.value
        chain = ".".join(reversed(path))
        method = func.attr
        if chain.endswith(("chat.completions.create", "chat.completions.parse")):
            return self.origin(e)
        if method in ("generate_content", "generate_content_async"):
            return self.origin(e)
        if chain.endswith("messages.create") and self.flow.imports("anthropic"):
            return self.origin(e)
        if chain.endswith(("responses.create", "completions.create")) and self.flow.imports("openai"):
            return self.origin(e)
        receiver = func.value
        rname = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
        if (
            cat.LLM_RECEIVER.match(rname)
            and (method in cat.KIND_METHODS[cat.LANGCHAIN] or method in cat.KIND_METHODS[cat.LI_LLM])
            and self.flow.imports("langchain", "llama_index")
        ):
            return self.origin(e)
        owner = self.taint(receiver, env)
        if method == "generate" and (owner is None or owner.label == PARAM):
            return self.origin(e, IDS)
        return None

    def posts_to_model(self, e: ast.Call) -> bool:
        """`requests.post(API_URL, json=...)` where the URL is a model API endpoint."""
        func = e.func
        if self.ctx.qualname(func) not in cat.HTTP_POSTS and not (
            isinstance(func, ast.Attribute) and func.attr == "post"
            and isinstance(func.value, ast.Name) and func.value.id in ("session", "http", "client")
        ):
            return False
        url = call_arg(e, 0, "url")
        if isinstance(url, ast.Name):
            url = self.flow.constants.get(url.id)
        if url is None:
            return False
        parts = [url] if isinstance(url, ast.Constant) else list(ast.walk(url))
        return any(
            isinstance(p, ast.Constant) and isinstance(p.value, str)
            and cat.MODEL_URL.search(p.value) is not None
            for p in parts
        )

    def origin(self, e: ast.Call, label: str = TEXT) -> Origin:
        return Origin(label, f"{name_of(e.func)}()", self.flow.where(e))

    # ---- sinks ---------------------------------------------------------------------------

    def scan(self, root: ast.AST, env: Env) -> None:
        """Check every call in an expression (not in nested scopes) against the sinks.

        Iterative, left to right: machine-written expressions can nest very deep."""
        if self.kinds_only:
            return
        todo: list[tuple[ast.AST, Env]] = [(root, env)]
        lambda_items: dict[int, Origin] = {}
        while todo:
            node, env = todo.pop()
            if isinstance(node, ast.Lambda):
                # A lambda's body runs with the scope's names, less its own parameters.
                inner = env.copy()
                args = node.args
                item = lambda_items.get(id(node))
                for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                    if a is not None:
                        self.forget(a.arg, inner)
                        if item is not None:  # map(lambda c: run(c), cmds): c is an item
                            inner.taint[a.arg] = item.whole()
                todo.append((node.body, inner))
                continue
            if isinstance(node, _SCOPES):
                continue
            if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
                inner = env.copy()
                for gen in node.generators:
                    self.scan(gen.iter, inner)
                    o = self.taint(gen.iter, inner)
                    self.bind(gen.target, o.whole() if o else None, None, None, inner)
                    for cond in gen.ifs:
                        self.scan(cond, inner)
                parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
                todo.extend((p, inner) for p in reversed(parts))
                continue
            if isinstance(node, (ast.Yield, ast.YieldFrom)) and node.value is not None:
                self.record_return(node.value, env)
            elif isinstance(node, ast.NamedExpr):
                self.scan(node.value, env)
                o, kind = self.taint(node.value, env), self.kind(node.value, env)
                self.bind(node.target, o, kind, None, env)
                continue
            elif isinstance(node, ast.Call):
                self.check_sink(node, env)
                func, call_args = node.func, node.args
                if (
                    isinstance(func, ast.Name) and func.id in ("map", "filter")
                    and len(call_args) > 1 and isinstance(call_args[0], ast.Lambda)
                    and self.is_builtin(func.id)
                ):
                    item = pick(self.taint(a, env) for a in call_args[1:])
                    if item is not None:
                        lambda_items[id(call_args[0])] = item
            todo.extend((c, env) for c in reversed(list(ast.iter_child_nodes(node))))

def _literal_pattern(p: ast.pattern) -> bool:
    if isinstance(p, (ast.MatchValue, ast.MatchSingleton)):
        return True
    if isinstance(p, ast.MatchOr):
        return all(_literal_pattern(x) for x in p.patterns)
    return False


def _writes(mode: ast.expr | None) -> bool:
    return (
        isinstance(mode, ast.Constant)
        and isinstance(mode.value, str)
        and any(c in mode.value for c in "wax")
    )
