"""The scanner through `mlvet check --select ML4`, with real git repositories for LFS."""

from __future__ import annotations

import json
import os
import pickle
import random
from pathlib import Path

import pytest
from artifacts_helpers import STATE_DICT_PKL, Plain, RunsCommand, scan, torch_zip, write
from conftest import git, run_cli, run_mlvet
from mlvet.artifacts import scan_paths
from mlvet.artifacts.lfs import lfs_tracked
from mlvet.artifacts.rules import RULES
from mlvet.config import Config
from mlvet.registry import all_rules

EVIL = pickle.dumps(RunsCommand(), protocol=2)
LFS_ATTRS = "*.bin filter=lfs diff=lfs merge=lfs -text\n"


def noise(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


# -- ML403 and Git LFS -----------------------------------------------------------------------


def test_lfs_tracked_asks_git(git_repo: Path) -> None:
    (git_repo / ".gitattributes").write_text(LFS_ATTRS)
    tracked = write(git_repo / "models" / "big.bin", noise(3000))
    untracked = write(git_repo / "models" / "big.dat", noise(3000))
    assert lfs_tracked([str(tracked), str(untracked)]) == {str(tracked)}


def test_large_untracked_artifact_is_ml403(git_repo: Path) -> None:
    (git_repo / ".gitattributes").write_text(LFS_ATTRS)
    tracked = write(git_repo / "w.bin", noise(5000))
    untracked = write(git_repo / "w.npy.part", noise(5000))
    small = write(git_repo / "s.dat", noise(100))
    config = Config(max_artifact_size=1000)
    report = scan_paths(
        [str(tracked), str(untracked), str(small)], config, {r.code: r for r in RULES}
    )
    found = [(f.rule, Path(f.path).name) for f in report.findings]
    assert found == [("ML403", "w.npy.part")]
    assert "4.9 KiB" in report.findings[0].message
    assert "Git LFS" in report.findings[0].message


def test_outside_git_nothing_is_lfs_tracked(tmp_path: Path) -> None:
    path = write(tmp_path / "w.bin", noise(5000))
    report = scan(path, Config(max_artifact_size=1000))
    assert [f.rule for f in report.findings] == ["ML403"]


def test_lfs_pointer_is_never_large(git_repo: Path) -> None:
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"1" * 64 + b"\nsize 9\n"
    path = write(git_repo / "m.pt", pointer)
    assert scan(path, Config(max_artifact_size=10)).findings == []


def test_size_rule_through_cli_in_repo(git_repo: Path) -> None:
    (git_repo / ".gitattributes").write_text(LFS_ATTRS)
    (git_repo / "pyproject.toml").write_text('[tool.mlvet]\nmax-artifact-size = "2KB"\n')
    write(git_repo / "model.bin", noise(4000))
    write(git_repo / "data" / "train.parquet", b"PAR1" + noise(4000))
    git(git_repo, "add", "-A")
    proc = run_mlvet(["check", "--select", "ML4", "--format", "json", "."], cwd=git_repo)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert [(f["rule"], f["path"]) for f in data["findings"]] == [("ML403", "data/train.parquet")]


# -- CLI ------------------------------------------------------------------------------------------


def test_cli_json_and_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "models" / "evil.pt", torch_zip({"data.pkl": EVIL}))
    write(tmp_path / "models" / "ok.pt", torch_zip({"data.pkl": STATE_DICT_PKL}))
    write(tmp_path / "models" / "custom.pkl", pickle.dumps(Plain()))
    write(tmp_path / "train.py", b"import torch\n")
    code, out, _ = run_cli(["check", "--select", "ML4", "--format", "json", "models"], capsys)
    assert code == 1
    data = json.loads(out)
    got = sorted((f["rule"], f["path"], f["severity"]) for f in data["findings"])
    assert got == [("ML401", "models/evil.pt", "error"), ("ML402", "models/custom.pkl", "warning")]
    first = next(f for f in data["findings"] if f["rule"] == "ML401")
    assert first["line"] == 1 and first["column"] == 1 and first["source"] == "mlvet"
    assert first["name"] == "malicious-pickle-import"
    assert "archive/data.pkl" in first["message"]
    assert data["errors"] == []


def test_cli_clean_tree_exits_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "ok.pt", torch_zip({"data.pkl": STATE_DICT_PKL}))
    write(tmp_path / "notes.md", b"# hi\n")
    code, out, _ = run_cli(["check", "--select", "ML4", "--format", "json", "."], capsys)
    assert code == 0
    assert json.loads(out)["findings"] == []


