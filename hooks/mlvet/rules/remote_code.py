"""Remote code and unpinned downloads (ML106-ML108).

`trust_remote_code=True` and `torch.hub.load` run Python fetched from a repository at
run time; a hub download without a pinned revision gets whatever was pushed last.
"""

from __future__ import annotations

import ast
import re

from mlvet.registry import Rule
from mlvet.rules.base import CallSite, Checker
from mlvet.rules.callargs import (
    Arg,
    callee_text,
    dict_entry,
    find_arg,
    is_falsy_constant,
    is_true_constant,
    string_value,
)
from mlvet.rules.starimports import StarImportChecker
from mlvet.rules.textgate import IMPORTED, REST_OF_LINE, Gate, around_imports

# -- ML106: trust_remote_code -----------------------------------------------------------

_TRC = "trust_remote_code"
_TRC_FIX = (
    "Drop trust_remote_code=True (use a model supported natively), or review the repo's "
    "code and pin revision= to that commit."
)


def _trc_message(subject: str, value: ast.expr) -> str:
    shown = repr(value.value) if isinstance(value, ast.Constant) else "<expression>"
    return (
        f"{subject} with trust_remote_code={shown} downloads and runs Python code from the "
        "model repository; use a natively supported model, or review the code and pin "
        "revision= to a commit"
    )


class TrustRemoteCode(Checker):
    codes = ("ML106",)
    pattern = Gate(
        (_TRC,),
        (
            # keyword use (`def f(trust_remote_code=False)` defaults are no call; a
            # conditional `False if x else True` is not the literal) ...
            rf"{_TRC}\s*=(?!=)\s*(?!(?:False|None)\s*[,)#])",
            # ... or a dict key
            rf"{_TRC}['\"]\s*:",
        ),
    )
    fragment_words = ("trust_remote_code",)
    node_types = (ast.Dict,)

    def on_call(self, call: CallSite) -> None:
        for kw in call.node.keywords:
            value: ast.expr | None = None
            if kw.arg == _TRC:
                value = kw.value
            elif kw.arg is None and isinstance(kw.value, ast.Dict):
                value = dict_entry(kw.value, _TRC)
            if value is not None and not is_falsy_constant(value):
                self.ctx.report(
                    "ML106", call.node, _trc_message(f"`{callee_text(call)}()`", value), _TRC_FIX
                )
                return

    def on_node(self, node: ast.AST) -> None:
        # A kwargs dict built for later: `model_kwargs={"trust_remote_code": True}`.
        assert isinstance(node, ast.Dict)
        parent = self.ctx.stack[-1] if self.ctx.stack else None
        if isinstance(parent, ast.keyword) and parent.arg is None:
            return  # `**{...}` is the call's own keyword, reported by on_call
        value = dict_entry(node, _TRC)
        if value is None or is_falsy_constant(value):
            return
        # Passed straight to a call (`model_kwargs={...}`): point at that call.
        stack = self.ctx.stack
        where: ast.AST = node
        if isinstance(parent, ast.Call):
            where = parent
        elif isinstance(parent, ast.keyword) and len(stack) > 1 and isinstance(stack[-2], ast.Call):
            where = stack[-2]
        self.ctx.report("ML106", where, _trc_message("A kwargs dict", value), _TRC_FIX)


# -- ML107: torch.hub.load --------------------------------------------------------------

_HUB_CALLS = {  # qualname -> keyword name of the repo argument
    "torch.hub.load": "repo_or_dir",
    "torch.hub.list": "github",
    "torch.hub.help": "github",
}
_HEX_REF = re.compile(r"[0-9a-fA-F]{7,40}")
_BRANCHES = frozenset(
    {
        "main",
        "master",
        "dev",
        "develop",
        "development",
        "trunk",
        "head",
        "stable",
        "latest",
        "nightly",
        "release",
        "default",
        "staging",
        "next",
        "canary",
        "edge",
    }
)
_GITHUB_REPO = re.compile(r"[\w.-]+/[\w.-]+")
_HUB_FIX = (
    'Pin the repo to a release tag or commit ("owner/repo:v1.2.0"), review its '
    "hubconf.py, and do not pass trust_repo=True."
)


