"""Reproducibility rules: unseeded random generators (ML201), missing random_state (ML202).

ML201 works per file: every seed call and the first global draw of each generator
family are collected during the walk and compared in `finish`, so a seed anywhere in
the file (even below the first draw, or under `if __name__ == "__main__":`) counts.
"""

from __future__ import annotations

import ast
import re
from typing import ClassVar

from mlvet.config import Config
from mlvet.fragments import identifier
from mlvet.registry import Rule
from mlvet.rules import ml2_gates_seed as gates
from mlvet.rules.base import NOT_LITERAL, CallSite, Checker, Context, dotted, literal
from mlvet.rules.ml2_star import StarNames

# -- ML201 tables ----------------------------------------------------------------------

Family = str  # "random", "numpy", "torch", "tensorflow", "jax"

FAMILY_LABEL: dict[Family, str] = {
    "random": "Python's `random` module",
    "numpy": "NumPy's global generator",
    "torch": "torch's global generator",
    "tensorflow": "TensorFlow's global seed",
    "jax": "JAX",
}

FAMILY_FIX: dict[Family, str] = {
    "random": "call random.seed(SEED) once at start-up (or a project-wide set_seed helper)",
    "numpy": "call np.random.seed(SEED), or draw from np.random.default_rng(SEED)",
    "torch": "call torch.manual_seed(SEED) (or seed_everything / set_seed) at start-up",
    "tensorflow": "call tf.random.set_seed(SEED) or keras.utils.set_random_seed(SEED)",
    "jax": "make keys from a fixed or configured seed: jax.random.key(SEED)",
}

# Callee names that, whatever their module, seed every family (the project's own helper,
# lightning's seed_everything, transformers/accelerate set_seed, keras set_random_seed).
ALL_FAMILY_SEED_NAMES = frozenset(
    {"set_seed", "seed_everything", "set_random_seed", "enable_full_determinism", "seed_all"}
)

# Seeders of one family only. Checked before the name rule, so tf.random.set_seed does
# not count as a seed for numpy. torch.cuda.manual_seed(_all) is deliberately absent:
# it leaves the CPU generator (DataLoader shuffling, torch.rand on CPU) unseeded.
FAMILY_SEEDERS: dict[str, Family] = {
    "random.seed": "random",
    "random.setstate": "random",
    "numpy.random.seed": "numpy",
    "numpy.random.set_state": "numpy",
    "numpy.random.mtrand.seed": "numpy",
    "torch.manual_seed": "torch",
    "torch.random.manual_seed": "torch",
    "torch.set_rng_state": "torch",
    "torch.random.set_rng_state": "torch",
    "tensorflow.random.set_seed": "tensorflow",
    "tensorflow.set_random_seed": "tensorflow",
    "tensorflow.compat.v1.set_random_seed": "tensorflow",
    "tensorflow.compat.v1.random.set_random_seed": "tensorflow",
    "tensorflow.compat.v2.random.set_seed": "tensorflow",
}

SEED_KEYWORDS = frozenset({"seed", "a", "x", "state", "new_state", "new_seed", "random_seed"})

RANDOM_DRAWS = frozenset(
    {
        "random",
        "uniform",
        "randint",
        "randrange",
        "choice",
        "choices",
        "shuffle",
        "sample",
        "gauss",
        "normalvariate",
        "lognormvariate",
        "expovariate",
        "vonmisesvariate",
        "gammavariate",
        "betavariate",
        "paretovariate",
        "weibullvariate",
        "triangular",
        "getrandbits",
        "randbytes",
        "binomialvariate",
    }
)

# numpy.random.<name> that are not draws from the global generator.
NUMPY_NOT_DRAWS = frozenset(
    {
        "seed",
        "get_state",
        "set_state",
        "default_rng",
        "RandomState",
        "Generator",
        "BitGenerator",
        "SeedSequence",
        "PCG64",
        "PCG64DXSM",
        "MT19937",
        "Philox",
        "SFC64",
        "get_bit_generator",
        "set_bit_generator",
        "mtrand",
    }
)

TORCH_DRAWS = frozenset(
    {
        "torch.rand",
        "torch.randn",
        "torch.randint",
        "torch.randperm",
        "torch.rand_like",
        "torch.randn_like",
        "torch.randint_like",
        "torch.normal",
        "torch.bernoulli",
        "torch.multinomial",
        "torch.poisson",
    }
)

TORCH_SAMPLERS = frozenset(
    {
        "torch.utils.data.random_split",
        "torch.utils.data.dataset.random_split",
        "torch.utils.data.RandomSampler",
        "torch.utils.data.sampler.RandomSampler",
        "torch.utils.data.SubsetRandomSampler",
        "torch.utils.data.sampler.SubsetRandomSampler",
        "torch.utils.data.WeightedRandomSampler",
        "torch.utils.data.sampler.WeightedRandomSampler",
    }
)

