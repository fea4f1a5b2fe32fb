"""Unsafe deserialization (ML101-ML105): loaders that can run code hidden in the data.

Pickle and everything built on it (joblib, dill, shelve, pandas.read_pickle, torch.load
without weights_only, numpy object arrays), YAML's full Python tags, and Keras models
loaded outside safe mode all turn a downloaded file into code execution.
"""

from __future__ import annotations

import ast

from mlvet.fragments import identifier
from mlvet.registry import Rule
from mlvet.rules.base import CallSite, Checker, Context, dotted
from mlvet.rules.callargs import (
    callee_text,
    find_arg,
    introspects,
    is_falsy_constant,
    is_true_constant,
    string_value,
)
from mlvet.rules.starimports import StarImportChecker, StarImports
from mlvet.rules.textgate import IMPORTED, Confirm, Gate, around_imports

_REF_CWE502 = "https://cwe.mitre.org/data/definitions/502.html"

# -- ML101: pickle and friends ----------------------------------------------------------

# Last component of a module whose `load`/`loads` unpickle (`six.moves.cPickle` too).
_PICKLE_MODULES = frozenset(
    {
        "pickle",
        "cPickle",
        "_pickle",
        "pickle5",
        "dill",
        "_dill",
        "cloudpickle",
        "marshal",
        "compress_pickle",
        "pickle_compat",
    }
)
_PICKLE_FUNCS = frozenset({"load", "loads", "_load", "_loads"})
# Those names as names of their own, not inside `download`, `load_state_dict` or
# `dataloader`: what a definition must hold to call a loader (the fragment reader adds
# names imported or aliased from them).
LOAD_NAMES = (identifier("load", r"s?\b"), identifier("_load", r"s?\b"))
_UNPICKLERS = frozenset({"Unpickler", "_Unpickler"})


def _split(qual: str) -> tuple[str, str, str]:
    """ "six.moves.cPickle.load" -> ("six", "cPickle", "load"): head, module tail, name."""
    module, _, name = qual.rpartition(".")
    return qual.partition(".")[0], module.rpartition(".")[2], name


# (modules, functions, kind): a module's loaders that unpickle, by the module's last part
# (`six.moves.cPickle.load` too); marshal is reported as marshal.
_MODULE_APIS: tuple[tuple[frozenset[str], frozenset[str], str], ...] = (
    (_PICKLE_MODULES, _PICKLE_FUNCS, "pickle"),
    (frozenset({"dill", "_dill"}), frozenset({"load_session", "load_module"}), "dill-session"),
    (frozenset({"joblib", "numpy_pickle"}), frozenset({"load"}), "joblib"),
    (frozenset({"jsonpickle"}), frozenset({"decode", "loads"}), "jsonpickle"),
    (
        frozenset({"shelve"}),
        frozenset({"open", "DbfilenameShelf", "BsdDbShelf", "Shelf"}),
        "shelve",
    ),
)
_READ_PICKLE_HEADS = ("pandas", "modin")
# Every last part of a name `pickle_api` accepts.
_API_NAMES = frozenset({"read_pickle"}).union(*(names for _, names, _ in _MODULE_APIS))


def pickle_api(qual: str | None) -> str | None:
    """The kind of unpickling function `qual` names, or None. Classes are not included."""
    if not qual or "." not in qual:
        return None
    head, mod, name = _split(qual)
    for modules, names, kind in _MODULE_APIS:
        if mod in modules and name in names:
            return "marshal" if mod == "marshal" else kind
    if name == "read_pickle" and head in _READ_PICKLE_HEADS:
        return "pandas"
    return None


def is_unpickler(qual: str | None) -> bool:
    if not qual or "." not in qual:
        return False
    _, mod, name = _split(qual)
    return mod in _PICKLE_MODULES and name in _UNPICKLERS


