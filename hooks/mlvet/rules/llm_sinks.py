"""ML701's sinks: calls that run text as code, a shell command, SQL, a pickle or a module.

A mixin of the scope reader (llm_scope.Scope), which supplies `taint`, `kind` and the paths
of .py files; these methods decide whether a call runs model text and report it.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from mlvet.rules import llm_catalog as cat
from mlvet.rules.base import Context
from mlvet.rules.llm_values import PARAM, TEXT, Env, Origin, call_arg, name_of, parameters, pick

if TYPE_CHECKING:
    from mlvet.rules.llm_flow import FileFlow


class SinkRules:
    ctx: Context
    flow: FileFlow
    cls: ast.ClassDef | None
    reporting: bool
    reported: set[int]
    param_sinks: set[tuple[int, str, str, str]]

    def taint(self, e: ast.expr, env: Env) -> Origin | None:
        raise NotImplementedError

    def kind(self, e: ast.expr, env: Env) -> str | None:
        raise NotImplementedError

    def py_path(self, e: ast.expr | None, env: Env) -> tuple[str, str | None] | None:
        raise NotImplementedError

    def py_target(self, e: ast.expr, env: Env) -> tuple[str, str | None] | None:
        raise NotImplementedError

    def is_builtin(self, name: str) -> bool:
        raise NotImplementedError

    def check_sink(self, call: ast.Call, env: Env) -> None:
        found = self.sink(call, env)
        if found is None:
            if self.reporting:
                self.check_write(call, env)
            self.check_helper_sink(call, env)
            return
        category, origin = found
        if origin is not None and origin.label == PARAM and not self.reporting:
            self.param_sinks.add(
                (origin.param, f"{name_of(call.func)}()", self.flow.where(call), category)
            )
            return
        if origin is None or origin.label != TEXT or id(call) in self.reported:
            return
        if not self.reporting:
            return
        self.reported.add(id(call))
        message = (
            f"model output from {origin.desc} ({origin.where}) reaches "
            f"{name_of(call.func)}() ({self.flow.where(call)})"
        )
        self.flow.report(call, message, cat.FIXES[category])

    def check_helper_sink(self, call: ast.Call, env: Env) -> None:
        """`run_code(code)` where the helper `run_code` in this file executes its argument."""
        fn = self.flow.resolve(call.func, self.cls)
        if fn is None:
            return
        args = [*call.args, *(k.value for k in call.keywords)]
        if not any(self.text(a, env) for a in args):
            return
        summary = self.flow.summary(fn)
        if not summary.sinks:
            return
        names = [n for n, _ in parameters(fn, self.flow.owner.get(fn))]
        for index, sink, where, category in sorted(summary.sinks):
            arg = call_arg(call, index, names[index]) if index < len(names) else None
            o = self.text(arg, env)
            if o is None:
                continue
            if o.label == PARAM and not self.reporting:
                self.param_sinks.add((o.param, sink, where, category))
            elif o.label == TEXT and self.reporting and id(call) not in self.reported:
                self.reported.add(id(call))
                message = (
                    f"model output from {o.desc} ({o.where}) reaches {sink} ({where}) "
                    f"through {fn.name}() ({self.flow.where(call)})"
                )
                self.flow.report(call, message, cat.FIXES[category])

    def sink(self, call: ast.Call, env: Env) -> tuple[str, Origin | None] | None:
        """(category, the model text reaching it) when `call` runs its input."""
        func = call.func
        qual = self.flow.qualname(func)
        if isinstance(func, ast.Name) and self.is_builtin(func.id):
            if func.id in cat.CODE_BUILTINS:
                return cat.CODE, self.text(call_arg(call, 0, "source"), env)
            if func.id == "__import__":
                return cat.IMPORT, self.text(call_arg(call, 0, "name"), env)
        if qual is None:
            return self.method_sink(call, env)
        if qual in ("builtins.exec", "builtins.eval", "builtins.compile"):
            return cat.CODE, self.text(call_arg(call, 0, "source"), env)
        if qual in cat.SHELL_STRING:
            return cat.SHELL, self.text(call_arg(call, 0, "cmd", "command"), env)
        if qual.startswith("subprocess.") and qual.rsplit(".", 1)[-1] in cat.SUBPROCESS:
            shell = any(
                k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in call.keywords
            )
            return cat.SHELL, self.argv(call_arg(call, 0, "args"), env, shell)
        if qual == "asyncio.create_subprocess_exec":
            return cat.SHELL, self.argv(ast.List(elts=list(call.args), ctx=ast.Load()), env, False)
        if cat.is_os_exec(qual):
            return cat.SHELL, pick(self.argv(a, env, False) for a in call.args)
        if qual in cat.PICKLE_LOADS:
            return cat.PICKLE, self.text(call_arg(call, 0, "data", "file"), env)
        if qual in cat.SQL_FUNCS:
            return cat.SQL, self.text(call_arg(call, 0, "sql", "query"), env)
        if qual in cat.SQL_TEXT:
            return cat.SQL, self.text(call_arg(call, 0, "text"), env)
        if qual in cat.IMPORT_FUNCS:
            return cat.IMPORT, self.text(call_arg(call, 0, "name"), env)
        return self.method_sink(call, env)

    def method_sink(self, call: ast.Call, env: Env) -> tuple[str, Origin | None] | None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return None
        method, receiver = func.attr, func.value
        if (
            isinstance(receiver, ast.Call)
            and getattr(receiver.func, "id", getattr(receiver.func, "attr", "")) == "get_ipython"
        ):
            # A notebook running text as a cell or a shell line: get_ipython().run_cell(code)
            if method in ("run_cell", "run_cell_async", "ex", "ev"):
                return cat.CODE, self.text(call_arg(call, 0, "raw_cell", "cmd", "expr"), env)
            if method in ("system", "getoutput", "system_raw", "system_piped"):
                return cat.SHELL, self.text(call_arg(call, 0, "cmd"), env)
            return None
        if method not in (
            "execute",
            "executemany",
            "exec_driver_sql",
            "executescript",
            "sql",
            "query",
            "run",
            "run_no_throw",
        ):
            return None
        kind = self.kind(receiver, env)
        db = kind == cat.DB or self.db_like(receiver)
        if method == "executescript" or (method in cat.SQL_METHODS and db):
            return cat.SQL, self.text(
                call_arg(call, 0, "sql", "statement", "operation", "query"), env
            )
        if (method == "sql" and db) or (method == "query" and kind == cat.DB):
            return cat.SQL, self.text(call_arg(call, 0, "sqlQuery", "query", "sql"), env)
        if method in ("run", "run_no_throw") and kind == cat.SQL_DATABASE:
            return cat.SQL, self.text(call_arg(call, 0, "command"), env)
        if method == "run" and kind == cat.PYTHON_REPL:
            return cat.CODE, self.text(call_arg(call, 0, "command"), env)
        return None

    def db_like(self, receiver: ast.expr) -> bool:
        if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute):
            return receiver.func.attr in ("cursor", "connect", "begin")
        name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
        return bool(name) and cat.DB_RECEIVER.search(name) is not None

    def text(self, e: ast.expr | None, env: Env) -> Origin | None:
        """Model text in `e` itself (not merely inside a container it holds)."""
        if e is None:
            return None
        o = self.taint(e, env)
        return o if o is not None and not o.contained else None

    def argv(self, e: ast.expr | None, env: Env, shell: bool) -> Origin | None:
        """Model text that decides what a process runs: the program, or a shell's script."""
        if e is None:
            return None
        if isinstance(e, (ast.List, ast.Tuple)) and e.elts:
            first = self.taint(e.elts[0], env)
            if first is not None:
                return first.whole()
            rest = pick(self.taint(x, env) for x in e.elts[1:])
            runs_script = shell or any(
                isinstance(x, ast.Constant) and x.value in cat.SHELLS for x in e.elts
            )
            return rest.whole() if rest is not None and runs_script else None
        return self.text(e, env)

    def check_write(self, call: ast.Call, env: Env) -> None:
        """Model text written to a .py file that this file then imports or runs."""
        func = call.func
        if not isinstance(func, ast.Attribute):
            return
        if func.attr in ("write", "writelines"):
            target = self.py_target(func.value, env)
        elif func.attr in ("write_text", "write_bytes"):
            target = self.py_path(func.value, env)
        else:
            return
        if target is None or not call.args:
            return
        o = self.taint(call.args[0], env)
        if o is None or o.label != TEXT or id(call) in self.reported:
            return
        desc, stem = target
        line = call.lineno
        loader = next(
            (ln for ln, s in sorted(self.flow.loaders) if ln > line and (s is None or s == stem)),
            None,
        )
        if loader is None:
            return
        self.reported.add(id(call))
        message = (
            f"model output from {o.desc} ({o.where}) is written to {desc} "
            f"({self.flow.where(call)}) and then imported or run "
            f"({self.flow.where(loader)})"
        )
        self.flow.report(call, message, cat.FIXES[cat.CODE])