TORCH_LOADERS = frozenset({"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"})

TF_RANDOM_DRAWS = frozenset(
    {
        "uniform",
        "normal",
        "truncated_normal",
        "shuffle",
        "categorical",
        "gamma",
        "poisson",
        "uniform_candidate_sampler",
        "log_uniform_candidate_sampler",
        "learned_unigram_candidate_sampler",
        "fixed_unigram_candidate_sampler",
    }
)
TF1_DRAWS = frozenset(
    {
        "random_normal",
        "random_uniform",
        "truncated_normal",
        "random_shuffle",
        "multinomial",
        "random_crop",
        "random_gamma",
        "random_poisson",
    }
)

# Generator objects built without a seed draw fresh OS entropy: never reproducible.
# qualname -> (positional index, keyword) of the seed argument.
INSTANCE_SEED_ARG: dict[str, tuple[int, str]] = {
    "random.Random": (0, "x"),
    "numpy.random.default_rng": (0, "seed"),
    "numpy.random.RandomState": (0, "seed"),
    "numpy.random.mtrand.RandomState": (0, "seed"),
    "numpy.random.SeedSequence": (0, "entropy"),
    "numpy.random.PCG64": (0, "seed"),
    "numpy.random.PCG64DXSM": (0, "seed"),
    "numpy.random.MT19937": (0, "seed"),
    "numpy.random.Philox": (0, "seed"),
    "numpy.random.SFC64": (0, "seed"),
}
ALWAYS_UNSEEDED = frozenset(
    {
        "tensorflow.random.Generator.from_non_deterministic_state",
        "tensorflow.random.experimental.Generator.from_non_deterministic_state",
    }
)

JAX_KEY_MAKERS = frozenset({"jax.random.PRNGKey", "jax.random.key"})
# Sources of a different value on every run, for "a JAX key made from a non-constant seed".
_NONDETERMINISTIC_PREFIXES = (
    "time.",
    "random.",
    "numpy.random.",
    "os.urandom",
    "os.getpid",
    "secrets.",
    "uuid.",
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.now",
    "datetime.utcnow",
    "datetime.datetime.today",
)


_GIVEN = ast.Constant(value=0)  # stands for a seed passed through *args / **kwargs


# What `from numpy.random import *` and friends export that ML201 cares about.
NUMPY_RANDOM_EXPORTS = frozenset(
    {
        "rand",
        "randn",
        "randint",
        "random",
        "random_sample",
        "ranf",
        "sample",
        "choice",
        "shuffle",
        "permutation",
        "normal",
        "uniform",
        "binomial",
        "poisson",
        "beta",
        "gamma",
        "exponential",
        "multivariate_normal",
        "standard_normal",
        "lognormal",
        "dirichlet",
        "multinomial",
        "laplace",
        "logistic",
        "geometric",
        "bytes",
        "seed",
        "default_rng",
        "RandomState",
    }
)


def _seed_star_exports(module: str, name: str) -> bool | None:
    if module == "random":
        return name in RANDOM_DRAWS or name in ("seed", "Random")
    if module == "numpy.random":
        return name in NUMPY_RANDOM_EXPORTS
    if module == "torch":
        return f"torch.{name}" in TORCH_DRAWS or name == "manual_seed"
    if module in ("numpy", "tensorflow", "jax", "jax.random", "torch.nn", "sklearn"):
        return False  # no global draw of ours by bare name
    return None


def _seed_value(call: CallSite) -> ast.expr | None:
    """The seed a seed call passes (None: nothing, or a literal None)."""
    node = call.node
    if node.args:
        first = node.args[0]
        if isinstance(first, ast.Starred):
            return _GIVEN
        return None if literal(first) is None else first
    for kw in node.keywords:
        if kw.arg is None:
            return _GIVEN
        if kw.arg in SEED_KEYWORDS:
            return None if literal(kw.value) is None else kw.value
    return None


def _is_true(node: ast.expr | None) -> bool:
    value = literal(node)
    return value is not NOT_LITERAL and bool(value) and value is not None


def _matches_configured(call: CallSite, names: tuple[str, ...]) -> bool:
    if not names:
        return False
    text = dotted(call.node.func)
    for entry in names:
        entry = entry.strip()
        if not entry:
            continue
        if entry in (call.qualname, text, call.name):
            return True
        for full in (call.qualname, text):
            if full and full.endswith("." + entry):
                return True
    return False


