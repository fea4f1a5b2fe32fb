"""ML702 (agents given unrestricted code or shell execution) and ML703 (pickle opt-outs).

Both are per-call checks on resolved names and keyword values; no data flow is needed.
"""

from __future__ import annotations

import ast
import re

from mlvet.rules.base import CallSite, Checker, dotted, literal
from mlvet.rules.llm_prefilter import gate

# Tools and agents that execute whatever the model writes: name -> what it hands over.
_EXEC_TOOLS: dict[str, str] = {
    "PythonREPLTool": "an unrestricted Python REPL",
    "PythonAstREPLTool": "an unrestricted Python REPL",
    "PythonREPL": "an unrestricted Python REPL",
    "ShellTool": "a shell",
    "BashProcess": "a shell",
    "LLMBashChain": "a shell that runs model-written commands",
    "create_python_agent": "an unrestricted Python REPL",
    "CodeInterpreterToolSpec": "an unrestricted Python interpreter",
}
# Names distinctive enough to count even when the import is not in this file.
_DISTINCTIVE = frozenset(
    {
        "PythonREPLTool",
        "PythonAstREPLTool",
        "create_python_agent",
        "LLMBashChain",
        "CodeInterpreterToolSpec",
    }
)
# load_tools() names that build a code or shell tool.
_TOOL_NAMES = {
    "python_repl": "an unrestricted Python REPL",
    "terminal": "a shell",
    "shell": "a shell",
    "bash": "a shell",
}
_OPT_IN_FLAGS = {
    "allow_dangerous_code": "lets the agent run model-written Python",
    "allow_dangerous_requests": "lets the agent send arbitrary HTTP requests",
    "allow_dangerous_tools": "enables tools that run code or shell commands",
}
_IMPORT_FLAGS = ("additional_authorized_imports", "authorized_imports")
# Modules whose import alone gives model-written code a shell or arbitrary code.
_EXEC_MODULES = frozenset({"subprocess", "pty", "ctypes", "runpy", "builtins", "importlib", "code"})
_CLASS_FACTORIES = frozenset(
    {
        "from_llm",
        "from_math_prompt",
        "from_colored_object_prompt",
        "from_template",
        "from_llm_and_tools",
    }
)
# langchain 0.0.x pinned in the file (a comment, a requirements string): old chains eval.
_OLD_LANGCHAIN = re.compile(r"langchain\s*==\s*0\.0\.(\d+)")

_DESERIALIZATION_FLAGS = ("allow_dangerous_deserialization", "allow_unsafe_deserialization")
_SKOPS_LOADS = frozenset({"skops.io.load", "skops.io.loads"})


def _callee(call: CallSite) -> str:
    return dotted(call.node.func) or call.name


def _shown(node: ast.expr) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_false(node: ast.expr) -> bool:
    return literal(node) is False


def forwards(flag: str, node: ast.expr) -> bool:
    """`flag=flag`, `flag=self.flag`, `flag=cfg["flag"]`, `flag=data.get("flag", ...)`:
    a wrapper passing its caller's choice on. The caller that sets the flag is reported."""
    if isinstance(node, ast.Name):
        return node.id == flag
    if isinstance(node, ast.Attribute):
        return node.attr == flag
    if isinstance(node, ast.Subscript):
        return literal(node.slice) == flag
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
    ):
        return bool(node.args) and literal(node.args[0]) == flag
    return False


def _class_and_module(qual: str) -> tuple[str, str]:
    """`langchain.chains.PALChain.from_math_prompt` -> ("PALChain", "langchain")."""
    parts = qual.split(".")
    if parts[-1] in _CLASS_FACTORIES and len(parts) > 2:
        parts = parts[:-1]
    return parts[-1], parts[0]


def _langchain(top: str) -> bool:
    return top == "langchain" or top.startswith("langchain_")


