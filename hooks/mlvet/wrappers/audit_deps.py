"""Dependency records and the pin rules: what counts as an exact version pin.

Pure functions on strings; no third-party imports (ML602 works without safety installed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Origin = Literal["requirements", "constraint", "pyproject", "conda", "conda-pip"]

NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_CLAUSE = re.compile(r"\s*(===|==|~=|!=|<=|>=|<|>)\s*([A-Za-z0-9*+!._-]+)\s*")
_HEX_REV = re.compile(r"[0-9a-fA-F]{7,40}")
_HEX40 = re.compile(r"(?:^|/)[0-9a-fA-F]{40}(?:[/.]|$)")
_HASH_FRAGMENT = re.compile(r"(?:^|[#&])(?:sha1|sha224|sha256|sha384|sha512|md5)=", re.I)
VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")


@dataclass(frozen=True)
class Dependency:
    """One declared dependency at one place (line and column are 1-based)."""

    name: str  # the PyPI name (conda names already mapped)
    path: str
    line: int
    column: int
    text: str  # the requirement as written, on one line
    origin: Origin
    version: str | None = None  # the exact pinned version, if any
    reason: str = ""  # why it is not pinned ("" when pinned)
    url: str | None = None

    @property
    def pinned(self) -> bool:
        return not self.reason


def canonical(name: str) -> str:
    """PEP 503 normalised name: `Scikit_Learn` -> `scikit-learn`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pin_of_specifier(spec: str) -> tuple[str | None, str]:
    """(exact version, reason) for a PEP 440 specifier such as `>=1.0,<2` or `==1.2.3`.

    Exactly one of the two is meaningful: a version when pinned, else the reason.
    """
    spec = spec.strip()
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1].strip()
    if not spec:
        return None, "no version given"
    exact: str | None = None
    for part in spec.split(","):
        m = _CLAUSE.fullmatch(part)
        if not m:
            return None, f"`{spec}` is not a valid version specifier"
        op, version = m.groups()
        if op == "===" or (op == "==" and not version.endswith("*")):
            exact = version
    if exact is not None:
        return exact, ""
    if "==" in spec:
        return None, f"`{spec}` is a wildcard, not an exact version"
    return None, f"`{spec}` allows more than one version"


def is_valid_specifier(spec: str) -> bool:
    spec = spec.strip()
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1].strip()
    return not spec or all(_CLAUSE.fullmatch(p) for p in spec.split(","))


def url_pin_reason(url: str, has_hash: bool = False) -> str:
    """ "" when a URL requirement names one immutable thing (a commit, a hash, a wheel)."""
    if has_hash or _HASH_FRAGMENT.search(url.partition("#")[2]):
        return ""
    lower = url.lower()
    if lower.startswith(VCS_PREFIXES):
        rev = vcs_revision(url)
        if rev is None:
            return "VCS requirement without a revision (pin it to a commit: `@<sha>`)"
        if not _HEX_REV.fullmatch(rev):
            return f"VCS requirement at `{rev}`, a branch or tag that can move (pin a commit)"
        return ""
    path = url.partition("#")[0].partition("?")[0]
    if _HEX40.search(path) or path.lower().endswith(".whl"):
        return ""
    if "files.pythonhosted.org/" in lower:
        return ""
    return "URL requirement without a commit or hash (add `#sha256=...` or pin a commit)"


def vcs_revision(url: str) -> str | None:
    """The `@rev` of `git+https://host/org/repo.git@rev#egg=x`, or None."""
    body = url.partition("#")[0]
    _, sep, rest = body.partition("://")
    if not sep:
        rest = body.split("+", 1)[-1]
    # The host part may hold `user@`; the revision is an `@` in the path.
    slash = rest.find("/")
    path = rest[slash:] if slash >= 0 else ""
    if "@" not in path:
        return None
    rev = path.rsplit("@", 1)[1]
    return rev or None


def egg_name(url: str) -> str | None:
    frag = url.partition("#")[2]
    m = re.search(r"(?:^|&)egg=(" + NAME + r")", frag)
    return m.group(1) if m else None


