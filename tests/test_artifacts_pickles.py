"""The opcode-level pickle reader and the import policy, on hand-built pickle bytes."""

from __future__ import annotations

import builtins
import collections
import functools
import io
import operator
import os
import pickle
import subprocess
from pathlib import Path
from typing import Any

import pytest
from artifacts_helpers import Evals, Plain, RunsCommand, codes, message, scan, write
from mlvet.artifacts.pickles import PickleError, PickleReader
from mlvet.artifacts.policy import Allowlist, classify, is_dangerous
from mlvet.config import Config


class Recorder:
    def __init__(self) -> None:
        self.globals: list[tuple[str, str]] = []
        self.ext: list[int] = []
        self.unresolved: list[str] = []
        self.nested: list[bytes] = []

    def on_global(self, module: str, name: str) -> None:
        self.globals.append((module, name))

    def on_ext(self, code: int) -> None:
        self.ext.append(code)

    def on_unresolved(self, what: str) -> None:
        self.unresolved.append(what)

    def on_nested(self, data: bytes, explicit: bool) -> None:
        self.nested.append(data)
        PickleReader(io.BytesIO(data), self, depth=1).walk()


def read(data: bytes) -> Recorder:
    rec = Recorder()
    PickleReader(io.BytesIO(data), rec).walk()
    return rec


def dumped(obj: Any, protocol: int) -> bytes:
    return pickle.dumps(obj, protocol=protocol)


# -- every protocol ---------------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(6))
def test_os_system_found_in_every_protocol(protocol: int) -> None:
    rec = read(dumped(RunsCommand(), protocol))
    assert (os.system.__module__, "system") in rec.globals


@pytest.mark.parametrize("protocol", range(6))
def test_benign_containers_import_only_safe_names(protocol: int) -> None:
    obj = {
        "a": [1, 2.5, "x", b"y", None, True],
        "od": collections.OrderedDict(k=1),
        "s": {1, 2},
        "f": frozenset({3}),
        "t": (1, (2, 3)),
        "c": complex(1, 2),
    }
    rec = read(dumped(obj, protocol))
    assert all(classify(m, n) == "safe" for m, n in rec.globals), rec.globals


@pytest.mark.parametrize("protocol", range(6))
def test_user_class_is_unknown_not_dangerous(protocol: int) -> None:
    rec = read(dumped(Plain(), protocol))
    names = {f"{m}.{n}" for m, n in rec.globals}
    assert any(n.endswith("Plain") for n in names)
    verdicts = {classify(m, n) for m, n in rec.globals if n.endswith("Plain")}
    assert verdicts == {"unknown"}


def test_protocol0_text_pickle_written_by_hand() -> None:
    rec = read(b"cos\nsystem\n(S'echo hi'\ntR.")
    assert rec.globals == [("os", "system")]


def test_inst_opcode_import() -> None:
    rec = read(b"(S'echo hi'\nios\nsystem\n.")
    assert rec.globals == [("os", "system")]


def test_obj_opcode_with_global_class() -> None:
    rec = read(b"(csubprocess\ncall\nS'ls'\no.")
    assert rec.globals == [("subprocess", "call")]


def test_stack_global_names_through_memo() -> None:
    # Module and name memoized, then fetched with BINGET for a second STACK_GLOBAL.
    data = (
        b"\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94h\x00h\x01\x93\x94\x8c\x031+1\x85R0."
    )
    data = data[:-2] + b"."
    rec = read(data)
    assert rec.globals == [("builtins", "eval"), ("builtins", "eval")]


def test_stack_global_names_through_long_binget_and_text_get() -> None:
    data = (
        b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94"
        b"j\x00\x00\x00\x00j\x01\x00\x00\x00\x93"
        b"0g0\ng1\n\x930N."
    )
    rec = read(data)
    assert rec.globals == [("os", "system"), ("os", "system")]


