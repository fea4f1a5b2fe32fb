"""Keras model configs: Lambda layers (marshalled bytecode) and module imports.

`.keras` archives carry `config.json`; legacy `.h5` files carry the same JSON in the
`model_config` attribute, found here by scanning bytes (no HDF5 library needed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

from mlvet.artifacts.collect import Collector
from mlvet.artifacts.policy import display, is_dangerous

# Module prefixes of Keras itself: their classes are what a config is made of.
_KERAS_MODULES = (
    "keras",
    "tensorflow",
    "tf_keras",
    "keras_core",
    "keras_nlp",
    "keras_hub",
    "keras_cv",
    "tensorflow_hub",
    "tensorflow_addons",
)
_LAMBDA_CLASSES = frozenset({"Lambda", "keras.layers.Lambda", "__lambda__"})
MAX_DEPTH = 200


def _is_keras_module(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in _KERAS_MODULES)


def _check_module(col: Collector, module: str, name: str) -> None:
    if is_dangerous(module, name) or is_dangerous(module, ""):
        col.code.append((col.where, f"config imports {display(module, name)}", True))
    elif not _is_keras_module(module):
        col.code.append((col.where, f"config imports custom code {display(module, name)}", False))


def walk_config(col: Collector, node: Any, depth: int = 0) -> None:
    """Visit every object of a Keras config (sub-models included)."""
    stack: list[tuple[Any, int]] = [(node, depth)]
    while stack:
        item, level = stack.pop()
        if level > MAX_DEPTH:
            col.cannot_read("Keras config nested too deeply")
            return
        if isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
            continue
        if not isinstance(item, dict):
            continue
        cls = item.get("class_name")
        config = item.get("config")
        if isinstance(cls, str) and cls in _LAMBDA_CLASSES:
            layer = config.get("name") if isinstance(config, dict) else None
            label = f"Lambda layer {layer!r}" if isinstance(layer, str) else "Lambda layer"
            col.code.append((col.where, f"{label} carries Python bytecode", True))
        module = item.get("module")
        if isinstance(module, str) and isinstance(cls, str):
            name = config if cls == "function" and isinstance(config, str) else cls
            _check_module(col, module, name)
        registered = item.get("registered_name")
        if isinstance(registered, str) and ">" in registered and not isinstance(module, str):
            col.code.append((col.where, f"config uses custom object {registered!r}", False))
        stack.extend((v, level + 1) for v in item.values() if isinstance(v, (dict, list)))


def scan_keras_json(col: Collector, data: bytes) -> None:
    try:
        config = json.loads(data)
    except (ValueError, RecursionError):
        col.cannot_read("config.json is not valid JSON")
        return
    walk_config(col, config)


# -- legacy HDF5 -------------------------------------------------------------------------

_LAMBDA_RX = re.compile(rb'"class_name"\s*:\s*"Lambda"')
_MODULE_RX = re.compile(
    rb'"module"\s*:\s*"([^"\\]{1,300})"\s*,\s*"class_name"\s*:\s*"([^"\\]{1,300})"'
)
_CONFIG_RX = re.compile(rb'\{"class_name"\s*:\s*"(?:Sequential|Functional|Model)"')
CHUNK = 8 << 20
OVERLAP = 1024
HEAD_BYTES = 256 << 20
TAIL_BYTES = 16 << 20


def _chunks(fh: IO[bytes]) -> Iterator[bytes]:
    """The head of the file (where Keras writes its config, before the weights) and its
    tail (where a later attribute write lands): bounded reading of a huge weights file."""
    size = fh.seek(0, 2)
    fh.seek(0)
    limit = size if size <= HEAD_BYTES + TAIL_BYTES else HEAD_BYTES
    read = 0
    while read < limit:
        chunk = fh.read(min(CHUNK, limit - read))
        if not chunk:
            return
        read += len(chunk)
        yield chunk
    if size > limit:
        fh.seek(size - TAIL_BYTES)
        yield b"\0" * OVERLAP  # the regions are not contiguous
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                return
            yield chunk


def scan_h5(col: Collector, fh: IO[bytes]) -> None:
    """Search an HDF5 file for the Keras model config JSON (bounded memory and reading)."""
    col.kind = "hdf5"
    carry = b""
    seen_lambda = 0
    for chunk in _chunks(fh):
        window = carry + chunk
        for m in _CONFIG_RX.finditer(window):
            _parse_config_at(col, window, m.start())
        seen_lambda += len(_LAMBDA_RX.findall(window[len(carry) - min(len(carry), OVERLAP) :]))
        for m in _MODULE_RX.finditer(window):
            module = m.group(1).decode("utf-8", "replace")
            cls = m.group(2).decode("utf-8", "replace")
            _check_module(col, module, cls)
        carry = window[-OVERLAP:]
    if seen_lambda and not any("Lambda" in what for _, what, _ in col.code):
        col.code.append((col.where, "Lambda layer carries Python bytecode", True))
    # Findings are per distinct message: chunks overlap, so dedupe.
    col.code[:] = list(dict.fromkeys(col.code))


def _parse_config_at(col: Collector, window: bytes, start: int) -> None:
    try:
        text = window[start : start + (4 << 20)].decode("utf-8", "replace")
        config, _ = json.JSONDecoder().raw_decode(text)
    except (ValueError, RecursionError):
        return  # cut by a chunk edge or stored in pieces: the regexes still apply
    walk_config(col, config)