def name_from_url(url: str) -> str:
    """Best-effort package name for a bare URL requirement."""
    egg = egg_name(url)
    if egg:
        return egg.split("[")[0]
    path = url.partition("#")[0].partition("?")[0].rstrip("/")
    last = path.rsplit("/", 1)[-1]
    if last.endswith(".git"):
        last = last[:-4]
    last = last.split("@")[0]
    for ext in (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar"):
        if last.lower().endswith(ext):
            last = re.split(r"-(?=\d)", last[: -len(ext)], maxsplit=1)[0]
            break
    return last or url


# -- conda -------------------------------------------------------------------------

# conda packages that are not Python distributions on PyPI (interpreters, compilers,
# CUDA and system libraries): neither pinned-checked nor looked up.
CONDA_SKIP = frozenset(
    {
        "python",
        "pip",
        "python-abi",
        "conda",
        "mamba",
        "compilers",
        "c-compiler",
        "cxx-compiler",
        "fortran-compiler",
        "gcc",
        "gxx",
        "gfortran",
        "clang",
        "clangxx",
        "gcc-linux-64",
        "gxx-linux-64",
        "gfortran-linux-64",
        "clang-osx-64",
        "make",
        "cudatoolkit",
        "cudatoolkit-dev",
        "cuda-toolkit",
        "cuda",
        "cuda-version",
        "cudnn",
        "nccl",
        "cutensor",
        "magma",
        "magma-cuda",
        "pytorch-cuda",
        "pytorch-mutex",
        "cpuonly",
        "blas",
        "openblas",
        "mkl",
        "mkl-service",
        "mkl-include",
        "mkl-devel",
        "intel-openmp",
        "llvm-openmp",
        "tbb",
        "openssl",
        "ca-certificates",
        "zlib",
        "xz",
        "tk",
        "readline",
        "sqlite",
        "ncurses",
        "bzip2",
        "zstd",
        "lz4-c",
        "ffmpeg",
        "git",
        "git-lfs",
        "nodejs",
        "openjdk",
        "r-base",
        "hdf5",
        "jpeg",
        "libpng",
        "libtiff",
        "pkg-config",
        "ld-impl-linux-64",
        "tzdata",
        "arrow-cpp",
        "libprotobuf",
        "graphviz",
        "cmake",
        "ninja",
        "nvidia-apex",
        "openmpi",
        "mpich",
        "ucx",
        "glib",
        "cairo",
        "pango",
        "harfbuzz",
        "freetype",
        "fontconfig",
        "icu",
        "expat",
        "pcre",
        "pcre2",
        "gettext",
        "krb5",
        "c-ares",
        "curl",
        "libiconv",
        "libxml2",
        "libcurl",
        "libedit",
        "libsodium",
        "libzlib",
        "yaml",
        "gmp",
        "mpfr",
        "boost",
        "boost-cpp",
        "eigen",
        "openmp",
        "gflags",
        "glog",
        "onednn",
    }
)
CONDA_SKIP_PREFIXES = (
    "cuda-",
    "libcu",
    "libnv",
    "libnpp",
    "r-",
    "libgcc",
    "libstdcxx",
    "libgomp",
    "libblas",
    "libcblas",
    "liblapack",
    "libopenblas",
    "libffi",
    "libzlib",
    "libuuid",
    "libsqlite",
    "libgfortran",
    "libjpeg",
    "libopencv",
    "libtorch",
    "libxgboost",
    "liblightgbm",
    "libarrow",
    "libgrpc",
    "libabseil",
    "libblas",
    "libhwloc",
)

# conda name -> PyPI name, where they differ.
CONDA_TO_PYPI = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "pytorch-gpu": "torch",
    "py-xgboost": "xgboost",
    "py-xgboost-cpu": "xgboost",
    "py-xgboost-gpu": "xgboost",
    "py-opencv": "opencv-python",
    "opencv": "opencv-python",
    "python-graphviz": "graphviz",
    "matplotlib-base": "matplotlib",
    "numpy-base": "numpy",
    "tensorflow-base": "tensorflow",
    "tensorflow-gpu": "tensorflow",
    "msgpack-python": "msgpack",
    "pytables": "tables",
    "pyqt": "PyQt5",
    "ray-core": "ray",
    "ray-default": "ray",
    "ray-tune": "ray",
    "pyyaml": "PyYAML",
    "py-lightgbm": "lightgbm",
    "libfaiss": "faiss-cpu",
    "faiss": "faiss-cpu",
}


def conda_skipped(name: str) -> bool:
    c = canonical(name)
    return c in CONDA_SKIP or c.startswith(CONDA_SKIP_PREFIXES) or name.startswith("_")


def conda_to_pypi(name: str) -> str:
    return CONDA_TO_PYPI.get(canonical(name), name)


_CONDA_SPEC = re.compile(
    r"(?:(?P<channel>[^\s:]+)::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.\-]*)\s*"
    r"(?:\[(?P<opts>[^\]]*)\])?\s*(?P<rest>.*)"
)


def parse_conda_spec(spec: str) -> tuple[str, str | None, str] | None:
    """(conda name, exact version, reason) for a conda match spec, or None if unreadable.

    conda reads `numpy=1.24` as the prefix `1.24.*`, so a single `=` pins only with a
    full `x.y.z` version or a build string; `==1.24`, `numpy 1.24.3` and
    `numpy=1.24.3=py310_0` are exact.
    """
    m = _CONDA_SPEC.fullmatch(spec.strip())
    if not m:
        return None
    name, rest = m.group("name"), m.group("rest").strip()
    opts = m.group("opts") or ""
    if not rest and opts:
        vm = re.search(r"version\s*=\s*['\"]?([^'\",\]]+)", opts)
        rest = "==" + vm.group(1).strip() if vm else ""
        if vm and vm.group(1).strip()[:1] in "<>=!~":
            rest = vm.group(1).strip()
    if not rest:
        return name, None, "no version given"
    if rest.startswith("==") and not rest.startswith("==="):
        version = rest[2:].strip().split("=")[0].split()[0] if rest[2:].strip() else ""
        if version and _plain_version(version):
            return name, version, ""
        return name, None, f"`{rest}` is not an exact version"
    if rest.startswith("=") and not rest.startswith("=="):
        version, _, build = rest[1:].partition("=")
        version = version.strip()
        if _plain_version(version) and (build.strip() or version.count(".") >= 2):
            return name, version, ""
        return name, None, f"`={version}` is a prefix match in conda (use `=={version}` or x.y.z)"
    if rest[0].isdigit():
        version = rest.split()[0]
        if _plain_version(version):
            return name, version, ""
        return name, None, f"`{version}` allows more than one version"
    return name, None, f"`{rest}` allows more than one version"


def _plain_version(version: str) -> bool:
    return bool(re.fullmatch(r"[0-9][0-9A-Za-z.+!_-]*", version)) and "*" not in version
