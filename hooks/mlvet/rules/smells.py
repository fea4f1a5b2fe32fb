"""ML correctness smells (ML203-ML207): training and evaluation bugs that run silently.

These rules are precise rather than broad: each one fires on the shape of code that is
wrong, and stays silent wherever the code could reasonably be right.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field

from mlvet.registry import Rule
from mlvet.rules.base import CallSite, Checker, Context, dotted, literal
from mlvet.rules.ml2_gates_smells import (
    INDEXED_AGAIN,
    ChainedAssignmentGate,
    EvalModeGate,
    LeakageGate,
    ZeroGradGate,
)
from mlvet.rules.ml2_prefilter import AllOf
from mlvet.rules.smells_names import (
    CV_FUNCTIONS,
    CV_SPLITTERS,
    FITTED_TRANSFORMERS,
    MODULE_BASES,
    MODULE_FACTORIES,
    OPTIMIZER_CLASSES,
    SEARCHERS,
    SPLITTERS,
    TRANSFORMER_FACTORIES,
)
from mlvet.rules.smells_names import (
    EVAL_FUNC as _EVAL_FUNC,
)
from mlvet.rules.smells_names import (
    FACTORY_NAME as _FACTORY_NAME,
)
from mlvet.rules.smells_names import (
    FRAME_NAME as _FRAME_NAME,
)
from mlvet.rules.smells_names import (
    HOOK_FUNC as _HOOK_FUNC,
)
from mlvet.rules.smells_names import (
    MODEL_NAME as _MODEL_NAME,
)

LOOPS = (ast.For, ast.AsyncFor, ast.While)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
TORCH_ROOTS = ("torch", "lightning", "pytorch_lightning", "lightning_fabric", "torchvision")


def uses_torch(ctx: Context) -> bool:
    """The file imports torch (or a torch framework): the torch-only rules apply."""
    return any(target.split(".")[0] in TORCH_ROOTS for target in ctx.aliases.values())


def scope_loops(ctx: Context) -> list[ast.AST]:
    """Loops enclosing the current node inside its function (innermost last)."""
    out: list[ast.AST] = []
    for node in reversed(ctx.stack):
        if isinstance(node, SCOPES):
            break
        if isinstance(node, LOOPS):
            out.append(node)
    out.reverse()
    return out


def current_scope(ctx: Context) -> ast.AST:
    for node in reversed(ctx.stack):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return node
    return ctx.tree


def ident(node: ast.expr) -> str | None:
    """The identifier an expression is named by: `self.optim` -> optim, `opts[0]` -> opts."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return node.attr
        if isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return None


def receiver(call: ast.Call) -> ast.expr | None:
    return call.func.value if isinstance(call.func, ast.Attribute) else None


