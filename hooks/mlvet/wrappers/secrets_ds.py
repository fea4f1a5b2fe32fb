"""detect-secrets' own plugins and filters, run only on the lines that can match.

Stock detect-secrets runs every plugin on every line. Here each plugin's compiled
patterns are searched over the whole text first (in C), and detect-secrets' per-line
machinery (its `analyze_line` and its filter chain, allowlist pragmas included) runs
only on lines where a pattern matched. Same findings, a fraction of the work.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mlvet.wrappers.secrets_filters import (
    hash_context,
    is_hex_digest,
    is_model_id,
    is_placeholder,
    shannon_entropy,
)
from mlvet.wrappers.secrets_scan import Hit, name_before

# Plugins left out unless asked for: entropy alone flags every hash and UUID, and a
# public IP address is not a credential.
NOISY_PLUGINS = frozenset({"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"})
# mlvet's URL-credential detector does this plugin's job with placeholder and
# local-default filters (a `user:password` pair at localhost is documentation).
SUPERSEDED_PLUGINS = frozenset({"BasicAuthDetector"})
# KeywordDetector: lines with a cheap keyword hit (lowercase text), then the narrow
# "denylisted name followed by an assignment" test on that line alone.
_KEYWORD_CHEAP = re.compile(r"key|pass|pwd|secret|contrase")
_KEYWORD_NARROW = re.compile(
    r"(?:api_?key|auth_?key|service_?key|account_?key|db_?key|database_?key|priv_?key|"
    r"private_?key|client_?key|db_?pass|database_?pass|key_?pass|password|passwd|pwd|"
    r"secret|contrase)\w*[\]'\"]{0,2}\s*(?:[:=!(]|\.assign|[\"'])"
    r"|[\"'`]\s*[!=]=+\s*\w*(?:key|pass|pwd|secret)"
)
_QUOTED = re.compile(r"[\"'][^\"'\s]{20,}[\"']|[=:]\s*[A-Za-z0-9+/=_\-]{20,}")


REVOKE = {
    "AWSKeyDetector": "the AWS IAM console",
    "GitHubTokenDetector": "https://github.com/settings/tokens",
    "GitLabTokenDetector": "GitLab > Preferences > Access tokens",
    "SlackDetector": "https://api.slack.com/apps",
    "StripeDetector": "https://dashboard.stripe.com/apikeys",
    "OpenAIDetector": "https://platform.openai.com/api-keys",
    "PypiTokenDetector": "https://pypi.org/manage/account/token/",
    "PrivateKeyDetector": "wherever the key pair is trusted",  # pragma: allowlist secret
    "SendGridDetector": "https://app.sendgrid.com/settings/api_keys",
    "NpmDetector": "https://www.npmjs.com/settings/tokens",
}
_URL_AT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")  # a URL is not a keyword's secret
_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=.]+")


# Cheap prechecks per built-in plugin: a literal-led pattern (fast in `re`), searched on
# the text or, for keyword-style plugins, on its lowercase form. A plugin whose precheck
# misses cannot match, so its own (slower) patterns are never run on that text.
_PRECHECK: dict[str, tuple[str, bool]] = {
    "AWSKeyDetector": (r"AKIA|ASIA|A3T|ABIA|ACCA|aws|AWS|Aws", False),
    "ArtifactoryDetector": (r"AKC[a-zA-Z0-9]{10}|AP[\dABCDEF][a-zA-Z0-9]{8}", False),
    "AzureStorageKeyDetector": (r"AccountKey=", False),
    "BasicAuthDetector": (r"://[^\s@/]{1,200}:[^\s@/]{1,200}@", False),
    "CloudantDetector": (
        r"cl(?:oudant|ou)?[_-]?(?:api)?(?:key|pwd|pw|pass|token)|\.cloudant\.com",
        True,
    ),
    "DiscordBotTokenDetector": (r"\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}", False),
    "GitHubTokenDetector": (r"gh[pousr]_", False),
    "GitLabTokenDetector": (r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-|GR1348941", False),
    "IbmCloudIamDetector": (r"ibm|cloud_?(?:api_?)?key|iam_?(?:api_?)?key", True),
    "IbmCosHmacDetector": (r"secret[-_]?(?:access)?[-_]?key", True),
    "JwtTokenDetector": (r"eyJ", False),
    "KeywordDetector": (r"key|pass|pwd|secret|contrase", True),
    "MailchimpDetector": (r"-us\d", False),
    "NpmDetector": (r"_authToken", False),
    "OpenAIDetector": (r"T3BlbkFJ", False),
    "PrivateKeyDetector": (r"PRIVATE KEY|PuTTY-User|SSH2 ENCRYPTED", False),
    "PypiTokenDetector": (r"pypi-AgE", False),
    "SendGridDetector": (r"SG\.", False),
    "SlackDetector": (r"xox|hooks\.slack\.com", False),
    "SoftlayerDetector": (
        r"s(?:oftlayer|l)[_-]?(?:api)?[_-]?(?:key|pwd|pass|token)|softlayer\.com",
        True,
    ),
    "SquareOAuthDetector": (r"sq0csp-", False),
    "StripeDetector": (r"k_live_", False),
    "TelegramBotTokenDetector": (r":[0-9A-Za-z_-]{35}", False),
    "TwilioKeyDetector": (r"AC[a-z0-9]{32}|SK[a-z0-9]{32}", False),
    "Base64HighEntropyString": (r"[\"'=:]", False),
    "HexHighEntropyString": (r"[\"'=:]", False),
}


class DetectSecretsUnavailable(Exception):
    pass


@dataclass(frozen=True)
class PluginSpec:
    name: str
    secret_type: str
    prefilters: tuple[re.Pattern[str], ...]
    precheck: re.Pattern[str] | None = None
    precheck_lower: bool = False
    path: str | None = None  # file:// of a custom plugin


@lru_cache(maxsize=1)
def available() -> bool:
    """detect-secrets is installed and has the (1.x) internals this bridge drives."""
    try:
        from detect_secrets.core.scan import _is_filtered_out, _scan_line  # noqa: F401
        from detect_secrets.settings import get_plugins, get_settings  # noqa: F401
        from detect_secrets.util.code_snippet import get_code_snippet  # noqa: F401
    except ImportError:
        return False
    return True


def slug_of(secret_type: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-")


@lru_cache(maxsize=2)
def default_plugin_names(entropy: bool = False) -> tuple[str, ...]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    classes: list[Any] = list(get_mapping_from_secret_type_to_class().values())
    names = sorted(cls.__name__ for cls in classes)
    return tuple(
        n for n in names if (entropy or n not in NOISY_PLUGINS) and n not in SUPERSEDED_PLUGINS
    )


def configure(
    plugin_names: tuple[str, ...], plugin_files: tuple[str, ...] = ()
) -> tuple[PluginSpec, ...]:
    """Point detect-secrets' (process-wide) settings at these plugins; describe them.

    `plugin_files` are detect-secrets custom plugin files (as for its `--plugin`): every
    plugin class in them runs too. Cheap when nothing changed; re-applies the settings
    if something else (a caller of detect-secrets' own API) changed them in between.
    """
    try:
        from detect_secrets.settings import get_settings
    except ImportError as exc:  # pragma: no cover - exercised without the extra
        raise DetectSecretsUnavailable(str(exc)) from None
    settings = get_settings()
    wanted = _custom_plugins(plugin_files)
    wanted.update({n: {} for n in plugin_names})
    if settings.plugins != wanted:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.settings import get_filters

        settings.clear()  # default filters, these plugins
        settings.configure_plugins([{"name": n, **cfg} for n, cfg in wanted.items()])
        get_mapping_from_secret_type_to_class.cache_clear()
        get_filters.cache_clear()
        _specs.cache_clear()
    return _specs((*plugin_names, *plugin_files))


@lru_cache(maxsize=8)
def _custom_plugins_cached(plugin_files: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    from detect_secrets.core.plugins.util import get_plugins_from_file

    out: list[tuple[str, str]] = []
    for path in plugin_files:
        try:
            classes: list[Any] = list(get_plugins_from_file(path))
        except Exception as exc:  # a user's plugin file: any failure is a config error
            from mlvet.config import ConfigError

            raise ConfigError(f"{path}: cannot load detect-secrets plugins: {exc}") from None
        out.extend((cls.__name__, "file://" + path) for cls in classes)
    return tuple(out)


def _custom_plugins(plugin_files: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    return {name: {"path": path} for name, path in _custom_plugins_cached(plugin_files)}


@lru_cache(maxsize=8)
def _specs(key: tuple[str, ...]) -> tuple[PluginSpec, ...]:
    from detect_secrets.settings import get_plugins, get_settings

    settings = get_settings()
    specs = []
    for plugin in get_plugins():
        name = type(plugin).__name__
        if name == "KeywordDetector":
            pre: tuple[re.Pattern[str], ...] = ()
        elif name in ("Base64HighEntropyString", "HexHighEntropyString"):
            pre = (_QUOTED,)
        else:
            pre = tuple(getattr(plugin, "denylist", ()) or ()) or (re.compile(r"\S{8,}"),)
        check = _PRECHECK.get(name)
        specs.append(
            PluginSpec(
                name,
                str(plugin.secret_type),
                pre,
                re.compile(check[0]) if check else None,
                bool(check and check[1]),
                settings.plugins.get(name, {}).get("path"),
            )
        )
    return tuple(specs)


def _keyword_lines(lower: str, starts: list[int]) -> list[int]:
    out: list[int] = []
    last = -1
    for m in _KEYWORD_CHEAP.finditer(lower):
        i = bisect.bisect_right(starts, m.start()) - 1
        if i == last:
            continue
        last = i
        end = starts[i + 1] if i + 1 < len(starts) else len(lower)
        if _KEYWORD_NARROW.search(lower, starts[i], end):
            out.append(i)
    return out


def _plugins_by_name() -> dict[str, Any]:
    from detect_secrets.settings import get_plugins

    return {type(p).__name__: p for p in get_plugins()}


def scan_text(
    text: str, filename: str, specs: Sequence[PluginSpec], known: Sequence[int] = ()
) -> list[Hit]:
    """detect-secrets' findings for one text (offsets into it), prefiltered per plugin.

    `known`: offsets where mlvet already found a secret; the keyword plugin (whose
    hit there would be the same value) skips those lines.
    """
    from detect_secrets.core.scan import _is_filtered_out, _scan_line
    from detect_secrets.util.code_snippet import get_code_snippet

    wanted: dict[int, list[str]] = {}
    starts: list[int] | None = None
    lower: str | None = None
    for spec in specs:
        if spec.precheck is not None:
            if spec.precheck_lower:
                lower = text.lower() if lower is None else lower
                if spec.precheck.search(lower) is None:
                    continue
            elif spec.precheck.search(text) is None:
                continue
        if spec.name == "KeywordDetector":
            lower = text.lower() if lower is None else lower
            starts = starts or [0] + [m.end() for m in re.finditer("\n", text)]
            done = {bisect.bisect_right(starts, k) - 1 for k in known}
            for i in _keyword_lines(lower, starts):
                if i not in done:
                    wanted.setdefault(i, []).append(spec.name)
            continue
        for rx in spec.prefilters:
            if rx.search(text) is None:
                continue
            if starts is None:
                starts = [0] + [m.end() for m in re.finditer("\n", text)]
            for m in rx.finditer(text):
                i = bisect.bisect_right(starts, m.start()) - 1
                names = wanted.setdefault(i, [])
                if spec.name not in names:
                    names.append(spec.name)
    if not wanted or starts is None:
        return []
    if _is_filtered_out(required_filter_parameters=["filename"], filename=filename):
        return []
    plugins = _plugins_by_name()
    lines = text.split("\n")
    hits: list[Hit] = []
    for i in sorted(wanted):
        line = lines[i].rstrip()
        context = get_code_snippet(lines=lines, line_number=i + 1)
        if _is_filtered_out(
            required_filter_parameters=["line"], filename=filename, line=line, context=context
        ):
            continue
        for name in wanted[i]:
            plugin = plugins.get(name)
            if plugin is None:
                continue
            for secret in _scan_line(
                plugin=plugin, filename=filename, line=line, line_number=i + 1, context=context
            ):
                value = secret.secret_value or ""
                if _is_filtered_out(
                    required_filter_parameters=["context"],
                    filename=filename,
                    secret=value,
                    plugin=plugin,
                    line=line,
                    context=context,
                ):
                    continue
                col = max(0, line.find(value))
                # Some plugins report only a group of the match ("ghp"): judge the whole
                # token around it, but keep their value (its hash is what their baselines hold).
                tok = _TOKEN.match(line, col)
                whole = tok.group(0) if tok and len(tok.group(0)) > len(value) else value
                offset = starts[i] + col
                name_ = name_before(text, offset)
                if not _plausible(name, whole, line, name_) or _URL_AT.match(line, col):
                    continue
                hits.append(
                    Hit(
                        offset,
                        slug_of(secret.type),
                        secret.type,
                        value,
                        f"assigned to {name_}" if name_ else "",
                        REVOKE.get(name, "the issuing service"),
                        source="detect-secrets",
                        display=whole,
                    )
                )
    return hits


_NOT_A_SECRET_NAME = re.compile(
    r"(?:name|_id|ids|path|file|dir|url|uri|arn|region|type|mode|prefix|env|var|field|"
    r"header|label|version)$",
    re.IGNORECASE,
)


def _plausible(plugin: str, value: str, line: str, name: str | None = None) -> bool:
    """mlvet's placeholder and look-alike filters, on top of detect-secrets' own."""
    if not value or is_placeholder(value):
        return False
    if plugin in ("KeywordDetector", "Base64HighEntropyString", "HexHighEntropyString"):
        if name and _NOT_A_SECRET_NAME.search(name):
            return False  # a secret's name or id, an environment variable's name
        if is_model_id(value):
            return False
        if len(value) < 8 or shannon_entropy(value) < 2.5:
            return False
        if is_hex_digest(value) and hash_context(line):
            return False
        if re.fullmatch(r"[A-Za-z_][\w.]*(?:\(\)?)?", value) and not any(
            c.isdigit() for c in value
        ):
            return False  # a name, not a value: password = get_password
    return True


def plugins_used(specs: Iterable[PluginSpec]) -> list[dict[str, Any]]:
    return [
        {"name": s.name, **({"path": s.path} if s.path else {})}
        for s in sorted(specs, key=lambda s: s.name.lower())
    ]
