"""ML701: one scope (a function body or the module body) read statement by statement.

Keeps the environment (which names hold model text, clients, .py paths), merges branches,
applies allowlist guards, and checks every call against the sinks (llm_sinks.py); the
values of expressions come from llm_exprs.py.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from mlvet.rules import llm_catalog as cat
from mlvet.rules.base import dotted
from mlvet.rules.llm_exprs import ExprRules
from mlvet.rules.llm_sinks import SinkRules
from mlvet.rules.llm_values import (
    PARAM,
    TEXT,
    Env,
    Func,
    Origin,
    Summary,
    merge,
    parameters,
    pick,
)

if TYPE_CHECKING:
    from mlvet.rules.llm_flow import FileFlow

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


class Scope(ExprRules, SinkRules):
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
            env.kinds.update(self.flow.outer_kinds(self.fn))
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
                        item.optional_vars,
                        self.taint(ce, env),
                        self.kind(ce, env),
                        self.py_target(ce, env),
                        env,
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
            env.clean = {
                c for c in env.clean if not (c == key or c.startswith((prefix, key + "[")))
            }

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
                vouched = self.names(left) - {
                    n.id for n in ast.walk(right) if isinstance(n, ast.Name)
                }
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
                    isinstance(func, ast.Name)
                    and func.id in ("map", "filter")
                    and len(call_args) > 1
                    and isinstance(call_args[0], ast.Lambda)
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
