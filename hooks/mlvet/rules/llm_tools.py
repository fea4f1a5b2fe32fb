"""ML702 for hand-written agent tools: a function registered as a tool (`@tool`,
`Tool(func=...)`, `StructuredTool.from_function`, `FunctionTool.from_defaults`) that hands
its argument straight to exec/eval or a shell. The agent's model writes that argument."""

from __future__ import annotations

import ast

from mlvet.rules.base import CallSite, Checker, Context, literal
from mlvet.rules.llm_prefilter import gate

Func = ast.FunctionDef | ast.AsyncFunctionDef

_FRAMEWORKS = ("langchain", "llama_index", "smolagents", "transformers", "crewai")
# Wrappers that turn a function into a tool, and where the function goes.
_WRAPPERS: dict[str, tuple[int, str]] = {
    "Tool": (1, "func"),
    "Tool.from_function": (0, "func"),
    "StructuredTool.from_function": (0, "func"),
    "FunctionTool.from_defaults": (0, "fn"),
    "FunctionTool": (0, "fn"),
}
_CODE = frozenset({"exec", "eval", "compile"})
_SHELL_STRING = frozenset(
    {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"}
)
_SUBPROCESS = frozenset({"run", "call", "check_call", "check_output", "Popen"})
_PASS_THROUGH = frozenset(
    {"split", "strip", "dedent", "format", "join", "replace", "lstrip", "rstrip"}
)


def _framework(qual: str | None) -> bool:
    if not qual:
        return False
    top = qual.split(".")[0]
    return top.startswith(_FRAMEWORKS)


class CustomExecToolChecker(Checker):
    codes = ("ML702",)
    pattern = gate(
        "ML702-tools",
        modules=_FRAMEWORKS[:4],
        need_sink=True,
        names=("@tool", "Tool(", "from_function", "from_defaults"),
    )
    node_types = (ast.FunctionDef, ast.AsyncFunctionDef)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._defs: dict[str, Func] = {}
        self._tools: list[Func] = []
        self._wrapped: list[str] = []

    def on_node(self, node: ast.AST) -> None:
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        self._defs[node.name] = node
        for deco in node.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            qual = self.ctx.qualname(target)
            if _framework(qual) and (qual or "").rsplit(".", 1)[-1] == "tool":
                self._tools.append(node)
                return

    def on_call(self, call: CallSite) -> None:
        qual = call.qualname
        if not _framework(qual) and not (
            isinstance(call.node.func, ast.Attribute)
            and _framework(self.ctx.qualname(call.node.func.value))
        ):
            return
        parts = (qual or "").split(".")
        for size in (2, 1):
            where = _WRAPPERS.get(".".join(parts[-size:]))
            if where is not None:
                arg = call.arg(*where)
                if isinstance(arg, ast.Name):
                    self._wrapped.append(arg.id)
                return

    def finish(self) -> None:
        seen: set[int] = set()
        for fn in [*self._tools, *(self._defs[n] for n in self._wrapped if n in self._defs)]:
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            found = self._runs_argument(fn)
            if found is not None:
                sink, what, node = found
                self.ctx.report(
                    "ML702",
                    fn,
                    f"tool {fn.name}() passes its argument to {sink} (line {node.lineno}): "
                    f"the agent gets unrestricted {what}",
                )

    def _runs_argument(self, fn: Func) -> tuple[str, str, ast.Call] | None:
        params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
        for node in _walk_body(fn):
            if not isinstance(node, ast.Call):
                continue
            found = self._sink(node, params)
            if found is not None:
                return found[0], found[1], node
        return None

    def _sink(self, call: ast.Call, params: set[str]) -> tuple[str, str] | None:
        func = call.func
        arg = call.args[0] if call.args and not isinstance(call.args[0], ast.Starred) else None
        if isinstance(func, ast.Name) and func.id in _CODE and func.id not in self.ctx.bound:
            return (f"{func.id}()", "Python execution") if _mentions(arg, params) else None
        qual = self.ctx.qualname(func)
        if qual is None:
            return None
        if qual in _SHELL_STRING:
            return (f"{qual}()", "shell execution") if _mentions(arg, params) else None
        if qual.startswith("subprocess.") and qual.rsplit(".", 1)[-1] in _SUBPROCESS:
            if arg is None:
                kw = next((k.value for k in call.keywords if k.arg == "args"), None)
                arg = kw
            shell = any(k.arg == "shell" and literal(k.value) is True for k in call.keywords)
            if isinstance(arg, (ast.List, ast.Tuple)):
                script = any(literal(e) in ("-c", "/c") for e in arg.elts)
                hit = (arg.elts and _mentions(arg.elts[0], params)) or (
                    (script or shell) and any(_mentions(e, params) for e in arg.elts)
                )
                return (f"{qual}()", "shell execution") if hit else None
            return (f"{qual}()", "shell execution") if _mentions(arg, params) else None
        return None


def _walk_body(fn: Func) -> list[ast.AST]:
    out: list[ast.AST] = []
    todo: list[ast.AST] = list(fn.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        out.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return out


def _mentions(e: ast.expr | None, params: set[str]) -> bool:
    """The expression is a parameter, or text built directly from one."""
    if e is None:
        return False
    if isinstance(e, ast.Name):
        return e.id in params
    if isinstance(e, ast.JoinedStr):
        return any(
            isinstance(v, ast.FormattedValue) and _mentions(v.value, params) for v in e.values
        )
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Mod)):
        return _mentions(e.left, params) or _mentions(e.right, params)
    if isinstance(e, ast.Call):
        func = e.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _PASS_THROUGH:
            if isinstance(func, ast.Attribute) and _mentions(func.value, params):
                return True
            return any(_mentions(a, params) for a in e.args)
    return False
