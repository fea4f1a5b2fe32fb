"""mlvet's ML token detectors as detect-secrets plugins (for stock detect-secrets).

    detect-secrets scan --plugin "$(python -m mlvet.data.secrets)" .

`mlvet secrets` does not load this file: it runs the same detectors compiled and
prefiltered. The file exists so teams on stock detect-secrets (or its pre-commit hook)
get the same vendor formats, placeholders filtered, in their `.secrets.baseline`.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable

from detect_secrets.plugins.base import RegexBasedDetector

from mlvet.wrappers.secrets_detectors import PREFIX_DETECTORS, Detector
from mlvet.wrappers.secrets_filters import is_placeholder


def _plugin(det: Detector) -> type[RegexBasedDetector]:
    class Plugin(RegexBasedDetector):
        secret_type = det.label
        denylist: Iterable[re.Pattern[str]] = (det.pattern,)

        def analyze_string(self, string: str) -> Generator[str, None, None]:
            for m in det.pattern.finditer(string):
                token = m.group("secret")
                if det.check(token) and not is_placeholder(token):
                    yield token

    name = "".join(w.capitalize() for w in re.split(r"[^A-Za-z0-9]+", det.label) if w)
    Plugin.__name__ = Plugin.__qualname__ = f"Mlvet{name}Detector"
    return Plugin


for _det in PREFIX_DETECTORS:
    _cls = _plugin(_det)
    globals()[_cls.__name__] = _cls
del _det, _cls