def test_stack_global_from_put_keys_out_of_order() -> None:
    data = b"\x80\x04\x8c\x02osr\x05\x00\x00\x00\x8c\x05popenq\x0200h\x05h\x02\x93N0."
    data = b"\x80\x04\x8c\x02osr\x05\x00\x00\x00\x8c\x05popenq\x020" + b"0h\x05h\x02\x93."
    rec = read(data)
    assert rec.globals == [("os", "popen")]


def test_stack_global_with_computed_operands_is_unresolved() -> None:
    # The module name comes out of a REDUCE: no static reader can name it.
    data = b"\x80\x04cbuiltins\nstr\n\x8c\x02os\x85R\x8c\x06system\x93."
    rec = read(data)
    assert rec.unresolved and "STACK_GLOBAL" in rec.unresolved[0]


@pytest.mark.parametrize(
    ("opcode", "expected"),
    [(b"\x82\x05", 5), (b"\x83\x01\x02", 0x0201), (b"\x84\x01\x00\x00\x00", 1)],
)
def test_extension_registry_codes(opcode: bytes, expected: int) -> None:
    rec = read(b"\x80\x02" + opcode + b")R.")
    assert rec.ext == [expected]


def test_nested_pickle_inside_pickle_loads_is_scanned() -> None:
    class Nested:
        def __reduce__(self) -> Any:
            return (pickle.loads, (pickle.dumps(RunsCommand(), protocol=4),))

    for protocol in range(6):
        rec = read(pickle.dumps(Nested(), protocol=protocol))
        assert ("_pickle", "loads") in rec.globals or ("pickle", "loads") in rec.globals
        assert (os.system.__module__, "system") in rec.globals, protocol


def test_nested_protocol0_payload_in_short_bytes() -> None:
    inner = b"cposix\nsystem\n(S'id'\ntR."
    outer = b"\x80\x03c_pickle\nloads\nC" + bytes([len(inner)]) + inner + b"\x85R."
    rec = read(outer)
    assert ("posix", "system") in rec.globals


def test_nested_pickle_behind_base64_is_decoded() -> None:
    import base64

    payload = base64.b64encode(pickle.dumps(Evals(), protocol=2))
    outer = (
        b"\x80\x04cpickle\nloads\ncbase64\nb64decode\n\x8c"
        + bytes([len(payload)])
        + payload
        + b"\x85R\x85R."
    )
    rec = read(outer)
    assert ("builtins", "eval") in rec.globals or ("__builtin__", "eval") in rec.globals


def test_large_payloads_are_skipped_not_kept() -> None:
    big = bytes(8 << 20)
    data = pickle.dumps({"w": big, "x": [1, 2, 3]}, protocol=4)
    reader = PickleReader(io.BytesIO(data), Recorder())
    result = reader.walk()
    assert isinstance(result, dict) or result is not None
    assert reader.at_end()


def test_sequence_of_pickles() -> None:
    data = pickle.dumps(1) + pickle.dumps(RunsCommand()) + pickle.dumps([Evals()])
    rec = Recorder()
    reader = PickleReader(io.BytesIO(data), rec)
    while not reader.at_end():
        reader.walk()
    assert (os.system.__module__, "system") in rec.globals
    assert ("builtins", "eval") in rec.globals


# -- malformed streams --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x80\x04\x8c\x02os", "truncated"),
        (b"\x80\x02\xffN.", "unknown opcode 0xff"),
        (b"\x80\x02R.", "underflow"),
        (b"\x80\x02h\x07.", "never stored"),
        (b"\x80\x09N.", "protocol 9"),
        (b"\x80\x02)t.", "mark expected"),
        (b"cos\nsys", "truncated"),
        (b"\x80\x04\x8e" + (1 << 40).to_bytes(8, "little") + b"abc", "truncated"),
    ],
)
def test_malformed_streams_raise_pickle_error(data: bytes, fragment: str) -> None:
    rec = Recorder()
    with pytest.raises(PickleError, match=fragment):
        PickleReader(io.BytesIO(data), rec).walk()


