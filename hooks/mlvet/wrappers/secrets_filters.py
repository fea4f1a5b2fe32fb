"""False-positive filters for secret candidates: placeholders and look-alikes.

Each function takes the candidate value (and sometimes its line) and answers one
question, so detectors can combine them. Nothing here ever logs the value.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

# Words that mark a value as a stand-in written for a human to replace.
_PLACEHOLDER_WORDS = re.compile(
    r"xxxx|XXXX|\.\.\.|…|\*\*\*|<|>|\{|\}|\$|%\(|"
    r"(?i:example|placeholder|dummy|redacted|changeme|change_me|insert|replace|sample|"
    r"notreal|not_real|undefined|fixme)|"
    # Short words only count as words (at an edge or next to a separator): a random
    # 150-character token contains "none" or "here" by chance surprisingly often.
    r"(?i:(?:^|(?<=[_\-.\s]))(?:your|here|fake|none|null|todo|mytoken|mykey|my_key|my_token|"
    r"token|key|secret|test)(?=$|[_\-.\s]))"
)
_CAMEL_WORDS = re.compile(r"[a-z]*(?:[A-Z][a-z]{2,}|[0-9]{1,4})+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_HASH_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
# Words on a line that say "this hex string is a digest, not a key".
_HASH_CONTEXT = re.compile(
    r"sha\d*|md5|hash|digest|checksum|commit|revision|\brev\b|etag|fingerprint|blake|crc|"
    r"integrity|git_sha|\bsum\b|sha256sum|oid|object_id",
    re.IGNORECASE,
)
# Model ids and paths: `org/model-name`, file paths.
_MODEL_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


def has_sequence(value: str, run: int = 6) -> bool:
    """A run of the alphabet or the digits (`abcdef`, `123456`): typed by a person.

    Six in a row occur in a random base62 token with odds of about one in a billion.
    """
    count = 1
    for a, b in itertools.pairwise(value):
        if ord(b) == ord(a) + 1 and a.isalnum() and b.isalnum():
            count += 1
            if count >= run:
                return True
        else:
            count = 1
    return False


def is_placeholder(value: str) -> bool:
    """`hf_xxx`, `sk-...`, `<YOUR_KEY>`, `${TOKEN}`, runs of one character or of the
    alphabet (`abcdef0123456789`)."""
    if _PLACEHOLDER_WORDS.search(value):
        return True
    body = value[-24:] if len(value) > 24 else value
    if len(set(body.lower())) <= 5:
        return True
    return re.search(r"(.)\1{5,}", value) is not None or has_sequence(value)


def looks_random(body: str, min_unique: int = 8) -> bool:
    """A machine-made token body: enough distinct characters, not one word."""
    if len(set(body)) < min(min_unique, max(2, len(body) // 3)):
        return False
    # An identifier written by a person has long runs of lowercase letters only, or is
    # made of camel-case words (`TheQuickBrownFox`): random base62 almost never is.
    if body.isalpha() and (body.islower() or body.isupper()):
        return False
    return _CAMEL_WORDS.fullmatch(body) is None


def mixed_case_or_digits(body: str) -> bool:
    """Random base62 bodies have at least two of: lowercase, uppercase, digits."""
    kinds = (
        any(c.islower() for c in body)
        + any(c.isupper() for c in body)
        + any(c.isdigit() for c in body)
    )
    return kinds >= 2


def is_uuid(value: str) -> bool:
    return _UUID.fullmatch(value) is not None


def is_hex_digest(value: str) -> bool:
    """A git SHA, md5/sha1/sha256/sha512 digest by shape alone."""
    return len(value) in _HASH_LENGTHS and _HEX.fullmatch(value) is not None


def hash_context(line: str) -> bool:
    return _HASH_CONTEXT.search(line) is not None


def is_model_id(value: str) -> bool:
    return "/" in value and _MODEL_ID.fullmatch(value) is not None


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def is_hex_key(value: str) -> bool:
    """A hex key (W&B, Kaggle, Azure...): hex with both digits and letters."""
    return (
        _HEX.fullmatch(value) is not None
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
    )