# kind -> (what happens, what to use instead)
_ALTERNATIVE: dict[str, tuple[str, str]] = {
    "pickle": (
        "can run arbitrary code while unpickling",
        "load untrusted data from a data-only format (safetensors, JSON, skops for "
        "scikit-learn) or torch.load(..., weights_only=True)",
    ),
    "marshal": ("is not safe against crafted input", "exchange data as JSON"),
    "dill-session": (
        "unpickles a whole session and can run arbitrary code",
        "rebuild state from code and data-only files (JSON, safetensors)",
    ),
    "joblib": (
        "unpickles and can run arbitrary code",
        "save scikit-learn models with skops (skops.io.load) or ONNX, arrays with numpy.save",
    ),
    "jsonpickle": ("can instantiate any class and run code", "use json.loads for data"),
    "shelve": (
        "unpickles stored values and can run arbitrary code",
        "use sqlite3 or JSON for untrusted data",
    ),
    "pandas": (
        "unpickles and can run arbitrary code",
        "store frames as Parquet, Feather or CSV (pd.read_parquet)",
    ),
    "unpickler": (
        "runs any import the stream asks for",
        "subclass it with a find_class allowlist, or use safetensors/JSON",
    ),
}

_PICKLE_FIX = (
    "Load untrusted data only from a data-only format (safetensors, JSON, Parquet, skops "
    "for scikit-learn), or restrict what can be unpickled."
)

_PICKLE_MODULE_RE = r"[\w.]*(?:[pP]ickle|marshal|dill|joblib|shelve)\w*"
# What a module above is named with ("ickle": pickle, cPickle, cloudpickle, ...).
_PICKLE_WORDS = ("ickle", "marshal", "joblib", "shelve", "dill")
_PICKLE_CONFIRM: tuple[Confirm, ...] = (
    ("ickle", r"ickle\w*\s*\.\s*(?:_?loads?|_?Unpickler|load_session|load_module|decode)\b"),
    ("dill", r"dill\w*\s*\.\s*(?:_?loads?|_?Unpickler|load_session|load_module)\b"),
    ("marshal", r"marshal\s*\.\s*loads?\b"),
    ("joblib", r"joblib\s*\.\s*load\b"),
    ("shelve", r"shelve\s*\.\s*(?:open|\w*Shelf)\b"),
    ("ickle", r"read_pickle"),
    (_PICKLE_WORDS, around_imports(rf"import\s+{_PICKLE_MODULE_RE}\s+as\s")),
    # `from pickle import loads`, `from joblib import load as jl`, `from dill import *`
    # (relative imports are the project's own modules and never resolve).
    (
        _PICKLE_WORDS,
        around_imports(
            rf"from\s+(?=\w){_PICKLE_MODULE_RE}\s+import\s*{IMPORTED}"
            r"(?:\b(?:_?loads?|_?Unpickler|load_session|load_module|open|decode|\w*Shelf)\b|\*)"
        ),
    ),
)


