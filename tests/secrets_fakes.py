"""Fake but format-valid credentials, built at run time from a seeded RNG.

Nothing token-shaped is ever written into the repository: every value here is
assembled when a test runs, so a secret scanner over the tracked files stays quiet.
"""

from __future__ import annotations

import base64
import json
import random
import string

_RNG = random.Random(20240501)
LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase
DIGITS = string.digits
ALNUM = LOWER + UPPER + DIGITS
LETTERS = LOWER + UPPER
HEX = DIGITS + "abcdef"
B64URL = ALNUM + "_-"


def rand(n: int, alphabet: str = ALNUM) -> str:
    """Random text that mixes character kinds (as real tokens do)."""
    while True:
        out = "".join(_RNG.choice(alphabet) for _ in range(n))
        low = out.lower()
        kinds = sum(
            (
                any(c.islower() for c in out),
                any(c.isupper() for c in out),
                any(c.isdigit() for c in out),
            )
        )
        words = ("xxx", "here", "your", "none", "null", "fake", "todo", "test", "dummy")
        if kinds >= 2 and not any(w in low for w in words):
            return out


def hugging_face() -> str:
    return "hf" + "_" + rand(34, LETTERS)


def openai_classic() -> str:
    return "sk" + "-" + rand(20) + "T3Blbk" + "FJ" + rand(20)


def openai_project() -> str:
    return "sk" + "-proj-" + rand(74, B64URL) + "T3Blbk" + "FJ" + rand(74, B64URL)


def anthropic() -> str:
    return "sk" + "-ant-api03-" + rand(93, B64URL) + "AA"


def groq() -> str:
    return "gsk" + "_" + rand(52)


def replicate() -> str:
    return "r8" + "_" + rand(37)


def together() -> str:
    return "tgp" + "_v1_" + rand(43, B64URL)


def langsmith() -> str:
    return "lsv2" + "_pt_" + rand(32, HEX) + "_" + rand(10, HEX)


def pinecone() -> str:
    return "pcsk" + "_" + rand(5) + "_" + rand(63)


def google() -> str:
    return "AI" + "za" + rand(35, B64URL)


def neptune() -> str:
    payload = {
        "api_address": "https://app.neptune.ai",
        "api_url": "https://app.neptune.ai",
        "api_key": uuid(),
    }
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def xai() -> str:
    return "xai" + "-" + rand(80)


def wandb() -> str:
    return rand(40, HEX)


def kaggle() -> str:
    return rand(32, HEX)


def wandb_v1() -> str:
    """The 86-character keys W&B issues since late 2025."""
    return "wandb" + "_v1_" + rand(27) + "_" + rand(49)


def kaggle_token() -> str:
    """Kaggle's newer single API token (KAGGLE_API_TOKEN)."""
    return "KG" + "AT_" + rand(32, HEX)


def comet() -> str:
    return rand(25)


def cohere() -> str:
    return rand(40)


def mistral() -> str:
    return rand(32)


def azure_openai() -> str:
    return rand(32, HEX)


def aws_access_key_id() -> str:
    return "AK" + "IA" + rand(16, UPPER + DIGITS)


def aws_secret_access_key() -> str:
    return rand(40, ALNUM + "/+")


def github() -> str:
    return "ghp" + "_" + rand(36)


def sha1_hex() -> str:
    return rand(40, HEX)


def sha256_hex() -> str:
    return rand(64, HEX)


def md5_hex() -> str:
    return rand(32, HEX)


def uuid() -> str:
    h = rand(32, HEX)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def password() -> str:
    return rand(18, ALNUM + "!#%^")


def private_key_pem() -> str:
    body = base64.b64encode(_RNG.randbytes(300)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    head = "-----BEGIN " + "RSA PRIVATE" + " KEY-----"
    tail = "-----END " + "RSA PRIVATE" + " KEY-----"
    return "\n".join([head, *lines, tail])


# (detector slug, generator) for every prefixed vendor format.
PREFIXED = (
    ("hugging-face-token", hugging_face),
    ("openai-api-key", openai_classic),
    ("openai-api-key", openai_project),
    ("anthropic-api-key", anthropic),
    ("groq-api-key", groq),
    ("replicate-api-token", replicate),
    ("together-api-key", together),
    ("langsmith-api-key", langsmith),
    ("pinecone-api-key", pinecone),
    ("google-api-key", google),
    ("neptune-api-token", neptune),
    ("xai-api-key", xai),
)
