"""Which pickle imports are dangerous (ML401), known safe, or unknown (ML402).

Pure data and pure functions: a global is named by its module and (possibly dotted) name,
exactly as the pickle stream spells it. Nothing here imports what it names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Verdict = Literal["dangerous", "safe", "unknown"]

# Python 2 names the unpickler maps onto Python 3 ones (a subset of _compat_pickle that
# matters for classification; the rest keep their own names and stay unknown).
_PY2_MODULES = {
    "__builtin__": "builtins",
    "exceptions": "builtins",
    "copy_reg": "copyreg",
    "cPickle": "pickle",
    "commands": "subprocess",
    "popen2": "subprocess",
    "urllib2": "urllib.request",
    "httplib": "http.client",
    "SocketServer": "socketserver",
    "UserDict": "collections",
    "UserList": "collections",
    "StringIO": "io",
    "cStringIO": "io",
}

# Modules any import from which can run code or touch the system.
_DANGEROUS_MODULES = frozenset(
    {
        "os",
        "posix",
        "nt",
        "subprocess",
        "_posixsubprocess",
        "_subprocess",
        "_winapi",
        "pty",
        "runpy",
        "importlib",
        "imp",
        "pkgutil",
        "zipimport",
        "socket",
        "_socket",
        "socketserver",
        "shutil",
        "webbrowser",
        "sys",
        "code",
        "codeop",
        "ctypes",
        "_ctypes",
        "cffi",
        "asyncio.subprocess",
        "multiprocessing",
        "_multiprocessing",
        "signal",
        "pdb",
        "bdb",
        "cProfile",
        "profile",
        "timeit",
        "trace",
        "pydoc",
        "platform",
        "ensurepip",
        "pip",
        "setuptools",
        "distutils",
        "venv",
        "site",
        "idlelib",
        "lib2to3",
        "marshal",
        "logging.config",
        "tempfile",
        "fileinput",
        "shelve",
        "dbm",
        "mmap",
        "urllib.request",
        "urllib2",
        "urllib3",
        "requests",
        "httpx",
        "aiohttp",
        "http.client",
        "http.server",
        "ftplib",
        "smtplib",
        "telnetlib",
        "poplib",
        "imaplib",
        "xmlrpc",
        "paramiko",
        "tarfile",
        "zipfile",
        "msvcrt",
        "winreg",
        "_winreg",
        "fcntl",
        "termios",
        "resource",
        "_thread",
        "thread",
        "threading",
        "sqlite3",
        "dill._dill",
        "cloudpickle",
        "jsonpickle",
        "numpy.f2py",
        "numpy.distutils",
        "numpy.ctypeslib",
        "numpy.testing",
        "torch.hub",
        "torch.utils.cpp_extension",
        "torch.package",
        "torch.jit",
        "torch.fx",
        "torch._inductor",
        "torch._dynamo",
        "torch.utils.bottleneck",
        "torch.utils.collect_env",
        "torch.utils.data.datapipes",
        "torch.testing._internal",
        "torch.utils._config_module",
        "pandas.io",
        "pandas.core.computation",
        "ssl",
        "mailcap",
        "pipes",
        "doctest",
        "numexpr",
        "tensorflow.io",
        "tensorflow.python.platform.gfile",
        # shells, pagers and helpers that run commands or read arbitrary files
        "IPython",
        "_osx_support",
        "_sitebuiltins",
        "linecache",
        "inspect",
        "gc",
        "getpass",
        "concurrent.futures.process",
        "torch.multiprocessing",
        "torch.distributed.rpc",
        "torch.distributed.elastic",
        "torch.distributed.run",
        "torch.distributed.launch",
        "asyncore",
        "asynchat",
        "wsgiref",
        "jinja2",
        "mako",
        # downloaders: a pickle that fetches is a pickle that can fetch a payload
        "boto3",
        "botocore",
        "fsspec",
        "smart_open",
        "gdown",
        "wget",
        "pycurl",
    }
)

# Single callables (module.name) that run code or touch the system.
_DANGEROUS_NAMES = frozenset(
    {
        "builtins.eval",
        "builtins.exec",
        "builtins.compile",
        "builtins.getattr",
        "builtins.setattr",
        "builtins.delattr",
        "builtins.__import__",
        "builtins.open",
        "builtins.input",
        "builtins.breakpoint",
        "builtins.globals",
        "builtins.locals",
        "builtins.vars",
        "builtins.execfile",
        "builtins.file",
        "builtins.reload",
        "builtins.apply",
        "builtins.help",
        "builtins.exit",
        "builtins.quit",
        "io.open",
        "io.FileIO",
        "io.open_code",
        "_io.open",
        "_io.FileIO",
        "_io.open_code",
        "operator.attrgetter",
        "operator.methodcaller",
        "operator.itemgetter",
        "operator.getitem",
        "operator.setitem",
        "operator.delitem",
        "operator.call",
        "_operator.attrgetter",
        "_operator.methodcaller",
        "_operator.itemgetter",
        "_operator.getitem",
        "_operator.setitem",
        "_operator.delitem",
        "_operator.call",
        "pickle.loads",
        "pickle.load",
        "pickle._loads",
        "pickle._load",
        "pickle.Unpickler",
        "pickle._Unpickler",
        "_pickle.loads",
        "_pickle.load",
        "_pickle.Unpickler",
        "dill.loads",
        "dill.load",
        "joblib.load",
        "yaml.load",
        "yaml.unsafe_load",
        "yaml.load_all",
        "yaml.unsafe_load_all",
        "yaml.full_load",
        "types.CodeType",
        "types.FunctionType",
        "types.LambdaType",
        "types.MethodType",
        "types.ModuleType",
        "types.BuiltinFunctionType",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
        "asyncio.unix_events._UnixSubprocessTransport",
        "uuid._get_command_stdout",
        "uuid._popen",
        "codecs.open",
        "gzip.open",
        "bz2.open",
        "lzma.open",
        "torch.load",
        "torch.serialization.load",
        "torch._load",
        "numpy.load",
        "numpy.save",
        "numpy.savez",
        "numpy.savez_compressed",
        "numpy.savetxt",
        "numpy.loadtxt",
        "numpy.genfromtxt",
        "numpy.fromfile",
        "numpy.memmap",
        "numpy.lib.npyio.load",
        "numpy.lib.format.open_memmap",
        "numpy.lib.format.read_array",
        "pandas.eval",
        "pandas.read_pickle",
        "pandas.read_csv",
        "pandas.read_sql",
        "keras.models.load_model",
        "keras.saving.load_model",
        "copyreg.add_extension",
        "copy_reg.add_extension",
        "_codecs.open",
        "gzip.GzipFile",
        "bz2.BZ2File",
        "lzma.LZMAFile",
        # exec/eval hidden in the standard library
        "dataclasses._create_fn",
        "dataclasses._FuncBuilder",
        "typing.get_type_hints",
        "typing._eval_type",
        "typing.ForwardRef",
        "typing_extensions.get_type_hints",
        "torch.distributed.init_process_group",
        "torch.distributed.rendezvous",
    }
)

# Names that run a command or evaluate code whatever module they come from.
_DANGEROUS_LEAVES = frozenset(
    {
        "system",
        "popen",
        "popen2",
        "popen3",
        "popen4",
        "Popen",
        "getoutput",
        "getstatusoutput",
        "check_output",
        "check_call",
        "eval",
        "exec",
        "execfile",
        "open_code",
        "spawnl",
        "spawnle",
        "spawnlp",
        "spawnlpe",
        "spawnv",
        "spawnve",
        "spawnvp",
        "spawnvpe",
        "execl",
        "execle",
        "execlp",
        "execlpe",
        "execv",
        "execve",
        "execvp",
        "execvpe",
        "startfile",
        "run_path",
        "run_module",
        "import_module",
        "__import__",
        "urlopen",
        "urlretrieve",
        "write_file",
        "get_file",
        "sympify",
        "parse_expr",
        "hf_hub_download",
        "snapshot_download",
        "download_url",
        "download_and_extract_archive",
        "load_state_dict_from_url",
        "from_pretrained",
        "get_type_hints",
    }
)

# File readers and writers of the ML libraries, wherever inside them they live: a loader
# re-enters unpickling (torch.load, joblib.load), a writer overwrites files.
_LOADER_LIBRARIES = frozenset(
    {
        "numpy",
        "joblib",
        "torch",
        "dill",
        "cloudpickle",
        "keras",
        "tensorflow",
        "tf_keras",
        "sklearn",
        "scipy",
        "transformers",
        "safetensors",
        "h5py",
    }
)
_LOADER_LEAVES = frozenset(
    {
        "load",
        "loads",
        "save",
        "dump",
        "fromfile",
        "tofile",
        "loadtxt",
        "savetxt",
        "genfromtxt",
        "fromregex",
        "memmap",
        "open_memmap",
        "savez",
        "savez_compressed",
        "load_model",
        "save_model",
        "_load",
        "_legacy_load",
        "_open_file",
        "_open_zipfile_reader",
        "load_compatibility",
        "loadmat",
        "savemat",
        "load_npz",
        "save_npz",
        "load_file",
        "save_file",
        "File",
    }
)

# Attribute names that only serve to climb from a harmless object to a dangerous one.
_DANGEROUS_ATTRS = frozenset(
    {
        "__globals__",
        "__builtins__",
        "__subclasses__",
        "__getattribute__",
        "__getattr__",
        "__class__",
        "__base__",
        "__bases__",
        "__mro__",
        "__dict__",
        "__code__",
        "__import__",
        "__loader__",
        "__spec__",
        "__reduce__",
        "__reduce_ex__",
        "__init_subclass__",
        "__func__",
        "__self__",
        "__closure__",
        "__call__",
        "__setattr__",
        "__delattr__",
        "__setstate__",
        "__module__",
    }
)

# Known-safe globals: what torch's weights_only unpickler accepts, numpy arrays, dtypes and
# scalars, joblib's array wrappers, and common estimators. Exact names or `module.*`.
_SAFE_EXACT = frozenset(
    {
        "_codecs.encode",
        "codecs.encode",
        "builtins.bytearray",
        "builtins.set",
        "builtins.frozenset",
        "builtins.complex",
        "builtins.slice",
        "builtins.range",
        "builtins.object",
        "builtins.int",
        "builtins.float",
        "builtins.bool",
        "builtins.str",
        "builtins.bytes",
        "builtins.list",
        "builtins.dict",
        "builtins.tuple",
        "builtins.unicode",
        "builtins.long",
        "collections.OrderedDict",
        "collections.Counter",
        "collections.defaultdict",
        "collections.deque",
        "copyreg._reconstructor",
        "copyreg.__newobj__",
        "datetime.datetime",
        "datetime.date",
        "datetime.time",
        "datetime.timedelta",
        "datetime.timezone",
        "decimal.Decimal",
        "fractions.Fraction",
        "uuid.UUID",
        "types.SimpleNamespace",
        "argparse.Namespace",
        "pathlib.PosixPath",
        "pathlib.WindowsPath",
        "pathlib.PurePosixPath",
        "pathlib.PureWindowsPath",
        "pathlib.Path",
        "enum.Enum",
        "logging.getLogger",
        "re._compile",
        # torch
        "torch.nn.parameter.Parameter",
        "torch.nn.parameter.Buffer",
        "torch.nn.parameter.UninitializedParameter",
        "torch.serialization._get_layout",
        "torch.Size",
        "torch.Tensor",
        "torch.device",
        "torch.dtype",
        "torch.layout",
        "torch.memory_format",
        "torch.storage.TypedStorage",
        "torch.storage.UntypedStorage",
        "torch.storage._TypedStorage",
        "torch.storage._UntypedStorage",
        "torch.UntypedStorage",
        "torch.TypedStorage",
        "torch._tensor._rebuild_from_type_v2",
        "torch.per_tensor_affine",
        "torch.per_tensor_symmetric",
        "torch.per_channel_affine",
        "torch.per_channel_symmetric",
        "torch.per_channel_affine_float_qparams",
        "torch.strided",
        "torch.sparse_coo",
        "torch.sparse_csr",
        "torch.sparse_csc",
        "torch.sparse_bsr",
        "torch.sparse_bsc",
        "torch._mkldnn",
        "torch.jagged",
        "torch.contiguous_format",
        "torch.channels_last",
        "torch.channels_last_3d",
        "torch.preserve_format",
        "torch.bool",
        "torch.half",
        "torch.float",
        "torch.double",
        "torch.long",
        "torch.int",
        "torch.short",
        "torch.cfloat",
        "torch.cdouble",
        "torch.chalf",
        "torch.bits16",
        "torch.bits1x8",
        "torch.bits2x4",
        "torch.bits4x2",
        "torch.bits8",
        "torch.float4_e2m1fn_x2",
        "torch.torch_version.TorchVersion",
        # training-framework checkpoints (Lightning hyper-parameters)
        "pytorch_lightning.utilities.parsing.AttributeDict",
        "lightning_fabric.utilities.data.AttributeDict",
        "lightning.fabric.utilities.data.AttributeDict",
        "typing.Any",
        # numpy
        "numpy.ndarray",
        "numpy.dtype",
        "numpy.matrix",
        "numpy.ma.core._mareconstruct",
        "numpy.ma.MaskedArray",
        "numpy.rec.recarray",
        "numpy.record",
        "numpy.recarray",
        "numpy.core.records.recarray",
        "numpy.core.records.record",
        "numpy._core.records.recarray",
        "numpy._core.records.record",
        "numpy.random._pcg64.PCG64DXSM",
        # pandas missing-value singletons and Cython containers
        "pandas.NA",
        "pandas._libs.missing.NA",
        "pandas._libs.missing.NAType",
        "pandas._libs.sparse.IntIndex",
        "pandas._libs.sparse.BlockIndex",
        "pandas._libs.interval.Interval",
        "pandas._libs.interval.__pyx_unpickle_IntervalMixin",
        # what pickle.dumps(tensor) writes: the storage bytes are a nested checkpoint,
        # which the reader scans in turn
        "torch.storage._load_from_bytes",
        "torch.ScriptObject",
        # what fitted estimators keep: a partial's target is an import of its own, judged
        # on its own (HistGradientBoosting keeps partial(check_array, ...))
        "functools.partial",
        "sklearn.utils.validation.check_array",
        "scipy._lib.array_api_compat.numpy._aliases.asarray",
        # dill's numpy array and namedtuple builders (the callable they apply is its own import)
        "dill._dill._create_array",
        "dill._dill._create_namedtuple",
        "dill._dill._create_dtypemeta",
        "dill._dill._load_type",  # the reader reports the code-building types it names
        "numpy.ma.core.MaskedArray",
        "numpy.core.multiarray._reconstruct",
        "numpy._core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
        "numpy.core.numeric._frombuffer",
        "numpy._core.numeric._frombuffer",
        "numpy.random._pickle.__randomstate_ctor",
        "numpy.random._pickle.__generator_ctor",
        "numpy.random._pickle.__bit_generator_ctor",
        "numpy.random.mtrand.RandomState",
        "numpy.random._generator.Generator",
        "numpy.random._mt19937.MT19937",
        "numpy.random._pcg64.PCG64",
        "numpy.random._pcg64.PCG64DXP",
        "numpy.random._philox.Philox",
        "numpy.random._sfc64.SFC64",
        "numpy.random.bit_generator.SeedSequence",
        "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
        # joblib
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "joblib.numpy_pickle_compat.NDArrayWrapper",
        "joblib.numpy_pickle_compat.ZNDArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
        # scipy sparse matrices (common inside fitted estimators)
        "scipy.sparse._csr.csr_matrix",
        "scipy.sparse._csc.csc_matrix",
        "scipy.sparse._coo.coo_matrix",
        "scipy.sparse._csr.csr_array",
        "scipy.sparse._csc.csc_array",
        "scipy.sparse._coo.coo_array",
        "scipy.sparse.csr.csr_matrix",
        "scipy.sparse.csc.csc_matrix",
        "scipy.sparse.coo.coo_matrix",
        "scipy.sparse._lil.lil_matrix",
        "scipy.sparse._dok.dok_matrix",
        "scipy.interpolate._bsplines.BSpline",
        "scipy.interpolate._interpolate.interp1d",
        "scipy.interpolate._cubic.CubicSpline",
        "scipy.interpolate._interpolate.PPoly",
        # sklearn internals that fitted estimators carry
        "sklearn.tree._tree.Tree",
        "sklearn.neighbors._kd_tree.newObj",
        "sklearn.neighbors._ball_tree.newObj",
        "sklearn.utils._bunch.Bunch",
        "sklearn.utils.Bunch",
        "sklearn._loss.link.Interval",
        # gradient boosting libraries
        "xgboost.core.Booster",
        "xgboost.sklearn.XGBClassifier",
        "xgboost.sklearn.XGBRegressor",
        "xgboost.sklearn.XGBRanker",
        "xgboost.sklearn.XGBRFClassifier",
        "xgboost.sklearn.XGBRFRegressor",
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMClassifier",
        "lightgbm.sklearn.LGBMRegressor",
        "lightgbm.sklearn.LGBMRanker",
        "catboost.core.CatBoostClassifier",
        "catboost.core.CatBoostRegressor",
        "catboost.core.CatBoost",
        # pandas containers
        "pandas.core.frame.DataFrame",
        "pandas.core.series.Series",
        "pandas.core.internals.managers.BlockManager",
        "pandas.core.internals.managers.SingleBlockManager",
        "pandas._libs.internals._unpickle_block",
        "pandas.core.internals.blocks.new_block",
        "pandas.core.indexes.base._new_Index",
        "pandas.core.indexes.base.Index",
        "pandas.core.indexes.range.RangeIndex",
        "pandas.core.indexes.multi.MultiIndex",
        "pandas.core.indexes.numeric.Int64Index",
        "pandas._libs.tslibs.timestamps._unpickle_timestamp",
        "pandas._libs.tslibs.timedeltas._timedelta_unpickle",
        "pandas._libs.arrays.__pyx_unpickle_NDArrayBacked",
        "pandas.core.indexes.datetimes._new_DatetimeIndex",
        "pandas.core.indexes.period._new_PeriodIndex",
        "pandas.core.arrays.categorical.Categorical",
        "pandas.DataFrame",
        "pandas.Series",
        "pandas.Index",
        "pandas.RangeIndex",
        "pandas.MultiIndex",
        "pandas.CategoricalIndex",
        "pandas.DatetimeIndex",
        "pandas.TimedeltaIndex",
        "pandas.PeriodIndex",
        "pandas.IntervalIndex",
        "pandas.Categorical",
        "pandas.CategoricalDtype",
        "pandas.StringDtype",
        "pandas.DatetimeTZDtype",
        "pandas.PeriodDtype",
        "pandas.IntervalDtype",
        "pandas.SparseDtype",
        "pandas.BooleanDtype",
        "pandas.Int8Dtype",
        "pandas.Int16Dtype",
        "pandas.Int32Dtype",
        "pandas.Int64Dtype",
        "pandas.UInt8Dtype",
        "pandas.UInt16Dtype",
        "pandas.UInt32Dtype",
        "pandas.UInt64Dtype",
        "pandas.Float32Dtype",
        "pandas.Float64Dtype",
        "pandas.Timestamp",
        "pandas.Timedelta",
        "pandas.Period",
        "pandas.Interval",
    }
)

_TORCH_SAFE = re.compile(
    r"torch\.(?:(?:cuda\.)?(?:sparse\.)?[A-Z][A-Za-z0-9]*(?:Storage|Tensor)"
    r"|(?:u?int|float|bfloat|complex|q(?:u?int))[0-9a-z_]*"
    r"|_utils\._rebuild_[a-z0-9_]+"
    r"|nn\.modules\.[a-z0-9_.]+\.[A-Z][A-Za-z0-9]*"
    r"|nn\.functional\.[a-z][a-z0-9_]*|_C\._nn\.[a-z][a-z0-9_]*"
    # whole optimizers, LR schedulers and quantized modules saved with torch.save(obj)
    r"|optim\.(?:[a-z_]+\.)?[A-Z][A-Za-z0-9]*|ao\.nn\.[a-z0-9_.]+\.[A-Z][A-Za-z0-9]*"
    # weight/spectral-norm hooks of whole-module saves (the hook they wrap is its own import)
    r"|nn\.utils\.(?:weight_norm|spectral_norm)\.[A-Z][A-Za-z0-9]*|nn\.modules\.module\._WrappedHook)"
)
_NUMPY_SAFE = re.compile(
    # top-level lowercase names are ufuncs and array functions (np.log1p in a
    # FunctionTransformer); the file readers among them are dangerous, judged first
    r"numpy\.(?:[a-z][a-z0-9_]*|dtypes\.[A-Za-z0-9]+DType"
    r"|(?:bool_|bool|object_|str_|bytes_|void|float(?:16|32|64|128|_)|u?int(?:8|16|32|64|c|p|_)?"
    r"|complex(?:64|128|256|_)|longlong|ulonglong|longdouble|clongdouble|half|single"
    r"|double|intc|uintc|datetime64|timedelta64))"
)
# Estimator modules of scikit-learn: classes (CamelCase) only, never functions.
_SKLEARN_SAFE = re.compile(
    r"sklearn\.(?:linear_model|ensemble|tree|svm|neighbors|naive_bayes|preprocessing"
    r"|decomposition|cluster|pipeline|compose|feature_extraction|feature_selection|impute"
    r"|neural_network|discriminant_analysis|gaussian_process|kernel_ridge"
    r"|cross_decomposition|isotonic|calibration|multiclass|multioutput|mixture|manifold"
    r"|covariance|dummy|random_projection|semi_supervised|kernel_approximation"
    r"|model_selection|_loss|frozen|metrics)(?:\.[a-z0-9_]+)*\._?[A-Z][A-Za-z0-9]*"
    # scorers keep their metric: pure functions of arrays
    r"|sklearn\.metrics\.(?:_classification|_regression|_ranking|cluster\.[a-z_]+)\.[a-z][a-z0-9_]*"
    r"|sklearn\.feature_selection\._(?:univariate_selection|mutual_info)\.[a-z][a-z0-9_]*"
    # metadata-routing requests a fitted search keeps (plain data classes)
    r"|sklearn\.utils\._metadata_requests\.[A-Z][A-Za-z]*"
    # scikit-learn 1.7 (the last for Python 3.10) pickles its Cython losses under the
    # bare module name of their extension: `_loss.CyHalfBinomialLoss`
    r"|_loss\.Cy[A-Z][A-Za-z]*"
)
# Estimator and config classes of other common libraries, pandas data containers, and
# the Cython helpers fitted sklearn neighbours carry (classes only, no I/O classes).
_LIBRARY_CLASSES = re.compile(
    r"(?:xgboost\.(?:core|sklearn|compat)|lightgbm\.(?:basic|sklearn)|catboost\.core"
    r"|omegaconf\.(?:dictconfig|listconfig|base|nodes)|pandas\.arrays"
    r"|pandas\.core\.(?:arrays(?:\.[a-z_]+)+|dtypes\.dtypes|indexes\.[a-z_]+|internals\.[a-z_]+)"
    r")\.[A-Z][A-Za-z0-9]*"
    r"|sklearn\.(?:metrics\._dist_metrics|neighbors\._(?:kd|ball)_tree)\.(?:newObj|[A-Z][A-Za-z0-9]*)"
)
# Hugging Face Trainer's `training_args.bin` (a torch.save of its arguments) and model
# configs: dataclasses and enums.
_HF_CLASSES = re.compile(
    r"(?:transformers\.(?:training_args(?:_seq2seq)?|trainer_utils|debug_utils|configuration_utils"
    r"|models\.[a-z0-9_]+\.configuration_[a-z0-9_]+)"
    r"|accelerate\.(?:utils\.dataclasses|state)"
    r"|peft\.(?:utils\.peft_types|config|tuners\.[a-z0-9_.]+\.config))\.[A-Z][A-Za-z0-9]*"
)
# TorchScript archives name their classes `__torch__.*`; TorchScript resolves those from
# the archive's own compiled code, and the Python unpickler cannot import them at all.
_TORCHSCRIPT_SAFE = re.compile(
    r"__torch__\.[A-Za-z0-9_.]+|torch\.jit\._pickle\.(?:build_[a-z]+list|restore_type_tag)"
)
# Harmless builtins: pure functions, type constructors, exception classes.
_BUILTINS_SAFE = re.compile(
    r"builtins\.(?:abs|all|any|bin|chr|divmod|enumerate|format|hash|hex|isinstance|issubclass"
    r"|len|max|min|oct|ord|pow|repr|reversed|round|sorted|sum|zip|property|staticmethod"
    r"|classmethod|Ellipsis|NotImplemented|(?:Base)?Exception|[A-Z][A-Za-z]*(?:Error|Exception|Warning))"
)
_SAFE_PATTERNS = (
    _BUILTINS_SAFE,
    _TORCH_SAFE,
    _NUMPY_SAFE,
    _SKLEARN_SAFE,
    _LIBRARY_CLASSES,
    _HF_CLASSES,
    _TORCHSCRIPT_SAFE,
)


def normalize(module: str, name: str) -> tuple[str, str]:
    """Map Python 2 module names onto the Python 3 ones the unpickler would use."""
    top, _, rest = module.partition(".")
    mapped = _PY2_MODULES.get(module) or (
        _PY2_MODULES[top] + "." + rest if rest and top in _PY2_MODULES else module
    )
    if mapped == "builtins" and name == "xrange":
        name = "range"
    return mapped, name


def _in_module_set(module: str, modules: Iterable[str]) -> bool:
    return any(module == m or module.startswith(m + ".") for m in modules)


# Names inside otherwise dangerous modules that only look things up: dill pickles every
# builtin type (even `int`) through _load_type, a fixed table of types.
# TorchScript's debug pickles rebuild lists through torch.jit._pickle's pure list builders.
_HARMLESS_IN_DANGEROUS_MODULES = frozenset(
    {
        "dill._dill._load_type",
        "dill._dill._create_array",
        "dill._dill._create_namedtuple",
        "dill._dill._create_dtypemeta",
        "torch.jit._pickle.build_intlist",
        "torch.jit._pickle.build_tensorlist",
        "torch.jit._pickle.build_doublelist",
        "torch.jit._pickle.build_boollist",
        "torch.jit._pickle.build_complexlist",
        "torch.jit._pickle.restore_type_tag",
    }
)

# torch._C internals that load, compile or run serialized programs.
_TORCH_C_DANGEROUS = re.compile(r"(?i).*(?:load|import|jit|script|compile|exec|deserial|_run).*")


# Dangerous stdlib modules without sub-modules: `code.models` (a project's own package
# named `code`) is not the stdlib `code`, so only the exact module name counts.
_SINGLE_FILE_MODULES = frozenset(
    {
        "code",
        "codeop",
        "site",
        "platform",
        "trace",
        "profile",
        "cProfile",
        "timeit",
        "pdb",
        "bdb",
        "pipes",
        "mailcap",
        "pty",
        "webbrowser",
        "shutil",
        "tempfile",
        "fileinput",
        "mmap",
        "signal",
        "runpy",
        "imp",
        "zipimport",
        "pkgutil",
        "socket",
        "sys",
        "marshal",
        "doctest",
        "socketserver",
        "ftplib",
        "smtplib",
        "telnetlib",
        "poplib",
        "imaplib",
        "ssl",
        "msvcrt",
        "winreg",
        "fcntl",
        "termios",
        "resource",
        "threading",
        "shelve",
        "tarfile",
    }
)


def _segments_hit(segments: list[str], module_len: int = 0) -> bool:
    """Does some dotted prefix of `segments` name a dangerous module or callable?
    `module_len`: how many leading segments form the imported module's own name."""
    for end in range(1, len(segments) + 1):
        prefix = ".".join(segments[:end])
        if prefix in _DANGEROUS_NAMES:
            return True
        if prefix in _DANGEROUS_MODULES:
            if prefix in _SINGLE_FILE_MODULES and end < module_len:
                continue
            return True
    return False


