"""pyproject.toml and conda environment.yml: dependencies, pins, positions, broken files."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlvet.wrappers.audit_deps import conda_skipped, conda_to_pypi, parse_conda_spec
from mlvet.wrappers.audit_manifests import parse_environment, parse_pyproject

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]

[project]
name = "demo-ml"
version = "0.1.0"
dependencies = [
    "torch==2.3.1",
    "numpy>=1.26",
    'pandas',
]

[project.optional-dependencies]
gpu = ["cupy-cuda12x==13.1.0", "numpy>=1.26"]
all = ["demo-ml[gpu]", "Demo_ML[extra]"]

[dependency-groups]
dev = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff==0.6.9"]
"""


def located(text: str) -> list[tuple[str, int, int, bool]]:
    manifest = parse_pyproject(text, "pyproject.toml")
    assert not manifest.errors, manifest.errors
    return [(d.name, d.line, d.column, d.pinned) for d in manifest.deps]


def test_pyproject_dependencies_extras_and_groups_with_positions() -> None:
    assert located(PYPROJECT) == [
        ("torch", 8, 5, True),
        ("numpy", 9, 5, False),
        ("pandas", 10, 5, False),
        ("cupy-cuda12x", 14, 8, True),
        ("numpy", 14, 32, False),  # the second `numpy>=1.26`, not the first one
        ("pytest", 18, 8, False),
        ("ruff", 19, 9, True),
    ]


def test_build_requires_and_own_extras_are_not_dependencies() -> None:
    names = [d[0] for d in located(PYPROJECT)]
    assert "setuptools" not in names
    assert not any(n.lower().replace("_", "-") == "demo-ml" for n in names)


def test_inline_optional_dependencies_table() -> None:
    text = (
        '[project]\nname = "x"\ndependencies = []\n'
        'optional-dependencies = { train = ["lightning>=2"], serve = ["fastapi==0.110.0"] }\n'
    )
    assert located(text) == [("lightning", 4, 36, False), ("fastapi", 4, 62, True)]


def test_dynamic_dependencies_and_no_project_table() -> None:
    assert located('[project]\nname = "x"\ndynamic = ["dependencies"]\n') == []
    assert located("[tool.black]\nline-length = 100\n") == []


def test_dependency_string_with_marker_and_url() -> None:
    text = (
        '[project]\nname = "x"\ndependencies = [\n'
        "  \"tensorflow==2.16.1; sys_platform != 'darwin'\",\n"
        '  "lib @ git+https://github.com/org/lib.git@main",\n'
        "]\n"
    )
    manifest = parse_pyproject(text, "pyproject.toml")
    assert [(d.name, d.version, d.pinned) for d in manifest.deps] == [
        ("tensorflow", "2.16.1", True),
        ("lib", None, False),
    ]


def test_invalid_toml_is_one_error() -> None:
    manifest = parse_pyproject('[project]\ndependencies = ["numpy"\n', "pyproject.toml")
    assert len(manifest.errors) == 1
    assert manifest.errors[0].path == "pyproject.toml"
    assert manifest.errors[0].message.startswith("not valid TOML")
    assert "\n" not in manifest.errors[0].one_line()


def test_wrong_types_are_errors_not_crashes() -> None:
    text = '[project]\nname = "x"\ndependencies = "numpy"\n[dependency-groups]\ndev = [3]\n'
    manifest = parse_pyproject(text, "pyproject.toml")
    assert [e.message for e in manifest.errors] == [
        "`project.dependencies` must be a list of requirement strings",
        "`dependency-groups.dev`: not a requirement string: 3",
    ]


def test_bad_requirement_string_names_its_line() -> None:
    manifest = parse_pyproject(
        '[project]\nname = "x"\ndependencies = [\n  "not valid !!",\n]\n', "p"
    )
    assert [e.message for e in manifest.errors] == ["line 4: not a valid requirement"]


# -- conda ---------------------------------------------------------------------------------

ENV = """\
name: train
channels:
  - pytorch
  - conda-forge
dependencies:
  - python=3.10
  - pip
  - pytorch::pytorch=2.1.0
  - pytorch-cuda=12.1
  - cudatoolkit=11.8
  - cxx-compiler
  - numpy=1.24
  - scikit-learn==1.3.2
  - py-xgboost>=2.0
  - pandas 2.1.4
  - matplotlib
  - conda-forge::libgcc-ng
  # a comment
  - pip:
      - transformers==4.36.2
      - datasets
      - -e .
"""


def conda(text: str) -> list[tuple[str, int, int, str | None, bool]]:
    manifest = parse_environment(text, "environment.yml")
    assert not manifest.errors, manifest.errors
    return [(d.name, d.line, d.column, d.version, d.pinned) for d in manifest.deps]