def draw_kind(q: str) -> str | None:
    """What `SeedChecker.on_call` does with a call of `q` (None: nothing), for the gate."""
    if q in INSTANCE_SEED_ARG:
        return gates.INSTANCE
    if q in ALWAYS_UNSEEDED:
        return gates.ALWAYS
    head, _, rest = q.partition(".")
    if head == "random":
        return gates.DRAW if rest in RANDOM_DRAWS else None
    if head == "numpy":
        name = rest[7:]
        if rest.startswith("random.") and "." not in name and name not in NUMPY_NOT_DRAWS:
            return gates.DRAW if name[:1].islower() else None
        return None
    if head == "torch":
        if q in TORCH_DRAWS or q in TORCH_SAMPLERS:
            return gates.GENERATOR
        return gates.LOADER if q in TORCH_LOADERS else None
    if head == "tensorflow":
        rest = rest.removeprefix("compat.v1.")
        if (
            (rest.startswith("random.") and rest[7:] in TF_RANDOM_DRAWS)
            or rest in TF1_DRAWS
            or rest.startswith("image.random_")
        ):
            return gates.TF_OP
        return None
    return gates.JAX_KEY if q in JAX_KEY_MAKERS else None


def seed_effect(q: str | None, name: str) -> str | None:
    """What a seed call (`SeedChecker.on_call`) seeds: a family, "all", or nothing."""
    if q is not None and q in FAMILY_SEEDERS:
        return FAMILY_SEEDERS[q]
    if name in ALL_FAMILY_SEED_NAMES or (q and q.rpartition(".")[2] in ALL_FAMILY_SEED_NAMES):
        return "all"
    return None


SEED_GATE = gates.SeedGate(
    gates.SeedRules(
        kind=draw_kind,
        seeder=seed_effect,
        seed_args=INSTANCE_SEED_ARG,
        seed_keywords=SEED_KEYWORDS,
        entropy_prefixes=_NONDETERMINISTIC_PREFIXES,
    )
)