def test_cli_fail_on_error_and_severity_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "custom.pkl", pickle.dumps(Plain()))
    code, _, _ = run_cli(["check", "--select", "ML4", "--fail-on", "error", "."], capsys)
    assert code == 0
    (tmp_path / "pyproject.toml").write_text('[tool.mlvet.severity]\nML402 = "error"\n')
    code, out, _ = run_cli(
        ["check", "--select", "ML4", "--format", "json", "--fail-on", "error", "."], capsys
    )
    assert code == 1
    assert json.loads(out)["findings"][0]["severity"] == "error"


def test_cli_allowlist_and_per_file_ignores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "custom.pkl", pickle.dumps(Plain()))
    write(tmp_path / "vendor" / "evil.pkl", EVIL)
    module = Plain.__module__
    (tmp_path / "pyproject.toml").write_text(
        "[tool.mlvet]\n"
        f'allowed-pickle-globals = ["{module}.*"]\n'
        '[tool.mlvet.per-file-ignores]\n"vendor/*" = ["ML401"]\n'
    )
    code, out, _ = run_cli(["check", "--select", "ML4", "--format", "json", "."], capsys)
    assert json.loads(out)["findings"] == []
    assert code == 0


def test_cli_select_single_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "both.pkl", pickle.dumps([RunsCommand(), Plain()]))
    code, out, _ = run_cli(["check", "--select", "ML402", "--format", "json", "."], capsys)
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["ML402"]
    assert code == 1


def test_named_files_of_any_extension(tmp_path: Path) -> None:
    # pre-commit passes files by name: content decides, not the name.
    write(tmp_path / "weights.data", EVIL)
    write(tmp_path / "blob", torch_zip({"data.pkl": EVIL}))
    proc = run_mlvet(
        ["check", "--select", "ML4", "--format", "json", "weights.data", "blob"], cwd=tmp_path
    )
    assert proc.returncode == 1
    paths = sorted(f["path"] for f in json.loads(proc.stdout)["findings"])
    assert paths == ["blob", "weights.data"]


def test_bad_inputs_never_traceback(tmp_path: Path) -> None:
    write(tmp_path / "junk.pkl", noise(3000))
    write(tmp_path / "trunc.pt", torch_zip({"data.pkl": STATE_DICT_PKL})[:100])
    write(tmp_path / "zero.npy", b"")
    write(tmp_path / "\u00e9t\u00e9.pkl", b"\x80\x04\x95")
    real = write(tmp_path / "real.pkl", EVIL)
    os.symlink(real, tmp_path / "link.pkl")
    proc = run_mlvet(
        [
            "check",
            "--select",
            "ML4",
            "--format",
            "json",
            "junk.pkl",
            "trunc.pt",
            "zero.npy",
            "\u00e9t\u00e9.pkl",
            "link.pkl",
            "missing.pkl",
        ],
        cwd=tmp_path,
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert sorted(f["path"] for f in data["findings"] if f["rule"] == "ML404") == [
        "junk.pkl",
        "trunc.pt",
        "zero.npy",
        "\u00e9t\u00e9.pkl",
    ]
    errors = {e["path"]: e["message"] for e in data["errors"]}
    assert "symbolic link" in errors["link.pkl"]
    assert "missing.pkl" in errors


def test_text_output_names_file_and_rule(tmp_path: Path) -> None:
    write(tmp_path / "m.pkl", EVIL)
    proc = run_mlvet(["check", "--select", "ML4", "--format", "text", "m.pkl"], cwd=tmp_path)
    assert proc.returncode == 1
    assert "m.pkl:1:1: ML401" in proc.stdout


def test_fingerprints_are_stable(tmp_path: Path) -> None:
    path = write(tmp_path / "m.pkl", pickle.dumps([RunsCommand(), Plain()]))
    one = [f.fingerprint() for f in scan(path).findings]
    two = [f.fingerprint() for f in scan(path).findings]
    assert one == two and len(set(one)) == 2


def test_rules_are_registered_with_prose_examples() -> None:
    rules = all_rules()
    for code in ("ML401", "ML402", "ML403", "ML404", "ML405"):
        rule = rules[code]
        assert rule.example_kind == "none"
        assert rule.bad and rule.good and rule.fix and rule.what and rule.why
    assert rules["ML401"].severity == "error" and rules["ML405"].severity == "error"
    assert rules["ML401"].security_severity and rules["ML401"].security_severity >= 9


def test_ten_gigabyte_checkpoint_is_not_read(tmp_path: Path) -> None:
    # A sparse 10 GiB pickle: one giant bytes payload, then STOP. The payload is skipped
    # by seeking; only the size rule speaks.
    size = 10 << 30
    path = tmp_path / "huge.pkl"
    head = b"\x80\x04\x8e" + (size - 12).to_bytes(8, "little")
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size - 1)
        fh.seek(size - 1)
        fh.write(b".")
    report = scan(path, Config())
    assert [f.rule for f in report.findings] == ["ML403"]
    assert "10.0 GiB" in report.findings[0].message
    assert report.files_checked == 1
