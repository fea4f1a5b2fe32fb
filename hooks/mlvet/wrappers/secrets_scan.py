"""mlvet's own secret scan of one text: vendor tokens, URL credentials, private keys and
context-only keys. Pure: text in, hits out (offsets into the text)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from mlvet.wrappers.secrets_context import cell_key_names, scan_context, scan_printed_keys
from mlvet.wrappers.secrets_detectors import PREFIX_DETECTORS
from mlvet.wrappers.secrets_filters import is_placeholder


@dataclass(frozen=True)
class Hit:
    offset: int
    slug: str
    label: str
    secret: str
    where: str  # "assigned to HF_TOKEN", "in a postgres URL for db.example.com", ""
    revoke: str
    source: str = "mlvet"
    # The text to show (redacted) when `secret` is only part of the token.
    display: str = ""


_NAME_BEFORE = re.compile(
    r"([A-Za-z_][\w.\-]*)[\"'`\]]*\s*(?::\s*[A-Za-z_][\w.\[\], |]{0,40}?\s*(?==))?"
    r"(?:=>|:=|==?|:|,|\s)\s*[rbuf]?[\"'`]?\s*$"
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{0,20}$")
_URL_CRED = re.compile(
    r"://"
    r"(?P<user>[^\s:/?#@\"'<>\[\]{}()\\,]{0,200}):(?P<password>[^\s/?#@\"'<>\[\]\\,]{1,300})"
    r"@(?P<host>[A-Za-z0-9.\-_]+|\[[0-9a-fA-F:]+\])"
)
# Passwords in URLs that stand for "put yours here" or are local development defaults.
_URL_PLACEHOLDER = re.compile(
    r"^(?:my|your|the|some|a|an|test|dummy|fake|example|sample|default|db|user)?[_\-]?"
    r"(?:pass(?:word)?|passwd|pwd|pw|secret|token|key|user(?:name)?|changeme|admin|root|"
    r"postgres|mysql|guest|demo|default|none|null|foo|bar|baz|qux|hunter2|letmein|"
    r"\*+|x+|\.+)\d{0,4}$",
    re.IGNORECASE,
)
# Local or documentation hosts (RFC 2606 names): weak passwords there are examples.
_LOCAL_HOSTS = re.compile(
    r"^(?:localhost|127\.0\.0\.1|0\.0\.0\.0|db|database|postgres|mysql|redis|mongo|"
    r"rabbitmq|host|hostname|server|myserver(?:\.\w+)?|node|ftp\.example\.\w+)$|"
    r"(?:^|\.)example(?:\.(?:com|org|net))?$|\.(?:test|invalid|localhost)$"
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?P<kind>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----"
    r"(?:\\n|\\r\\n|\s)*(?P<secret>[A-Za-z0-9+/=\\\s]{20,120})"
)


def name_before(text: str, offset: int) -> str | None:
    """The variable or key a value at `offset` is assigned to, on the same line."""
    line_start = max(text.rfind("\n", 0, offset) + 1, offset - 160)  # long lines: look near
    m = _NAME_BEFORE.search(text, line_start, offset)
    if m is None:
        return None
    name = m.group(1)
    return None if name.lower() in ("export", "env", "set", "print", "return") else name


_ANCHORS = re.compile(
    "|".join(
        re.escape(a)
        for a in sorted({a for d in PREFIX_DETECTORS for a in d.anchors}, key=len, reverse=True)
    )
)


def scan_prefixed(text: str) -> Iterator[Hit]:
    present = set(_ANCHORS.findall(text))
    if not present:
        return
    for det in PREFIX_DETECTORS:
        if not any(a in present for a in det.anchors):
            continue
        for m in det.pattern.finditer(text):
            token = m.group("secret")
            if is_placeholder(token) or not det.check(token):
                continue
            name = name_before(text, m.start("secret"))
            where = f"assigned to {name}" if name else ""
            yield Hit(m.start("secret"), det.slug, det.label, token, where, det.revoke)


def scan_urls(text: str) -> Iterator[Hit]:
    if "://" not in text or "@" not in text:
        return
    pos = text.find("://")
    while pos != -1:
        m = _URL_CRED.match(text, pos)
        scheme_m = _SCHEME.search(text, max(0, pos - 21), pos)
        pos = text.find("://", pos + 3)
        if m is None or scheme_m is None:
            continue
        password, host, user = m.group("password"), m.group("host"), m.group("user")
        if is_placeholder(password) or (is_placeholder(user) and len(password) < 8):
            continue
        if _URL_PLACEHOLDER.match(password) or password.startswith(("$", "%", "{")):
            continue
        if any(c.isspace() for c in unquote(password)):
            continue  # "a%20secret": prose, not a credential
        if _LOCAL_HOSTS.match(host.lower()) and len(password) < 12:
            continue  # docker-compose style local defaults
        scheme = scheme_m.group(0).lower()
        label = "token in URL" if scheme in ("http", "https", "git+https") else "password in URL"
        yield Hit(
            m.start("password"),
            "url-credentials",
            label,
            password,
            f"in a {scheme} URL for {host}",
            "the service at " + host,
        )


def scan_private_keys(text: str, filename: str) -> Iterator[Hit]:
    if "PRIVATE KEY" not in text:
        return
    gcp = '"service_account"' in text or "'service_account'" in text
    for m in _PRIVATE_KEY.finditer(text):
        body = re.sub(r"\\[nr]|\s", "", m.group("secret"))
        if len(body) < 20 or is_placeholder(body[:16]):  # random base64 may hold "xxx"
            continue
        # Reported at the BEGIN line; the body (not the header) is what gets hashed.
        if gcp:
            yield Hit(
                m.start(),
                "gcp-service-account-key",
                "GCP service-account private key",
                body,
                "",
                "the Google Cloud console (IAM > Service accounts > Keys)",
            )
        else:
            yield Hit(
                m.start(),
                "private-key",
                m.group("kind").lower(),
                body,
                "",
                "wherever the key pair is trusted (rotate the key pair)",
            )


class Spans:
    """Non-overlapping [start, end) spans; `claim` refuses one that overlaps (log n)."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def claim(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self._starts, start)
        if i > 0 and self._ends[i - 1] > start:
            return False
        if i < len(self._starts) and self._starts[i] < end:
            return False
        self._starts.insert(i, start)
        self._ends.insert(i, end)
        return True


def scan_text(text: str, filename: str, cell_source: str | None = None) -> list[Hit]:
    """Every mlvet detector over one text; overlapping hits keep the first found.

    `cell_source`: for a notebook output, the source of the cell that printed it.
    """
    hits: list[Hit] = []
    taken = Spans()
    for hit in (*scan_prefixed(text), *scan_private_keys(text, filename), *scan_urls(text)):
        if taken.claim(hit.offset, hit.offset + max(1, len(hit.secret))):
            hits.append(hit)
    printed = scan_printed_keys(text, cell_key_names(cell_source)) if cell_source else ()
    for ch in (*scan_context(text, filename), *printed):
        if taken.claim(ch.offset, ch.offset + max(1, len(ch.secret))):
            v = ch.vendor
            hits.append(Hit(ch.offset, v.slug, v.label, ch.secret, ch.where, v.revoke))
    return hits