def is_dangerous(module: str, name: str) -> bool:
    """True for a callable that can run code, start processes, or touch files/network."""
    module, name = normalize(module, name)
    full = f"{module}.{name}"
    if full in _HARMLESS_IN_DANGEROUS_MODULES:
        return False
    # `asyncio` + `subprocess.create_subprocess_exec`, `torch` + `hub.load`, and
    # `asyncio.unix_events` + `_UnixSubprocessTransport._start` all reach the same code.
    if _segments_hit(full.split("."), module_len=module.count(".") + 1):
        return True
    parts = name.split(".")
    # `torch._C` + `_jit_...`, or `torch` + `_C._load_for_lite_interpreter` (an attribute walk)
    segments = full.split(".")
    if any(
        segments[:i] == ["torch", "_C"] and _TORCH_C_DANGEROUS.fullmatch(".".join(segments[i:]))
        for i in range(2, len(segments))
    ):
        return True
    if parts[-1] in _DANGEROUS_LEAVES or any(p in _DANGEROUS_ATTRS for p in parts):
        return True
    top = module.partition(".")[0]
    if top == "pandas" and parts[-1].startswith(("read_", "to_")):
        return True  # pandas readers and writers take paths and URLs
    if top in _LOADER_LIBRARIES and parts[-1] in _LOADER_LEAVES:
        return True  # `numpy.lib._npyio_impl.load`, `joblib.numpy_pickle.load`, ...
    # Dotted names walk attributes (protocol 4): `torch.serialization` + `os.system`
    # reaches os through a module attribute, and `Path.write_text` is a method.
    if len(parts) > 1:
        if module in ("pathlib", "builtins"):
            return True
        for i in range(1, len(parts)):
            if _segments_hit(parts[i:]):
                return True
            if parts[i - 1] in ("builtins", "__builtins__", "__builtin__") and (
                f"builtins.{parts[i]}" in _DANGEROUS_NAMES
            ):
                return True
        if _segments_hit(parts):
            return True
    return False


