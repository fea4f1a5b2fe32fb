"""The ML credential detectors: vendor token formats and the contexts of prefix-less keys.

Prefix detectors carry literal anchors: a file is searched with a regex only when one
of its anchors occurs in the text, which is what keeps a scan of a whole tree fast.
Keys without a prefix (W&B, Kaggle, Comet, Cohere, Mistral, Azure OpenAI...) are only
recognised through a vendor context (see secrets_context), never by shape alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mlvet.wrappers.secrets_filters import is_hex_key, is_uuid, looks_random, mixed_case_or_digits

# A token never continues into these characters; base64 blobs (image data in notebook
# outputs) are made of them, so a chance "AIza..." inside a blob is not a match.
_B = r"(?<![A-Za-z0-9+/_\-])"
_E = r"(?![A-Za-z0-9+/_\-])"


@dataclass(frozen=True)
class Detector:
    slug: str  # kebab-case, the finding's name
    label: str  # human name in messages
    anchors: tuple[str, ...]  # at least one must occur in the text (case-sensitive)
    pattern: re.Pattern[str]  # the token is group "secret"
    check: Callable[[str], bool]  # shape check on the whole token
    revoke: str  # where to revoke it


def _rx(body: str) -> re.Pattern[str]:
    return re.compile(_B + "(?P<secret>" + body + ")" + _E)


def _random_after(prefix_len: int) -> Callable[[str], bool]:
    def check(token: str) -> bool:
        body = token[prefix_len:]
        return looks_random(body) and mixed_case_or_digits(body)

    return check


def _any(token: str) -> bool:
    return True


PREFIX_DETECTORS: tuple[Detector, ...] = (
    Detector(
        "hugging-face-token",
        "Hugging Face token",
        ("hf_",),
        _rx(r"hf_[A-Za-z0-9]{30,40}"),
        _random_after(3),
        "https://huggingface.co/settings/tokens",
    ),
    Detector(
        "hugging-face-token",
        "Hugging Face organization token",
        ("api_org_",),
        _rx(r"api_org_[A-Za-z0-9]{30,40}"),
        _random_after(8),
        "https://huggingface.co/settings/tokens",
    ),
    Detector(
        "anthropic-api-key",
        "Anthropic API key",
        ("sk-ant-",),
        _rx(r"sk-ant-(?:api|admin|sid|oat)\d{2}-[A-Za-z0-9_\-]{32,120}"),
        _random_after(14),
        "https://console.anthropic.com/settings/keys",
    ),
    Detector(
        "openrouter-api-key",
        "OpenRouter API key",
        ("sk-or-",),
        _rx(r"sk-or-v1-[0-9a-f]{64}"),
        _random_after(9),
        "https://openrouter.ai/keys",
    ),
    Detector(
        "openai-api-key",
        "OpenAI project key",
        ("sk-proj-", "sk-svcacct-", "sk-admin-"),
        _rx(r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,200}"),
        lambda t: _random_after(t.index("-", 3) + 1)(t),
        "https://platform.openai.com/api-keys",
    ),
    Detector(
        "openai-api-key",
        "OpenAI API key",
        ("sk-",),
        _rx(r"sk-[A-Za-z0-9]{48}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"),
        _random_after(3),
        "https://platform.openai.com/api-keys",
    ),
    Detector(
        "groq-api-key",
        "Groq API key",
        ("gsk_",),
        _rx(r"gsk_[A-Za-z0-9]{48,56}"),
        _random_after(4),
        "https://console.groq.com/keys",
    ),
    Detector(
        "replicate-api-token",
        "Replicate API token",
        ("r8_",),
        _rx(r"r8_[A-Za-z0-9]{30,45}"),
        _random_after(3),
        "https://replicate.com/account/api-tokens",
    ),
    Detector(
        "together-api-key",
        "Together AI API key",
        ("tgp_v1_",),
        _rx(r"tgp_v1_[A-Za-z0-9_\-]{40,48}"),
        _random_after(7),
        "https://api.together.ai/settings/api-keys",
    ),
    Detector(
        "langsmith-api-key",
        "LangSmith API key",
        ("lsv2_", "ls__"),
        _rx(r"lsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10}|ls__[0-9a-f]{32}"),
        lambda t: is_hex_key(
            t.replace("lsv2_pt_", "").replace("lsv2_sk_", "").replace("ls__", "").replace("_", "")
        ),
        "https://smith.langchain.com/settings",
    ),
    Detector(
        "pinecone-api-key",
        "Pinecone API key",
        ("pcsk_",),
        _rx(r"pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{40,90}"),
        _random_after(5),
        "https://app.pinecone.io",
    ),
    Detector(
        "google-api-key",
        "Google AI Studio (Gemini) API key",
        ("AIza",),
        _rx(r"AIza[0-9A-Za-z_\-]{35}"),
        _random_after(4),
        "https://aistudio.google.com/app/apikey",
    ),
    Detector(
        "neptune-api-token",
        "Neptune API token",
        ("eyJhcGlfYWRkcmVzcyI6",),
        re.compile(
            _B + r"(?P<secret>eyJhcGlfYWRkcmVzcyI6[A-Za-z0-9+/]{40,600}={0,2})"
            r"(?![A-Za-z0-9+/=])"
        ),
        _any,
        "https://app.neptune.ai (user menu > Get your API token)",
    ),
    Detector(
        "wandb-api-key",
        "Weights & Biases API key",
        ("wandb_v1_",),
        _rx(r"wandb_v1_[A-Za-z0-9]{20,40}_[A-Za-z0-9]{40,60}"),
        _random_after(9),
        "https://wandb.ai/authorize",
    ),
    Detector(
        "kaggle-api-key",
        "Kaggle API token",
        ("KGAT_",),
        _rx(r"KGAT_[A-Za-z0-9]{32,64}"),
        _random_after(5),
        "https://www.kaggle.com/settings (API > Expire token)",
    ),
    Detector(
        "xai-api-key",
        "xAI API key",
        ("xai-",),
        _rx(r"xai-[A-Za-z0-9]{70,90}"),
        _random_after(4),
        "https://console.x.ai",
    ),
    Detector(
        "perplexity-api-key",
        "Perplexity API key",
        ("pplx-",),
        _rx(r"pplx-[A-Za-z0-9]{48}"),
        _random_after(5),
        "https://www.perplexity.ai/settings/api",
    ),
)


@dataclass(frozen=True)
class Vendor:
    """A service whose keys are recognised from the name or call they sit in."""

    slug: str
    label: str
    # Matched against the lowercased variable / key / call name.
    words: re.Pattern[str]
    value_ok: Callable[[str], bool]
    revoke: str


_B62 = re.compile(r"[A-Za-z0-9]+")
_B64ISH = re.compile(r"[A-Za-z0-9_\-]+")


def _base62(lo: int, hi: int) -> Callable[[str], bool]:
    def ok(v: str) -> bool:
        return (
            lo <= len(v) <= hi
            and _B62.fullmatch(v) is not None
            and looks_random(v)
            and mixed_case_or_digits(v)
        )

    return ok


def _wandb_ok(v: str) -> bool:
    if v.startswith("local-"):
        v = v[6:]
    if len(v) == 40 and is_hex_key(v):
        return True
    # Newer W&B keys are longer and not hex.
    return (
        40 <= len(v) <= 120
        and _B64ISH.fullmatch(v) is not None
        and looks_random(v)
        and mixed_case_or_digits(v)
    )


def _kaggle_ok(v: str) -> bool:
    if v.startswith("KGAT_"):
        return _base62(20, 80)(v[5:])
    return len(v) == 32 and is_hex_key(v)


def _azure_ok(v: str) -> bool:
    return (len(v) == 32 and is_hex_key(v)) or _base62(84, 84)(v)


def _pinecone_ok(v: str) -> bool:
    return is_uuid(v) or (v.startswith("pcsk_") and len(v) > 40)


def _together_ok(v: str) -> bool:
    return (len(v) == 64 and is_hex_key(v)) or (v.startswith("tgp_v1_") and len(v) > 40)


def _aws_secret_ok(v: str) -> bool:
    return (
        len(v) == 40
        and re.fullmatch(r"[A-Za-z0-9/+]{40}", v) is not None
        and looks_random(v)
        and mixed_case_or_digits(v)
    )


def _comet_ok(v: str) -> bool:
    return _base62(20, 40)(v)


def _neptune_ok(v: str) -> bool:
    return v.startswith("eyJ") and len(v) > 60


CONTEXT_VENDORS: tuple[Vendor, ...] = (
    Vendor(
        "azure-openai-key",
        "Azure OpenAI key",
        re.compile(r"azure|aoai"),
        _azure_ok,
        "the Azure portal (resource > Keys and Endpoint > Regenerate)",
    ),
    Vendor(
        "wandb-api-key",
        "Weights & Biases API key",
        re.compile(r"wandb|weights_?and_?biases|(?:^|[_.])wb_"),
        _wandb_ok,
        "https://wandb.ai/authorize",
    ),
    Vendor(
        "kaggle-api-key",
        "Kaggle API key",
        re.compile(r"kaggle"),
        _kaggle_ok,
        "https://www.kaggle.com/settings (API > Expire token)",
    ),
    Vendor(
        "comet-api-key",
        "Comet API key",
        re.compile(r"comet"),
        _comet_ok,
        "https://www.comet.com/account-settings/apiKeys",
    ),
    Vendor(
        "cohere-api-key",
        "Cohere API key",
        re.compile(r"cohere|^co_api_key$"),
        _base62(40, 40),
        "https://dashboard.cohere.com/api-keys",
    ),
    Vendor(
        "mistral-api-key",
        "Mistral API key",
        re.compile(r"mistral"),
        _base62(32, 32),
        "https://console.mistral.ai/api-keys",
    ),
    Vendor(
        "pinecone-api-key",
        "Pinecone API key",
        re.compile(r"pinecone"),
        _pinecone_ok,
        "https://app.pinecone.io",
    ),
    Vendor(
        "together-api-key",
        "Together AI API key",
        re.compile(r"together"),
        _together_ok,
        "https://api.together.ai/settings/api-keys",
    ),
    Vendor(
        "neptune-api-token",
        "Neptune API token",
        re.compile(r"neptune"),
        _neptune_ok,
        "https://app.neptune.ai",
    ),
    Vendor(
        "aws-secret-access-key",
        "AWS secret access key",
        re.compile(r"aws_secret|secret_access_key|aws_secret_key"),
        _aws_secret_ok,
        "the AWS IAM console (deactivate the access key)",
    ),
)

# Literal words whose presence makes a file worth the context scan (lowercase).
CONTEXT_WORDS: tuple[str, ...] = (
    "azure",
    "aoai",
    "wandb",
    "wb_",
    "kaggle",
    "comet",
    "cohere",
    "co_api_key",
    "mistral",
    "pinecone",
    "together",
    "neptune",
    "aws_secret",
    "secret_access_key",
)
CONTEXT_WORDS_RX = re.compile("|".join(re.escape(w) for w in CONTEXT_WORDS))

# File names that are themselves the context: every key in them belongs to the vendor.
FILE_VENDORS: dict[str, str] = {
    "kaggle.json": "kaggle-api-key",
    ".comet.config": "comet-api-key",
    ".cometrc": "comet-api-key",
    "credentials": "aws-secret-access-key",
}


def _generic_ok(v: str) -> bool:
    return 16 <= len(v) <= 300 and looks_random(v) and mixed_case_or_digits(v)


# Files that hold nothing but configuration secrets: any credential-named value in them
# that looks machine-made is reported, vendor or not.
SECRETS_FILE_VENDOR = Vendor(
    "secret", "secret", re.compile("$^"), _generic_ok, "the service it belongs to"
)


def secrets_file_label(base: str) -> str | None:
    """A label for dedicated secrets files (`secrets.toml`, `.env`), else None."""
    if base == "secrets.toml":
        return "Streamlit secret"
    if base == ".env" or (
        base.startswith(".env.")
        and not base.endswith((".example", ".sample", ".template", ".dist", ".defaults"))
    ):
        return ".env secret"
    # `prod.env`, `secrets.env` (docker compose env_file), but not `example.env`.
    if base.endswith(".env") and not base.startswith(
        ("example", "sample", "template", "dist", "default")
    ):
        return ".env secret"
    return None


VENDOR_BY_SLUG: dict[str, Vendor] = {v.slug: v for v in CONTEXT_VENDORS}