def test_imports_before_the_damage_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.pkl", b"cos\nsystem\n(S'echo hi'\ntR\xff")
    assert codes(path) == ["ML401", "ML404"]
    assert "unknown opcode" in message(path, "ML404")


def test_a_million_marks_do_not_recurse(tmp_path: Path) -> None:
    path = write(tmp_path / "deep.pkl", b"\x80\x02" + b"(" * 1_000_000 + b"N.")
    assert codes(path) == []


def test_a_million_nested_lists_is_flat_work(tmp_path: Path) -> None:
    # ]( ... ]a a a : one million levels of list-in-list, the way pickle writes nesting.
    body = b"]" * 1_000_000 + b"a" * 999_999
    path = write(tmp_path / "nested.pkl", b"\x80\x02" + body + b".")
    assert codes(path) == []


# -- through the file scanner -------------------------------------------------------------


def test_raw_pickle_files(tmp_path: Path) -> None:
    bad = write(tmp_path / "model.pkl", pickle.dumps(RunsCommand()))
    good = write(tmp_path / "ok.pkl", pickle.dumps({"weights": [0.1, 0.2]}))
    unknown = write(tmp_path / "custom.pickle", pickle.dumps(Plain()))
    assert codes(bad) == ["ML401"]
    assert f"{os.system.__module__}.system" in message(bad, "ML401")
    assert codes(good) == []
    assert codes(unknown) == ["ML402"]
    assert "Plain" in message(unknown, "ML402")


def test_content_wins_over_extension(tmp_path: Path) -> None:
    path = write(tmp_path / "weights.bin", pickle.dumps(RunsCommand(), protocol=2))
    assert codes(path) == ["ML401"]
    hidden = write(tmp_path / "readme.dat", b"cos\nsystem\n(S'x'\ntR.")
    assert codes(hidden) == ["ML401"]


def test_every_offending_import_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "two.pkl", pickle.dumps([RunsCommand(), Evals(), Plain()]))
    report = scan(path)
    msg401 = next(f.message for f in report.findings if f.rule == "ML401")
    assert "builtins.eval" in msg401 and ".system" in msg401
    msg402 = next(f.message for f in report.findings if f.rule == "ML402")
    assert "Plain" in msg402


def test_ext_codes_are_ml402_naming_the_code(tmp_path: Path) -> None:
    path = write(tmp_path / "ext.pkl", b"\x80\x02\x82\x2a)R.")
    assert codes(path) == ["ML402"]
    assert "extension code 42" in message(path, "ML402")


def test_unresolved_stack_global_is_ml401(tmp_path: Path) -> None:
    path = write(
        tmp_path / "dyn.pkl", b"\x80\x04cbuiltins\nstr\n\x8c\x02os\x85R\x8c\x06system\x93."
    )
    assert "ML401" in codes(path)
    assert "hidden import" in message(path, "ML401")