@dataclass(frozen=True)
class Allowlist:
    """User entries from `allowed-pickle-globals`: `module.name` or `module.*`."""

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> Allowlist:
        exact: set[str] = set()
        prefixes: list[str] = []
        for raw in entries:
            entry = raw.strip()
            if entry.endswith(".*"):
                prefixes.append(entry[:-2])
            elif entry:
                exact.add(entry)
        return cls(frozenset(exact), tuple(prefixes))

    def allows(self, module: str, name: str) -> bool:
        full = f"{module}.{name}"
        return full in self.exact or _in_module_set(module, self.prefixes)


@lru_cache(maxsize=4096)
def _builtin_verdict(module: str, name: str) -> Verdict:
    if is_dangerous(module, name):
        return "dangerous"
    m, n = normalize(module, name)
    full = f"{m}.{n}"
    if full in _SAFE_EXACT or any(p.fullmatch(full) for p in _SAFE_PATTERNS):
        return "safe"
    return "unknown"


def classify(module: str, name: str, allow: Allowlist | None = None) -> Verdict:
    """dangerous / safe / unknown. An exact user entry trusts even a dangerous name;
    a `module.*` entry only clears unknown ones."""
    if allow is not None:
        full = f"{module}.{name}"
        if full in allow.exact:
            return "safe"
        verdict = _builtin_verdict(module, name)
        if verdict == "unknown" and allow.allows(module, name):
            return "safe"
        return verdict
    return _builtin_verdict(module, name)


def display(module: str, name: str) -> str:
    """A printable `module.name`, escaping control characters an attacker may use."""
    text = f"{module}.{name}"
    if text.isprintable() and len(text) <= 200:
        return text
    shown = text.encode("unicode_escape").decode("ascii")
    return shown[:200] + ("..." if len(shown) > 200 else "")


# Callables whose argument is itself a pickle: the walker scans that argument too.
LOADS_CALLABLES = frozenset(
    {
        "pickle.loads",
        "pickle._loads",
        "_pickle.loads",
        "cPickle.loads",
        "dill.loads",
        "dill._dill.loads",
        "cloudpickle.loads",
        "torch.storage._load_from_bytes",
        "numpy.loads",
        "joblib.load",
    }
)
DECODE_CALLABLES = frozenset(
    {
        "base64.b64decode",
        "base64.standard_b64decode",
        "base64.urlsafe_b64decode",
        "base64.decodebytes",
        "base64.decodestring",
        "codecs.decode",
        "_codecs.decode",
        "zlib.decompress",
        "bz2.decompress",
        "lzma.decompress",
        "gzip.decompress",
        "binascii.a2b_base64",
        "binascii.unhexlify",
        "bytes.fromhex",
    }
)