def ref_is_pinned(ref: str) -> bool:
    """A commit hash or a tag; branch names (and anything shaped like one) are not.

    Tags are recognised by carrying a version number ("v0.10.0", "1.4", "r2.1"); a ref
    with no digit ("main", "feature-x") or a slash ("feature/x") names a branch.
    """
    if _HEX_REF.fullmatch(ref):
        return True
    if ref.lower() in _BRANCHES or "/" in ref:
        return False
    return any(ch.isdigit() for ch in ref)


class TorchHubLoad(StarImportChecker):
    codes = ("ML107",)
    pattern = Gate(
        ("hub",),
        (
            r"hub\s*\.\s*(?:load|list|help)\b",
            ("torch", around_imports(r"from\s+torch\.hub\s+import\b")),
            ("torch", around_imports(r"import\s+torch\.hub\s+as\s")),
            ("torch", around_imports(rf"from\s+torch\s+import\s*{IMPORTED}\bhub\b")),
        ),
        # Every spelling of torch.hub names torch somewhere (an import, or torch itself);
        # asked by other gates anyway, so "hub" (in every github URL) is scanned for less.
        requires=("torch",),
    )
    fragment_words = ("hub",)

    def on_call(self, call: CallSite) -> None:
        qual = call.qualname or self.stars.qualname(self.ctx, call.node.func)
        if qual not in _HUB_CALLS:
            return
        problems: list[str] = []
        source = find_arg(call, "source")
        local = source.state == "given" and string_value(source.node) == "local"
        repo = string_value(find_arg(call, _HUB_CALLS[qual], 0).node)
        if not local and repo is not None and _looks_like_github(repo):
            name, _, ref = repo.partition(":")
            if not ref:
                problems.append(f'"{name}" is not pinned to a tag or commit')
            elif not ref_is_pinned(ref):
                problems.append(f'"{repo}" follows the branch "{ref}", not a tag or commit')
        trust = find_arg(call, "trust_repo")
        if not local and trust.state == "given" and is_true_constant(trust.node):
            problems.append("trust_repo=True skips the prompt before running its code")
        if problems:
            unpinned = len(problems) > 1 or not problems[0].startswith("trust_repo")
            advice = (
                'pin "owner/repo:<tag or commit>" and review the code first'
                if unpinned
                else 'review the code and leave trust_repo at "check"'
            )
            self.ctx.report(
                "ML107",
                call.node,
                f"`{qual}()` imports and runs the repo's hubconf.py: "
                + "; ".join(problems)
                + f"; {advice}",
                _HUB_FIX,
            )


def _looks_like_github(repo: str) -> bool:
    if repo.startswith((".", "/", "~", "\\")) or re.match(r"[A-Za-z]:[\\/]", repo):
        return False
    return _GITHUB_REPO.fullmatch(repo.partition(":")[0]) is not None


# -- ML108: unpinned Hugging Face downloads ---------------------------------------------

