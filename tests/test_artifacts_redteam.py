"""Attacks real malicious checkpoints use, and benign files real libraries write.

Malicious pickles are written opcode by opcode or dumped from objects whose __reduce__
names the callable; nothing here is ever loaded.
"""

from __future__ import annotations

import io
import pickle
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from artifacts_helpers import (
    STATE_DICT_PKL,
    RunsCommand,
    codes,
    message,
    npy_bytes,
    scan,
    torch_zip,
    write,
)

EVIL = pickle.dumps(RunsCommand(), protocol=2)


def _u(text: str) -> bytes:
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def global0(module: str, name: str) -> bytes:
    """Protocol 0: GLOBAL, a one-string argument tuple, REDUCE."""
    return f"c{module}\n{name}\n(S'x'\ntR.".encode()


def stack_global(module: str, name: str) -> bytes:
    """Protocol 4: STACK_GLOBAL from two short strings, then REDUCE."""
    return b"\x80\x04" + _u(module) + _u(name) + b"\x93" + _u("x") + b"\x85R."


# -- callables that run code, beyond the obvious ones -----------------------------------

GADGETS = [
    ("IPython", "get_ipython"),
    ("IPython.core.interactiveshell", "InteractiveShell"),
    ("_osx_support", "_read_output"),
    ("_sitebuiltins", "_Helper"),
    ("linecache", "getlines"),
    ("inspect", "getsource"),
    ("gc", "get_objects"),
    ("getpass", "getpass"),
    ("concurrent.futures.process", "_process_worker"),
    ("torch.multiprocessing", "spawn"),
    ("torch.distributed.rpc", "rpc_sync"),
    ("torch.distributed", "init_process_group"),
    ("asyncore", "dispatcher"),
    ("wsgiref.simple_server", "make_server"),
    ("jinja2", "Template"),
    ("boto3", "client"),
    ("fsspec", "open"),
    ("smart_open", "open"),
    ("gdown", "download"),
    ("wget", "download"),
    ("huggingface_hub", "hf_hub_download"),
    ("transformers", "AutoModel.from_pretrained"),
    ("torchvision.datasets.utils", "download_url"),
    ("torch.hub", "load_state_dict_from_url"),
    ("_codecs", "open"),
    ("gzip", "GzipFile"),
    ("bz2", "BZ2File"),
    ("lzma", "LZMAFile"),
    ("dataclasses", "_create_fn"),
    ("typing", "get_type_hints"),
    ("typing", "_eval_type"),
    ("copyreg", "add_extension"),
    ("torch", "_C._load_for_lite_interpreter"),
    ("torch._C", "_jit_script_compile"),
    ("timeit", "timeit"),
    ("pydoc", "pipepager"),
    ("code", "InteractiveInterpreter"),
    ("ctypes", "CDLL"),
    ("multiprocessing", "Process"),
    ("asyncio", "create_subprocess_shell"),
    ("types", "FunctionType"),
    ("marshal", "loads"),
    ("numpy.testing._private.utils", "runstring"),
    ("pip", "main"),
    ("pip._internal.cli.main", "main"),
    ("torch.hub", "load"),
    ("torch", "load"),
    ("tempfile", "NamedTemporaryFile"),
    ("requests", "get"),
    ("urllib.request", "urlopen"),
    ("__builtin__", "eval"),
    ("__builtin__", "getattr"),
    ("commands", "getoutput"),
    # loaders and writers of the ML libraries wherever they live
    ("numpy.lib._npyio_impl", "load"),
    ("numpy._core.multiarray", "fromfile"),
    ("joblib.numpy_pickle", "load"),
    ("torch.serialization", "_load"),
    ("torch.serialization", "_legacy_load"),
    ("keras.saving.saving_api", "load_model"),
    ("scipy.io", "loadmat"),
    ("dill", "load"),
]


@pytest.mark.parametrize("spell", [global0, stack_global], ids=["GLOBAL", "STACK_GLOBAL"])
@pytest.mark.parametrize(("module", "name"), GADGETS)
def test_gadget_is_ml401_naming_it(tmp_path: Path, spell: Any, module: str, name: str) -> None:
    path = write(tmp_path / "m.pkl", spell(module, name))
    assert codes(path) == ["ML401"]
    assert f"{module}.{name}" in message(path, "ML401")


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("ast", "literal_eval"),
        ("builtins", "map"),
        ("weakref", "ref"),
        ("torch.utils.data", "DataLoader"),
        ("collections", "namedtuple"),
    ],
)
def test_harmless_on_their_own_are_only_unknown(tmp_path: Path, module: str, name: str) -> None:
    # None of these runs anything by itself; what they wrap is an import of its own.
    path = write(tmp_path / "m.pkl", global0(module, name))
    assert codes(path) == ["ML402"]