class DangerousAgentToolChecker(Checker):
    codes = ("ML702",)
    # The opt-in flags count anywhere; the tool classes only in files importing the framework.
    pattern = gate(
        "ML702",
        modules=("langchain", "llama_index"),
        words=("allow_dangerous_", "authorized_imports"),
        names=(
            "REPL",
            "ShellTool",
            "BashProcess",
            "BashChain",
            "python_agent",
            "load_tools",
            "PALChain",
            "MathChain",
            "CodeInterpreter",
            "PandasQueryEngine",
        ),
    )

    def on_call(self, call: CallSite) -> None:
        self._tool(call)
        self._flags(call)

    def _tool(self, call: CallSite) -> None:
        ctx = self.ctx
        qual = call.qualname
        if qual is not None:
            name, top = _class_and_module(qual)
            if not (_langchain(top) or top == "llama_index"):
                return
        elif (
            isinstance(call.node.func, ast.Name)
            and call.name in _DISTINCTIVE
            and call.name not in ctx.bound
        ):
            name, top = call.name, ""
        else:
            return
        what = _EXEC_TOOLS.get(name)
        if what is not None:
            ctx.report("ML702", call.node, f"{name} gives an agent {what}")
            return
        if name == "load_tools":
            self._load_tools(call)
        elif name == "PALChain" and top == "langchain":
            ctx.report(
                "ML702",
                call.node,
                "PALChain from langchain (before langchain_experimental) executes "
                "model-written Python without a guard",
            )
        elif name == "LLMMathChain" and self._old_math_chain(qual or ""):
            ctx.report(
                "ML702",
                call.node,
                "LLMMathChain in langchain 0.0.x evaluates model-written Python (CVE-2023-29374)",
            )
        elif (
            name == "PandasQueryEngine"
            and top == "llama_index"
            and "experimental" not in (qual or "")
        ):
            ctx.report(
                "ML702",
                call.node,
                "PandasQueryEngine in llama_index before 0.10 evals model-written "
                "pandas code (CVE-2023-39662)",
            )

    def _old_math_chain(self, qual: str) -> bool:
        if qual.split(".")[:2] == ["langchain", "LLMMathChain"]:
            return True  # `from langchain import LLMMathChain`: the 0.0.x layout
        pin = _OLD_LANGCHAIN.search(self.ctx.source.text)
        return pin is not None and int(pin.group(1)) < 142

    def _load_tools(self, call: CallSite) -> None:
        names = call.arg(0, "tool_names")
        if not isinstance(names, (ast.List, ast.Tuple, ast.Set)):
            return
        for elt in names.elts:
            value = literal(elt)
            if isinstance(value, str) and value in _TOOL_NAMES:
                self.ctx.report(
                    "ML702",
                    call.node,
                    f"load_tools([{value!r}]) gives an agent {_TOOL_NAMES[value]}",
                )
                return

    def _flags(self, call: CallSite) -> None:
        for kw in call.node.keywords:
            if (
                kw.arg in _OPT_IN_FLAGS
                and not _is_false(kw.value)
                and literal(kw.value) is not None
                and not forwards(kw.arg, kw.value)
            ):
                shown = _shown(kw.value)
                self.ctx.report(
                    "ML702",
                    call.node,
                    f"{_callee(call)}(..., {kw.arg}={shown}) {_OPT_IN_FLAGS[kw.arg]}",
                )
            elif kw.arg in _IMPORT_FLAGS:
                item = self._risky_import(kw.value)
                if item == "*":
                    self.ctx.report(
                        "ML702",
                        call.node,
                        f"{_callee(call)}(..., {kw.arg}=['*']) lets model-written code import any "
                        "module (os, subprocess): unrestricted execution",
                    )
                elif item is not None:
                    self.ctx.report(
                        "ML702",
                        call.node,
                        f"{_callee(call)}(..., {kw.arg}=[{item!r}]) lets model-written code run "
                        "processes or arbitrary code through that module",
                    )

    def _risky_import(self, value: ast.expr) -> str | None:
        """The entry of an authorized-imports list that opens unrestricted execution:
        "*", or a module that runs processes or code (not `os`: smolagents blocks
        os.system and os.popen, and `os` is mostly authorised for paths)."""
        if isinstance(value, ast.Name):
            value = _module_constant(self.ctx.tree, value.id) or value
        if not isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            return None
        found: str | None = None
        for e in value.elts:
            item = literal(e)
            if item == "*":
                return "*"
            if isinstance(item, str) and item.split(".")[0] in _EXEC_MODULES and found is None:
                found = item
        return found


def _module_constant(tree: ast.Module, name: str) -> ast.expr | None:
    """The value a module-level `NAME = [...]` assigns (the last one)."""
    found: ast.expr | None = None
    for st in tree.body:
        if isinstance(st, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in st.targets
        ):
            found = st.value
    return found


class DangerousDeserializationChecker(Checker):
    codes = ("ML703",)
    pattern = gate(
        "ML703",
        modules=(),
        # substring tests first: the regexes then run only on the few files naming a flag
        require=("_deserializ", "trusted"),
        extra=(r"allow_(?:dangerous|unsafe)_deserializ", r"trusted\s*=\s*True"),
    )
    node_types = (ast.Dict,)

    def on_call(self, call: CallSite) -> None:
        for kw in call.node.keywords:
            if (
                kw.arg in _DESERIALIZATION_FLAGS
                and not _is_false(kw.value)
                and not forwards(kw.arg, kw.value)
            ):
                shown = _shown(kw.value)
                self.ctx.report(
                    "ML703",
                    call.node,
                    f"{_callee(call)}(..., {kw.arg}={shown}) unpickles files from disk: a "
                    "tampered index or store runs code when loaded",
                )
        if call.qualname in _SKOPS_LOADS:
            trusted = call.kwarg("trusted")
            if trusted is not None and literal(trusted) is True:
                self.ctx.report(
                    "ML703",
                    call.node,
                    f"{call.qualname}(..., trusted=True) trusts every type in the file: "
                    "it loads arbitrary pickled objects",
                )

    def on_node(self, node: ast.AST) -> None:
        # kwargs = {"allow_dangerous_deserialization": True}; FAISS.load_local(**kwargs)
        assert isinstance(node, ast.Dict)
        stack = self.ctx.stack
        parent = stack[-1] if stack else None
        where: ast.AST = node  # passed straight to a call: point at that call
        if isinstance(parent, ast.Call):
            where = parent
        elif isinstance(parent, ast.keyword) and len(stack) > 1 and isinstance(stack[-2], ast.Call):
            where = stack[-2]
        for key, value in zip(node.keys, node.values, strict=True):
            flag = literal(key) if key is not None else None
            if (
                flag in _DESERIALIZATION_FLAGS
                and not _is_false(value)
                and not forwards(str(flag), value)
            ):
                self.ctx.report(
                    "ML703",
                    where,
                    f"{literal(key)} set in a keyword dict: the loader it feeds unpickles "
                    "files from disk",
                )