class SeedChecker(Checker):
    """ML201: global generators used in a file that never seeds them."""

    codes = ("ML201",)
    node_types = (ast.Assign, ast.ImportFrom)
    # Parsed only where the text holds a call the checker could report (see the module).
    pattern = SEED_GATE
    # Every draw, seed and generator is spelled with one of these (or through a name
    # imported or aliased from one, which the fragment reader adds); the clock and OS
    # entropy words keep definitions that assign a per-run value a seed may read.
    fragment_words: ClassVar[tuple[str | re.Pattern[str], ...]] = (
        # not `random_state` (scikit-learn's keyword, everywhere in its code), nor `rand`
        # inside `operand`
        re.compile(r"random(?!_state\b)"),
        "Random",
        identifier("rand", r"(?!om_state\b)"),
        "seed",
        "setstate",
        "set_state",
        "rng_state",
        "enable_full_determinism",
        "normal(",
        "bernoulli",
        "multinomial",
        "poisson",
        "DataLoader",
        "time.",
        "time(",
        "time_ns",
        "perf_counter",
        "monotonic",
        "urandom",
        "getpid",
        "secrets",
        "uuid",
        "now(",
        "today(",
    )

    @classmethod
    def words_for(cls, config: Config) -> tuple[str | re.Pattern[str], ...] | None:
        extra = (name.strip().rpartition(".")[2] for name in config.seed_functions)
        return (*cls.fragment_words, *(w for w in extra if w))

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.seeded: set[Family] = set()
        self.all_seeded = False
        self.first_use: dict[Family, tuple[ast.Call, str]] = {}
        self._train_time: dict[int, bool] = {}
        self._text_lines: list[str] | None = None  # split when a draw first needs it
        # Values assigned to each name so far, judged only when a seed reads the name:
        # walking every assignment of a file up front was most of this rule's cost.
        self.assigned: dict[str, list[ast.expr]] = {}
        self._judging: set[str] = set()
        # (name, assignments seen so far) -> whether it holds a per-run value.
        self._entropy_memo: dict[tuple[str, int], bool] = {}
        self.star = StarNames(_seed_star_exports)

    def on_call(self, call: CallSite) -> None:
        call = self.star.resolve(self.ctx, call)
        q = call.qualname
        if _matches_configured(call, self.ctx.config.seed_functions):
            self.all_seeded = True
            return
        if q is not None and q in FAMILY_SEEDERS:
            if self._seeds(call):
                self.seeded.add(FAMILY_SEEDERS[q])
            return
        if call.name in ALL_FAMILY_SEED_NAMES or (
            q and q.rpartition(".")[2] in ALL_FAMILY_SEED_NAMES
        ):
            if self._seeds(call):
                self.all_seeded = True
            return
        if q is None:
            return
        if q in INSTANCE_SEED_ARG:
            if not call.has_star_args and not call.has_star_kwargs:
                value = call.arg(*INSTANCE_SEED_ARG[q])
                if value is None or literal(value) is None or self._nondeterministic(value):
                    self._instance(call, q)
            return
        if q in ALWAYS_UNSEEDED:
            self._instance(call, q)
            return
        family = self._family_draw(call, q)
        if family is not None and family not in self.first_use and not self._dropout_like():
            self.first_use[family] = (call.node, q)

    def _dropout_like(self) -> bool:
        """A draw in a function that checks `self.training`: dropout, drop-path, layer-drop.

        That randomness is regularisation inside a model, not a data split or an init.
        """
        func = self.ctx.function
        if func is None:
            return False
        known = self._train_time.get(id(func))
        if known is None:
            known = self._train_time[id(func)] = self._says_training(func) and any(
                (isinstance(n, ast.Attribute) and n.attr == "training")
                or (isinstance(n, ast.Name) and n.id == "training")
                for n in ast.walk(func)
            )
        return known

    def _says_training(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """Whether the function's lines hold "training" at all (walking it costs more)."""
        if self._text_lines is None:
            text = self.ctx.source.text
            # numbered as the parser numbers them: \r\n and a lone \r end a line, \f does not
            self._text_lines = (
                text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
                if "training" in text
                else []
            )
        lines = self._text_lines
        first = min([func.lineno, *(d.lineno for d in func.decorator_list)])
        end = func.end_lineno or len(lines)
        return any("training" in line for line in lines[first - 1 : end])

    def _family_draw(self, call: CallSite, q: str) -> Family | None:
        head, _, rest = q.partition(".")
        if head == "random":
            return "random" if rest in RANDOM_DRAWS else None
        if head == "numpy":
            if rest.startswith("random.") and "." not in rest[7:]:
                name = rest[7:]
                if name and name not in NUMPY_NOT_DRAWS and name[0].islower():
                    return "numpy"
            return None
        if head == "torch":
            return self._torch_draw(call, q)
        if head == "tensorflow":
            return self._tf_draw(call, q)
        if head == "jax" and q in JAX_KEY_MAKERS and self._nondeterministic(call.arg(0, "seed")):
            return "jax"
        return None

    def _torch_draw(self, call: CallSite, q: str) -> Family | None:
        if call.keyword("generator") is not None or call.has_star_kwargs:
            return None  # an explicit generator is judged where it is made
        if q in TORCH_DRAWS or q in TORCH_SAMPLERS:
            return "torch"
        if q in TORCH_LOADERS:
            if call.keyword("sampler") is not None or call.keyword("batch_sampler") is not None:
                return None
            if _is_true(call.arg(2, "shuffle")):
                return "torch"
        return None

    def _tf_draw(self, call: CallSite, q: str) -> Family | None:
        rest = q[len("tensorflow.") :]
        if rest.startswith("compat.v1."):
            rest = rest[len("compat.v1.") :]
        seed = call.kwarg("seed")
        if seed is not None and literal(seed) is not None:
            return None  # an op-level seed alone makes TensorFlow deterministic
        if rest.startswith("random."):
            return "tensorflow" if rest[7:] in TF_RANDOM_DRAWS else None
        if rest in TF1_DRAWS:
            return "tensorflow"
        if rest.startswith("image.random_"):
            return "tensorflow"
        return None

    def _seeds(self, call: CallSite) -> bool:
        """A seed call with a value that is the same on every run (not the clock)."""
        value = _seed_value(call)
        return value is not None and not self._nondeterministic(value)

    def on_node(self, node: ast.AST) -> None:
        if isinstance(node, ast.ImportFrom):
            self.star.add(node)
            return
        # `seed = int(time.time())`: remember what names hold, for a seed that reads them.
        assert isinstance(node, ast.Assign)
        value = node.value
        if isinstance(value, ast.Constant):
            return  # `SEED = 42`: never a per-run value
        for t in node.targets:
            d = dotted(t)
            if d is not None:
                self.assigned.setdefault(d, []).append(value)

    def _nondeterministic(self, node: ast.expr | None) -> bool:
        """The expression changes from run to run: the clock, OS entropy, an unseeded draw."""
        if node is None:
            return False
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                q = self.ctx.qualname(sub.func)
                if q and q.startswith(_NONDETERMINISTIC_PREFIXES):
                    return True
            elif isinstance(sub, (ast.Name, ast.Attribute)) and self._holds_entropy(sub):
                return True
        return False

    def _holds_entropy(self, node: ast.Name | ast.Attribute) -> bool:
        """A name assigned (earlier in the walk) from the clock, OS entropy or a draw."""
        if not self.assigned:
            return False
        key = dotted(node)
        values = self.assigned.get(key) if key is not None else None
        if not values or key is None or key in self._judging:
            return False
        known = self._entropy_memo.get((key, len(values)))
        if known is not None:  # names reassigned many times share sub-answers: memoise
            return known
        self._judging.add(key)  # `x = x + 1` must not recurse forever
        try:
            answer = any(self._nondeterministic(v) for v in values)
        finally:
            self._judging.discard(key)
        self._entropy_memo[(key, len(values))] = answer
        return answer

    def _instance(self, call: CallSite, q: str) -> None:
        short = q.replace("numpy.", "np.").replace("tensorflow.", "tf.")
        self.ctx.report(
            "ML201",
            call.node,
            f"`{short}` without a seed draws fresh OS entropy: results differ on every run",
            "pass a seed (for example default_rng(SEED) or Random(SEED))",
        )

    def finish(self) -> None:
        if self.all_seeded:
            return
        for family, (node, q) in self.first_use.items():
            if family in self.seeded:
                continue
            short = q.replace("numpy.", "np.").replace("tensorflow.", "tf.")
            if family == "jax":
                message = f"JAX key made from a seed that changes on every run (`{short}`)"
            else:
                message = (
                    f"{FAMILY_LABEL[family]} is used (`{short}`) but never seeded in this file"
                )
            self.ctx.report("ML201", node, message, FAMILY_FIX[family])


# -- ML202 -----------------------------------------------------------------------------

# Condition under which a call randomises (beyond "always").
_ALWAYS = "always"
_SHUFFLE_TRUE = "shuffle-true"  # KFold family: only with shuffle=True
_SPLIT = "split"  # train_test_split: unless shuffle=False
_PCA = "pca"
_LOGREG = "logreg"
_SVC = "svc"
_SHAPES = "shapes"  # make_moons/make_circles: only with shuffling or noise

SKLEARN_RANDOMISED: dict[str, str] = {
    "train_test_split": _SPLIT,
    "KFold": _SHUFFLE_TRUE,
    "StratifiedKFold": _SHUFFLE_TRUE,
    "GroupKFold": _SHUFFLE_TRUE,
    "StratifiedGroupKFold": _SHUFFLE_TRUE,
    "PCA": _PCA,
    "LogisticRegression": _LOGREG,
    "LogisticRegressionCV": _LOGREG,
    "SVC": _SVC,
    "NuSVC": _SVC,
    "make_moons": _SHAPES,
    "make_circles": _SHAPES,
    **{
        name: _ALWAYS
        for name in (
            # model selection
            "ShuffleSplit",
            "StratifiedShuffleSplit",
            "GroupShuffleSplit",
            "RepeatedKFold",
            "RepeatedStratifiedKFold",
            "RandomizedSearchCV",
            "HalvingRandomSearchCV",
            # ensembles and trees
            "RandomForestClassifier",
            "RandomForestRegressor",
            "ExtraTreesClassifier",
            "ExtraTreesRegressor",
            "RandomTreesEmbedding",
            "GradientBoostingClassifier",
            "GradientBoostingRegressor",
            "HistGradientBoostingClassifier",
            "HistGradientBoostingRegressor",
            "BaggingClassifier",
            "BaggingRegressor",
            "AdaBoostClassifier",
            "AdaBoostRegressor",
            "IsolationForest",
            "DecisionTreeClassifier",
            "DecisionTreeRegressor",
            "ExtraTreeClassifier",
            "ExtraTreeRegressor",
            # clustering, manifolds, mixtures, decompositions
            "KMeans",
            "MiniBatchKMeans",
            "BisectingKMeans",
            "SpectralClustering",
            "TSNE",
            "MDS",
            "GaussianMixture",
            "BayesianGaussianMixture",
            "TruncatedSVD",
            "LatentDirichletAllocation",
            "FastICA",
            "GaussianRandomProjection",
            "SparseRandomProjection",
            "RBFSampler",
            "Nystroem",
            "SkewedChi2Sampler",
            # stochastic linear models and networks
            "SGDClassifier",
            "SGDRegressor",
            "SGDOneClassSVM",
            "Perceptron",
            "PassiveAggressiveClassifier",
            "PassiveAggressiveRegressor",
            "RANSACRegressor",
            "MLPClassifier",
            "MLPRegressor",
            "BernoulliRBM",
            # data generators and utilities
            "make_classification",
            "make_blobs",
            "make_regression",
            "make_friedman1",
            "make_friedman2",
            "make_friedman3",
            "make_gaussian_quantiles",
            "make_hastie_10_2",
            "make_low_rank_matrix",
            "make_multilabel_classification",
            "make_s_curve",
            "make_swiss_roll",
            "make_sparse_coded_signal",
            "make_sparse_spd_matrix",
            "make_spd_matrix",
            "make_sparse_uncorrelated",
            "make_biclusters",
            "make_checkerboard",
            "permutation_importance",
        )
    },
}
SKLEARN_UTILS = frozenset({"shuffle", "resample"})  # only from sklearn.utils

BOOSTERS: dict[str, frozenset[str]] = {
    "xgboost": frozenset(
        {"XGBClassifier", "XGBRegressor", "XGBRanker", "XGBRFClassifier", "XGBRFRegressor"}
    ),
    "lightgbm": frozenset({"LGBMClassifier", "LGBMRegressor", "LGBMRanker", "LGBMModel"}),
}
BOOSTER_SEED_KEYWORDS = ("random_state", "seed", "random_seed")


def _randomises(call: CallSite, kind: str) -> bool:
    if kind == _ALWAYS:
        return True
    if kind == _SPLIT:
        shuffle = call.keyword("shuffle")
        return shuffle is None or literal(shuffle.value) is True
    if kind == _SHUFFLE_TRUE:  # KFold(n_splits, shuffle, random_state) before sklearn 0.24
        return literal(call.arg(1, "shuffle")) is True
    if kind == _PCA:
        return literal(call.kwarg("svd_solver")) in ("randomized", "arpack")
    if kind == _LOGREG:
        return literal(call.kwarg("solver")) in ("sag", "saga", "liblinear")
    if kind == _SVC:
        return literal(call.kwarg("probability")) is True
    if kind == _SHAPES:
        noise = call.kwarg("noise")
        return literal(call.kwarg("shuffle")) is not False or (
            noise is not None and literal(noise) is not None
        )
    return False


# Signatures that still take random_state positionally (older scikit-learn, LightGBM).
POSITIONAL_RANDOM_STATE: dict[str, int] = {
    "KFold": 2,
    "StratifiedKFold": 2,
    "ShuffleSplit": 3,
    "StratifiedShuffleSplit": 3,
    "GroupShuffleSplit": 3,
    "LGBMClassifier": 16,
    "LGBMRegressor": 16,
    "LGBMRanker": 16,
    "LGBMModel": 16,
}

# Ensembles that hand their own random_state down to the estimator they are given.
SEEDING_ENSEMBLES = frozenset(
    {"AdaBoostClassifier", "AdaBoostRegressor", "BaggingClassifier", "BaggingRegressor"}
)


def _sklearn_star_exports(module: str, name: str) -> bool | None:
    head = module.partition(".")[0]
    if head == "sklearn":
        if name in SKLEARN_UTILS:
            return module == "sklearn.utils"
        return name in SKLEARN_RANDOMISED
    if head in BOOSTERS:
        return name in BOOSTERS[head]
    if head in ("numpy", "pandas", "torch", "matplotlib", "seaborn", "random", "math"):
        return False
    return None


def random_state_callee(q: str) -> tuple[tuple[str, ...], int | None] | None:
    """For the gate: the seed keywords of a callee `RandomStateChecker.on_call` judges,
    and the position its random_state may take (None: not judged)."""
    head, name = q.partition(".")[0], q.rpartition(".")[2]
    if head == "sklearn":
        if name in SKLEARN_UTILS:
            return (("random_state",), None) if q.startswith("sklearn.utils") else None
        if name in SKLEARN_RANDOMISED:
            return ("random_state",), POSITIONAL_RANDOM_STATE.get(name)
        return None
    if head in BOOSTERS and name in BOOSTERS[head]:
        return BOOSTER_SEED_KEYWORDS, POSITIONAL_RANDOM_STATE.get(name)
    return None


def _randomises_text(q: str, call: gates.CallText) -> bool:
    """`_randomises` on the text of a call's arguments (True where the text cannot tell)."""
    kind = SKLEARN_RANDOMISED.get(q.rpartition(".")[2], _ALWAYS)
    if not q.startswith("sklearn.") or kind == _ALWAYS:
        return True
    if kind == _SPLIT:
        shuffle = call.kwarg("shuffle")
        return shuffle is None or gates.is_literal(shuffle, True)
    if kind == _SHUFFLE_TRUE:
        return gates.is_literal(call.arg(1, "shuffle"), True)
    if kind == _PCA:
        return gates.may_be_one_of(call.kwarg("svd_solver"), ("randomized", "arpack"))
    if kind == _LOGREG:
        return gates.may_be_one_of(call.kwarg("solver"), ("sag", "saga", "liblinear"))
    if kind == _SVC:
        return gates.is_literal(call.kwarg("probability"), True)
    if kind == _SHAPES:
        noise = call.kwarg("noise")
        return not gates.is_literal(call.kwarg("shuffle"), False) or (
            noise is not None and not gates.is_literal(noise, None)
        )
    return False


RANDOM_STATE_GATE = gates.RandomStateGate(
    gates.StateRules(
        callee=random_state_callee,
        randomises=_randomises_text,
        modules=("sklearn", "xgboost", "lightgbm"),
    )
)


class RandomStateChecker(Checker):
    """ML202: randomised scikit-learn style calls without a fixed random_state."""

    codes = ("ML202",)
    # Parsed only where the text holds a call the checker could report (see the gate).
    pattern = RANDOM_STATE_GATE
    fragment_words = tuple(
        sorted({*SKLEARN_RANDOMISED, *SKLEARN_UTILS, *(n for v in BOOSTERS.values() for n in v)})
    )
    node_types = (ast.ImportFrom,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.star = StarNames(_sklearn_star_exports)

    def on_node(self, node: ast.AST) -> None:
        self.star.add(node)

    def _seeded_by_ensemble(self) -> bool:
        """`AdaBoostClassifier(DecisionTreeClassifier(), random_state=0)` seeds the tree."""
        for anc in reversed(self.ctx.stack):
            if isinstance(anc, ast.stmt):
                return False
            if isinstance(anc, ast.Call):
                q = self.ctx.qualname(anc.func) or ""
                if q.startswith("sklearn.") and q.rpartition(".")[2] in SEEDING_ENSEMBLES:
                    kw = next((k for k in anc.keywords if k.arg == "random_state"), None)
                    return kw is not None and literal(kw.value) is not None
        return False

    def on_call(self, call: CallSite) -> None:
        call = self.star.resolve(self.ctx, call)
        q = call.qualname
        if q is None or call.has_star_kwargs:
            return
        head = q.partition(".")[0]
        name = q.rpartition(".")[2]  # the imported name, not a local alias
        if head == "sklearn":
            if name in SKLEARN_UTILS:
                if not q.startswith("sklearn.utils"):
                    return
                keywords: tuple[str, ...] = ("random_state",)
            else:
                kind = SKLEARN_RANDOMISED.get(name)
                if kind is None or not _randomises(call, kind):
                    return
                keywords = ("random_state",)
        elif head in BOOSTERS and name in BOOSTERS[head]:
            keywords = BOOSTER_SEED_KEYWORDS
        else:
            return
        for kw in keywords:
            value = call.keyword(kw)
            if value is not None and literal(value.value) is not None:
                return
        index = POSITIONAL_RANDOM_STATE.get(name)
        if index is not None and (call.has_star_args or len(call.node.args) > index):
            if literal(call.arg(index)) is not None:
                return
            keywords = ("random_state",)  # given positionally, as None
        if self._seeded_by_ensemble():
            return
        given = [kw for kw in keywords if call.keyword(kw) is not None]
        what = f"with {given[0]}=None" if given else "without random_state"
        self.ctx.report(
            "ML202",
            call.node,
            f"`{name}(...)` is randomised and called {what}: results change from run to run",
            f"pass {keywords[0]}=<int> (or a seeded generator shared through the script)",
        )


# -- documentation ---------------------------------------------------------------------

RULES: list[Rule] = [
    Rule(
        code="ML201",
        name="unseeded-randomness",
        severity="warning",
        summary="a random generator family (random, numpy, torch, tensorflow) is used but "
        "never seeded in the file; unseeded generator instances",
        what=(
            "Finds files that draw from a global random generator without ever seeding it. "
            "Families are judged separately: Python's `random`, NumPy's global generator "
            "(`np.random.rand`, `shuffle`, `choice`, ...), torch (`torch.rand*`, `randn*`, "
            "`randint`, `randperm`, `normal`, `bernoulli`, `multinomial`, `random_split`, "
            "random samplers, `DataLoader(shuffle=True)`), TensorFlow (`tf.random.*`) and "
            "JAX keys made from a seed that changes per run (the clock, `random`). One "
            "finding per family, at the first use. A seed anywhere in the file counts: "
            "`random.seed(x)`, `np.random.seed(x)`, `torch.manual_seed(x)`, "
            "`tf.random.set_seed(x)`, and, for every family at once, any call named "
            "`set_seed`, `seed_everything` or `set_random_seed` (lightning, transformers, "
            "accelerate, keras or the project's own helper) plus the functions listed in "
            "`[tool.mlvet] seed-functions`. A seed call without a value (`np.random.seed()`) "
            "does not count, nor does a seed taken from the clock or OS entropy "
            "(`random.seed(time.time())`); `torch.cuda.manual_seed_all` alone does not seed torch (the CPU "
            "generator that shuffles data stays unseeded). Generator objects built without a "
            "seed (`np.random.default_rng()`, `random.Random()`, `np.random.RandomState()`) "
            "are reported wherever they are made; seeded ones and draws from them are fine. "
            "Dropout, draws in functions that check `self.training` (drop-path, layer-drop) and "
            "draws with an explicit `generator=` are not findings. Bare names from "
            "`from numpy.random import *` / `from random import *` count; after a star "
            "import of an unknown module (which may define the same name) they do not."
        ),
        why=(
            "Unseeded randomness makes data splits, shuffles, augmentations and weight "
            "initialisation differ on every run, so results cannot be reproduced, compared or "
            "debugged. Seeding one library does not seed another."
        ),
        bad=(
            "import numpy as np\n"
            "import torch\n"
            "\n"
            "torch.manual_seed(0)\n"
            "idx = np.random.permutation(1000)  # numpy is never seeded\n"
            "noise = torch.randn(16, 3)\n"
        ),
        good=(
            "import numpy as np\n"
            "import torch\n"
            "\n"
            "SEED = 0\n"
            "torch.manual_seed(SEED)\n"
            "rng = np.random.default_rng(SEED)\n"
            "idx = rng.permutation(1000)\n"
            "noise = torch.randn(16, 3)\n"
        ),
        fix="seed every generator family the file uses (or call one set_seed/seed_everything)",
        references=(
            "https://pytorch.org/docs/stable/notes/randomness.html",
            "https://numpy.org/doc/stable/reference/random/generator.html",
            "https://www.tensorflow.org/api_docs/python/tf/random/set_seed",
            "https://lightning.ai/docs/pytorch/stable/common/trainer.html#reproducibility",
        ),
        tags=("reproducibility",),
    ),
    Rule(
        code="ML202",
        name="missing-random-state",
        severity="warning",
        summary="a randomised scikit-learn style call (train_test_split, KFold(shuffle=True), "
        "RandomForest*, KMeans, XGBoost, LightGBM, ...) without random_state",
        what=(
            "Finds calls to scikit-learn style APIs that randomise without `random_state` "
            "(or with `random_state=None`): `train_test_split` (unless `shuffle=False`), "
            "`KFold`/`StratifiedKFold`/`GroupKFold` with `shuffle=True`, the `ShuffleSplit` "
            "and `Repeated*KFold` families, random forests, extra trees, (histogram) gradient "
            "boosting, bagging, AdaBoost, decision trees, `IsolationForest`, `KMeans`, "
            "`MiniBatchKMeans`, `TSNE`, Gaussian mixtures, `TruncatedSVD`, "
            "`PCA(svd_solver='randomized')`, `SGD*`, `MLP*`, `RandomizedSearchCV`, "
            "`make_classification`/`make_blobs`/`make_regression`/..., "
            "`sklearn.utils.shuffle`/`resample`, `LogisticRegression` with the "
            "sag/saga/liblinear solvers, `SVC(probability=True)`, and the XGBoost and "
            "LightGBM estimators (`random_state` or `seed`). Names are resolved through "
            "imports (star imports of scikit-learn, XGBoost and LightGBM modules too); a "
            "call passing `**kwargs` is not reported. The finding points at the "
            "first line of the call."
        ),
        why=(
            "Without a fixed `random_state` these estimators and splitters draw from NumPy's "
            "global generator, so the split, the model and its score change on every run."
        ),
        bad=(
            "from sklearn.ensemble import RandomForestClassifier\n"
            "from sklearn.model_selection import train_test_split\n"
            "\n"
            "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)\n"
            "clf = RandomForestClassifier(n_estimators=200)\n"
        ),
        good=(
            "from sklearn.ensemble import RandomForestClassifier\n"
            "from sklearn.model_selection import train_test_split\n"
            "\n"
            "SEED = 42\n"
            "X_train, X_test, y_train, y_test = train_test_split(\n"
            "    X, y, test_size=0.2, random_state=SEED\n"
            ")\n"
            "clf = RandomForestClassifier(n_estimators=200, random_state=SEED)\n"
        ),
        fix="pass random_state=<int> (for example a SEED constant used throughout)",
        references=(
            "https://scikit-learn.org/stable/common_pitfalls.html#controlling-randomness",
            "https://scikit-learn.org/stable/glossary.html#term-random_state",
        ),
        tags=("reproducibility",),
    ),
]

CHECKERS: list[type[Checker]] = [SeedChecker, RandomStateChecker]