# -- policy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("os", "system"),
        ("posix", "system"),
        ("nt", "system"),
        ("subprocess", "Popen"),
        ("subprocess", "check_output"),
        ("builtins", "eval"),
        ("builtins", "exec"),
        ("__builtin__", "eval"),
        ("builtins", "getattr"),
        ("builtins", "__import__"),
        ("builtins", "open"),
        ("builtins", "compile"),
        ("runpy", "run_path"),
        ("importlib", "import_module"),
        ("socket", "create_connection"),
        ("shutil", "rmtree"),
        ("webbrowser", "open"),
        ("pty", "spawn"),
        ("sys", "exit"),
        ("pickle", "loads"),
        ("_pickle", "loads"),
        ("cPickle", "loads"),
        ("operator", "attrgetter"),
        ("operator", "methodcaller"),
        ("_operator", "itemgetter"),
        ("code", "InteractiveInterpreter"),
        ("ctypes", "CDLL"),
        ("asyncio.subprocess", "create_subprocess_shell"),
        ("commands", "getoutput"),
        ("torch.serialization", "os.system"),
        ("pathlib", "Path.write_text"),
        ("builtins", "object.__subclasses__"),
        ("numpy.testing._private.utils", "runstring"),
        ("types", "CodeType"),
        ("marshal", "loads"),
        ("dill._dill", "_create_code"),
        ("pandas", "eval"),
        ("torch", "load"),
        ("numpy", "load"),
        ("yaml", "unsafe_load"),
        ("timeit", "timeit"),
        ("torch._C", "_load_for_lite_interpreter"),
        ("torch._C", "_jit_pass_inline"),
        ("asyncio.unix_events", "_UnixSubprocessTransport._start"),
        ("torch", "hub.load"),
        ("asyncio", "subprocess.create_subprocess_exec"),
        ("pip", "main"),
        ("torch.fx.graph_module", "reduce_graph_module"),
        ("pandas", "read_json"),
        ("code", "InteractiveConsole.interact"),
        ("mypkg", "code.interact"),
        ("os.path", "join"),
        ("importlib.machinery", "SourceFileLoader"),
    ],
)
def test_dangerous_globals(module: str, name: str) -> None:
    assert is_dangerous(module, name)
    assert classify(module, name) == "dangerous"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("collections", "OrderedDict"),
        ("torch._utils", "_rebuild_tensor_v2"),
        ("torch._utils", "_rebuild_parameter"),
        ("torch", "FloatStorage"),
        ("torch", "BFloat16Storage"),
        ("torch", "float16"),
        ("torch", "Size"),
        ("torch.nn.parameter", "Parameter"),
        ("torch._tensor", "_rebuild_from_type_v2"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy", "float64"),
        ("numpy.dtypes", "Float64DType"),
        ("_codecs", "encode"),
        ("joblib.numpy_pickle", "NumpyArrayWrapper"),
        ("builtins", "set"),
        ("__builtin__", "set"),
        ("copy_reg", "_reconstructor"),
        ("sklearn.linear_model._logistic", "LogisticRegression"),
        ("sklearn.ensemble._forest", "RandomForestClassifier"),
        ("sklearn.tree._tree", "Tree"),
        ("sklearn.preprocessing._data", "StandardScaler"),
        ("sklearn.pipeline", "Pipeline"),
        ("xgboost.sklearn", "XGBClassifier"),
        ("lightgbm.sklearn", "LGBMRegressor"),
        ("torch.nn.modules.linear", "Linear"),
        ("torch.nn.functional", "relu"),
        ("transformers.training_args", "TrainingArguments"),
        ("transformers.trainer_utils", "IntervalStrategy"),
        ("accelerate.utils.dataclasses", "DistributedType"),
        ("logging", "getLogger"),
        ("torch._C._nn", "gelu"),
        # scikit-learn 1.7 (Python 3.10): Cython losses under their bare extension name,
        # and the metadata-routing requests a fitted search keeps
        ("_loss", "CyHalfBinomialLoss"),
        ("_loss", "CyHalfSquaredError"),
        ("sklearn.utils._metadata_requests", "MetadataRequest"),
        ("sklearn.utils._metadata_requests", "MethodMetadataRequest"),
    ],
)
def test_safe_globals(module: str, name: str) -> None:
    assert classify(module, name) == "safe"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("collections", "namedtuple"),
        ("mypkg.models", "Net"),
        ("__main__", "Model"),
        ("sklearn.utils", "some_function"),
        ("torch._C", "_nn"),
        ("io", "BytesIO"),
        ("code.models", "Net"),
        ("site.utils", "Config"),
        ("mypkg.os", "Thing"),
        ("_loss", "loader"),
        ("_loss.sub", "CyHalfBinomialLoss"),
        ("sklearn.utils._metadata_requests", "request_router"),
    ],
)
def test_unknown_globals(module: str, name: str) -> None:
    assert classify(module, name) == "unknown"