def test_python2_exception_class_is_safe(tmp_path: Path) -> None:
    path = write(tmp_path / "m.pkl", b"cexceptions\nException\n(S'x'\ntR.")
    assert codes(path) == []


# -- protocol-0 spelling tricks --------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"cos\r\nsystem\r\n(S'id'\r\ntR.",  # CRLF after a text-mode checkout
        b"cos \nsystem \n(S'id'\ntR.",  # trailing spaces
        b"c os\n\tsystem\n(S'id'\ntR.",  # leading padding
        b"(S'id'\nios\nsystem\n.",  # INST first: the stream opens with MARK and arguments
        b"(I1\nF2.5\nNS'id'\np0\nios\nsystem\n.",  # more argument kinds before INST
    ],
    ids=["crlf", "trailing", "leading", "inst", "inst-args"],
)
@pytest.mark.parametrize("name", ["m.pkl", "notes.txt", "weights.bin", "README"])
def test_odd_protocol0_spellings(tmp_path: Path, data: bytes, name: str) -> None:
    path = write(tmp_path / name, data)
    assert "ML401" in codes(path)
    assert "os.system" in message(path, "ML401")


@pytest.mark.parametrize(
    "text", [b"cat\ndog\nfish\n", b"cherry\npie\n\nmore words\n", b"(see below)\n"]
)
@pytest.mark.parametrize("name", ["words.txt", "words", "notes.md"])
def test_text_files_that_start_like_a_text_pickle_are_text(
    tmp_path: Path, text: bytes, name: str
) -> None:
    assert codes(write(tmp_path / name, text)) == []


def test_word_list_named_like_a_pickle_is_still_unreadable(tmp_path: Path) -> None:
    assert "ML404" in codes(write(tmp_path / "words.pkl", b"cat\ndog\nfish\n"))


# -- copyreg extension registry --------------------------------------------------------


def test_extension_registered_inside_the_pickle_names_its_target(tmp_path: Path) -> None:
    data = (
        b"\x80\x02ccopyreg\nadd_extension\n(X\x02\x00\x00\x00osX\x06\x00\x00\x00systemK\x07tR0"
        b"\x82\x07(X\x02\x00\x00\x00idtR."
    )
    msg = message(write(tmp_path / "m.pkl", data), "ML401")
    assert "copyreg.add_extension" in msg
    assert "os.system" in msg


# -- payloads hidden after or inside a benign pickle ----------------------------------


@pytest.mark.parametrize(
    "tail",
    [EVIL, b"\x00\x00junk" + EVIL, b"\n" + EVIL, b"padding" + b"cos\nsystem\n(S'id'\ntR."],
    ids=["back-to-back", "junk", "newline", "text"],
)
@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_payload_after_a_benign_stop(tmp_path: Path, tail: bytes, protocol: int) -> None:
    path = write(tmp_path / "m.pkl", pickle.dumps({"a": [1, 2]}, protocol=protocol) + tail)
    assert codes(path) == ["ML401"]
    assert "system" in message(path, "ML401")


def test_plain_junk_after_a_pickle_is_ignored(tmp_path: Path) -> None:
    path = write(tmp_path / "m.pkl", pickle.dumps({"a": 1}, protocol=4) + bytes(range(256)) * 8)
    assert codes(path) == []


@pytest.mark.parametrize("wrap", [bytes, bytearray])
@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_bytes_nested_in_a_benign_pickle(tmp_path: Path, wrap: Any, protocol: int) -> None:
    path = write(tmp_path / "m.pkl", pickle.dumps({"blob": wrap(EVIL), "n": 1}, protocol=protocol))
    assert "ML401" in codes(path)


def test_loads_of_codecs_encoded_text(tmp_path: Path) -> None:
    text = EVIL.decode("latin-1").encode("utf-8")
    data = (
        b"\x80\x02c_pickle\nloads\nc_codecs\nencode\nX"
        + len(text).to_bytes(4, "little")
        + text
        + b"X\x06\x00\x00\x00latin1\x86R\x85R."
    )
    msg = message(write(tmp_path / "m.pkl", data), "ML401")
    assert "_pickle.loads" in msg and "system" in msg


def test_code_object_built_from_marshal(tmp_path: Path) -> None:
    data = b"\x80\x02ctypes\nFunctionType\ncmarshal\nloads\nC\x01x\x85R}\x86R."
    msg = message(write(tmp_path / "m.pkl", data), "ML401")
    assert "types.FunctionType" in msg and "marshal.loads" in msg


