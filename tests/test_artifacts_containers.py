"""Containers built in the tests: torch zips and legacy files, tar checkpoints, npy/npz,
joblib dumps (plain and compressed), Keras archives and HDF5 configs, ONNX external data,
safetensors, GGUF, LFS pointers, and broken or hostile archives."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest
from artifacts_helpers import (
    LEGACY_MAGIC,
    STATE_DICT_PKL,
    Plain,
    RunsCommand,
    codes,
    message,
    npy_bytes,
    object_npy,
    scan,
    torch_zip,
    write,
)
from mlvet.artifacts import containers

EVIL = pickle.dumps(RunsCommand(), protocol=2)
SYSTEM = f"{os.system.__module__}.system"


# -- torch zip ------------------------------------------------------------------------------


def test_torch_zip_benign_state_dict(tmp_path: Path) -> None:
    path = write(
        tmp_path / "model.pt",
        torch_zip({"data.pkl": STATE_DICT_PKL, "version": b"3\n", "data/0": bytes(16)}),
    )
    report = scan(path)
    assert report.findings == []
    assert report.files_checked == 1


@pytest.mark.parametrize("folder", ["archive", "resnet50_v2", "x"])
def test_torch_zip_malicious_data_pkl_names_member(tmp_path: Path, folder: str) -> None:
    path = write(tmp_path / "model.bin", torch_zip({"data.pkl": EVIL, "version": b"3\n"}, folder))
    assert codes(path) == ["ML401"]
    assert f"{SYSTEM} [{folder}/data.pkl]" in message(path, "ML401")


def test_torch_zip_tensor_members_are_never_read(tmp_path: Path) -> None:
    # A tensor blob that happens to hold pickle bytes: torch never unpickles it.
    path = write(
        tmp_path / "model.pth",
        torch_zip({"data.pkl": STATE_DICT_PKL, "data/0": EVIL, "data/1": b"\x80\x02\xff" * 100}),
    )
    assert codes(path) == []


def test_torch_zip_every_pkl_member_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "model.pt", torch_zip({"data.pkl": STATE_DICT_PKL, "extra.pkl": EVIL}))
    assert "[archive/extra.pkl]" in message(path, "ML401")


def test_generic_zip_holding_a_pickle(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("models/clf.joblib", EVIL)
        zf.writestr("README.txt", "hello")
    path = write(tmp_path / "bundle.zip", buf.getvalue())
    assert codes(path) == ["ML401"]
    assert "[models/clf.joblib]" in message(path, "ML401")


def test_truncated_torch_zip_is_ml404(tmp_path: Path) -> None:
    data = torch_zip({"data.pkl": STATE_DICT_PKL, "data/0": bytes(4096)})
    path = write(tmp_path / "model.pt", data[: len(data) // 2])
    assert codes(path) == ["ML404"]
    assert "zip" in message(path, "ML404")


def test_corrupt_member_is_ml404(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/data.pkl", STATE_DICT_PKL * 4)
    data = bytearray(buf.getvalue())
    at = data.index(b"PK\x03\x04") + 30 + len(b"archive/data.pkl")
    data[at + 5 : at + 25] = b"\xff" * 20  # garble the deflate stream
    path = write(tmp_path / "model.pt", bytes(data))
    assert "ML404" in codes(path)


# -- legacy torch ------------------------------------------------------------------------------


def legacy(
    main: bytes, keys: bytes = b"\x80\x02]q\x00X\x01\x00\x00\x000q\x01a.", tail: bytes = b""
) -> bytes:
    proto = pickle.dumps(1001, protocol=2)
    sys_info = pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2)
    return LEGACY_MAGIC + proto + sys_info + main + keys + tail


def test_legacy_torch_benign(tmp_path: Path) -> None:
    raw_storage = struct.pack("<q", 4) + EVIL  # raw bytes after the pickles: never unpickled
    path = write(tmp_path / "old.pt", legacy(STATE_DICT_PKL, tail=raw_storage))
    assert codes(path) == []


def test_legacy_torch_every_pickle_is_scanned(tmp_path: Path) -> None:
    main_bad = write(tmp_path / "a.pt", legacy(EVIL))
    keys_bad = write(tmp_path / "b.pt", legacy(STATE_DICT_PKL, keys=EVIL))
    assert codes(main_bad) == ["ML401"]
    assert codes(keys_bad) == ["ML401"]


def test_legacy_torch_truncated(tmp_path: Path) -> None:
    path = write(tmp_path / "old.pt", legacy(STATE_DICT_PKL)[:60])
    assert codes(path) == ["ML404"]


# -- the old tar checkpoint format -------------------------------------------------------------


def tar_bytes(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
    return buf.getvalue()


def storages(storage_global: bytes = b"ctorch\nFloatStorage\n") -> bytes:
    count = pickle.dumps(1, protocol=2)
    args = b"\x80\x02(X\x01\x00\x00\x000X\x03\x00\x00\x00cpu" + storage_global + b"t."
    data = struct.pack("<q", 2) + EVIL[:8]  # 2 float32 elements = 8 raw bytes
    views = pickle.dumps([], protocol=2)
    return count + args + data + views


def tensors() -> bytes:
    count = pickle.dumps(1, protocol=2)
    args = b"\x80\x02(K\x00X\x01\x00\x00\x000ctorch\nFloatTensor\nt."
    header = struct.pack("<ii", 1, 0) + struct.pack("<qqq", 2, 1, 0)
    return count + args + header


def test_old_tar_checkpoint_benign(tmp_path: Path) -> None:
    data = tar_bytes(
        {
            "sys_info": pickle.dumps({"little_endian": True}, protocol=2),
            "storages": storages(),
            "tensors": tensors(),
            "pickle": STATE_DICT_PKL,
        }
    )
    path = write(tmp_path / "ancient.pt", data)
    assert codes(path) == []


def test_old_tar_checkpoint_malicious_pickle_member(tmp_path: Path) -> None:
    data = tar_bytes(
        {
            "sys_info": pickle.dumps({}, protocol=2),
            "storages": storages(),
            "tensors": tensors(),
            "pickle": EVIL,
        }
    )
    path = write(tmp_path / "ancient.pt", data)
    assert "[pickle]" in message(path, "ML401")


def test_old_tar_checkpoint_malicious_storage_record(tmp_path: Path) -> None:
    data = tar_bytes({"storages": storages(b"cos\nsystem\n"), "pickle": STATE_DICT_PKL})
    path = write(tmp_path / "ancient.pt", data)
    assert "ML401" in codes(path)
    assert "[storages]" in message(path, "ML401")


def test_tar_traversal_and_links(tmp_path: Path) -> None:
    data = tar_bytes(
        {"../../evil.sh": b"x", "/etc/cron.d/job": b"y", "ok/file": b"z"},
        links={"ok/link": "../../../etc/passwd", "ok/fine": "file"},
    )
    path = write(tmp_path / "weights.tar", data)
    msg = message(path, "ML405")
    assert "'../../evil.sh'" in msg and "'/etc/cron.d/job'" in msg and "ok/link" in msg
    assert "ok/fine" not in msg


def test_tar_gz_holding_a_pickle(tmp_path: Path) -> None:
    path = write(tmp_path / "model.tar.gz", gzip.compress(tar_bytes({"model/clf.pkl": EVIL})))
    assert codes(path) == ["ML401"]


# -- npy / npz ---------------------------------------------------------------------------------


def test_npy_object_array_with_malicious_item(tmp_path: Path) -> None:
    path = write(tmp_path / "feats.npy", object_npy([1, RunsCommand()]))
    assert codes(path) == ["ML401"]


def test_npy_object_array_of_plain_values(tmp_path: Path) -> None:
    path = write(tmp_path / "feats.npy", object_npy(["a", 1, 2.5]))
    assert codes(path) == []


def test_npy_numeric_is_not_a_pickle(tmp_path: Path) -> None:
    body = EVIL.ljust(24, b"\0")[:24]  # data that looks like a pickle is still just data
    path = write(tmp_path / "x.npy", npy_bytes("<f8", (3,), body))
    assert codes(path) == []
    v2 = write(tmp_path / "y.npy", npy_bytes("<i4", (2, 3), bytes(24), version=2))
    assert codes(v2) == []


def test_npy_truncated_and_broken(tmp_path: Path) -> None:
    short = write(tmp_path / "short.npy", npy_bytes("<f8", (100,), bytes(80)))
    assert codes(short) == ["ML404"]
    assert "truncated" in message(short, "ML404")
    bad = write(tmp_path / "bad.npy", b"\x93NUMPY\x01\x00\x10\x00{'descr': os.sy}\n")
    assert codes(bad) == ["ML404"]


def test_npz_member_named(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("w.npy", npy_bytes("<f4", (2,), bytes(8)))
        zf.writestr("meta.npy", object_npy([RunsCommand()]))
    path = write(tmp_path / "arrays.npz", buf.getvalue())
    assert codes(path) == ["ML401"]
    assert "[meta.npy]" in message(path, "ML401")


# -- joblib ----------------------------------------------------------------------------------


def joblib_stream(payload_after: bytes, extra: bytes = b"") -> bytes:
    """A joblib dump of {'a': <float64 array of 3>} written by hand: the wrapper's state
    is followed by the alignment byte, padding, and the raw array bytes."""

    def u(s: str) -> bytes:
        return b"\x8c" + bytes([len(s)]) + s.encode()

    dtype = (
        u("numpy")
        + u("dtype")
        + b"\x93"
        + u("f8")
        + b"\x89\x88\x87R"
        + b"(K\x03"
        + u("<")
        + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    )
    state = (
        b"}("
        + u("subclass")
        + u("numpy")
        + u("ndarray")
        + b"\x93"
        + u("shape")
        + b"K\x03\x85"
        + u("order")
        + u("C")
        + u("dtype")
        + dtype
        + u("allow_mmap")
        + b"\x88"
        + u("numpy_array_alignment_bytes")
        + b"K\x10u"
    )
    wrapper = u("joblib.numpy_pickle") + u("NumpyArrayWrapper") + b"\x93)\x81" + state + b"b"
    head = b"\x80\x04}(" + u("a") + wrapper
    return head + b"\x03" + b"\xff" * 3 + payload_after + extra + b"u."


def test_joblib_array_bytes_are_skipped(tmp_path: Path) -> None:
    array = b"cos\nsystem\n(S'x'\ntR."[:24].ljust(24, b"\0")  # raw float bytes
    path = write(tmp_path / "clf.joblib", joblib_stream(array))
    assert codes(path) == []


def test_joblib_stream_misaligned_is_ml404(tmp_path: Path) -> None:
    path = write(tmp_path / "clf.joblib", joblib_stream(b"\x00" * 10))
    assert codes(path) == ["ML404"]


@pytest.mark.parametrize(
    ("name", "compress"),
    [
        ("m.joblib", zlib.compress),
        ("m.pkl.gz", gzip.compress),
        ("m.pkl.bz2", bz2.compress),
        ("m.joblib.xz", lzma.compress),
        ("m.pkl.lzma", lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE)),
    ],
)
def test_compressed_dumps(tmp_path: Path, name: str, compress: object) -> None:
    bad = write(tmp_path / name, compress(EVIL))  # type: ignore[operator]
    assert codes(bad) == ["ML401"]
    good = write(tmp_path / ("ok_" + name), compress(joblib_stream(bytes(24))))  # type: ignore[operator]
    report = scan(good)
    assert report.findings == []
    assert report.files_checked == 1


def test_old_joblib_zfile(tmp_path: Path) -> None:
    data = b"ZF" + hex(len(EVIL)).encode().ljust(19) + zlib.compress(EVIL)
    path = write(tmp_path / "old.pkl", data)
    assert codes(path) == ["ML401"]


def test_compressed_plain_data_is_not_an_artifact(tmp_path: Path) -> None:
    path = write(tmp_path / "data.csv.gz", gzip.compress(b"a,b\n1,2\n" * 100))
    report = scan(path)
    assert report.findings == [] and report.files_checked == 0


def test_decompression_bomb_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(containers, "DECOMPRESS_FLOOR", 1 << 20)
    monkeypatch.setattr(containers, "DECOMPRESS_RATIO", 4)
    stream = b"\x80\x04\x8e" + (32 << 20).to_bytes(8, "little")
    comp = zlib.compressobj()
    parts = [comp.compress(stream)]
    zeros = bytes(1 << 20)
    for _ in range(32):
        parts.append(comp.compress(zeros))
    parts.append(comp.compress(b".") + comp.flush())
    path = write(tmp_path / "bomb.joblib", b"".join(parts))
    assert codes(path) == ["ML405"]
    assert "bomb" in message(path, "ML405")


@pytest.mark.parametrize("kind", ["gzip", "bz2"])
def test_real_joblib_with_numpy(tmp_path: Path, kind: str) -> None:
    np = pytest.importorskip("numpy")
    joblib = pytest.importorskip("joblib")
    clean = tmp_path / "clean.joblib"
    joblib.dump({"w": np.arange(1000.0), "b": np.ones((3, 4), dtype=np.int32), "s": "x"}, clean)
    assert codes(clean) == []
    bad = tmp_path / "bad.joblib"
    joblib.dump(
        {"w": np.arange(10.0), "o": np.array([RunsCommand(), 1], dtype=object), "z": np.zeros(5)},
        bad,
    )
    assert codes(bad) == ["ML401"]
    comp = tmp_path / f"bad.joblib.{kind}"
    joblib.dump({"w": np.arange(10.0), "e": RunsCommand()}, comp, compress=(kind, 3))
    assert codes(comp) == ["ML401"]
    npz = tmp_path / "a.npz"
    np.savez(npz, a=np.arange(3), b=np.array([Plain()], dtype=object))
    assert codes(npz) == ["ML402"]


# -- Keras ----------------------------------------------------------------------------------


def keras_zip(config: dict[str, object]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.4.1"}))
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(64))
    return buf.getvalue()


def dense(name: str) -> dict[str, object]:
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "registered_name": None,
        "config": {"name": name, "units": 4},
    }


def test_keras_plain_model(tmp_path: Path) -> None:
    cfg = {"module": "keras", "class_name": "Sequential", "config": {"layers": [dense("d")]}}
    assert codes(write(tmp_path / "m.keras", keras_zip(cfg))) == []


def test_keras_lambda_nested_in_submodel(tmp_path: Path) -> None:
    lam = {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {
            "name": "sneaky",
            "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}},
        },
    }
    inner = {"module": "keras", "class_name": "Functional", "config": {"layers": [dense("a"), lam]}}
    cfg = {"module": "keras", "class_name": "Sequential", "config": {"layers": [inner]}}
    path = write(tmp_path / "m.keras", keras_zip(cfg))
    assert codes(path) == ["ML401"]
    assert "'sneaky'" in message(path, "ML401") and "[config.json]" in message(path, "ML401")


def test_keras_module_import_of_dangerous_function(tmp_path: Path) -> None:
    bad = {
        "module": "builtins",
        "class_name": "function",
        "config": "exec",
        "registered_name": "function",
    }
    cfg = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"layers": [dense("a")], "activation": bad},
    }
    path = write(tmp_path / "m.keras", keras_zip(cfg))
    assert "builtins.exec" in message(path, "ML401")
    osmod = {"module": "os", "class_name": "system", "config": {}}
    path2 = write(
        tmp_path / "n.keras", keras_zip({"class_name": "Sequential", "config": {"layers": [osmod]}})
    )
    assert codes(path2) == ["ML401"]


def test_keras_custom_module_is_ml402(tmp_path: Path) -> None:
    custom = {
        "module": "my_project.layers",
        "class_name": "Attention",
        "registered_name": "MyProject>Attention",
        "config": {},
    }
    cfg = {"module": "keras", "class_name": "Sequential", "config": {"layers": [custom]}}
    path = write(tmp_path / "m.keras", keras_zip(cfg))
    assert codes(path) == ["ML402"]
    assert "my_project.layers.Attention" in message(path, "ML402")


def h5_with_config(config: dict[str, object]) -> bytes:
    text = json.dumps(config).encode()
    return b"\x89HDF\r\n\x1a\n" + bytes(200) + b"model_config\x00" + text + bytes(300)


def test_h5_lambda_layer(tmp_path: Path) -> None:
    cfg = {
        "class_name": "Sequential",
        "config": {
            "layers": [
                {"class_name": "Dense", "config": {"name": "d"}},
                {
                    "class_name": "Lambda",
                    "config": {
                        "name": "lam",
                        "function": ["4wEAAAAA", None, None],
                        "function_type": "lambda",
                    },
                },
            ]
        },
    }
    path = write(tmp_path / "model.h5", h5_with_config(cfg))
    assert codes(path) == ["ML401"]
    assert "'lam'" in message(path, "ML401")


def test_h5_without_code(tmp_path: Path) -> None:
    cfg = {
        "class_name": "Sequential",
        "config": {"layers": [{"class_name": "Dense", "config": {}}]},
    }
    assert codes(write(tmp_path / "model.h5", h5_with_config(cfg))) == []


# -- ONNX ----------------------------------------------------------------------------------


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def tensor(location: str) -> bytes:
    entry = field(1, b"location") + field(2, location.encode())
    return (
        field(8, b"w")
        + varint(2 << 3)
        + varint(1)
        + field(13, entry)
        + varint(14 << 3)
        + varint(1)
        + field(9, bytes(32))
    )


def onnx_model(graph: bytes) -> bytes:
    return varint(1 << 3) + varint(8) + field(2, b"pytorch") + field(7, graph)


@pytest.mark.parametrize("location", ["weights.bin", "data/weights.bin", "./w.bin", "a/../w.bin"])
def test_onnx_external_data_inside_folder(tmp_path: Path, location: str) -> None:
    path = write(tmp_path / "m.onnx", onnx_model(field(5, tensor(location))))
    report = scan(path)
    assert report.findings == [] and report.files_checked == 1


@pytest.mark.parametrize(
    "location", ["../../etc/passwd", "/etc/shadow", "C:\\secrets.txt", "a/../../x.bin", "..\\..\\x"]
)
def test_onnx_external_data_escaping(tmp_path: Path, location: str) -> None:
    path = write(tmp_path / "m.onnx", onnx_model(field(5, tensor(location))))
    assert codes(path) == ["ML405"]


def test_onnx_external_data_in_a_subgraph_attribute(tmp_path: Path) -> None:
    sub = field(5, tensor("../../../root/.ssh/id_rsa"))
    attribute = field(1, b"then_branch") + field(6, sub)
    node = field(4, b"If") + field(5, attribute)
    path = write(tmp_path / "m.onnx", onnx_model(field(1, node)))
    assert codes(path) == ["ML405"]


def test_onnx_malformed(tmp_path: Path) -> None:
    path = write(tmp_path / "m.onnx", onnx_model(field(5, tensor("w.bin")))[:-7])
    assert codes(path) == ["ML404"]


# -- safetensors, gguf, lfs, other files ------------------------------------------------------


def safetensors(end: int, data: bytes) -> bytes:
    header = json.dumps(
        {
            "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, end]},
            "__metadata__": {"format": "pt"},
        }
    ).encode()
    return struct.pack("<Q", len(header)) + header + data


def test_safetensors_pass_and_truncated(tmp_path: Path) -> None:
    ok = write(tmp_path / "model.safetensors", safetensors(8, bytes(8)))
    report = scan(ok)
    assert report.findings == [] and report.files_checked == 1
    same_as_bin = write(tmp_path / "pytorch_model.bin", safetensors(8, bytes(8)))
    assert codes(same_as_bin) == []
    short = write(tmp_path / "short.safetensors", safetensors(800, bytes(8)))
    assert codes(short) == ["ML404"]


def test_gguf_passes(tmp_path: Path) -> None:
    report = scan(write(tmp_path / "llm.gguf", b"GGUF\x03\x00\x00\x00" + bytes(64)))
    assert report.findings == [] and report.files_checked == 1


def test_lfs_pointer_is_fine(tmp_path: Path) -> None:
    pointer = (
        b"version https://git-lfs.github.com/spec/v1\noid sha256:"
        + b"0" * 64
        + b"\nsize 524288000\n"
    )
    for name in ("model.pt", "model.pkl", "weights.safetensors", "w.npy"):
        assert codes(write(tmp_path / name, pointer)) == []


def test_unknown_content_under_model_name_is_ml404(tmp_path: Path) -> None:
    junk = write(tmp_path / "model.pt", bytes(range(256)) * 4)
    assert codes(junk) == ["ML404"]
    empty = write(tmp_path / "empty.pkl", b"")
    assert codes(empty) == ["ML404"]
    text = write(tmp_path / "notes.pkl", b"just some text\n")
    assert codes(text) == ["ML404"]


def test_non_artifacts_are_dismissed(tmp_path: Path) -> None:
    files = [
        write(tmp_path / "a.png", b"\x89PNG\r\n\x1a\n" + bytes(100)),
        write(tmp_path / "b.csv", b"a,b\n1,2\n"),
        write(tmp_path / "w.bin", bytes(range(200))),
        write(tmp_path / "c.json", b'{"a": 1}'),
    ]
    for path in files:
        report = scan(path)
        assert report.findings == [] and report.files_checked == 0, path


# -- hostile archives --------------------------------------------------------------------------


def test_zip_member_traversal(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", STATE_DICT_PKL)
        zf.writestr("../../home/user/.bashrc", "echo pwned")
        zf.writestr("/etc/passwd", "root")
        zf.writestr("C:/Windows/x.dll", "x")
    path = write(tmp_path / "model.pt", buf.getvalue())
    msg = message(path, "ML405")
    assert "'../../home/user/.bashrc'" in msg and "'/etc/passwd'" in msg and "C:/Windows" in msg


def _patch_central(data: bytes, index: int, offset: int, value: bytes) -> bytes:
    at = -1
    for _ in range(index + 1):
        at = data.index(b"PK\x01\x02", at + 1)
    return data[: at + offset] + value + data[at + offset + len(value) :]


def test_zip_declared_size_bomb(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/data.pkl", STATE_DICT_PKL)
        zf.writestr("archive/data/0", bytes(4096))
    data = _patch_central(buf.getvalue(), 1, 24, struct.pack("<I", 0xFFFFFF00))
    path = write(tmp_path / "model.pt", data)
    assert codes(path) == ["ML405"]
    assert "zip bomb" in message(path, "ML405")


def test_zip_real_ratio_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(containers, "BOMB_MIN_SIZE", 8 << 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("big.pkl", "w") as member:
        chunk = bytes(1 << 20)
        for _ in range(10):
            member.write(chunk)
    path = write(tmp_path / "bomb.zip", buf.getvalue())
    assert codes(path) == ["ML405"]
    monkeypatch.setattr(containers, "BOMB_MIN_SIZE", 64 << 20)  # a small zero mask is fine
    assert "ML405" not in codes(path)


def test_zip_overlapping_entries(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.pkl", STATE_DICT_PKL)
        zf.writestr("b.pkl", STATE_DICT_PKL)
    data = _patch_central(buf.getvalue(), 1, 42, struct.pack("<I", 0))
    path = write(tmp_path / "o.zip", data)
    assert "overlap" in message(path, "ML405")


def test_zip_absurd_member_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The count comes from the end record, before zipfile builds its member list.
    monkeypatch.setattr(containers, "MAX_MEMBERS", 2)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(3):
            zf.writestr(f"f{i}", b"")
    path = write(tmp_path / "many.zip", buf.getvalue())
    assert codes(path) == ["ML405"]
    assert "3 members" in message(path, "ML405")


def test_nested_zip_in_zip(tmp_path: Path) -> None:
    inner = torch_zip({"data.pkl": EVIL})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("checkpoints/model.pt", inner)
    path = write(tmp_path / "release.zip", buf.getvalue())
    assert "[checkpoints/model.pt > archive/data.pkl]" in message(path, "ML401")


def test_unknown_class_inside_npz_is_ml402(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("x.npy", object_npy([Plain()]))
    path = write(tmp_path / "x.npz", buf.getvalue())
    assert codes(path) == ["ML402"]


def test_lz4_joblib_is_read_or_reported(tmp_path: Path) -> None:
    frame = b"\x04\x22\x4d\x18" + bytes(32)
    path = write(tmp_path / "m.joblib", frame)
    assert codes(path) == ["ML404"]


def test_keras_metadata_pb_lambda(tmp_path: Path) -> None:
    cfg = {"class_name": "Lambda", "config": {"name": "lam", "function": ["4wEAAAAA", None, None]}}
    data = (
        b"\n\x05keras"
        + json.dumps({"class_name": "Sequential", "config": {"layers": [cfg]}}).encode()
    )
    path = write(tmp_path / "saved" / "keras_metadata.pb", data)
    assert codes(path) == ["ML401"]


def test_zip_inside_a_tar_gz(tmp_path: Path) -> None:
    inner = torch_zip({"data.pkl": EVIL}, "ckpt")
    path = write(tmp_path / "release.tar.gz", gzip.compress(tar_bytes({"model.pt": inner})))
    assert "[model.pt > ckpt/data.pkl]" in message(path, "ML401")


def test_non_ascii_member_names_are_not_overlaps(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("modèle/données.pkl", STATE_DICT_PKL)
        zf.writestr("modèle/ünïcode.npy", npy_bytes("<f4", (1,), bytes(4)))
    assert codes(write(tmp_path / "m.zip", buf.getvalue())) == []


def test_h5_reads_head_and_tail_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlvet.artifacts import keras

    monkeypatch.setattr(keras, "HEAD_BYTES", 4096)
    monkeypatch.setattr(keras, "TAIL_BYTES", 4096)
    monkeypatch.setattr(keras, "CHUNK", 1024)
    lam = b'{"class_name": "Lambda", "config": {"name": "x"}}'
    middle = b"\x89HDF\r\n\x1a\n" + bytes(20000) + lam + bytes(20000)
    assert codes(write(tmp_path / "mid.h5", middle)) == []
    tail = b"\x89HDF\r\n\x1a\n" + bytes(40000) + lam + bytes(100)
    assert codes(write(tmp_path / "tail.h5", tail)) == ["ML401"]


def test_python_path_file_named_pth_is_not_a_model(tmp_path: Path) -> None:
    report = scan(write(tmp_path / "project.pth", b"/opt/project/src\nimport site\n"))
    assert report.findings == [] and report.files_checked == 0


def test_torch_zip_tensor_members_are_not_even_opened(tmp_path: Path) -> None:
    # Break the local header of the tensor member: opening it would fail (ML404).
    data = bytearray(torch_zip({"data.pkl": STATE_DICT_PKL, "data/0": b"\x01" * 4096}))
    at = data.index(b"archive/data/0") - 30
    assert data[at : at + 4] == b"PK\x03\x04"
    data[at : at + 4] = b"XXXX"
    assert codes(write(tmp_path / "model.pt", bytes(data))) == []
    # The same damage in a member a generic zip does open is reported.
    generic = bytes(data).replace(b"archive/data.pkl", b"archive/data.txt")
    assert codes(write(tmp_path / "bundle.zip", generic)) == ["ML404"]


def test_onnx_external_data_in_training_info(tmp_path: Path) -> None:
    training = field(1, field(5, tensor("/etc/passwd")))
    model = varint(1 << 3) + varint(8) + field(7, field(5, tensor("w.bin"))) + field(20, training)
    assert codes(write(tmp_path / "m.onnx", model)) == ["ML405"]


def test_zip_stored_member_lying_about_its_size(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", STATE_DICT_PKL)
        zf.writestr("archive/data/0", bytes(64))
    data = _patch_central(buf.getvalue(), 1, 24, struct.pack("<I", 1 << 20))
    path = write(tmp_path / "model.pt", data)
    assert codes(path) == ["ML405"]
    assert "declares 1048576 bytes but holds 64" in message(path, "ML405")


def test_zip_member_past_the_end(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.pkl", STATE_DICT_PKL)
    data = _patch_central(buf.getvalue(), 0, 20, struct.pack("<II", 1 << 30, 1 << 30))
    assert "ML404" in codes(write(tmp_path / "a.zip", data))