# A repo id as the Hub spells it: one slash, letters, digits, "-", "_", ".".
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
# Path components that mean a local folder, not an organisation on the Hub.
_LOCAL_DIRS = frozenset(
    {
        "output",
        "outputs",
        "out",
        "checkpoint",
        "checkpoints",
        "ckpt",
        "ckpts",
        "model",
        "models",
        "saved_model",
        "saved_models",
        "results",
        "runs",
        "tmp",
        "temp",
        "logs",
        "data",
        "weights",
        "artifacts",
        "exp",
        "experiments",
        "save",
        "saves",
        "cache",
        "local",
        "build",
        "dist",
        "lora",
        "adapters",
        "finetuned",
        "trained",
        "tokenizer",
        "tokenizers",
        "pretrained",
        "pretrained_models",
        "assets",
        "resources",
    }
)
# Words that, as one "-"/"_"-separated part of the first component, mark a folder a
# training script wrote ("output_dir", "trained_models", "lightning_logs"). Words that
# real Hub organisations use ("onnx-community", "peft-internal-testing") are left out.
_LOCAL_WORDS = frozenset(
    {
        "output",
        "outputs",
        "dir",
        "dirs",
        "ckpt",
        "ckpts",
        "checkpoint",
        "checkpoints",
        "save",
        "saved",
        "saves",
        "logs",
        "mlruns",
        "runs",
        "cache",
        "tmp",
        "temp",
        "trained",
        "finetuned",
        "merged",
        "export",
        "exports",
        "model",
        "models",
        "dataset",
        "datasets",
        "training",
        "work",
    }
)
_LOCAL_NAME = re.compile(
    r"(?:checkpoint|ckpt|epoch|step|iter|version|run)[-_=]?\d+|\d+"
    r"|(?:final|best|last|latest|merged)(?:[-_](?:model|ckpt|checkpoint|adapter))?",
    re.IGNORECASE,
)
_FILE_SUFFIX = re.compile(
    r"\.(?:py|json|jsonl|txt|csv|tsv|bin|pt|pth|ckpt|safetensors|h5|hdf5|pkl|pickle|npy|"
    r"npz|onnx|gguf|ggml|parquet|arrow|yaml|yml|zip|tar|gz|bz2|xz|model|msgpack|keras|tflite)$",
    re.IGNORECASE,
)


def is_hub_id(text: str) -> bool:
    """ "org/name" as the Hub names repos; local paths and file names are not hub ids.

    Single names ("gpt2", "bert-base-uncased") are left alone: they cannot be told apart
    from a local folder, and the Hub now serves them from an organisation anyway.
    """
    if not _HUB_ID.fullmatch(text) or ".." in text:
        return False
    org, name = text.split("/")
    if org.lower() in _LOCAL_DIRS or not _LOCAL_WORDS.isdisjoint(re.split(r"[-_]", org.lower())):
        return False
    return not (_LOCAL_NAME.fullmatch(name) or _FILE_SUFFIX.search(name))


# How each download API takes the repo id: (positional index, keyword names).
_ID_ARGS: dict[str, tuple[int, tuple[str, ...]]] = {
    "from_pretrained": (
        0,
        (
            "pretrained_model_name_or_path",
            "pretrained_model_or_path",
            "model_name_or_path",
            "model_id",
            "repo_id",
        ),
    ),
    "snapshot_download": (0, ("repo_id",)),
    "hf_hub_download": (0, ("repo_id",)),
    "load_dataset": (0, ("path",)),
    "pipeline": (1, ("model",)),
    "SentenceTransformer": (0, ("model_name_or_path",)),
    "CrossEncoder": (0, ("model_name", "model_name_or_path")),
}
# Names that belong to one library: an unrelated function of the same name (a local
# `def pipeline`) must not count.
_OWNERS = {
    "load_dataset": ("datasets.",),
    "pipeline": ("transformers.",),
    "SentenceTransformer": ("sentence_transformers.",),
    "CrossEncoder": ("sentence_transformers.",),
}
_HUB_NAMES = "|".join(_ID_ARGS)
# Argument text before the id inside a call: anything but parentheses, or balanced
# groups nested two deep (`device=torch.device("cuda")`, a model built inline).
_CALL_PREFIX = r"(?:[^()]|\((?:[^()]|\([^()]{0,500}\)){0,500}\)){0,1500}?"
_ID_TEXT = r"[A-Za-z0-9][\w.-]*/[\w.-]+"
_REV_FIX = (
    'Pass revision="<commit sha>" (the 40-hex commit from the model page) so every run '
    "downloads the same, reviewed files."
)