class PickleLoad(Checker):
    codes = ("ML101",)
    # "ickle" catches pickle, cPickle, Unpickler, read_pickle in one substring test. Every
    # call reported names one of these three: the other modules' loaders all say `load`
    # (`marshal.loads`, `joblib.load`, `dill.load_session`), `dill.Unpickler` says
    # "ickle", and `load` is asked by other gates anyway, so files without it are not
    # scanned for marshal, joblib or dill.
    pattern = Gate(("load", "ickle", "shelve"), _PICKLE_CONFIRM)
    fragment_words = ("ickle", "marshal", "joblib", "shelve", "dill", *LOAD_NAMES, "Shelf")
    node_types = (ast.Assign, ast.ImportFrom)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # Names (and dotted targets) holding a pickle.Unpickler instance.
        self.unpicklers: set[str] = set()
        # Modules star-imported: `from pickle import *` makes a bare `loads` pickle's.
        self.star_modules: list[str] = []

    def on_node(self, node: ast.AST) -> None:
        if isinstance(node, ast.ImportFrom):
            if node.module and not node.level and any(a.name == "*" for a in node.names):
                self.star_modules.append(node.module)
            return
        assert isinstance(node, ast.Assign)
        holds = isinstance(node.value, ast.Call) and is_unpickler(self._qualname(node.value.func))
        for target in node.targets:
            name = dotted(target)
            if name is None:
                continue
            if holds:
                self.unpicklers.add(name)
            else:
                self.unpicklers.discard(name)

    def _qualname(self, func: ast.expr) -> str | None:
        return self.ctx.qualname(func) or self._from_star(func)

    def _from_star(self, func: ast.expr) -> str | None:
        if isinstance(func, ast.Name) and func.id not in self.ctx.bound:
            for module in reversed(self.star_modules):
                candidate = f"{module}.{func.id}"
                if pickle_api(candidate) or is_unpickler(candidate):
                    return candidate
        return None

    def on_call(self, call: CallSite) -> None:
        qual = call.qualname or self._from_star(call.node.func)
        kind = pickle_api(qual)
        if kind is not None and not self._round_trip(call):
            self._report(call, f"`{qual}()`", kind)
            return
        if is_unpickler(qual):
            self._report(call, f"`{qual}`", "unpickler")
            return
        if call.name == "load" and isinstance(call.node.func, ast.Attribute):
            owner = call.node.func.value
            if (isinstance(owner, ast.Call) and is_unpickler(self._qualname(owner.func))) or (
                dotted(owner) in self.unpicklers
            ):
                self._report(call, "`.load()` on a pickle Unpickler", "unpickler")
                return
        if kind is None:
            self._references(call)

    def _round_trip(self, call: CallSite) -> bool:
        """`pickle.loads(pickle.dumps(obj))`: a deep copy of an object already in memory."""
        arg = call.node.args[0] if len(call.node.args) == 1 else None
        if not isinstance(arg, ast.Call):
            return False
        qual = self._qualname(arg.func)
        if not qual or "." not in qual:
            return False
        _, mod, name = _split(qual)
        return mod in _PICKLE_MODULES and name == "dumps"

    def _references(self, call: CallSite) -> None:
        """`map(pickle.loads, blobs)`, `partial(pickle.load)`, `df.apply(pickle.loads)`."""
        if introspects(call, self.ctx.bound):
            return
        values = [*call.node.args, *(kw.value for kw in call.node.keywords)]
        for value in values:
            if isinstance(value, ast.Starred):
                value = value.value
            if not isinstance(value, ast.Name) and not (
                isinstance(value, ast.Attribute) and value.attr in _API_NAMES
            ):
                continue  # an attribute's name is its qualified name's last part
            qual = self._qualname(value)
            kind = pickle_api(qual)
            if kind is not None:
                self._report(
                    call, f"`{qual}`, passed as a callable to `{callee_text(call)}()`,", kind
                )
                return

    def _report(self, call: CallSite, api: str, kind: str) -> None:
        risk, instead = _ALTERNATIVE[kind]
        self.ctx.report("ML101", call.node, f"{api} {risk}; {instead}", _PICKLE_FIX)


# -- ML102: torch.load ------------------------------------------------------------------

_TORCH_LOADS = frozenset({"torch.load", "torch.serialization.load"})
_TORCH_FIX = "Pass weights_only=True (torch >= 1.13), or store weights as safetensors."


# Not `(` followed by weights_only=True among the call's own (not nested) arguments; a
# conditional `weights_only=True if safe else False` is not the literal and gets through.
_NOT_WEIGHTS_ONLY = r"(?!\s*\([^()]*(?:\([^()]*\)[^()]*)*\bweights_only\s*=\s*True\s*[,)#])"


