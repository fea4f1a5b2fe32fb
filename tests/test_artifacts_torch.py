"""Real outputs of torch.save, cloudpickle and dill (skipped when those are not installed).

The files are written by the libraries and only ever read by the scanner."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from artifacts_helpers import RunsCommand, codes, message, scan

pytestmark = pytest.mark.torch


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch")


def small_model(torch: Any) -> Any:
    return torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 2)
    )


@pytest.mark.parametrize("zipfile_format", [True, False])
def test_state_dict_and_checkpoint_are_clean(
    torch: Any, tmp_path: Path, zipfile_format: bool
) -> None:
    model = small_model(torch)
    opt = torch.optim.AdamW(model.parameters())
    path = tmp_path / "ckpt.pt"
    torch.save(
        {
            "model": model.state_dict(),
            "optim": opt.state_dict(),
            "epoch": 3,
            "dtype": torch.float16,
            "shape": torch.Size([2, 3]),
        },
        path,
        _use_new_zipfile_serialization=zipfile_format,
    )
    report = scan(path)
    assert report.findings == [], [f.message for f in report.findings]
    assert report.files_checked == 1


@pytest.mark.parametrize("zipfile_format", [True, False])
def test_malicious_object_in_checkpoint(torch: Any, tmp_path: Path, zipfile_format: bool) -> None:
    path = tmp_path / "ckpt.pt"
    torch.save(
        {"w": torch.zeros(2), "x": RunsCommand()},
        path,
        _use_new_zipfile_serialization=zipfile_format,
    )
    assert codes(path) == ["ML401"]
    if zipfile_format:
        assert "ckpt/data.pkl" in message(path, "ML401")


def test_full_model_save_uses_known_module_classes(torch: Any, tmp_path: Path) -> None:
    path = tmp_path / "full.pt"
    torch.save(small_model(torch), path)
    assert codes(path) == []


def test_torchscript_archive(torch: Any, tmp_path: Path) -> None:
    path = tmp_path / "ts.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(3, 2)), str(path))
    assert codes(path) == []


def test_plain_pickle_of_a_tensor_scans_the_embedded_checkpoint(torch: Any, tmp_path: Path) -> None:
    path = tmp_path / "t.pkl"
    path.write_bytes(pickle.dumps({"t": torch.ones(3)}))
    # torch.storage._load_from_bytes calls torch.load on embedded bytes: allowlisted
    # because the embedded zip is read too (clean here).
    assert codes(path) == []
    evil = tmp_path / "e.pkl"
    evil.write_bytes(pickle.dumps({"t": torch.ones(3), "x": RunsCommand()}))
    assert codes(evil) == ["ML401"]


def test_cloudpickle_lambda_is_code(tmp_path: Path) -> None:
    cloudpickle = pytest.importorskip("cloudpickle")
    lam = tmp_path / "fn.pkl"
    lam.write_bytes(cloudpickle.dumps(lambda x: x + 1))
    assert "ML401" in codes(lam)
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(cloudpickle.dumps({"a": [1, 2, 3]}))
    assert codes(plain) == []


def test_dill_lambda_is_code(tmp_path: Path) -> None:
    dill = pytest.importorskip("dill")
    path = tmp_path / "fn.pkl"
    path.write_bytes(dill.dumps(lambda x: x * 2))
    assert "ML401" in codes(path)
    types_only = tmp_path / "types.pkl"
    types_only.write_bytes(dill.dumps({"kind": int, "values": [1, 2]}))
    assert codes(types_only) == []  # dill's type lookup is judged by the type it names