class UnpinnedHubDownload(Checker):
    codes = ("ML108",)
    pattern = Gate(
        (
            "pretrained",
            "_download",
            "load_dataset",
            "pipeline",
            "SentenceTransformer",
            "CrossEncoder",
        ),
        # The id must be a literal argument (a variable id is not flagged): the name, an
        # opening parenthesis, then within the call an "org/name" string.
        (
            *((name, rf"{name}\s*\({_CALL_PREFIX}['\"]{_ID_TEXT}['\"]") for name in _ID_ARGS),
            (
                tuple(_ID_ARGS),
                around_imports(rf"import\s{REST_OF_LINE}\b(?:{_HUB_NAMES})\s+as\s"),
            ),
        ),
        skip_docstrings=True,
    )
    fragment_words = tuple(_ID_ARGS)

    def on_call(self, call: CallSite) -> None:
        api = self._api(call)
        if api is None:
            return
        index, names = _ID_ARGS[api]
        repo = self._repo_id(call, index, names)
        if repo is None or not is_hub_id(repo):
            return
        offline = find_arg(call, "local_files_only")
        if offline.state == "given" and is_true_constant(offline.node):
            return  # reads the local cache only: nothing is downloaded
        revision = find_arg(call, "revision")
        problem = _revision_problem(revision)
        if problem is None:
            return
        self.ctx.report(
            "ML108",
            call.node,
            f'`{callee_text(call)}()` downloads "{repo}" from the Hugging Face Hub '
            f"{problem}, so each run may get different (or tampered) files; pin "
            "revision= to a commit hash",
            _REV_FIX,
        )

    def _api(self, call: CallSite) -> str | None:
        name = call.name
        qual = call.qualname
        if qual is not None:
            name = qual.rpartition(".")[2]  # `from transformers import pipeline as p`
        if name not in _ID_ARGS:
            return None
        owners = _OWNERS.get(name)
        if owners is None:
            return name  # from_pretrained on any class, hub download helpers
        if qual is not None:
            return name if qual.startswith(owners) else None
        func = call.node.func
        # Unresolved: only a bare name that nothing in the file defines (notebook cells
        # whose imports live elsewhere).
        if isinstance(func, ast.Name) and func.id not in self.ctx.bound:
            return name
        return None

    def _repo_id(self, call: CallSite, index: int, names: tuple[str, ...]) -> str | None:
        for kw in names:
            arg = find_arg(call, kw)
            if arg.state == "given":
                return string_value(arg.node)
        arg = find_arg(call, "", index)
        value = string_value(arg.node) if arg.state == "given" else None
        if value is None and call.name == "from_pretrained" and index == 0:
            # PeftModel.from_pretrained(base_model, "org/adapter")
            second = find_arg(call, "", 1)
            value = string_value(second.node) if second.state == "given" else None
        return value


def _revision_problem(revision: Arg) -> str | None:
    if revision.state == "unknown":
        return None
    if revision.state == "absent":
        return "without revision="
    text = string_value(revision.node)
    if text is None:
        if isinstance(revision.node, ast.Constant):
            return f"with revision={revision.node.value!r}"
        return None  # an expression: a pin chosen elsewhere
    if _HEX_REF.fullmatch(text):
        return None
    return f'with revision="{text}", a branch or tag that can move'


# -- catalogue --------------------------------------------------------------------------

