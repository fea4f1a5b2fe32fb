"""ML701: what an expression holds (model text, a client, a .py path) and which calls
make model text (sources), pass it on (propagators, helpers) or vouch for it (validators).

A mixin of the scope reader (llm_scope.Scope), which supplies the bindings.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING

from mlvet.rules import llm_catalog as cat
from mlvet.rules.base import Context, dotted
from mlvet.rules.llm_values import (
    IDS,
    PARAM,
    TEXT,
    Env,
    Func,
    Origin,
    call_arg,
    name_of,
    parameters,
    pick,
)

if TYPE_CHECKING:
    from mlvet.rules.llm_flow import FileFlow


class ExprRules:
    ctx: Context
    flow: FileFlow
    cls: ast.ClassDef | None
    kinds_only: bool

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
        raise NotImplementedError

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
            found = pick(
                self.taint(v.value, env) for v in e.values if isinstance(v, ast.FormattedValue)
            )
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
        kind = cat.kind_of_callable(self.flow.qualname(func))
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
            if self.flow.qualname(func) in cat.MODULE_SOURCES:
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
        if self.flow.qualname(func) in cat.MODULE_SOURCES:
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
        if chain.endswith(("responses.create", "completions.create")) and self.flow.imports(
            "openai"
        ):
            return self.origin(e)
        receiver = func.value
        rname = (
            receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
        )
        if (
            cat.LLM_RECEIVER.match(rname)
            and (
                method in cat.KIND_METHODS[cat.LANGCHAIN] or method in cat.KIND_METHODS[cat.LI_LLM]
            )
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
            isinstance(func, ast.Attribute)
            and func.attr == "post"
            and isinstance(func.value, ast.Name)
            and func.value.id in ("session", "http", "client")
        ):
            return False
        url = call_arg(e, 0, "url")
        if isinstance(url, ast.Name):
            url = self.flow.constants.get(url.id)
        if url is None:
            return False
        parts = [url] if isinstance(url, ast.Constant) else list(ast.walk(url))
        return any(
            isinstance(p, ast.Constant)
            and isinstance(p.value, str)
            and cat.MODEL_URL.search(p.value) is not None
            for p in parts
        )

    def origin(self, e: ast.Call, label: str = TEXT) -> Origin:
        return Origin(label, f"{name_of(e.func)}()", self.flow.where(e))


def _writes(mode: ast.expr | None) -> bool:
    return (
        isinstance(mode, ast.Constant)
        and isinstance(mode.value, str)
        and any(c in mode.value for c in "wax")
    )