def base_name(node: ast.expr) -> str | None:
    """The variable an expression reads from: `X[:, 1:]` -> X, `df.a.values` -> df."""
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def pos(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


# -- training-step detection (shared by ML203 and ML205) -------------------------------

_OPT_NAME = re.compile(r"opt", re.IGNORECASE)
_NOT_OPT_NAME = re.compile(r"sched|warmup|lr_", re.IGNORECASE)


def is_backward(call: CallSite) -> bool:
    if call.name in ("backward", "manual_backward"):
        return isinstance(call.node.func, ast.Attribute) or call.qualname is not None
    return False


def is_optimizer_name(text: str | None) -> bool:
    return (
        bool(text) and bool(_OPT_NAME.search(text or "")) and not _NOT_OPT_NAME.search(text or "")
    )


def is_optimizer_step(call: CallSite, optimizers: set[str]) -> bool:
    if call.name == "optimizer_step":  # torch_xla's xm.optimizer_step(opt)
        return True
    if call.name != "step":
        return False
    recv = receiver(call.node)
    if recv is None:
        return False
    if is_optimizer_name(ident(recv)) or dotted(recv) in optimizers:
        return True
    # GradScaler: scaler.step(optimizer)
    return any(is_optimizer_name(ident(a)) or dotted(a) in optimizers for a in call.node.args)


def optimizer_target(ctx: Context, node: ast.Assign) -> list[str]:
    """Names bound to a new optimizer: `g = torch.optim.Adam(...)`."""
    value = node.value
    if not isinstance(value, ast.Call):
        return []
    q = ctx.qualname(value.func) or ""
    last = q.rpartition(".")[2] or (ident(value.func) or "")
    is_opt = (q.startswith("torch.optim.") and "lr_scheduler" not in q) or last in OPTIMIZER_CLASSES
    if not is_opt:
        return []
    return [d for t in node.targets if (d := dotted(t)) is not None]


# -- ML203 gradients-not-cleared --------------------------------------------------------


@dataclass
class _LoopFacts:
    node: ast.AST
    outer: list[ast.AST]
    backward: bool = False
    step: bool = False
    zero: bool = False


class ZeroGradChecker(Checker):
    """ML203: a loop that runs backward() and optimizer.step() but never clears gradients."""

    codes = ("ML203",)
    # A loop holding a backward call and an optimizer step, and no zero_grad() of its own.
    pattern = ZeroGradGate()
    node_types = (ast.For, ast.AsyncFor, ast.While, ast.Assign, ast.AugAssign)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.loops: dict[int, _LoopFacts] = {}
        self.optimizers: set[str] = set()

    def on_node(self, node: ast.AST) -> None:
        if isinstance(node, LOOPS):
            self.loops[id(node)] = _LoopFacts(node, scope_loops(self.ctx))
        elif isinstance(node, ast.Assign):
            made = optimizer_target(self.ctx, node)
            self.optimizers.update(made)
            if made:
                self._mark("zero")  # a new optimizer (and usually new parameters) per iteration
            if any(isinstance(t, ast.Attribute) and t.attr == "grad" for t in node.targets):
                self._mark("zero")  # `p.grad = None`

    def on_call(self, call: CallSite) -> None:
        if is_backward(call):
            self._mark("backward")
        elif "zero_grad" in call.name or (
            call.name == "zero_" and "grad" in (dotted(receiver(call.node) or call.node) or "")
        ):
            self._mark("zero")
        elif is_optimizer_step(call, self.optimizers):
            self._mark("step")

    def _mark(self, what: str) -> None:
        for loop in scope_loops(self.ctx):
            facts = self.loops.get(id(loop))
            if facts is not None:
                setattr(facts, what, True)

    def finish(self) -> None:
        # A loop whose inner loop already trains is judged by that inner loop.
        covered: set[int] = set()
        for facts in self.loops.values():
            if facts.backward and facts.step:
                covered.update(id(o) for o in facts.outer)
        for key, facts in self.loops.items():
            if facts.backward and facts.step and not facts.zero and key not in covered:
                self.ctx.report(
                    "ML203",
                    facts.node,
                    "this loop calls backward() and optimizer.step() but never zero_grad(): "
                    "gradients accumulate across iterations",
                )


# -- ML204 preprocessing-leakage --------------------------------------------------------


@dataclass
class _Taint:
    fit: ast.Call  # where the statistics were learned
    label: str  # "StandardScaler"


@dataclass
class _LeakScope:
    instances: dict[str, str] = field(default_factory=dict)  # name -> transformer class
    searchers: set[str] = field(default_factory=set)
    splitters: set[str] = field(default_factory=set)
    taint: dict[str, _Taint] = field(default_factory=dict)
    after_split: set[str] = field(default_factory=set)


class LeakageChecker(Checker):
    """ML204: statistics learned on data that is split or cross-validated afterwards."""

    codes = ("ML204",)
    # A preprocessor's fit, then a split or cross-validation in the same function.
    pattern = LeakageGate()
    node_types = (ast.Assign, ast.AnnAssign)
    # The fit and the split are in one function, which then says `fit`. Other definitions
    # matter through imports (what is sklearn) and class bodies, whose assignments the
    # walk records at module scope; a function's own names are its own.
    fragment_words = ("fit", "import", "class")

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.scopes: dict[int, _LeakScope] = {}
        self.reported: set[int] = set()

    def _scope(self) -> _LeakScope:
        return self.scopes.setdefault(id(current_scope(self.ctx)), _LeakScope())

    def _module_scope(self) -> _LeakScope:
        return self.scopes.setdefault(id(self.ctx.tree), _LeakScope())

    def _sklearn_name(self, func: ast.expr) -> str | None:
        q = self.ctx.qualname(func)
        if q is None or not q.startswith("sklearn."):
            return None
        return q.rpartition(".")[2]

    def _transformer_of(self, recv: ast.expr) -> str | None:
        """The transformer class behind `scaler` or `StandardScaler()`."""
        if isinstance(recv, ast.Call):
            name = self._sklearn_name(recv.func)
            if name in FITTED_TRANSFORMERS or name in TRANSFORMER_FACTORIES:
                return "ColumnTransformer" if name in TRANSFORMER_FACTORIES else name
            return None
        key = dotted(recv)
        if key is None:
            return None
        return self._scope().instances.get(key) or self._module_scope().instances.get(key)

    def _fit_call(self, call: ast.Call) -> tuple[str, ast.expr] | None:
        """`scaler.fit(X)` / `.fit_transform(X)` -> (class, X), for data not yet split."""
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr not in ("fit", "fit_transform"):
            return None
        label = self._transformer_of(func.value)
        if label is None:
            return None
        data = (
            call.args[0]
            if call.args
            else next((kw.value for kw in call.keywords if kw.arg in ("X", "raw_documents")), None)
        )
        if data is None or isinstance(data, ast.Starred):
            return None
        name = base_name(data)
        scope = self._scope()
        if name is None or name in scope.after_split or self._in_fold(data):
            return None
        return label, data

    def _in_fold(self, data: ast.expr) -> bool:
        """`X[train_idx]` inside `for train_idx, test_idx in cv.split(X)`: a fold's rows."""
        used: set[str] = set()
        node = data
        while isinstance(node, (ast.Subscript, ast.Attribute)):
            if isinstance(node, ast.Subscript):
                used |= names_in(node.slice)
            node = node.value
        if not used:
            return False
        for anc in reversed(self.ctx.stack):
            if isinstance(anc, (ast.For, ast.AsyncFor)) and used & names_in(anc.target):
                return True
        return False

    def on_node(self, node: ast.AST) -> None:
        assert isinstance(node, (ast.Assign, ast.AnnAssign))
        value = node.value
        if value is None:
            return
        targets: list[ast.expr] = node.targets if isinstance(node, ast.Assign) else [node.target]
        scope = self._scope()
        if isinstance(value, ast.Call):
            name = self._sklearn_name(value.func)
            if name is not None:
                for t in targets:
                    key = dotted(t)
                    if key is None:
                        continue
                    if name in FITTED_TRANSFORMERS or name in TRANSFORMER_FACTORIES:
                        scope.instances[key] = (
                            "ColumnTransformer" if name in TRANSFORMER_FACTORIES else name
                        )
                    elif name in SEARCHERS:
                        scope.searchers.add(key)
                    elif name in CV_SPLITTERS:
                        scope.splitters.add(key)
                if name in SPLITTERS:
                    for n in self._target_names(targets):
                        scope.after_split.add(n)
                        scope.taint.pop(n, None)
                    return
        origin: _Taint | None = None
        for sub in ast.walk(value):
            if isinstance(sub, ast.Call):
                fit = self._fit_call(sub)
                if fit is not None:  # fit_transform(X), fit(X).transform(X)
                    origin = _Taint(sub, fit[0])
                    break
            elif isinstance(sub, ast.Name) and sub.id in scope.taint and origin is None:
                origin = scope.taint[sub.id]
        for t in targets:
            elts = t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]
            for bound in [base_name(e) for e in elts]:
                if bound is None:
                    continue
                if origin is not None:
                    scope.taint[bound] = origin
                    scope.after_split.discard(bound)
                elif isinstance(t, (ast.Name, ast.Tuple, ast.List)):
                    scope.taint.pop(bound, None)  # rebound to clean data

    @staticmethod
    def _target_names(targets: list[ast.expr]) -> list[str]:
        out: list[str] = []
        for t in targets:
            elts = t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]
            out.extend(n for e in elts if (n := base_name(e)) is not None)
        return out

    def on_call(self, call: CallSite) -> None:
        node = call.node
        fit = self._fit_call(node)
        if fit is not None:
            label, data = fit
            name = base_name(data)
            scope = self._scope()
            if name is not None and name not in scope.taint:
                scope.taint[name] = _Taint(node, label)
            return
        sink = self._sink_data(call)
        if sink is None:
            return
        where, exprs = sink
        scope = self._scope()
        for expr in exprs:
            for n in sorted(names_in(expr)):
                taint = scope.taint.get(n)
                if taint is None or id(taint.fit) in self.reported:
                    continue
                self.reported.add(id(taint.fit))
                self.ctx.report(
                    "ML204",
                    taint.fit,
                    f"{taint.label} is fitted on `{n}` before it is split or cross-validated "
                    f"by {where} (line {node.lineno}): test folds leak into the statistics",
                )

    def _sink_data(self, call: CallSite) -> tuple[str, list[ast.expr]] | None:
        node = call.node
        name = self._sklearn_name(node.func)
        if name in SPLITTERS:
            return name, [a for a in node.args if not isinstance(a, ast.Starred)]
        if name in CV_FUNCTIONS:
            x = call.arg(CV_FUNCTIONS[name], "X")
            return (name, [x]) if x is not None else None
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in ("fit", "split"):
            return None
        recv = func.value
        scope = self._scope()
        key = dotted(recv)
        if isinstance(recv, ast.Call):
            recv_name = self._sklearn_name(recv.func)
            kind = recv_name if recv_name in SEARCHERS or recv_name in CV_SPLITTERS else None
        elif key in scope.searchers or key in self._module_scope().searchers:
            kind = "GridSearchCV"
        elif key in scope.splitters or key in self._module_scope().splitters:
            kind = "KFold"
        else:
            kind = None
        if kind is None:
            return None
        if (kind in SEARCHERS) != (func.attr == "fit"):
            return None
        x = call.arg(0, "X")
        return (f"{kind}.{func.attr}", [x]) if x is not None else None