def test_getattr_chain_through_reduce(tmp_path: Path) -> None:
    data = (
        b"\x80\x04"
        + _u("builtins")
        + _u("getattr")
        + b"\x93"
        + _u("builtins")
        + _u("globals")
        + b"\x93)R"
        + _u("x")
        + b"\x86R."
    )
    msg = message(write(tmp_path / "m.pkl", data), "ML401")
    assert "builtins.getattr" in msg


# -- containers -------------------------------------------------------------------------


def test_torch_zip_extra_member_of_any_name_is_sniffed(tmp_path: Path) -> None:
    path = write(
        tmp_path / "m.pt",
        torch_zip({"data.pkl": STATE_DICT_PKL, "version": b"3\n", "extra/evil.bin": EVIL}),
    )
    assert "archive/extra/evil.bin" in message(path, "ML401")


def test_torch_zip_without_a_folder(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("data.pkl", EVIL)
    assert "ML401" in codes(write(tmp_path / "m.pt", buf.getvalue()))


def test_object_npy_inside_a_deflated_zip_named_bin(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x.npy", npy_bytes("|O", (1,), EVIL))
    assert "x.npy" in message(write(tmp_path / "w.bin", buf.getvalue()), "ML401")


def test_tar_holding_a_torch_folder(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("model/data.pkl")
        info.size = len(EVIL)
        tf.addfile(info, io.BytesIO(EVIL))
    assert "model/data.pkl" in message(write(tmp_path / "ckpt.pth", buf.getvalue()), "ML401")


def test_lfs_pointer_header_with_a_pickle_glued_on_is_not_a_pointer(tmp_path: Path) -> None:
    pointer = (
        b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"a" * 64 + b"\nsize 12\n"
    )
    assert codes(write(tmp_path / "m.pkl", pointer)) == []
    assert codes(write(tmp_path / "n.pkl", pointer + EVIL)) != []


# -- benign files real libraries write ---------------------------------------------------


def test_pandas_frames_with_every_extension_dtype(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {
            "cat": pd.Categorical(list("ab") * 3),
            "d": pd.date_range("2024-01-01", periods=6),
            "dtz": pd.date_range("2024-01-01", periods=6, tz="UTC"),
            "i": pd.array(range(6), dtype="Int64"),
            "b": pd.array([True, None] * 3, dtype="boolean"),
            "s": pd.array(["x", None] * 3, dtype="string"),
            "per": pd.period_range("2024-01", periods=6, freq="M"),
            "iv": pd.interval_range(0, 6, 6),
            "sp": pd.arrays.SparseArray([0, 0, 1, 0, 0, 2]),
        }
    )
    for protocol in (2, 5):
        assert (
            codes(write(tmp_path / f"df{protocol}.pkl", pickle.dumps(df, protocol=protocol))) == []
        )


def test_numpy_records_masked_arrays_and_generators(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    objs = [
        np.rec.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]),
        np.ma.masked_array([1, 2], mask=[0, 1]),
        np.random.Generator(np.random.PCG64DXSM(0)),
        np.random.SeedSequence(3),
        np.array([1, "a", None], dtype=object),
    ]
    assert codes(write(tmp_path / "np.pkl", pickle.dumps(objs))) == []


def test_dill_dump_of_arrays(tmp_path: Path) -> None:
    dill = pytest.importorskip("dill")
    np = pytest.importorskip("numpy")
    path = write(tmp_path / "d.pkl", dill.dumps({"arr": np.arange(3), "t": (1, "x")}))
    assert codes(path) == []


def test_grid_search_with_its_scorer(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    np = pytest.importorskip("numpy")
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, make_scorer
    from sklearn.model_selection import GridSearchCV

    x = np.random.RandomState(0).rand(20, 2)
    y = (x[:, 0] > 0.5).astype(int)
    for scoring in (None, make_scorer(accuracy_score)):
        gs = GridSearchCV(LogisticRegression(), {"C": [1.0, 2.0]}, cv=2, scoring=scoring).fit(x, y)
        assert codes(write(tmp_path / "gs.pkl", pickle.dumps(gs))) == []


def test_whole_optimizers_schedulers_and_quantized_modules(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    lin = torch.nn.Linear(4, 4)
    opt = torch.optim.AdamW(lin.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=10)
    quant = torch.ao.quantization.quantize_dynamic(
        torch.nn.Sequential(torch.nn.Linear(4, 4)), {torch.nn.Linear}, dtype=torch.qint8
    )
    normed = torch.nn.Sequential(
        torch.nn.utils.weight_norm(torch.nn.Linear(3, 3)),
        torch.nn.utils.spectral_norm(torch.nn.Linear(3, 3)),
        torch.nn.MultiheadAttention(4, 2),
        torch.nn.GRU(3, 3),
    )
    for name, obj in {"opt": opt, "sched": sched, "quant": quant, "normed": normed}.items():
        path = tmp_path / f"{name}.pt"
        torch.save(obj, path)
        assert codes(path) == [], name


def test_torch_dtypes_and_legacy_format(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    names = [
        "float32",
        "float64",
        "float16",
        "bfloat16",
        "int8",
        "uint8",
        "int16",
        "int32",
        "int64",
        "bool",
        "complex64",
        "complex128",
        "float8_e4m3fn",
        "float8_e5m2",
        "uint16",
        "uint32",
    ]
    tensors = {n: torch.zeros(2, dtype=getattr(torch, n)) for n in names if hasattr(torch, n)}
    for legacy in (False, True):
        path = tmp_path / f"t{legacy}.pt"
        torch.save(tensors, path, _use_new_zipfile_serialization=not legacy)
        assert codes(path) == []


def test_torchscript_debug_pickles_are_clean(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "ts.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(3, 2)), str(path))
    with zipfile.ZipFile(path) as zf:
        assert any(n.endswith(".debug_pkl") for n in zf.namelist())
    assert codes(path) == []


# -- bounds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("wrap", ["zip", "gzip"])
def test_payload_nested_past_the_depth_limit_is_reported(tmp_path: Path, wrap: str) -> None:
    import gzip

    data = EVIL
    for level in range(9):
        if wrap == "gzip":
            data = gzip.compress(data)
            continue
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("inner.bin" if level else "m.pkl", data)
        data = buf.getvalue()
    path = write(tmp_path / ("deep.zip" if wrap == "zip" else "deep.pkl.gz"), data)
    assert "nested more than" in message(path, "ML404")


def test_shallow_nesting_is_still_read(tmp_path: Path) -> None:
    data = EVIL
    for _ in range(3):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("inner.pkl", data)
        data = buf.getvalue()
    assert codes(write(tmp_path / "three.zip", data)) == ["ML401"]


def test_many_false_starts_after_a_pickle_stay_clean(tmp_path: Path) -> None:
    # Each start walks into the next; the search gives up after a bounded number of starts.
    tail = b"x" + b"\x80\x02N" * 64 + b"N0" * (1 << 16) + b"\x80\x02(" * 64
    path = write(tmp_path / "m.pkl", pickle.dumps({"a": 1}, protocol=4) + tail)
    assert codes(path) == []


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_gradient_boosting_models_are_clean(tmp_path: Path, library: str) -> None:
    lib = pytest.importorskip(library)
    np = pytest.importorskip("numpy")
    joblib = pytest.importorskip("joblib")
    x = np.random.RandomState(0).rand(40, 3)
    y = (x[:, 0] > 0.5).astype(int)
    if library == "xgboost":
        models = [lib.XGBClassifier(n_estimators=2).fit(x, y), lib.train({}, lib.DMatrix(x, y), 2)]
    else:
        models = [
            lib.LGBMRegressor(n_estimators=2, verbose=-1).fit(x, y),
            lib.train({"verbose": -1}, lib.Dataset(x, y), 2),
        ]
    for i, model in enumerate(models):
        pkl = write(tmp_path / f"m{i}.pkl", pickle.dumps(model, protocol=5))
        assert codes(pkl) == [], scan(pkl).findings
        joblib.dump(model, tmp_path / f"m{i}.joblib", compress=3)
        assert codes(tmp_path / f"m{i}.joblib") == [], scan(tmp_path / f"m{i}.joblib").findings


@pytest.mark.parametrize(
    ("type_name", "expected"),
    [
        ("CodeType", ["ML401"]),
        ("FunctionType", ["ML401"]),
        ("NoneType", []),
        ("MappingProxyType", []),
    ],
)
def test_dill_type_lookup_is_judged_by_the_type_it_names(
    tmp_path: Path, type_name: str, expected: list[str]
) -> None:
    raw = type_name.encode()
    data = (
        b"\x80\x04"
        + _u("dill._dill")
        + _u("_load_type")
        + b"\x93\x8c"
        + bytes([len(raw)])
        + raw
        + b"\x85R."
    )
    path = write(tmp_path / "d.pkl", data)
    assert codes(path) == expected
    if expected:
        assert f"types.{type_name}" in message(path, "ML401")
