"""[tool.mlvet] loading, selection, globs, suppressions."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlvet.config import (
    Config,
    ConfigError,
    find_config_file,
    glob_match,
    load_config,
    parse_size,
    suppressed_codes,
)


def test_nearest_pyproject_with_table_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mlvet]\nignore = ["ML101"]\n')
    sub = tmp_path / "pkg" / "deep"
    sub.mkdir(parents=True)
    (tmp_path / "pkg" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_config_file(sub) == (tmp_path / "pyproject.toml").resolve()
    cfg = load_config(start=sub)
    assert cfg.ignore == ("ML101",)
    assert not cfg.is_selected("ML101") and cfg.is_selected("ML102")


def test_dot_mlvet_toml_takes_either_form(tmp_path: Path) -> None:
    (tmp_path / ".mlvet.toml").write_text('select = ["ML1"]\nfail-on = "error"\n')
    cfg = load_config(start=tmp_path)
    assert cfg.select == ("ML1",) and cfg.fail_on == "error"
    assert cfg.is_selected("ML104") and not cfg.is_selected("ML201")


def test_cli_select_replaces_and_ignore_adds() -> None:
    cfg = Config(select=("ML1",), ignore=("ML103",)).with_cli(
        select=["ML2,ML101"], ignore=["ML201"]
    )
    assert cfg.is_selected("ML101") and cfg.is_selected("ML202")
    assert not cfg.is_selected("ML201") and not cfg.is_selected("ML102")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.mlvet]\nfail-on = 'loud'\n", "fail-on"),
        ("[tool.mlvet]\nselect = 3\n", "select"),
        ("[tool.mlvet]\nselect = ['not a code']\n", "not a rule code"),
        ("[tool.mlvet\n", "not valid TOML"),
        ("[tool.mlvet]\nmax-artifact-size = 'huge'\n", "max-artifact-size"),
    ],
)
def test_bad_config_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(start=tmp_path)


def test_unknown_key_is_a_notice_not_an_error(tmp_path: Path) -> None:
    (tmp_path / ".mlvet.toml").write_text("colour = 'blue'\n")
    cfg = load_config(start=tmp_path)
    assert any("colour" in n for n in cfg.notices)


def test_per_file_ignores_and_exclude_are_relative_to_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".mlvet.toml").write_text(
        'exclude = ["legacy/**", "*_pb2.py"]\n[per-file-ignores]\n"tests/**" = ["ML1"]\n"*.ipynb" = ["ML201"]\n'
    )
    cfg = load_config(start=tmp_path)
    monkeypatch.chdir(tmp_path)
    assert cfg.ignored_for_path("ML101", "tests/unit/test_x.py")
    assert not cfg.ignored_for_path("ML201", "tests/unit/test_x.py")
    assert cfg.ignored_for_path("ML201", "notebooks/a.ipynb")
    assert cfg.is_excluded("legacy/old/train.py")
    assert cfg.is_excluded("proto/model_pb2.py")
    assert not cfg.is_excluded("src/train.py")


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("build", "build/x.py", True),
        ("*.ipynb", "a/b/c.ipynb", True),
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/sub/a.py", False),
        ("src/**/*.py", "src/sub/a.py", True),
        ("**/fixtures/**", "tests/fixtures/x.py", True),
        ("tests/fixtures/**", "tests/other.py", False),
    ],
)
def test_glob_match(pattern: str, path: str, expected: bool) -> None:
    assert glob_match(pattern, path) is expected


def test_sizes() -> None:
    assert parse_size(10) == 10
    assert parse_size("10MB") == 10_000_000
    assert parse_size("1 MiB") == 1024 * 1024
    with pytest.raises(ValueError):
        parse_size("-3")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("x = 1", None),
        ("x = load(f)  # mlvet: ignore", frozenset()),
        ("x = load(f)  # mlvet: ignore[ML101]", frozenset({"ML101"})),
        ("x = load(f)  #mlvet:ignore[ml101, ML102]", frozenset({"ML101", "ML102"})),
        ("x = load(f)  # noqa: S301", None),
    ],
)
def test_suppression_comments(line: str, expected: frozenset[str] | None) -> None:
    assert suppressed_codes(line) == expected


def test_select_of_other_families_leaves_a_command_on_its_default() -> None:
    cfg = Config(select=("ML1", "ML2"))
    assert cfg.is_selected("ML501", ("ML5",))  # `mlvet secrets` still runs
    assert cfg.is_selected("ML602", ("ML6",))
    assert not cfg.is_selected("ML301", ("ML1", "ML2", "ML3"))  # check: select narrows
    assert not Config(select=("ML501",)).is_selected("ML502", ("ML5",))
    assert not Config(select=("ML1",), ignore=("ML5",)).is_selected("ML501", ("ML5",))
    # On the command line a select is taken at its word.
    assert not Config().with_cli(select=["ML1"]).is_selected("ML501", ("ML5",))