def test_allowlist_entries() -> None:
    allow = Allowlist.from_entries(["mypkg.models.*", "functools.partial", "builtins.getattr"])
    assert classify("mypkg.models", "Net", allow) == "safe"
    assert classify("mypkg.models.deep", "Net", allow) == "safe"
    assert classify("mypkg", "Net", allow) == "unknown"
    assert classify("functools", "partial", allow) == "safe"
    # An exact entry trusts even a dangerous name; a wildcard never does.
    assert classify("builtins", "getattr", allow) == "safe"
    assert classify("os", "system", Allowlist.from_entries(["os.*"])) == "dangerous"


def test_allowlist_from_config_clears_ml402(tmp_path: Path) -> None:
    path = write(tmp_path / "m.pkl", b"\x80\x02cmypkg.models\nNet\n)\x81.")
    assert codes(path) == ["ML402"]
    config = Config(allowed_pickle_globals=("mypkg.models.Net",))
    assert codes(path, config) == []


def test_partial_of_a_dangerous_callable_is_ml401(tmp_path: Path) -> None:
    path = write(tmp_path / "p.pkl", pickle.dumps(functools.partial(subprocess.call, ["true"])))
    assert "ML401" in codes(path)
    assert "subprocess.call" in message(path, "ML401")


def test_operator_and_getattr_gadgets(tmp_path: Path) -> None:
    class Gadget:
        def __reduce__(self) -> Any:
            return (operator.attrgetter("system"), ())

    path = write(tmp_path / "g0.pkl", pickle.dumps(Gadget()))
    assert "ML401" in codes(path)
    assert "operator.attrgetter" in message(path, "ML401")
    getattr_trick = b"\x80\x02cbuiltins\ngetattr\ncbuiltins\nstr\nX\x04\x00\x00\x00join\x86R."
    path = write(tmp_path / "g1.pkl", getattr_trick)
    assert "builtins.getattr" in message(path, "ML401")
    assert builtins.getattr is getattr


def test_endless_opcode_stream_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlvet.artifacts import pickles

    monkeypatch.setattr(pickles, "MAX_SCAN_BYTES", 2 << 20)
    path = write(tmp_path / "endless.pkl", b"cos\nsystem\n0" + b"N0" * (3 << 20) + b"N.")
    assert codes(path) == ["ML401", "ML404"]
    assert "scan stopped" in message(path, "ML404")


def test_big_payloads_do_not_count_toward_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlvet.artifacts import pickles

    monkeypatch.setattr(pickles, "MAX_SCAN_BYTES", 2 << 20)
    data = pickle.dumps([bytes([i]) * (1 << 20) for i in range(6)], protocol=4)
    assert codes(write(tmp_path / "weights.pkl", data)) == []


def test_long_protocol0_text_is_skipped_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlvet.artifacts import pickles

    monkeypatch.setattr(pickles, "NESTED_MAX", 1000)
    data = b"(V" + b"x" * 5000 + b"\nS'" + b"y" * 3000 + b"'\ncos\nsystem\nt."
    rec = read(data)
    assert rec.globals == [("os", "system")]
    with pytest.raises(PickleError, match="truncated"):
        read(b"(V" + b"x" * 5000)


def test_invalid_utf8_strings_do_not_break_the_reader(tmp_path: Path) -> None:
    rec = read(b"\x80\x04\x8c\x02\x80\xff\x8c\x06system\x93.")
    assert len(rec.globals) == 1 and rec.globals[0][1] == "system"
    path = write(tmp_path / "u.pkl", b"\x80\x02X\x02\x00\x00\x00\x80\xff0cos\nsystem\n.")
    assert codes(path) == ["ML401"]
