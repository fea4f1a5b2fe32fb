"""Property tests: the dependency parsers never raise, whatever the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from mlvet.wrappers.audit_deps import parse_conda_spec, pin_of_specifier, url_pin_reason
from mlvet.wrappers.audit_manifests import parse_environment, parse_pyproject
from mlvet.wrappers.audit_requirements import parse_requirements_text

# Text biased towards the characters these formats care about.
ALPHABET = st.sampled_from([*"abcnumpy019.=<>~!*,;@#[]()-_ \\\n\t'\"/:+$", "\r\n", "git+"])
TEXT = st.lists(ALPHABET, max_size=120).map("".join) | st.text(max_size=120)


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_requirements_parser_total(text: str) -> None:
    parsed = parse_requirements_text(text, "requirements.txt")
    lines = max(1, len(text.splitlines()))
    for dep in parsed.deps:
        assert 1 <= dep.line <= lines
        assert dep.pinned == (dep.reason == "")
        assert "\n" not in dep.reason
    for number, message in parsed.problems:
        assert 1 <= number <= lines and "\n" not in message.replace("\\n", "")


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_spec_helpers_total(text: str) -> None:
    version, reason = pin_of_specifier(text)
    assert (version is None) != (reason == "")
    url_pin_reason(text)
    parsed = parse_conda_spec(text)
    if parsed is not None:
        _, conda_version, conda_reason = parsed
        assert (conda_version is None) != (conda_reason == "")


@settings(max_examples=100, deadline=None)
@given(TEXT)
def test_manifest_parsers_total(text: str) -> None:
    for manifest in (
        parse_pyproject(text, "pyproject.toml"),
        parse_environment(text, "environment.yml"),
    ):
        for error in manifest.errors:
            assert error.path in ("pyproject.toml", "environment.yml")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "numpy",
                "torch>=2",
                "'pandas==2.2.2'",
                '"x @ git+https://h/o/r@v1"',
                "{include-group = 'a'}",
                "3",
                "[1]",
            ]
        ),
        max_size=6,
    )
)
def test_pyproject_lists_of_anything(items: list[str]) -> None:
    text = f'[project]\nname = "p"\ndependencies = [{", ".join(items)}]\n'
    manifest = parse_pyproject(text, "pyproject.toml")
    assert len(manifest.deps) + len(manifest.errors) <= len(items) + 1
