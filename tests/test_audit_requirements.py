"""Requirements-file parsing: pins, URLs, options, includes and unreadable files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mlvet.wrappers.audit_deps import pin_of_specifier, url_pin_reason, vcs_revision
from mlvet.wrappers.audit_requirements import (
    DepFileError,
    include_path,
    load_tree,
    logical_lines,
    parse_requirements_text,
    read_dep_file,
)

SHA = "3f2c1e9a7b5d4c3e2f1a0b9c8d7e6f5a4b3c2d1e"


def deps(text: str) -> dict[str, tuple[int, bool]]:
    parsed = parse_requirements_text(text, "requirements.txt")
    assert not parsed.problems, parsed.problems
    return {d.name: (d.line, d.pinned) for d in parsed.deps}


@pytest.mark.parametrize(
    ("spec", "version"),
    [
        ("==1.2.3", "1.2.3"),
        ("== 1.2.3", "1.2.3"),
        ("===1.0-custom", "1.0-custom"),
        (">=1.0,==1.2.3", "1.2.3"),
        ("(==2.0)", "2.0"),
        ("==1.4", "1.4"),
    ],
)
def test_exact_pins(spec: str, version: str) -> None:
    assert pin_of_specifier(spec) == (version, "")


@pytest.mark.parametrize(
    ("spec", "reason_part"),
    [
        ("", "no version given"),
        (">=1.0", "allows more than one version"),
        ("~=1.2", "allows more than one version"),
        (">=1,<2", "allows more than one version"),
        ("==1.*", "wildcard"),
        ("!=1.0", "allows more than one version"),
        ("<=2.0", "allows more than one version"),
    ],
)
def test_not_pinned(spec: str, reason_part: str) -> None:
    version, reason = pin_of_specifier(spec)
    assert version is None
    assert reason_part in reason


def test_plain_requirements_with_markers_extras_and_comments() -> None:
    text = (
        "# training stack\n"
        "numpy==1.26.4  # pinned\n"
        'pandas>=2.0 ; python_version >= "3.9"\n'
        "transformers[torch,sentencepiece]==4.40.1\n"
        "Scikit_Learn\n"
        "  \n"
        "torch==2.2.*; sys_platform == 'linux'\n"
        "accelerate===0.30.0\n"
    )
    assert deps(text) == {
        "numpy": (2, True),
        "pandas": (3, False),
        "transformers": (4, True),
        "Scikit_Learn": (5, False),
        "torch": (7, False),
        "accelerate": (8, True),
    }


def test_marker_pinned_requirement_keeps_version() -> None:
    parsed = parse_requirements_text('tensorflow==2.15.0; platform_system != "Darwin"\n', "r.txt")
    assert parsed.deps[0].version == "2.15.0"


def test_hashes_and_continuations_as_pip_compile_writes_them() -> None:
    text = (
        "numpy==1.26.4 \\\n"
        "    --hash=sha256:aaaa \\\n"
        "    --hash=sha256:bbbb\n"
        "    # via\n"
        "    #   pandas\n"
        "pandas==2.2.2 \\\n"
        "    --hash=sha256:cccc\n"
        "tqdm \\\n"
        "    --hash=sha256:dddd\n"
    )
    assert deps(text) == {"numpy": (1, True), "pandas": (6, True), "tqdm": (8, False)}


def test_logical_lines_join_continuations_and_drop_comments() -> None:
    text = "a==1 \\\n  # not a comment once joined? it is\nb>=2 # trailing\n#c==3\nx @ https://h/x.whl#sha256=ab\n"
    lines = list(logical_lines(text))
    assert [line for _, _, line in lines] == ["a==1", "b>=2", "x @ https://h/x.whl#sha256=ab"]
    assert [n for n, _, _ in lines] == [1, 3, 5]


def test_column_is_first_non_space_character() -> None:
    parsed = parse_requirements_text("    torch>=2\n", "r.txt")
    assert (parsed.deps[0].line, parsed.deps[0].column) == (1, 5)


def test_global_options_are_not_requirements() -> None:
    text = (
        "--index-url https://example.invalid/simple\n"
        "--extra-index-url=https://download.pytorch.org/whl/cu121\n"
        "-f https://example.invalid/wheels\n"
        "--pre\n"
        "--no-binary :all:\n"
        "--trusted-host example.invalid\n"
        "torch==2.3.0+cu121\n"
    )
    assert deps(text) == {"torch": (7, True)}


def test_editable_local_paths_are_skipped_but_vcs_is_checked() -> None:
    text = (
        "-e .\n"
        "--editable ./packages/core\n"
        "-e ../shared[dev]\n"
        "./wheels/local-1.0-py3-none-any.whl\n"
        ".\n"
        f"-e git+https://github.com/org/repo.git@{SHA}#egg=repo\n"
        "-e git+https://github.com/org/other.git@main#egg=other\n"
    )
    assert deps(text) == {"repo": (6, True), "other": (7, False)}


@pytest.mark.parametrize(
    ("line", "pinned"),
    [
        (f"lib @ git+https://github.com/org/lib.git@{SHA}", True),
        ("lib @ git+https://github.com/org/lib.git@3f2c1e9", True),
        ("lib @ git+https://github.com/org/lib.git@v1.2.0", False),
        ("lib @ git+https://github.com/org/lib.git", False),
        ("lib @ git+ssh://git@github.com/org/lib.git", False),
        (f"lib @ git+ssh://git@github.com/org/lib.git@{SHA}", True),
        (f"git+https://github.com/org/lib.git@{SHA}#egg=lib", True),
        ("git+https://github.com/org/lib@main#egg=lib", False),
        ("lib @ https://example.invalid/lib-1.0.tar.gz#sha256=abcdef", True),
        ("lib @ https://example.invalid/lib-1.0-py3-none-any.whl", True),
        ("lib @ https://github.com/org/lib/archive/refs/heads/main.zip", False),
        (f"lib @ https://github.com/org/lib/archive/{SHA}.zip", True),
        ("https://example.invalid/dl/lib.tar.gz", False),
    ],
)
def test_url_requirements(line: str, pinned: bool) -> None:
    parsed = parse_requirements_text(line + "\n", "r.txt")
    assert not parsed.problems
    assert len(parsed.deps) == 1
    dep = parsed.deps[0]
    assert dep.name == "lib"
    assert dep.url is not None
    assert dep.pinned is pinned, dep.reason


def test_url_with_hash_option_counts_as_pinned() -> None:
    parsed = parse_requirements_text(
        "lib @ https://example.invalid/lib.tar.gz --hash=sha256:ab\n", "r"
    )
    assert parsed.deps[0].pinned


def test_url_requirement_with_marker() -> None:
    parsed = parse_requirements_text(
        f'lib @ git+https://github.com/org/lib.git@{SHA} ; python_version >= "3.10"\n', "r"
    )
    assert parsed.deps[0].url == f"git+https://github.com/org/lib.git@{SHA}"
    assert parsed.deps[0].pinned


def test_vcs_revision_ignores_user_in_host() -> None:
    assert vcs_revision("git+ssh://git@github.com/org/x.git") is None
    assert vcs_revision("git+ssh://git@github.com/org/x.git@abc1234#egg=x") == "abc1234"
    assert "branch or tag" in url_pin_reason("git+https://h/o/r.git@release")


def test_invalid_lines_are_reported_with_their_number() -> None:
    parsed = parse_requirements_text("numpy==1.0\nthis is not valid\ntorch>=>2\n", "r.txt")
    assert [d.name for d in parsed.deps] == ["numpy"]
    assert [n for n, _ in parsed.problems] == [2, 3]
    assert "not a valid requirement" in parsed.problems[0][1]


def test_include_options_in_every_spelling() -> None:
    parsed = parse_requirements_text(
        "-r base.txt\n--requirement dev.txt\n--requirement=lint.txt\n-rtest.txt\n"
        "-c constraints.txt\n--constraint=pins.txt\n",
        "r.txt",
    )
    assert [(i.kind, i.target, i.line) for i in parsed.includes] == [
        ("r", "base.txt", 1),
        ("r", "dev.txt", 2),
        ("r", "lint.txt", 3),
        ("r", "test.txt", 4),
        ("c", "constraints.txt", 5),
        ("c", "pins.txt", 6),
    ]
    assert not parsed.deps


def test_include_path_is_relative_to_the_including_file() -> None:
    assert include_path("requirements.txt", "dev.txt") == "dev.txt"
    assert include_path("reqs/main.txt", "base.txt") == "reqs/base.txt"
    assert include_path("reqs/main.txt", "../common.txt") == "common.txt"
    assert include_path("a/b/c.txt", "./d/e.txt") == "a/b/d/e.txt"


# -- include trees on disk ---------------------------------------------------------------


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_tree_follows_includes_and_cuts_cycles(in_tmp: Path) -> None:
    (in_tmp / "reqs").mkdir()
    (in_tmp / "requirements.txt").write_text("-r reqs/dev.txt\nnumpy==1.0\n")
    (in_tmp / "reqs" / "dev.txt").write_text("-r ../requirements.txt\n-r dev.txt\npytest\n")
    tree = load_tree("requirements.txt")
    assert not tree.errors
    assert sorted((d.path, d.name) for d in tree.deps) == [
        ("reqs/dev.txt", "pytest"),
        ("requirements.txt", "numpy"),
    ]
    assert tree.files == ["requirements.txt", "reqs/dev.txt"]


def test_missing_include_names_the_including_file_and_line(in_tmp: Path) -> None:
    (in_tmp / "requirements.txt").write_text("numpy==1.0\n-r nowhere.txt\n")
    tree = load_tree("requirements.txt")
    assert [e.one_line() for e in tree.errors] == [
        "requirements.txt: line 2: cannot include nowhere.txt: no such file"
    ]
    assert [d.name for d in tree.deps] == ["numpy"]


def test_constraints_pin_requirements(in_tmp: Path) -> None:
    (in_tmp / "requirements.txt").write_text("-c constraints.txt\nscipy\nnumpy\n")
    (in_tmp / "constraints.txt").write_text("scipy==1.11.4\nnumpy>=1.20\n")
    tree = load_tree("requirements.txt")
    assert tree.constraint_pins() == {"scipy"}
    origins = {(d.path, d.name): d.origin for d in tree.deps}
    assert origins[("constraints.txt", "scipy")] == "constraint"
    assert origins[("requirements.txt", "scipy")] == "requirements"


def test_deep_include_chain_terminates(in_tmp: Path) -> None:
    for i in range(40):
        (in_tmp / f"r{i}.txt").write_text(f"-r r{i + 1}.txt\npkg{i}==1.0\n")
    (in_tmp / "r40.txt").write_text("last==1.0\n")
    tree = load_tree("r0.txt")
    assert any("nested too deeply" in e.message for e in tree.errors)
    assert len(tree.deps) >= 30


# -- reading -----------------------------------------------------------------------------


def test_read_rejects_non_utf8(tmp_path: Path) -> None:
    p = tmp_path / "requirements.txt"
    p.write_bytes(b"numpy==1.0\ncaf\xe9==1.0\n")
    with pytest.raises(DepFileError, match="not UTF-8"):
        read_dep_file(str(p))


def test_read_rejects_binary(tmp_path: Path) -> None:
    p = tmp_path / "requirements.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    with pytest.raises(DepFileError, match="binary"):
        read_dep_file(str(p))


def test_read_strips_bom_and_reports_missing(tmp_path: Path) -> None:
    p = tmp_path / "requirements.txt"
    p.write_bytes(b"\xef\xbb\xbfnumpy==1.0\n")
    assert read_dep_file(str(p)) == "numpy==1.0\n"
    with pytest.raises(DepFileError, match="no such file"):
        read_dep_file(str(tmp_path / "nope.txt"))


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_read_reports_broken_symlink(tmp_path: Path) -> None:
    link = tmp_path / "requirements.txt"
    link.symlink_to(tmp_path / "gone.txt")
    with pytest.raises(DepFileError, match="broken symbolic link"):
        read_dep_file(str(link))


def test_read_refuses_huge_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlvet.wrappers.audit_requirements as mod

    monkeypatch.setattr(mod, "MAX_FILE_BYTES", 100)
    p = tmp_path / "requirements.txt"
    p.write_text("numpy==1.0\n" * 20)
    with pytest.raises(DepFileError, match="too large"):
        read_dep_file(str(p))


def test_real_world_ml_lines() -> None:
    text = (
        "torch==2.1.0+cu118\n"
        "torch-scatter @ https://data.pyg.org/whl/torch-2.1.0%2Bcu118/torch_scatter-2.1.2-cp310-cp310-linux_x86_64.whl\n"
        "git+https://github.com/openai/CLIP.git\n"
        "jax[cuda12_pip]==0.4.23 -f https://storage.googleapis.com/jax-releases/jax_cuda_releases.html\n"
        "opencv-python-headless>=4.8.0.74\n"
        "numpy == 1.26.4\n"
        "scipy>=1.10, <2.0\n"
        "triton==${TRITON_VERSION}\n"
        "-e git+https://github.com/org/mono.git@main#egg=sub&subdirectory=pkgs/sub\n"
    )
    assert deps(text) == {
        "torch": (1, True),
        "torch-scatter": (2, True),
        "CLIP": (3, False),
        "jax": (4, True),
        "opencv-python-headless": (5, False),
        "numpy": (6, True),
        "scipy": (7, False),
        "triton": (8, True),
        "sub": (9, False),
    }


def test_conda_style_file_include() -> None:
    parsed = parse_requirements_text("-r file:requirements.txt\n", "environment.yml")
    assert [i.target for i in parsed.includes] == ["requirements.txt"]


def test_read_utf16_with_bom_as_powershell_writes_it(tmp_path: Path) -> None:
    p = tmp_path / "requirements.txt"
    p.write_bytes("numpy==1.26.4\r\ntorch\r\n".encode("utf-16"))
    text = read_dep_file(str(p))
    assert deps(text) == {"numpy": (1, True), "torch": (2, False)}


def test_include_with_environment_variable(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQ_DIR", "reqs")
    (in_tmp / "reqs").mkdir()
    (in_tmp / "reqs" / "base.txt").write_text("numpy\n")
    (in_tmp / "requirements.txt").write_text("-r ${REQ_DIR}/base.txt\n")
    tree = load_tree("requirements.txt")
    assert not tree.errors
    assert [(d.path, d.name) for d in tree.deps] == [("reqs/base.txt", "numpy")]
