"""Rules of the dependency audit (`mlvet audit`): ML601 vulnerable, ML602 unpinned."""

from __future__ import annotations

from mlvet.registry import Rule

ML601 = Rule(
    code="ML601",
    name="vulnerable-dependency",
    severity="error",
    summary="a pinned dependency has a known vulnerability (safety database)",
    what=(
        "Looks up every exactly pinned dependency (requirements files, pyproject.toml, "
        "conda environment.yml) in safety's vulnerability database and reports each "
        "advisory that covers the pinned version, with the advisory id, the affected "
        "range and the first fixed version. The finding's source is `safety`."
    ),
    why=(
        "ML projects pin old versions for reproducibility and then keep them for years. "
        "Libraries such as transformers, torch, mlflow, gradio or Pillow regularly ship "
        "fixes for remote code execution, path traversal and unsafe deserialization; a "
        "pinned vulnerable version installs the bug on every machine that builds the project."
    ),
    bad="# requirements.txt\nmlflow==2.9.2\ntransformers==4.30.0\n",
    good="# requirements.txt\nmlflow==2.20.3\ntransformers==4.48.0\n",
    fix="upgrade to the first fixed version named in the finding (and re-lock)",
    references=(
        "https://github.com/pyupio/safety-db",
        "https://docs.safetycli.com/",
        "https://cwe.mitre.org/data/definitions/1395.html",
    ),
    example_kind="none",
    security_severity=7.5,
    tags=("security", "dependencies", "supply-chain"),
)

ML602 = Rule(
    code="ML602",
    name="unpinned-dependency",
    severity="warning",
    summary="a dependency without an exact version pin (`==x.y.z`, `===`, or a commit)",
    what=(
        "Reports dependencies declared without an exact pin: no version, a range "
        "(`>=`, `~=`, `<`), a wildcard (`==1.*`), a conda prefix match (`numpy=1.24`), or a "
        "URL/VCS requirement not pinned to a commit or hash. A requirement pinned by a "
        "constraints file (`-c`) of the same requirements file counts as pinned."
    ),
    why=(
        "An unpinned dependency resolves to whatever is newest on the day of the install: "
        "a training run cannot be reproduced, results drift silently between machines, "
        "and a compromised or broken release is picked up without review."
    ),
    bad="# requirements.txt\ntorch>=2.0\nscikit-learn\ngit+https://github.com/org/lib.git@main\n",
    good=(
        "# requirements.txt\ntorch==2.3.1\nscikit-learn==1.5.0\n"
        "lib @ git+https://github.com/org/lib.git@3f2c1e9a7b5d4c3e2f1a0b9c8d7e6f5a4b3c2d1e\n"
    ),
    fix="pin an exact version (`name==x.y.z`), or pin it in a constraints or lock file",
    references=(
        "https://pip.pypa.io/en/stable/topics/repeatable-installs/",
        "https://packaging.python.org/en/latest/specifications/version-specifiers/",
        "https://docs.conda.io/projects/conda-build/en/latest/resources/package-spec.html",
    ),
    example_kind="none",
    tags=("reproducibility", "dependencies"),
)

RULES: list[Rule] = [ML601, ML602]
