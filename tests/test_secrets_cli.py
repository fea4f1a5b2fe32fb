"""`mlvet secrets` end to end: exit codes, redaction in every format, baselines, repo."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import secrets_fakes as fake
from conftest import REPO_ROOT, git, make_notebook, notebook_text, run_cli, run_mlvet
from mlvet.config import Config
from mlvet.report import FORMATS, render
from mlvet.wrappers import secrets_sources
from mlvet.wrappers.secrets import Options, hash_secret, run_secrets, scan_files


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_exit_codes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "clean.py").write_text("import os\nTOKEN = os.environ['HF_TOKEN']\n")
    assert run_cli(["secrets", "clean.py"], capsys)[0] == 0
    (project / "leak.py").write_text(f"TOKEN = '{fake.hugging_face()}'\n")
    code, out, _ = run_cli(["secrets", "."], capsys)
    assert code == 1 and "leak.py:1:10: ML501 Hugging Face token" in out
    assert run_cli(["secrets", ".", "--exit-zero"], capsys)[0] == 0
    assert run_cli(["secrets", ".", "--select", "ML1"], capsys)[0] == 0
    code, _, err = run_cli(["secrets", ".", "--update-baseline"], capsys)
    assert code == 2 and "--update-baseline needs --baseline" in err
    code, _, err = run_cli(["secrets", "missing.py"], capsys)
    assert code == 1 and "missing.py" in err


def test_cli_subprocess_no_traceback_on_bad_files(project: Path) -> None:
    (project / "bin.dat").write_bytes(b"\x00\x01" + os.urandom(64))
    (project / "latin.env").write_bytes(
        ("NAME=caf\xe9\nHF_TOKEN=" + fake.hugging_face() + "\n").encode("latin-1")
    )
    (project / "broken.ipynb").write_text("{not json")
    os.symlink("nowhere.py", project / "dangling.py")
    proc = run_mlvet(["secrets", "bin.dat", "latin.env", "broken.ipynb", "dangling.py"], project)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "latin.env:2:10: ML501" in proc.stdout
    assert "broken.ipynb: not valid JSON" in proc.stderr
    assert "dangling.py: broken symbolic link" in proc.stderr
    assert "bin.dat" not in proc.stdout + proc.stderr


def test_huge_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets_sources, "MAX_TEXT_BYTES", 1000)
    big = tmp_path / "big.txt"
    big.write_text("a = 1\n" * 500)
    report = scan_files([str(big)], Options(), Config())
    assert [e.path for e in report.errors] == [str(big)]
    assert "too large" in report.errors[0].message


def _leaky_tree(root: Path) -> list[str]:
    tokens = [
        fake.hugging_face(),
        fake.openai_project(),
        fake.wandb(),
        fake.github(),
        fake.aws_access_key_id(),
        fake.anthropic(),
    ]
    (root / "train.py").write_text(
        f"HF_TOKEN = '{tokens[0]}'\nimport wandb\nwandb.login(key='{tokens[2]}')\n"
        f"GH = '{tokens[3]}'\nAWS = '{tokens[4]}'\n"
    )
    (root / ".env").write_text(f"OPENAI_API_KEY={tokens[1]}\n")
    out = {"output_type": "stream", "name": "stdout", "text": [f"key={tokens[5]}\n"]}
    nb = make_notebook(["print(1)\n"])
    nb["cells"][0]["outputs"] = [out]
    (root / "nb.ipynb").write_text(notebook_text(nb))
    return tokens


def test_no_format_ever_prints_a_secret(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tokens = _leaky_tree(project)
    report = run_secrets(["."], Config())
    assert len(report.findings) == 6
    sources = {f.source for f in report.findings}
    assert sources == {"mlvet", "detect-secrets"}
    for fmt in FORMATS:
        text = render(report, fmt)
        for token in tokens:
            assert token not in text, fmt
            assert token[:5] not in text or token[:5] in ("ghp_" + token[4],), fmt
            assert token[4:] not in text
        code, out, err = run_cli(["secrets", ".", "--format", fmt], capsys)
        assert code == 1
        assert not any(token[4:12] in out + err for token in tokens)
    for f in report.findings:
        assert not any(t in f.snippet or t[4:12] in f.message for t in tokens)


def test_sarif_is_valid(
    project: Path, capsys: pytest.CaptureFixture[str], sarif_validator: Any
) -> None:
    _leaky_tree(project)
    code, out, _ = run_cli(["secrets", ".", "--format", "sarif"], capsys)
    assert code == 1
    sarif = json.loads(out)
    sarif_validator.validate(sarif)
    tools = [run["tool"]["driver"]["name"] for run in sarif["runs"]]
    assert tools == ["mlvet", "detect-secrets"]
    nb_results = [
        r
        for run in sarif["runs"]
        for r in run["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "nb.ipynb"
    ]
    assert nb_results and nb_results[0]["properties"]["cell"] == 1


def test_detect_secrets_baseline_round_trip(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = _leaky_tree(project)
    code, _, err = run_cli(["secrets", ".", "--baseline-write", ".secrets.baseline"], capsys)
    assert code == 0 and "wrote 6 secret(s)" in err
    raw = (project / ".secrets.baseline").read_text()
    assert not any(t in raw or t[4:12] in raw for t in tokens)
    data = json.loads(raw)
    assert set(data["results"]) == {".env", "nb.ipynb", "train.py"}
    hashes = {e["hashed_secret"] for v in data["results"].values() for e in v}
    assert hash_secret(tokens[0]) in hashes
    # detect-secrets itself reads the file.
    from detect_secrets import SecretsCollection

    loaded = SecretsCollection.load_from_baseline(data)
    assert len(list(loaded)) == 6

    code, out, _ = run_cli(["secrets", ".", "--baseline", ".secrets.baseline"], capsys)
    assert code == 0 and "No findings" in out
    # A new secret is still reported; moved lines of known ones are not.
    train = project / "train.py"
    new = fake.groq()
    train.write_text("# header\n" + train.read_text() + f"G = '{new}'\n")
    code, out, _ = run_cli(
        ["secrets", ".", "--baseline", ".secrets.baseline", "--format", "json"], capsys
    )
    assert code == 1
    assert [f["name"] for f in json.loads(out)["findings"]] == ["groq-api-key"]
    # A baseline found by default (in the current folder) applies without the option.
    assert run_cli(["secrets", "."], capsys)[0] == 1
    train.write_text(train.read_text().replace(f"G = '{new}'\n", ""))
    assert run_cli(["secrets", "."], capsys)[0] == 0


def test_update_baseline_keeps_audit_marks(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tok = fake.hugging_face()
    (project / "a.py").write_text(f"T = '{tok}'\n")
    run_cli(["secrets", ".", "--baseline-write", ".secrets.baseline"], capsys)
    data = json.loads((project / ".secrets.baseline").read_text())
    data["results"]["a.py"][0]["is_secret"] = False
    (project / ".secrets.baseline").write_text(json.dumps(data))
    (project / "b.py").write_text(f"T = '{fake.replicate()}'\n")
    code, _, _ = run_cli(
        ["secrets", ".", "--baseline", ".secrets.baseline", "--update-baseline"], capsys
    )
    assert code == 0
    new = json.loads((project / ".secrets.baseline").read_text())
    assert set(new["results"]) == {"a.py", "b.py"}
    assert new["results"]["a.py"][0]["is_secret"] is False
    assert new["results"]["a.py"][0]["type"] == "Hugging Face token"


def test_stock_detect_secrets_baseline_is_honoured(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from detect_secrets import SecretsCollection
    from detect_secrets.core import baseline
    from detect_secrets.settings import default_settings

    (project / "k.py").write_text(f"AWS = '{fake.aws_access_key_id()}'\n")
    assert run_cli(["secrets", "k.py"], capsys)[0] == 1
    collection = SecretsCollection()
    with default_settings():
        collection.scan_file("k.py")
        baseline.save_to_file(collection, ".secrets.baseline")
    assert run_cli(["secrets", "k.py", "--baseline", ".secrets.baseline"], capsys)[0] == 0


def test_mlvet_format_baseline_also_works(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlvet.baseline import write_baseline

    (project / "k.py").write_text(f"T = '{fake.hugging_face()}'\n")
    write_baseline(run_secrets(["k.py"], Config()), "mlvet-baseline.json")
    assert run_cli(["secrets", "k.py", "--baseline", "mlvet-baseline.json"], capsys)[0] == 0
    code, _, err = run_cli(["secrets", "k.py", "--baseline", "nope.json"], capsys)
    assert code == 2 and "not found" in err


def test_config_severity_ignores_and_allow(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tok = fake.hugging_face()
    (project / "a.py").write_text(f"T = '{tok}'\n")
    (project / "docs").mkdir()
    (project / "docs" / "b.py").write_text(f"T = '{fake.groq()}'\n")
    (project / ".mlvet.toml").write_text(
        '[per-file-ignores]\n"docs/**" = ["ML501"]\n[severity]\nML501 = "warning"\n'
    )
    code, out, _ = run_cli(["secrets", ".", "--format", "json"], capsys)
    found = json.loads(out)["findings"]
    assert code == 1 and [(f["path"], f["severity"]) for f in found] == [("a.py", "warning")]
    assert run_cli(["secrets", ".", "--fail-on", "error"], capsys)[0] == 0
    (project / ".mlvet.toml").write_text(
        f'[secrets]\nallow = ["^{tok[:10]}"]\n[per-file-ignores]\n"docs/**" = ["ML501"]\n'
    )
    assert run_cli(["secrets", "."], capsys)[0] == 0


def test_git_ignored_files_are_not_scanned(git_repo: Path) -> None:
    (git_repo / ".gitignore").write_text(".env\n")
    (git_repo / ".env").write_text(f"HF_TOKEN={fake.hugging_face()}\n")
    (git_repo / "ok.py").write_text("x = 1\n")
    git(git_repo, "add", ".gitignore", "ok.py")
    proc = run_mlvet(["secrets", "."], git_repo)
    assert proc.returncode == 0, proc.stdout
    (git_repo / "cfg.yaml").write_text(f"wandb:\n  api_key: {fake.wandb()}\n")
    proc = run_mlvet(["secrets", "."], git_repo)
    assert proc.returncode == 1 and "cfg.yaml:2:12: ML501 Weights & Biases API key" in proc.stdout


def test_this_repository_has_no_secrets() -> None:
    listed = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "ls-files", "-z"], capture_output=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    files = [str(REPO_ROOT / n) for n in listed.stdout.decode().split("\0") if n]
    files = [f for f in files if os.path.isfile(f)]
    report = scan_files(files, Options(), Config(), jobs=1)
    assert len(files) > 20
    assert [(f.path, f.line, f.name) for f in report.findings] == []


def test_junk_and_truncated_files_never_raise(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    nb = make_notebook([f"T = '{fake.hugging_face()}'\n"])
    text = notebook_text(nb).encode()
    files = []
    for i in range(40):
        name = ["a.ipynb", "b.py", "c.json", ".env", "d.yaml"][i % 5]
        data = bytearray(text[: rng.randrange(1, len(text))] if i % 2 else text)
        for _ in range(rng.randrange(0, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path = tmp_path / f"{i}{name}"
        path.write_bytes(bytes(data))
        files.append(str(path))
    report = scan_files(files, Options(), Config(), jobs=1)
    # Broken notebooks are errors naming the file; every other file is scanned or skipped.
    assert all(e.path.endswith(".ipynb") and e.path in files for e in report.errors)
    assert all(f.path in files for f in report.findings)


def test_without_detect_secrets_only_mlvet_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlvet.wrappers import secrets_ds

    monkeypatch.setattr(secrets_ds, "available", lambda: False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(f"A = '{fake.github()}'\nB = '{fake.hugging_face()}'\n")
    report = run_secrets(["a.py"], Config())
    assert [f.name for f in report.findings] == ["hugging-face-token"]
    assert report.tools == ["mlvet"]
    assert any("detect-secrets is not installed" in n for n in report.notices)


def test_process_pool_gives_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlvet.wrappers import secrets as secrets_mod

    files = []
    for i in range(12):
        path = tmp_path / f"f{i}.py"
        body = f"T = '{fake.hugging_face()}'\n" if i % 3 == 0 else "x = 1\n"
        path.write_text(body)
        files.append(str(path))
    serial = scan_files(files, Options(), Config(), jobs=1)
    monkeypatch.setattr(secrets_mod, "PARALLEL_THRESHOLD", 2)
    pooled = scan_files(files, Options(), Config(), jobs=2)
    assert [f.fingerprint() for f in pooled.findings] == [f.fingerprint() for f in serial.findings]
    assert len(pooled.findings) == 4 and pooled.files_checked == 12


def test_only_the_baseline_named_scans_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "leak.py").write_text(f"T = '{fake.hugging_face()}'\n")
    (project / ".secrets.baseline").write_text(json.dumps({"version": "1.5.0", "results": {}}))
    code, out, _ = run_cli(["secrets", ".secrets.baseline"], capsys)
    assert code == 0 and "No findings" in out


@pytest.mark.parametrize("name", ["junk.py", "junk.ipynb"])
def test_binary_source_or_notebook_is_named(
    project: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (project / name).write_bytes(bytes(range(256)) * 8)
    (project / "image.png").write_bytes(bytes(range(256)) * 8)
    code, out, _ = run_cli(["secrets", "--format", "json", name, "image.png"], capsys)
    data = json.loads(out)
    assert code == 1 and [e["path"] for e in data["errors"]] == [name]
    assert "binary file" in data["errors"][0]["message"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_named_pipe_is_an_error_not_a_hang(project: Path) -> None:
    os.mkfifo(project / "pipe.env")
    report = scan_files(["pipe.env"], Options(), Config())
    assert [(e.path, e.message) for e in report.errors] == [("pipe.env", "not a regular file")]