class TorchLoad(StarImportChecker):
    codes = ("ML102",)
    pattern = Gate(
        ("torch",),
        (
            # a call or reference, except a call whose own arguments say weights_only=True
            # (searched from `load`, far rarer than `torch` in torch code)
            ("load", rf"load\b{_NOT_WEIGHTS_ONLY}", r"torch\s*\.\s*\Z"),
            ("serialization", rf"serialization\s*\.\s*load\b{_NOT_WEIGHTS_ONLY}"),
            # every other spelling still calls something `.load` or `load`
            ("load", around_imports(r"import\s+torch(?:\.serialization)?\s+as\s")),
            (
                "load",
                around_imports(
                    rf"from\s+torch(?:\.serialization)?\s+import\s*{IMPORTED}"
                    r"(?:\b(?:load|serialization)\b|\*)"
                ),
            ),
        ),
    )
    fragment_words = LOAD_NAMES

    def on_call(self, call: CallSite) -> None:
        qual = call.qualname or self.stars.qualname(self.ctx, call.node.func)
        if qual in _TORCH_LOADS:
            self._check(call, qual)
            return
        if _is_partial(call):
            first = call.node.args[0] if call.node.args else None
            qual = self.ctx.qualname(first) if first is not None else None
            if qual in _TORCH_LOADS and not isinstance(first, ast.Call):
                self._check(call, f"partial({qual})")
            return
        if introspects(call, self.ctx.bound):
            return
        for value in [*call.node.args, *(kw.value for kw in call.node.keywords)]:
            if isinstance(value, (ast.Name, ast.Attribute)):
                qual = self.ctx.qualname(value)
                if qual in _TORCH_LOADS:
                    self.ctx.report(
                        "ML102",
                        call.node,
                        f"`{qual}` is passed as a callable to `{callee_text(call)}()` and will "
                        "run with its defaults, unpickling arbitrary objects; wrap it as "
                        "partial(torch.load, weights_only=True)",
                        _TORCH_FIX,
                    )
                    return

    def _check(self, call: CallSite, api: str) -> None:
        arg = find_arg(call, "weights_only")
        if arg.state == "unknown" or (arg.state == "given" and is_true_constant(arg.node)):
            return
        if arg.state == "absent":
            why = "without `weights_only=True`"
        elif isinstance(arg.node, ast.Constant):
            why = f"with `weights_only={arg.node.value!r}`"
        else:
            why = "with `weights_only` not a literal True"
        self.ctx.report(
            "ML102",
            call.node,
            f"`{api}()` {why} unpickles arbitrary objects, so a crafted checkpoint runs code "
            "on load; pass weights_only=True or load safetensors",
            _TORCH_FIX,
        )


def _is_partial(call: CallSite) -> bool:
    if call.qualname == "functools.partial":
        return True
    func = call.node.func
    return isinstance(func, ast.Name) and func.id == "partial" and call.qualname is None


# -- ML103: numpy allow_pickle ----------------------------------------------------------

# qualname -> positional index of allow_pickle
_NUMPY_LOADS: dict[str, int] = {
    "numpy.load": 2,
    "numpy.lib.npyio.load": 2,
    "jax.numpy.load": 2,
    "cupy.load": 2,
    "numpy.lib.format.read_array": 1,
}


# Two arguments and a comma: what stands before a third positional argument.
_TWO_ARGS = r"(?:[^(),]|\([^()]{0,500}\)){0,500},(?:[^(),]|\([^()]{0,500}\)){0,500},"


class NumpyAllowPickle(StarImportChecker):
    codes = ("ML103",)
    pattern = Gate(
        ("ickle", "load"),  # "ickle" for allow_pickle, shared with ML101's gate
        (
            # a keyword other than a literal False/None/0, or a kwargs-dict key
            # (`allow_pickle=False if x else True` is not the literal, so it gets through)
            ("allow_pickle", r"allow_pickle(?:\s*=(?!=)\s*(?!(?:False|None|0)\s*[,)#])|['\"]\s*:)"),
            # allow_pickle as the third positional argument: np.load(p, None, True)
            # (searched from `load`: `np` is in every `input`)
            ("load", rf"load\s*\({_TWO_ARGS}", r"(?:np|numpy)\s*\.\s*\Z"),
            ("numpy", around_imports(r"import\s+numpy\s+as\s+(?!np\b)")),
            (
                ("numpy", "cupy"),
                around_imports(
                    rf"from\s+[\w.]*(?:numpy|cupy)\s+import\s*{IMPORTED}(?:\bload\b|\*)"
                ),
            ),
            ("read_array", r"read_array"),
        ),
    )
    fragment_words = ("ickle", *LOAD_NAMES, "read_array")

    def on_call(self, call: CallSite) -> None:
        qual = call.qualname or self.stars.qualname(self.ctx, call.node.func)
        if qual not in _NUMPY_LOADS:
            return
        arg = find_arg(call, "allow_pickle", _NUMPY_LOADS[qual])
        if arg.state != "given" or is_falsy_constant(arg.node):
            return
        shown = repr(arg.node.value) if isinstance(arg.node, ast.Constant) else "<expression>"
        self.ctx.report(
            "ML103",
            call.node,
            f"`{qual}()` with allow_pickle={shown} unpickles object arrays, which can run "
            "arbitrary code from the file; keep allow_pickle=False and store plain numeric "
            "arrays (or JSON / safetensors)",
            "Drop allow_pickle=True; save object data in a data-only format.",
        )