RULES: list[Rule] = [
    Rule(
        code="ML106",
        name="trust-remote-code",
        severity="error",
        summary="`trust_remote_code=True` runs Python code from a model repository",
        what=(
            "Flags any call passing `trust_remote_code` with a value other than a literal "
            "False/None (a variable is flagged: it can be True), including "
            '`**{"trust_remote_code": True}` and kwargs dicts such as '
            '`model_kwargs={"trust_remote_code": True}`.'
        ),
        why=(
            "With trust_remote_code the library imports modelling code shipped in the repo "
            "and runs it with your privileges. Anyone who can push to that repo, or "
            "typosquat its name, gets code execution on every machine that loads it."
        ),
        bad=(
            "from transformers import AutoModelForCausalLM\n"
            "\n"
            "model = AutoModelForCausalLM.from_pretrained(\n"
            '    "acme-ai/chat-7b", trust_remote_code=True\n'
            ")\n"
        ),
        good=(
            "from transformers import AutoModelForCausalLM\n"
            "\n"
            "model = AutoModelForCausalLM.from_pretrained(\n"
            '    "acme-ai/chat-7b", revision="a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4"\n'
            ")\n"
        ),
        fix=_TRC_FIX,
        references=(
            "https://huggingface.co/docs/transformers/en/models#custom-models",
            "https://huggingface.co/docs/hub/security",
            "https://cwe.mitre.org/data/definitions/94.html",
        ),
        security_severity=8.8,
        tags=("security", "remote-code", "CWE-94"),
    ),
    Rule(
        code="ML107",
        name="torch-hub-load",
        severity="error",
        summary="`torch.hub.load` of a GitHub repo not pinned to a tag or commit, "
        "or with `trust_repo=True`",
        what=(
            "Flags `torch.hub.load`, `torch.hub.list` and `torch.hub.help` of a GitHub "
            'repo "owner/repo[:ref]" with no ref or a branch ref (main, master, dev, '
            "...), and any of them with `trust_repo=True`. A ref is pinned when it is a "
            'commit hash or a tag (a version such as v0.10.0). `source="local"` is not '
            "checked. Severity is error: the call executes code fetched at run time."
        ),
        why=(
            "torch.hub imports the repo's hubconf.py, so the call runs whatever the branch "
            "holds today. An unpinned ref makes the code (and the weights it downloads) "
            "change under you; trust_repo=True also removes the confirmation prompt."
        ),
        bad=(
            "import torch\n"
            "\n"
            'model = torch.hub.load("ultralytics/yolov5", "yolov5s", trust_repo=True)\n'
        ),
        good=(
            "import torch\n"
            "\n"
            'model = torch.hub.load("pytorch/vision:v0.17.0", "resnet50", '
            'weights="DEFAULT")\n'
        ),
        fix=_HUB_FIX,
        references=(
            "https://pytorch.org/docs/stable/hub.html",
            "https://cwe.mitre.org/data/definitions/494.html",
        ),
        security_severity=7.5,
        tags=("security", "remote-code", "supply-chain", "CWE-494"),
    ),
    Rule(
        code="ML108",
        name="unpinned-hub-download",
        severity="warning",
        summary='Hugging Face Hub download of an "org/name" id without a pinned `revision=`',
        what=(
            "Flags `from_pretrained` (any class), `snapshot_download`, `hf_hub_download`, "
            '`load_dataset`, `pipeline(model=...)` / `pipeline(task, "org/model")` and '
            "sentence-transformers `SentenceTransformer`/`CrossEncoder` when the repo is an "
            '"org/name" string literal and `revision=` is missing or names a branch or tag '
            '("main", "v1.0"). A commit hash (7-40 hex characters) or an expression '
            'counts as pinned. Local paths ("./ckpt", "/abs", "~/x", `Path(...)`), '
            'relative folders a training script writes ("output_dir/final_model", '
            '"checkpoints/best", "lightning_logs/version_0": when unsure, stay silent), '
            "variables, calls with `local_files_only=True` and single-word ids such as "
            '"gpt2" (indistinguishable from a local folder) are not flagged.'
        ),
        why=(
            "A branch is a moving target: a new push changes the weights, tokenizer or "
            "dataset your results depend on, and a compromised account can replace them. "
            "Pinning a commit makes runs reproducible and the download reviewable."
        ),
        bad=(
            "from transformers import AutoModel, AutoTokenizer\n"
            "\n"
            'tok = AutoTokenizer.from_pretrained("google-bert/bert-base-uncased")\n'
            'model = AutoModel.from_pretrained("google-bert/bert-base-uncased", '
            'revision="main")\n'
        ),
        good=(
            "from transformers import AutoModel, AutoTokenizer\n"
            "\n"
            'REV = "a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4"\n'
            'tok = AutoTokenizer.from_pretrained("google-bert/bert-base-uncased", '
            "revision=REV)\n"
            'model = AutoModel.from_pretrained("./finetuned/bert")\n'
        ),
        fix=_REV_FIX,
        references=(
            "https://huggingface.co/docs/huggingface_hub/guides/download",
            "https://huggingface.co/docs/transformers/main_classes/model#transformers."
            "PreTrainedModel.from_pretrained",
            "https://cwe.mitre.org/data/definitions/829.html",
        ),
        security_severity=5.3,
        tags=("security", "supply-chain", "reproducibility", "CWE-829"),
    ),
]

CHECKERS: list[type[Checker]] = [TrustRemoteCode, TorchHubLoad, UnpinnedHubDownload]