def test_environment_packages_pins_and_positions() -> None:
    assert conda(ENV) == [
        ("torch", 8, 5, "2.1.0", True),
        ("numpy", 12, 5, None, False),
        ("scikit-learn", 13, 5, "1.3.2", True),
        ("xgboost", 14, 5, None, False),
        ("pandas", 15, 5, "2.1.4", True),
        ("matplotlib", 16, 5, None, False),
        ("transformers", 20, 9, "4.36.2", True),
        ("datasets", 21, 9, None, False),
    ]


def test_conda_origin_marks_conda_and_pip_entries() -> None:
    manifest = parse_environment(ENV, "environment.yml")
    origins = {d.name: d.origin for d in manifest.deps}
    assert origins["torch"] == "conda"
    assert origins["datasets"] == "conda-pip"


@pytest.mark.parametrize(
    ("spec", "version"),
    [
        ("numpy==1.24", "1.24"),
        ("numpy=1.24.3", "1.24.3"),
        ("numpy=1.24=py310h1234_0", "1.24"),
        ("numpy=1.24.3=py310h1234_0", "1.24.3"),
        ("numpy 1.24.3", "1.24.3"),
        ("numpy 1.24.3 py310_0", "1.24.3"),
        ("conda-forge::numpy==1.26.4", "1.26.4"),
        ("numpy[version='==1.26.4']", "1.26.4"),
    ],
)
def test_conda_exact(spec: str, version: str) -> None:
    parsed = parse_conda_spec(spec)
    assert parsed is not None
    assert parsed[1] == version, parsed


@pytest.mark.parametrize(
    "spec",
    [
        "numpy",
        "numpy=1.24",
        "numpy>=1.20",
        "numpy=1.24.*",
        "numpy 1.24.*",
        "numpy>=1.20,<2",
        "numpy=1.2|1.3",
        "numpy[version='>=1.2']",
        "numpy[build=py310*]",
    ],
)
def test_conda_not_exact(spec: str) -> None:
    parsed = parse_conda_spec(spec)
    assert parsed is not None
    assert parsed[1] is None and parsed[2], parsed


def test_conda_names() -> None:
    assert conda_to_pypi("pytorch") == "torch"
    assert conda_to_pypi("py-xgboost") == "xgboost"
    assert conda_to_pypi("scikit-learn") == "scikit-learn"
    for skipped in (
        "python",
        "cudatoolkit",
        "cuda-nvcc",
        "gxx_linux-64",
        "libcublas",
        "_openmp_mutex",
        "r-base",
        "pytorch-cuda",
        "mkl",
    ):
        assert conda_skipped(skipped), skipped
    for kept in ("numpy", "librosa", "lightgbm", "pytorch"):
        assert not conda_skipped(kept), kept


def test_pip_section_include_is_relative_to_the_environment_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "requirements.txt").write_text("einops\n")
    text = "dependencies:\n  - pip:\n    - -r requirements.txt\n    - -r missing.txt\n"
    manifest = parse_environment(text, "envs/environment.yml")
    assert [(d.path, d.name) for t in manifest.trees for d in t.deps] == [
        ("envs/requirements.txt", "einops")
    ]
    errors = [e.one_line() for t in manifest.trees for e in t.errors]
    assert errors == ["envs/environment.yml: line 4: cannot include envs/missing.txt: no such file"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dependencies:\n  - numpy\n  - [unclosed\n", "not valid YAML"),
        ("name: x\ndependencies: numpy\n", "`dependencies` must be a list"),
        ("- numpy\n- scipy\n", "not a conda environment file"),
        ("dependencies:\n  - pip: numpy\n", "`pip` must be a list"),
        ("dependencies:\n  - '!!! nope'\n", "not a conda package spec"),
    ],
)
def test_broken_environment_files(text: str, message: str) -> None:
    manifest = parse_environment(text, "environment.yml")
    assert len(manifest.errors) == 1, manifest.errors
    assert message in manifest.errors[0].message
    assert "\n" not in manifest.errors[0].one_line()


def test_yaml_error_names_the_line() -> None:
    manifest = parse_environment("dependencies:\n  - numpy\n  - [unclosed\n", "environment.yml")
    assert "(line" in manifest.errors[0].message


def test_empty_environment_and_no_dependencies() -> None:
    assert conda("") == []
    assert conda("name: x\nchannels: [conda-forge]\n") == []


def test_escaped_requirement_string_is_still_located() -> None:
    text = (
        '[project]\nname = "x"\ndependencies = [\n'
        '  "numpy>=1.26",\n'
        '  "tomli>=2; python_version < \\"3.11\\"",\n'
        "]\n"
    )
    assert located(text) == [("numpy", 4, 3, False), ("tomli", 5, 3, False)]