# -- ML104: yaml.load -------------------------------------------------------------------

_YAML_LOADS = frozenset({"yaml.load", "yaml.load_all"})
_YAML_UNSAFE = frozenset({"yaml.unsafe_load", "yaml.unsafe_load_all"})
# FullLoader refuses arbitrary Python objects since PyYAML 5.4: not flagged.
_SAFE_LOADERS = frozenset(
    {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader", "FullLoader", "CFullLoader"}
)
_YAML_FIX = "Use yaml.safe_load(), or pass Loader=yaml.SafeLoader (CSafeLoader)."


class YamlLoad(Checker):
    codes = ("ML104",)
    pattern = Gate(
        ("yaml",),
        (
            # every spelling calls something named load, load_all or unsafe_load
            ("load", r"yaml\s*\.\s*(?:unsafe_)?load"),
            ("load", r"unsafe_load"),
            ("load", around_imports(r"import\s+yaml\s+as\s")),
            (
                "load",
                around_imports(rf"from\s+yaml\s+import\s*{IMPORTED}(?:\b(?:load|load_all)\b|\*)"),
            ),
        ),
        requires=("load",),  # asked by other gates anyway: `yaml` only where it is
    )
    node_types = (ast.Assign, ast.ClassDef, ast.ImportFrom)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # Local names known to hold a safe loader: subclasses and module-level choices
        # such as `Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)`.
        self.safe_names: set[str] = set()
        self.stars = StarImports()

    def on_node(self, node: ast.AST) -> None:
        if isinstance(node, ast.ImportFrom):
            self.stars.add(node)
            return
        if isinstance(node, ast.ClassDef):
            if node.bases and all(self._safe(b) for b in node.bases):
                self.safe_names.add(node.name)
            else:
                self.safe_names.discard(node.name)
            return
        assert isinstance(node, ast.Assign)
        safe = self._safe(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                if safe:
                    self.safe_names.add(target.id)
                else:
                    self.safe_names.discard(target.id)

    def _safe(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name) and node.id in self.safe_names:
            return True
        if isinstance(node, ast.IfExp):
            return self._safe(node.body) and self._safe(node.orelse)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and (node.func.id == "getattr" and len(node.args) == 3)
        ):
            # getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            owner = self.ctx.qualname(node.args[0])
            name = string_value(node.args[1])
            return owner == "yaml" and name in _SAFE_LOADERS and self._safe(node.args[2])
        qual = self.ctx.qualname(node)
        if qual is not None:
            return qual.startswith("yaml.") and qual.rpartition(".")[2] in _SAFE_LOADERS
        # An unresolved bare `SafeLoader` in a notebook whose imports live elsewhere.
        return (
            isinstance(node, ast.Name)
            and node.id in _SAFE_LOADERS
            and (node.id not in self.ctx.bound)
        )

    def on_call(self, call: CallSite) -> None:
        qual = call.qualname or self.stars.qualname(self.ctx, call.node.func)
        if qual in _YAML_UNSAFE:
            self._report(call, f"`{qual}()` constructs arbitrary Python objects from YAML tags")
            return
        if qual not in _YAML_LOADS:
            return
        arg = find_arg(call, "Loader", 1)
        if arg.state == "unknown":
            return
        if arg.state == "absent":
            self._report(
                call,
                f"`{qual}()` without a safe Loader can construct arbitrary "
                "Python objects (and fails outright on PyYAML >= 6)",
            )
            return
        assert arg.node is not None
        if self._safe(arg.node):
            return
        shown = dotted(arg.node) or "an expression"
        self._report(
            call,
            f"`{qual}()` with Loader={shown}, which is not a safe loader, "
            "can construct arbitrary Python objects",
        )

    def _report(self, call: CallSite, what: str) -> None:
        self.ctx.report(
            "ML104",
            call.node,
            f"{what}; use yaml.safe_load() or Loader=yaml.SafeLoader",
            _YAML_FIX,
        )


# -- ML105: Keras safe_mode -------------------------------------------------------------

_KERAS_HEADS = ("keras.", "tensorflow.keras.", "tensorflow.python.keras.", "tf_keras.")
_KERAS_FIX = (
    "Keep safe_mode=True (the default) and never call enable_unsafe_deserialization(); "
    "rebuild Lambda layers in code."
)


def _is_keras(qual: str | None) -> bool:
    return qual is not None and (qual.startswith(_KERAS_HEADS) or ".keras." in qual)


class KerasUnsafeLoad(StarImportChecker):
    codes = ("ML105",)
    pattern = Gate(
        ("safe_", "load_model"),
        (
            ("safe_", r"safe_mode"),
            ("safe_", r"unsafe_deserialization"),
            # safe_mode as the fourth positional argument of load_model
            ("load_model", rf"load_model\s*\({_TWO_ARGS}(?:[^(),]|\([^()]{{0,500}}\)){{0,500}},"),
        ),
    )
    fragment_words = ("safe_", "load_model")

    def on_call(self, call: CallSite) -> None:
        qual = call.qualname or self.stars.qualname(self.ctx, call.node.func)
        func = call.node.func
        if call.name == "enable_unsafe_deserialization":
            if qual is None or "keras" in qual:
                self.ctx.report(
                    "ML105",
                    call.node,
                    f"`{qual or callee_text(call)}()` turns off Keras safe mode for the whole "
                    "process, so any model loaded afterwards can run Lambda-layer bytecode; "
                    "keep safe mode on and rebuild custom layers in code",
                    _KERAS_FIX,
                )
            return
        resolved = _is_keras(qual)
        bare = (
            qual is None
            and isinstance(func, ast.Name)
            and func.id == "load_model"
            and func.id not in self.ctx.bound
        )
        if not (resolved or bare):
            return
        # load_model(filepath, custom_objects=None, compile=True, safe_mode=True)
        name = (qual or "").rpartition(".")[2] or callee_text(call)
        arg = find_arg(call, "safe_mode", 3 if name == "load_model" else None)
        if arg.state != "given" or is_true_constant(arg.node):
            return
        if bare and not (isinstance(arg.node, ast.Constant) and not arg.node.value):
            return  # an unresolved load_model: only a literal False is a sure sign
        shown = repr(arg.node.value) if isinstance(arg.node, ast.Constant) else "<expression>"
        self.ctx.report(
            "ML105",
            call.node,
            f"`{qual or callee_text(call)}()` with safe_mode={shown} deserializes Lambda "
            "layers and arbitrary objects, so a crafted .keras file runs code; keep "
            "safe_mode=True and rebuild custom layers in code",
            _KERAS_FIX,
        )


# -- catalogue --------------------------------------------------------------------------

RULES: list[Rule] = [
    Rule(
        code="ML101",
        name="pickle-load",
        severity="error",
        summary="pickle-based loading (pickle, dill, joblib, shelve, read_pickle, ...) "
        "that can run code from the file",
        what=(
            "Flags calls that deserialize with pickle semantics: `load`/`loads` of pickle, "
            "cPickle, _pickle, dill, cloudpickle and marshal; `pickle.Unpickler(...)` and "
            "`.load()` on it; `joblib.load`; `dill.load_session`; `shelve.open`; "
            "`jsonpickle.decode`; `pandas.read_pickle`; and these functions passed as "
            "callables (`map(pickle.loads, blobs)`, `partial(pickle.load)`). Imports are "
            "resolved, so `import pickle as pk; pk.load(f)` counts and `json.load` does not. "
            "A round trip of an object already in memory, `pickle.loads(pickle.dumps(obj))`, "
            "reads nothing from outside and is not flagged; neither is an Unpickler subclass "
            "(the place for a restrictive `find_class`), nor a loader only looked at "
            "(`inspect.signature(pickle.load)`, `functools.wraps(...)`, `print(...)`)."
        ),
        why=(
            "Unpickling runs whatever callables the stream names: a model file, cached "
            "dataset or shared notebook artifact can execute `os.system` the moment it is "
            "loaded. Model hubs and shared drives make such files easy to swap, and the "
            "code runs with the user's credentials and data access."
        ),
        bad=(
            "import joblib\n"
            "import pickle as pk\n"
            "\n"
            'with open("features.pkl", "rb") as f:\n'
            "    features = pk.load(f)\n"
            'clf = joblib.load("model.joblib")\n'
        ),
        good=(
            "import json\n"
            "\n"
            "from safetensors.numpy import load_file\n"
            "from skops.io import load\n"
            "\n"
            'features = load_file("features.safetensors")\n'
            'with open("labels.json") as f:\n'
            "    labels = json.load(f)\n"
            'clf = load("model.skops", trusted=["sklearn.linear_model.LogisticRegression"])\n'
        ),
        fix=_PICKLE_FIX,
        references=(
            "https://docs.python.org/3/library/pickle.html",
            "https://huggingface.co/docs/hub/security-pickle",
            "https://skops.readthedocs.io/en/stable/persistence.html",
            _REF_CWE502,
        ),
        security_severity=8.8,
        tags=("security", "deserialization", "CWE-502"),
    ),
    Rule(
        code="ML102",
        name="torch-load-unsafe",
        severity="error",
        summary="`torch.load` without `weights_only=True`",
        what=(
            "Flags `torch.load(...)` and `torch.serialization.load(...)` unless "
            "`weights_only=True` is passed literally. `weights_only=False` or a variable is "
            "flagged; a call that forwards `**kwargs` and names no `weights_only` is not. "
            "`torch.load` passed to a call that will run it (`map(torch.load, paths)`, "
            "`partial(torch.load)` without weights_only=True) is flagged; one only looked "
            "at (`inspect.signature(torch.load)`, `functools.wraps(torch.load)`) is not."
        ),
        why=(
            "`torch.load` is pickle: with weights_only off, a checkpoint can import and call "
            "any function while loading. Releases before torch 2.6 default to the unsafe "
            "mode, and code is run on many versions, so only an explicit "
            "`weights_only=True` is safe everywhere."
        ),
        bad=('import torch\n\nstate = torch.load("checkpoint.pt", map_location="cpu")\n'),
        good=(
            "import torch\n"
            "\n"
            'state = torch.load("checkpoint.pt", map_location="cpu", weights_only=True)\n'
        ),
        fix=_TORCH_FIX,
        references=(
            "https://pytorch.org/docs/stable/generated/torch.load.html",
            "https://huggingface.co/docs/safetensors/index",
            _REF_CWE502,
        ),
        security_severity=8.8,
        tags=("security", "deserialization", "CWE-502"),
    ),
    Rule(
        code="ML103",
        name="numpy-allow-pickle",
        severity="error",
        summary="`numpy.load(..., allow_pickle=True)`",
        what=(
            "Flags `numpy.load` when `allow_pickle` is anything other than absent or a "
            "literal `False`/`None`/`0`, by keyword or as the third positional argument "
            "(`np.load(path, None, True)`)."
        ),
        why=(
            "With allow_pickle on, an .npy/.npz holding an object array is unpickled, so the "
            "file can run arbitrary code. numpy turned the default off for this reason "
            "(CVE-2019-6446)."
        ),
        bad=('import numpy as np\n\nmeta = np.load("meta.npy", allow_pickle=True).item()\n'),
        good=(
            "import json\n"
            "\n"
            "import numpy as np\n"
            "\n"
            'weights = np.load("weights.npy")\n'
            'with open("meta.json") as f:\n'
            "    meta = json.load(f)\n"
        ),
        fix="Drop allow_pickle=True; save object data in a data-only format.",
        references=(
            "https://numpy.org/doc/stable/reference/generated/numpy.load.html",
            "https://nvd.nist.gov/vuln/detail/CVE-2019-6446",
            _REF_CWE502,
        ),
        security_severity=8.1,
        tags=("security", "deserialization", "CWE-502"),
    ),
    Rule(
        code="ML104",
        name="yaml-unsafe-load",
        severity="error",
        summary="`yaml.load` without a safe Loader, `yaml.unsafe_load`",
        what=(
            "Flags `yaml.load`/`yaml.load_all` with no Loader or a Loader other than "
            "`SafeLoader`, `CSafeLoader`, `BaseLoader`, `CBaseLoader` (FullLoader is "
            "accepted), given by keyword or positionally; and every `yaml.unsafe_load` / "
            "`yaml.unsafe_load_all`. A Loader held in a variable is flagged, since it cannot "
            "be checked; subclasses of the safe loaders are accepted."
        ),
        why=(
            "`yaml.Loader` and `UnsafeLoader` build any Python object a tag names "
            "(`!!python/object/apply:os.system`), so a config file or experiment spec "
            "becomes code execution."
        ),
        bad=(
            "import yaml\n"
            "\n"
            'with open("config.yaml") as f:\n'
            "    cfg = yaml.load(f, Loader=yaml.Loader)\n"
        ),
        good=('import yaml\n\nwith open("config.yaml") as f:\n    cfg = yaml.safe_load(f)\n'),
        fix=_YAML_FIX,
        references=(
            "https://pyyaml.org/wiki/PyYAMLDocumentation",
            "https://github.com/yaml/pyyaml/wiki/PyYAML-yaml.load(input)-Deprecation",
            _REF_CWE502,
        ),
        security_severity=8.1,
        tags=("security", "deserialization", "CWE-502"),
    ),
    Rule(
        code="ML105",
        name="keras-unsafe-load",
        severity="error",
        summary="Keras `load_model(..., safe_mode=False)`, "
        "`keras.config.enable_unsafe_deserialization()`",
        what=(
            "Flags Keras loaders (`keras.models.load_model`, `keras.saving.load_model`, "
            "`tf.keras.models.load_model`, ...) called with `safe_mode` other than a literal "
            "True (a variable counts), by keyword or as load_model's fourth positional "
            "argument, and any call of "
            "`keras.config.enable_unsafe_deserialization()`."
        ),
        why=(
            "Safe mode is what stops a .keras file from carrying a Lambda layer with "
            "marshalled Python bytecode; turning it off lets a downloaded model run code "
            "when it is loaded (CVE-2024-3660)."
        ),
        bad=(
            'import keras\n\nmodel = keras.models.load_model("classifier.keras", safe_mode=False)\n'
        ),
        good=('import keras\n\nmodel = keras.models.load_model("classifier.keras")\n'),
        fix=_KERAS_FIX,
        references=(
            "https://keras.io/api/models/model_saving_apis/model_saving_and_loading/",
            "https://nvd.nist.gov/vuln/detail/CVE-2024-3660",
            _REF_CWE502,
        ),
        security_severity=8.1,
        tags=("security", "deserialization", "CWE-502"),
    ),
]

CHECKERS: list[type[Checker]] = [PickleLoad, TorchLoad, NumpyAllowPickle, YamlLoad, KerasUnsafeLoad]