# -- ML205 missing-eval-mode ------------------------------------------------------------

NO_GRAD = frozenset(
    {
        "torch.no_grad",
        "torch.inference_mode",
        "torch.autograd.no_grad",
        "torch.autograd.grad_mode.no_grad",
        "torch.autograd.inference_mode",
    }
)
# Objects that come back in the mode they were saved in, or manage the mode themselves.
PRETRAINED_FACTORIES = (
    "torch.jit.load",
    "torch.load",
    "transformers.",
    "sentence_transformers.",
    "diffusers.",
    "peft.",
    "open_clip.",
    "clip.load",
)
_CHAIN_METHODS = frozenset(
    {
        "to",
        "cuda",
        "cpu",
        "float",
        "double",
        "half",
        "bfloat16",
        "eval",
        "train",
        "requires_grad_",
        "share_memory",
    }
)


@dataclass
class _ModeEvent:
    kind: str  # "eval", "train", "step"
    where: tuple[int, int]
    recv: str
    loops: tuple[int, ...]
    node: ast.AST


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


class EvalModeChecker(Checker):
    """ML205: evaluation without .eval(), or .eval() never undone before training."""

    codes = ("ML205",)
    # A module called in an evaluating block and never put in eval mode, or an .eval()
    # that a later optimizer step may find still on.
    pattern = EvalModeGate()
    node_types = (
        ast.ClassDef,
        ast.Assign,
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.Import,
        ast.ImportFrom,
    )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.functions: set[str] = set()
        self.module_classes: set[str] = set()
        self.module_vars: set[str] = set()
        self.pretrained: set[str] = set()
        self.evaled: set[str] = set()
        self.trained: set[str] = set()
        self.any_eval = False
        self.any_step = False
        self.imported: set[str] = set()
        self.called_outside: set[str] = set()
        self.optimizers: set[str] = set()
        # (callee, call, evaluating scope, in a module's own method, in any class)
        self.candidates: list[tuple[str, ast.Call, int, bool, bool]] = []
        self.events: dict[int, list[_ModeEvent]] = {}
        base = os.path.basename(ctx.source.path)
        self.test_file = (
            base.startswith("test_")
            or base.endswith("_test.py")
            or base in ("conftest.py", "tests.py")
        )

    # facts about names
    def on_node(self, node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.functions.add(node.name)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self.imported.update((a.asname or a.name).split(".")[0] for a in node.names)
            return
        if isinstance(node, ast.ClassDef):
            bases = [dotted(b) or "" for b in node.bases]
            module_base = any(
                b.rpartition(".")[2].endswith(MODULE_BASES) or b in self.module_classes
                for b in bases
            )
            has_forward = any(
                isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "forward"
                for s in node.body
            )
            if module_base or has_forward:
                self.module_classes.add(node.name)
            return
        assert isinstance(node, ast.Assign)
        self.optimizers.update(optimizer_target(self.ctx, node))
        value = node.value
        evaled = False
        while (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr in _CHAIN_METHODS
        ):
            if value.func.attr == "eval" or (value.func.attr == "train" and self._train_off(value)):
                evaled = True
            value = value.func.value
        if not isinstance(value, ast.Call):
            return
        q = self.ctx.qualname(value.func) or ""
        callee = dotted(value.func) or ""
        is_module = callee.rpartition(".")[2] in self.module_classes or q.startswith(
            MODULE_FACTORIES
        )
        pretrained = (
            isinstance(value.func, ast.Attribute) and value.func.attr == "from_pretrained"
        ) or q.startswith(PRETRAINED_FACTORIES)
        for t in node.targets:
            key = dotted(t)
            if key is None:
                continue
            if is_module:
                self.module_vars.add(key)
            if pretrained:
                self.pretrained.add(key)
            if evaled:
                self.evaled.add(key)

    @staticmethod
    def _train_off(node: ast.Call) -> bool:
        arg = (
            node.args[0]
            if node.args
            else next((kw.value for kw in node.keywords if kw.arg == "mode"), None)
        )
        return arg is not None and literal(arg) is False

    def on_call(self, call: CallSite) -> None:
        node = call.node
        recv = receiver(node)
        recv_key = dotted(recv) if recv is not None else None
        if call.name == "eval" and recv is not None and not node.args and not node.keywords:
            self._mode("eval", recv_key, node)
        elif call.name == "train" and recv is not None and len(node.args) + len(node.keywords) <= 1:
            if self._train_off(node):
                self._mode("eval", recv_key, node)
            else:
                arg = node.args[0] if node.args else None
                if arg is None or literal(arg) is True or not isinstance(arg, ast.Constant):
                    self._mode("train", recv_key, node)
        elif is_optimizer_step(call, self.optimizers):
            self._event("step", "", node)
            self.any_step = True
        func_key = dotted(node.func)
        if func_key is None or call.qualname is not None or func_key == "self":
            return
        if isinstance(node.func, ast.Attribute) and node.func.attr == "forward":
            func_key = dotted(node.func.value) or ""
        scope = self._eval_context()
        if scope is None:
            self.called_outside.add(func_key)  # e.g. the training forward pass
        else:
            cls = self.ctx.enclosing(ast.ClassDef)
            in_class = isinstance(cls, ast.ClassDef)
            own = in_class and isinstance(cls, ast.ClassDef) and cls.name in self.module_classes
            self.candidates.append((func_key, node, scope, own, in_class))

    def _mode(self, kind: str, key: str | None, node: ast.Call) -> None:
        if kind == "eval":
            self.any_eval = True
        if key is None:
            return
        if kind == "eval":
            self.evaled.add(key)
            # `for m in (enc, dec): m.eval()` puts enc and dec in eval mode.
            for anc in reversed(self.ctx.stack):
                if (
                    isinstance(anc, ast.For)
                    and isinstance(anc.target, ast.Name)
                    and (anc.target.id == key)
                ):
                    self.evaled.update(names_in(anc.iter))
        else:
            self.trained.add(key)
        self._event(kind, key, node)

    def _event(self, kind: str, key: str, node: ast.AST) -> None:
        loops = tuple(id(n) for n in scope_loops(self.ctx))
        scope = id(current_scope(self.ctx))
        self.events.setdefault(scope, []).append(_ModeEvent(kind, pos(node), key, loops, node))

    def _eval_context(self) -> int | None:
        """id of the evaluating scope if the current node runs under evaluation."""
        under_no_grad = False
        for anc in reversed(self.ctx.stack):
            if isinstance(anc, (ast.With, ast.AsyncWith)):
                under_no_grad = under_no_grad or any(
                    self._disables_grad(item.context_expr) for item in anc.items
                )
            elif isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = anc.name
                if _HOOK_FUNC.search(name) or (self.test_file and name.startswith("test")):
                    return None  # framework hooks and unit tests decide modes themselves
                if under_no_grad or _EVAL_FUNC.search(name):
                    return id(anc)
                decorated = any(
                    self.ctx.qualname(d.func if isinstance(d, ast.Call) else d) in NO_GRAD
                    for d in anc.decorator_list
                )
                return id(anc) if decorated else None
            elif isinstance(anc, (ast.Lambda, ast.ClassDef)):
                return None
        return id(self.ctx.tree) if under_no_grad else None

    def _disables_grad(self, expr: ast.expr) -> bool:
        func = expr.func if isinstance(expr, ast.Call) else expr
        q = self.ctx.qualname(func)
        if q in NO_GRAD:
            return True
        return (
            q == "torch.set_grad_enabled"
            and isinstance(expr, ast.Call)
            and bool(expr.args)
            and literal(expr.args[0]) is False
        )

    def _looks_like_module(self, key: str) -> bool:
        if key in self.module_vars or key in self.trained:
            return True
        last = key.rpartition(".")[2]
        if key in self.functions or key in self.imported or _FACTORY_NAME.match(last):
            return False  # build_model(cfg) makes a model; it is not one
        return bool(_MODEL_NAME.search(last))

    def finish(self) -> None:
        if not uses_torch(self.ctx):
            return
        self._finish_missing_eval()
        self._finish_never_restored()

    def _finish_missing_eval(self) -> None:
        seen: set[tuple[int, str]] = set()
        for key, node, scope, own_method, in_class in self.candidates:
            if (scope, key) in seen or not self._looks_like_module(key):
                continue
            if own_method:
                continue  # a module's own method: its caller decides the mode
            if (
                (in_class or key.startswith("self."))
                and key not in self.module_vars
                and not (self.any_step or self.trained)
            ):
                continue  # an inference-only wrapper (pipelines load models in eval mode)
            if (
                key not in self.trained
                and key not in self.called_outside
                and any(e.kind == "step" for e in self.events.get(scope, ()))
            ):
                continue  # a frozen target/teacher network inside a training loop
            if key in self.pretrained and key not in self.trained:
                continue  # from_pretrained() returns a model already in eval mode
            if any(_related(key, e) for e in self.evaled):
                continue
            if key not in self.module_vars and self.any_eval:
                continue  # made elsewhere; another name may have been put in eval mode
            seen.add((scope, key))
            self.ctx.report(
                "ML205",
                node,
                f"`{key}` runs in an evaluation context but is never put in eval mode: "
                "dropout and batch-norm behave as in training",
                f"call {key}.eval() before evaluating (and {key}.train() before training again)",
            )

    def _finish_never_restored(self) -> None:
        for events in self.events.values():
            evals = [e for e in events if e.kind == "eval"]
            steps = [e for e in events if e.kind == "step"]
            trains = [e for e in events if e.kind == "train"]
            for ev in evals:
                for st in steps:
                    if self._reaches_unrestored(ev, st, trains):
                        self.ctx.report(
                            "ML205",
                            ev.node,
                            f"`{ev.recv}.eval()` is never undone: the training step on line "
                            f"{st.where[0]} runs with the model still in eval mode",
                            f"call {ev.recv}.train() before the next training step",
                        )
                        break

    @staticmethod
    def _reaches_unrestored(ev: _ModeEvent, st: _ModeEvent, trains: list[_ModeEvent]) -> bool:
        mine = [t for t in trains if _related(t.recv, ev.recv)]
        if st.where > ev.where:
            return not any(ev.where < t.where < st.where for t in mine)
        common = [loop for loop in ev.loops if loop in st.loops]
        if not common:
            return False
        loop = common[-1]
        return not any(loop in t.loops and (t.where > ev.where or t.where < st.where) for t in mine)


# -- ML206 pandas-chained-assignment ------------------------------------------------------

_INDEXERS = ("loc", "iloc")
# pandas functions that return a new DataFrame or Series.
_FRAME_MAKERS = frozenset(
    {
        "DataFrame",
        "Series",
        "concat",
        "merge",
        "merge_asof",
        "merge_ordered",
        "get_dummies",
        "pivot",
        "pivot_table",
        "crosstab",
        "melt",
        "json_normalize",
        "from_dummies",
        "cut",
        "qcut",
        "wide_to_long",
        "eval",
    }
)
_CONTAINER_CALLS = frozenset(
    {
        "dict",
        "list",
        "defaultdict",
        "OrderedDict",
        "Counter",
        "json.load",
        "json.loads",
        "yaml.safe_load",
        "yaml.load",
        "zeros",
        "ones",
        "empty",
        "array",
        "full",
        "zeros_like",
        "ones_like",
        "empty_like",
        "full_like",
        "tensor",
        "deepcopy",
        "copy.deepcopy",
    }
)


class ChainedAssignmentChecker(Checker):
    """ML206: `df[a][b] = v` and friends, which write to a temporary under copy-on-write."""

    codes = ("ML206",)
    # A write through two indexing steps, or an in-place method on one, on a `.loc`/`.iloc`
    # chain or on a name that may be a frame.
    pattern = ChainedAssignmentGate()
    node_types = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.arg)
    # A finding is a write through `x[a][b]` / `x[a].loc[b]` or an `inplace=` call. Other
    # definitions matter through imports (pandas, the names calls resolve to) and through
    # class bodies, whose assignments the walk records at module scope; a function's own
    # names are its own.
    fragment_words = (INDEXED_AGAIN, "inplace", "import", "class")

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # What each name was last bound to, per function scope: "frame" or "container".
        self.kinds: dict[tuple[int, str], str] = {}

    def on_node(self, node: ast.AST) -> None:
        if isinstance(node, ast.arg):
            q = self.ctx.qualname(node.annotation) if node.annotation is not None else None
            if q and q.startswith("pandas."):
                self.kinds[(id(self.ctx.function or self.ctx.tree), node.arg)] = "frame"
            return
        assert isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
        targets: list[ast.expr] = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            self._check_target(t, node)
        if node.value is not None and not isinstance(node, ast.AugAssign):
            kind = self._kind_of(node.value)
            scope = id(current_scope(self.ctx))
            for t in targets:
                if isinstance(t, ast.Name):
                    if kind is None:
                        self.kinds.pop((scope, t.id), None)
                    else:
                        self.kinds[(scope, t.id)] = kind

    def _kind_of(self, value: ast.expr) -> str | None:
        if isinstance(value, (ast.Dict, ast.List, ast.DictComp, ast.ListComp, ast.Tuple)):
            return "container"
        root = value
        while isinstance(root, (ast.Call, ast.Attribute, ast.Subscript)):
            if isinstance(root, ast.Call):
                q = self.ctx.qualname(root.func)
                if q is not None:
                    if q.startswith(("pandas.read_", "seaborn.load_dataset")) or (
                        q.startswith("pandas.") and q.split(".")[1] in _FRAME_MAKERS
                    ):
                        return "frame"
                    last = q.rpartition(".")[2]
                    return (
                        "container" if last in _CONTAINER_CALLS or q in _CONTAINER_CALLS else None
                    )
                if isinstance(root.func, ast.Name):
                    return "container" if root.func.id in _CONTAINER_CALLS else None
                root = root.func
            else:
                root = root.value
        if isinstance(root, ast.Name) and value is not root and self._known(root.id) == "frame":
            return "frame"  # df.dropna(), df[mask], df.copy() ...
        return None

    def _known(self, name: str) -> str | None:
        kind = self.kinds.get((id(current_scope(self.ctx)), name))
        return kind if kind is not None else self.kinds.get((id(self.ctx.tree), name))

    def _check_target(self, target: ast.expr, stmt: ast.AST) -> None:
        if not isinstance(target, ast.Subscript):
            return
        inner = target.value
        if isinstance(inner, ast.Attribute) and inner.attr in (*_INDEXERS, "at", "iat"):
            inner = inner.value  # df["a"].loc[0] = v
        elif not isinstance(inner, ast.Subscript):
            return
        if isinstance(inner, ast.Subscript):
            self._chain(inner.value, stmt)

    def _chain(self, base: ast.expr, node: ast.AST) -> None:
        """Report a write through `base[...]...` when base is pandas."""
        if isinstance(base, ast.Attribute) and base.attr in _INDEXERS:
            pass  # df.loc[a][b] = v: pandas whatever the name
        elif isinstance(base, (ast.Name, ast.Attribute)):
            name = dotted(base)
            if name is None or not self._is_frame(name):
                return
        else:
            return
        self.ctx.report(
            "ML206",
            node,
            "chained indexing writes to a temporary copy: under pandas copy-on-write the "
            "original DataFrame is not changed",
            "write through one indexer: df.loc[row, col] = value",
        )

    def on_call(self, call: CallSite) -> None:
        # df["a"].fillna(0, inplace=True): the same write to a temporary, by method.
        inplace = call.kwarg("inplace")
        if inplace is None or literal(inplace) is not True:
            return
        recv = receiver(call.node)
        if isinstance(recv, ast.Subscript):
            self._chain(recv.value, call.node)

    def _is_frame(self, name: str) -> bool:
        kind = self._known(name)
        if kind is not None:
            return kind == "frame"
        pandas = any(t.split(".")[0] == "pandas" for t in self.ctx.aliases.values())
        return pandas and bool(_FRAME_NAME.search(name.rpartition(".")[2]))


# -- ML207 direct-forward-call ---------------------------------------------------------


class ForwardCallChecker(Checker):
    """ML207: `model.forward(x)` instead of `model(x)` (hooks are skipped)."""

    codes = ("ML207",)
    # `self.forward(` and `super().forward(` are never findings.
    # torch and lightning first: other gates ask for them anyway.
    pattern = AllOf(
        ("torch", "lightning"),
        (".forward",),
        confirm=(r"\.forward(?<!self\.forward)(?<!\)\.forward)\s*\(",),
    )
    # A finding sits on a `.forward(` call; other definitions matter only through their
    # imports (the walk's aliases, and whether torch is imported at all).
    fragment_words = ("forward", "import")

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.calls: list[tuple[ast.Call, str]] = []

    def on_call(self, call: CallSite) -> None:
        node = call.node
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr != "forward":
            return
        recv = func.value
        if isinstance(recv, ast.Call):
            return  # super().forward(x) on purpose; factory().forward(...) is no module variable
        if isinstance(recv, ast.Name) and (
            recv.id in ("self", "cls") or (recv.id[:1].isupper() and not recv.id.isupper())
        ):
            return  # own forward from a sibling method / an unbound class method
        if node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in ("self", "ctx"):
            return  # Base.forward(self, x) / Function.forward(ctx, ...)
        if isinstance(recv, ast.Attribute) and recv.attr[:1].isupper():
            return  # nn.Module.forward(...)
        if self.ctx.qualname(recv) is not None:
            return  # a module-level function called forward, not an instance
        self.calls.append((node, dotted(recv) or "module"))

    def finish(self) -> None:
        if not uses_torch(self.ctx):
            return
        for node, name in self.calls:
            self.ctx.report(
                "ML207",
                node,
                f"`{name}.forward(...)` bypasses __call__: forward/backward hooks, "
                "hooks of wrappers (DDP, FSDP) and autocast handling are skipped",
                f"call the module itself: {name}(...)",
            )


# -- documentation ---------------------------------------------------------------------

RULES: list[Rule] = [
    Rule(
        code="ML203",
        name="gradients-not-cleared",
        severity="error",
        summary="a training loop calls backward() and optimizer.step() but never zero_grad()",
        what=(
            "Finds loops that call `loss.backward()` (or `accelerator.backward(loss)`, "
            "`fabric.backward(loss)`, `scaler.scale(loss).backward()`) and `optimizer.step()` "
            "(or `scaler.step(optimizer)`) but never clear the gradients inside the loop: no "
            "`optimizer.zero_grad()`, `model.zero_grad()`, `zero_grad(set_to_none=True)`, "
            "`p.grad = None` or `p.grad.zero_()`. Gradient accumulation that steps and clears "
            "under a condition (`if (i + 1) % accum == 0:`) is fine. The finding points at the "
            "innermost loop that both back-propagates and steps."
        ),
        why=(
            "PyTorch adds new gradients to the old ones. Without clearing them each update uses "
            "the sum of all previous gradients, so training diverges or silently learns the "
            "wrong thing. Clearing once before the loop is not enough."
        ),
        bad=(
            "import torch\n"
            "\n"
            "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
            "optimizer.zero_grad()\n"
            "for x, y in loader:\n"
            "    loss = loss_fn(model(x), y)\n"
            "    loss.backward()\n"
            "    optimizer.step()\n"
        ),
        good=(
            "import torch\n"
            "\n"
            "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
            "for x, y in loader:\n"
            "    optimizer.zero_grad(set_to_none=True)\n"
            "    loss = loss_fn(model(x), y)\n"
            "    loss.backward()\n"
            "    optimizer.step()\n"
        ),
        fix="call optimizer.zero_grad() in the loop (once per optimizer step)",
        references=(
            "https://pytorch.org/tutorials/recipes/recipes/zeroing_out_gradients.html",
            "https://pytorch.org/docs/stable/generated/torch.optim.Optimizer.zero_grad.html",
        ),
        tags=("correctness", "pytorch"),
    ),
    Rule(
        code="ML204",
        name="preprocessing-leakage",
        severity="warning",
        summary="a scaler/imputer/encoder/selector is fitted on data that is split or "
        "cross-validated afterwards",
        what=(
            "Follows data through assignments in one function (or one notebook) and finds a "
            "scaler, imputer, encoder, decomposition, feature selector or text vectorizer "
            "(`StandardScaler`, `MinMaxScaler`, `SimpleImputer`, `OneHotEncoder`, `PCA`, "
            "`SelectKBest`, `TfidfVectorizer`, `ColumnTransformer`, ...) that is `fit` or "
            "`fit_transform`-ed on data that is later passed to `train_test_split`, to "
            "`cross_val_score`/`cross_validate`/`cross_val_predict`, to a search "
            "(`GridSearchCV(...).fit`) or to a CV splitter's `split`. The finding points at the "
            "fit. Fitting on the training part after the split, and fitting inside a "
            "`Pipeline`, are correct and not reported. `LabelEncoder` on the target is not "
            "reported (it learns the label set, not statistics of the features)."
        ),
        why=(
            "Statistics learned before the split (means, variances, vocabularies, selected "
            "features) include the test rows, so the evaluation sees information from the test "
            "set and the reported score is optimistic."
        ),
        bad=(
            "from sklearn.preprocessing import StandardScaler\n"
            "from sklearn.model_selection import train_test_split\n"
            "\n"
            "scaler = StandardScaler()\n"
            "X_scaled = scaler.fit_transform(X)\n"
            "X_train, X_test, y_train, y_test = train_test_split(X_scaled, y, random_state=0)\n"
        ),
        good=(
            "from sklearn.preprocessing import StandardScaler\n"
            "from sklearn.model_selection import train_test_split\n"
            "\n"
            "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n"
            "scaler = StandardScaler()\n"
            "X_train = scaler.fit_transform(X_train)\n"
            "X_test = scaler.transform(X_test)\n"
        ),
        fix="split first and fit on the training part only, or put the step in a Pipeline",
        references=(
            "https://scikit-learn.org/stable/common_pitfalls.html#data-leakage",
            "https://scikit-learn.org/stable/modules/compose.html#pipeline",
        ),
        tags=("correctness", "scikit-learn"),
    ),
    Rule(
        code="ML205",
        name="missing-eval-mode",
        severity="warning",
        summary="evaluation/inference on a torch module without .eval() (or never back to "
        ".train() before training)",
        what=(
            "In files that import torch: (1) a torch module called under `torch.no_grad()` / "
            "`torch.inference_mode()` (block or decorator) or inside a function named like "
            "`evaluate`, `validate`, `predict`, `test` or `inference`, where that module is never "
            "put in eval mode (`.eval()` or `.train(False)`); (2) a `.eval()` call after which "
            "a training step (`backward()` or `optimizer.step()`) runs again in the same "
            "function, in source order or in the next iteration of a loop, without `.train()` "
            "in between. Modules are recognised by how they are made (a `nn.Module` subclass "
            "of the file, `torch.nn`, `torchvision.models`, `timm`) or by their name (`model`, "
            "`net`, `encoder`, ...). Not reported: models from `from_pretrained` (already in "
            "eval mode) that are never trained, a module's own methods, Lightning hooks such as "
            "`validation_step` (Lightning switches modes), `test_*` functions in test files, and "
            "frozen target/teacher networks used inside a training loop."
        ),
        why=(
            "In training mode dropout drops activations and batch-norm uses (and updates) batch "
            "statistics, so evaluation scores are noisy and wrong, and running statistics are "
            "corrupted. `torch.no_grad()` does not change the mode. Forgetting `.train()` after "
            "validation trains the rest of the run without dropout and with frozen batch-norm."
        ),
        bad=(
            "import torch\n"
            "\n"
            "def evaluate(model, loader):\n"
            "    correct = 0\n"
            "    with torch.no_grad():\n"
            "        for x, y in loader:\n"
            "            correct += (model(x).argmax(1) == y).sum().item()\n"
            "    return correct\n"
        ),
        good=(
            "import torch\n"
            "\n"
            "def evaluate(model, loader):\n"
            "    model.eval()\n"
            "    correct = 0\n"
            "    with torch.no_grad():\n"
            "        for x, y in loader:\n"
            "            correct += (model(x).argmax(1) == y).sum().item()\n"
            "    model.train()\n"
            "    return correct\n"
        ),
        fix="call model.eval() before evaluating and model.train() before training again",
        references=(
            "https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval",
            "https://pytorch.org/docs/stable/notes/autograd.html#locally-disabling-gradient-computation",
        ),
        tags=("correctness", "pytorch"),
    ),
    Rule(
        code="ML206",
        name="pandas-chained-assignment",
        severity="warning",
        summary="`df[a][b] = v` style writes that do nothing under pandas copy-on-write",
        what=(
            "Finds writes through two indexing steps on a pandas object: `df[a][b] = v`, "
            "`df.loc[a][b] = v`, `df.iloc[i][j] = v`, `df[a].loc[i] = v`, augmented forms "
            "(`df['a'][0] += 1`) and in-place methods on a column (`df['a'].fillna(0, "
            "inplace=True)`). Chains that start with `.loc`/`.iloc` are always reported; a chain "
            "on a plain name is reported when that name is a DataFrame: made by a pandas call "
            "(`pd.read_csv`, `pd.DataFrame`, ...), derived from one (`df2 = df[df.x > 0]`), "
            "annotated `pd.DataFrame`, or, in a file that imports pandas, named like one "
            "(`df`, `df_train`, `train_df`). Names bound to dicts, lists or NumPy arrays are "
            "never reported."
        ),
        why=(
            "The first indexing step returns a new object; the write changes that temporary and "
            "the DataFrame keeps its old values. With copy-on-write (the default from pandas "
            "3.0) this always happens, and before that it depended on whether pandas returned a "
            "view (the SettingWithCopyWarning)."
        ),
        bad=("import pandas as pd\n\ndf = pd.read_csv('data.csv')\ndf['age'][df['age'] < 0] = 0\n"),
        good=(
            "import pandas as pd\n"
            "\n"
            "df = pd.read_csv('data.csv')\n"
            "df.loc[df['age'] < 0, 'age'] = 0\n"
        ),
        fix="write through one indexer: df.loc[row, col] = value",
        references=(
            "https://pandas.pydata.org/docs/user_guide/copy_on_write.html",
            "https://pandas.pydata.org/docs/user_guide/indexing.html#returning-a-view-versus-a-copy",
        ),
        tags=("correctness", "pandas"),
    ),
    Rule(
        code="ML207",
        name="direct-forward-call",
        severity="warning",
        summary="`model.forward(x)` instead of `model(x)` (skips hooks)",
        what=(
            "In files that import torch, finds calls of a module's `forward` method from the "
            "outside: `model.forward(x)`, `self.encoder.forward(x)`, `ddp_model.module.forward"
            "(x)`. Not reported: `super().forward(x)`, `Base.forward(self, x)`, autograd "
            "`Function.forward(ctx, ...)`, and `self.forward(x)` from a module's own methods "
            "(a deliberate shortcut inside the class)."
        ),
        why=(
            "`model(x)` runs `__call__`, which runs forward pre-hooks and hooks, backward hooks, "
            "and the wrappers' logic (DistributedDataParallel gradient sync, FSDP parameter "
            "gathering, quantization observers, pruning masks). Calling `forward` directly skips "
            "all of that and fails in ways that are hard to see."
        ),
        bad=(
            "import torch\n"
            "\n"
            "model = torch.nn.Linear(4, 2)\n"
            "logits = model.forward(torch.ones(1, 4))\n"
        ),
        good=("import torch\n\nmodel = torch.nn.Linear(4, 2)\nlogits = model(torch.ones(1, 4))\n"),
        fix="call the module itself: model(x)",
        references=(
            "https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.forward",
        ),
        tags=("correctness", "pytorch"),
    ),
]

CHECKERS: list[type[Checker]] = [
    ZeroGradChecker,
    LeakageChecker,
    EvalModeChecker,
    ChainedAssignmentChecker,
    ForwardCallChecker,
]
