"""Stripping notebooks with nbstripout, ML defaults, written back in the file's own layout.

nbstripout decides which outputs and execution counts go (its `keep_output` tag and
metadata, `init_cell`); this module adds the ML defaults (volatile metadata of widgets,
Colab, VS Code, papermill and timing extensions), a configurable keep-output tag, and a
careful writer: a notebook that needs no change is never rewritten, a changed one is
written atomically in the layout it came in (indent, key order, escapes, line endings).
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlvet.config import Config, ConfigError
from mlvet.rules.notebook import (
    DEFAULT_KEEP_OUTPUT_TAG,
    NBSTRIPOUT_KEEP_TAG,
    is_code_cell,
    outputs_message,
)
from mlvet.sources import SourceError, load_notebook, notebook_source_lines

# Metadata that changes on every run or records one machine's session, in nbstripout's
# key syntax (`metadata.x`: notebook metadata; `cell.x`: a key of every cell).
DEFAULT_STRIP_KEYS: tuple[str, ...] = (
    # nbstripout's own defaults
    "metadata.signature",
    "metadata.widgets",  # ipywidgets state: large, regenerated on every run
    "cell.metadata.collapsed",
    "cell.metadata.scrolled",
    "cell.metadata.ExecuteTime",
    "cell.metadata.execution",  # JupyterLab timings
    "cell.metadata.heading_collapsed",
    "cell.metadata.hidden",
    # what nbformat itself treats as transient
    "metadata.orig_nbformat",
    "metadata.orig_nbformat_minor",
    "cell.metadata.trusted",
    # Colab: provenance and UI state; per-cell output ids and run records (with user names)
    "metadata.colab",
    "cell.metadata.colab",
    "cell.metadata.executionInfo",
    "cell.metadata.outputId",
    # VS Code: the hash of one machine's interpreter path
    "metadata.vscode",
    # papermill/Kaggle run records: start and end times, durations, status
    "metadata.papermill",
    "cell.metadata.papermill",
    # JupyterLab: outputs collapsed (there are none left to collapse)
    "cell.metadata.jupyter.outputs_hidden",
)

_KEY = re.compile(r"(?:metadata|cell)\.[^.\s]+(?:\.[^.\s]+)*")


class StripError(Exception):
    """The notebook cannot be stripped (one-line reason); the file is left alone."""


@dataclass(frozen=True)
class StripOptions:
    keep_output_tag: str = DEFAULT_KEEP_OUTPUT_TAG
    keep_count: bool = False
    extra_keys: tuple[str, ...] = ()
    keep_metadata: tuple[str, ...] = ()

    @property
    def strip_keys(self) -> tuple[str, ...]:
        keys = dict.fromkeys((*DEFAULT_STRIP_KEYS, *self.extra_keys))
        return tuple(k for k in keys if k not in self.keep_metadata)

    @classmethod
    def from_config(cls, config: Config) -> StripOptions:
        section = config.section("strip")
        where = f"{config.path}: [tool.mlvet.strip]" if config.path else "[tool.mlvet.strip]"
        tag = section.get("keep-output-tag", DEFAULT_KEEP_OUTPUT_TAG)
        if not isinstance(tag, str) or not tag.strip():
            raise ConfigError(f"{where}: `keep-output-tag` must be a non-empty string")
        keep_count = section.get("keep-count", False)
        if not isinstance(keep_count, bool):
            raise ConfigError(f"{where}: `keep-count` must be true or false")
        return cls(
            keep_output_tag=tag.strip(),
            keep_count=keep_count,
            extra_keys=metadata_keys(section.get("extra-keys", []), f"{where}: `extra-keys`"),
            keep_metadata=metadata_keys(
                section.get("keep-metadata", section.get("keep-metadata-keys", [])),
                f"{where}: `keep-metadata`",
            ),
        )

    def with_overrides(
        self,
        keep_output_tag: str | None = None,
        keep_count: bool | None = None,
        extra_keys: Sequence[str] = (),
    ) -> StripOptions:
        out = self
        if keep_output_tag:
            out = replace(out, keep_output_tag=keep_output_tag)
        if keep_count is not None:
            out = replace(out, keep_count=keep_count)
        if extra_keys:
            more = metadata_keys(list(extra_keys), "--extra-keys")
            out = replace(out, extra_keys=(*out.extra_keys, *more))
        return out


CONFIG_KEYS = frozenset(
    {"keep-output-tag", "keep-count", "extra-keys", "keep-metadata", "keep-metadata-keys"}
)


def config_notices(config: Config) -> list[str]:
    """Unknown keys in [tool.mlvet.strip]: a notice, not a failure (as for [tool.mlvet])."""
    where = f"{config.path}: " if config.path else ""
    return [
        f"{where}unknown key `{key}` in [tool.mlvet.strip] (ignored)"
        for key in config.section("strip")
        if key not in CONFIG_KEYS
    ]


def metadata_keys(value: object, where: str) -> tuple[str, ...]:
    """A list (or space-separated string) of `metadata.x` / `cell.metadata.y` keys."""
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f'{where} must be a list of keys such as "metadata.foo"')
    keys = [k for v in value for k in v.split()]
    bad = [k for k in keys if not _KEY.fullmatch(k)]
    if bad:
        raise ConfigError(
            f"{where}: {bad[0]!r} is not a key of the form metadata.foo or cell.metadata.bar"
        )
    return tuple(keys)


@dataclass
class StripResult:
    """What stripping one notebook did (or would do)."""

    text: str | None = None  # the new file text; None when nothing changes
    outputs: int = 0  # cells whose outputs were removed
    counts: int = 0  # cells whose execution counts were removed
    metadata: list[str] = field(default_factory=list)  # keys removed
    first_cell: int | None = None  # position (0-based) of the first changed cell
    physical_line: int | None = None  # .ipynb line of that cell's first source line
    new_physical_line: int | None = None  # the same line in the stripped text

    @property
    def changed(self) -> bool:
        return self.text is not None

    def describe(self, done: bool) -> str:
        parts: list[str] = []
        counted = outputs_message(self.outputs, self.counts)
        if counted:
            if done:
                counted = counted.replace(" have ", " had ").replace(" has ", " had ")
            parts.append(counted)
        if self.metadata:
            shown = ", ".join(self.metadata[:4]) + (", ..." if len(self.metadata) > 4 else "")
            parts.append(f"volatile metadata ({shown})")
        return "; ".join(parts)


# -- the JSON layout of the file on disk ----------------------------------------------


@dataclass(frozen=True)
class Layout:
    indent: int | str = 1
    sort_keys: bool = True
    newline: str = "\n"
    bom: bool = False
    ascii_only: bool = False


def detect_layout(raw: str, bom: bool) -> Layout:
    """Jupyter's layout (indent 1, sorted keys) unless the file shows another indent.

    Files from other editors (Colab: indent 2, keys in its own order) keep their indent
    and key order, so the diff shows only what was stripped.
    """
    m = re.match(r"\s*\{(\r?\n)([ \t]+)\S", raw)
    newline = m.group(1) if m else ("\r\n" if "\r\n" in raw else "\n")
    indent: int | str = 1
    if m:
        ws = m.group(2)
        indent = len(ws) if set(ws) == {" "} else ws
    return Layout(
        indent=indent,
        sort_keys=indent == 1,
        newline=newline,
        bom=bom,
        ascii_only=raw.isascii(),
    )


def serialize(nb: Mapping[str, Any], layout: Layout) -> str:
    def dump(ascii_only: bool) -> str:
        return json.dumps(
            nb,
            indent=layout.indent,
            sort_keys=layout.sort_keys,
            ensure_ascii=ascii_only,
            separators=(",", ": "),
        )

    text = dump(False)
    if layout.ascii_only and not text.isascii():
        text = dump(True)  # the file escaped non-ASCII text; keep it that way
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from \ud800-style escapes
        text = dump(True)
    text += "\n"
    if layout.newline != "\n":
        text = text.replace("\n", layout.newline)
    return ("\ufeff" if layout.bom else "") + text


# -- stripping ------------------------------------------------------------------------


def _check_structure(nb: Mapping[str, Any]) -> None:
    if "metadata" in nb and not isinstance(nb["metadata"], dict):
        raise StripError("notebook `metadata` is not an object")
    for i, cell in enumerate(nb["cells"], 1):
        if not isinstance(cell, dict):
            raise StripError(f"cell {i} is not an object")
        if "metadata" in cell and not isinstance(cell["metadata"], dict):
            raise StripError(f"cell {i}: `metadata` is not an object")
        outputs = cell.get("outputs", [])
        if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
            raise StripError(f"cell {i}: `outputs` is not a list of objects")
        tags = cell.get("metadata", {}).get("tags")
        if tags is not None and not isinstance(tags, list):
            raise StripError(f"cell {i}: `metadata.tags` is not a list")


def _pop_key(root: Any, parts: Sequence[str], protect_first: bool) -> bool:
    """Remove root[parts...]; drop containers it leaves empty. True if something went."""
    trail: list[tuple[dict[str, Any], str]] = []
    node = root
    for part in parts[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            return False
        trail.append((node, part))
        node = node[part]
    if not isinstance(node, dict) or parts[-1] not in node:
        return False
    del node[parts[-1]]
    # `colab: {provenance: []}` minus provenance leaves nothing worth keeping.
    for depth in range(len(trail) - 1, -1, -1):
        parent, key = trail[depth]
        if parent[key] or (protect_first and depth == 0):
            break
        del parent[key]
    return True


def _strip_metadata(nb: dict[str, Any], keys: Sequence[str]) -> tuple[list[str], set[int]]:
    removed: list[str] = []
    cells_touched: set[int] = set()
    for key in keys:
        namespace, _, rest = key.partition(".")
        parts = rest.split(".")
        if namespace == "metadata":
            if _pop_key(nb.get("metadata"), parts, protect_first=False):
                removed.append(key)
            continue
        for position, cell in enumerate(nb["cells"]):
            # A cell's own `metadata` object stays, even when it ends up empty.
            if _pop_key(cell, parts, protect_first=parts[0] == "metadata"):
                cells_touched.add(position)
                if key not in removed:
                    removed.append(key)
    return removed, cells_touched


def _keep_by_tag(cell: Mapping[str, Any], tag: str) -> bool:
    meta = cell.get("metadata")
    tags = meta.get("tags") if isinstance(meta, dict) else None
    return isinstance(tags, list) and tag in tags


def _nbstripout(nb: dict[str, Any], options: StripOptions) -> dict[str, Any]:
    """Outputs and counts, by nbstripout's own rules; our tag counts as its keep tag."""
    try:
        import nbformat
        import nbstripout
    except ImportError as exc:  # pragma: no cover - the notebooks extra is missing
        raise StripError(
            f"nbstripout is not installed ({exc.name}); pip install 'mlvet[notebooks]'"
        ) from None
    node = nbformat.from_dict(nb)
    real_metadata: dict[int, Any] = {}
    if options.keep_output_tag != NBSTRIPOUT_KEEP_TAG:
        for position, cell in enumerate(node.cells):
            if _keep_by_tag(cell, options.keep_output_tag):
                # nbstripout reads cell metadata only to decide this; show it a keeper.
                real_metadata[position] = cell.get("metadata")
                cell["metadata"] = nbformat.from_dict({"keep_output": True})
    had_nb_metadata = "metadata" in node
    if not had_nb_metadata:
        node["metadata"] = nbformat.from_dict({})
    try:
        nbstripout.strip_output(
            node,
            keep_output=None,  # per cell, and the notebook's own `keep_output` metadata
            keep_count=options.keep_count,
            keep_id=True,  # cell ids are stable names, not run state
            extra_keys=[],
        )
    except nbstripout.MetadataError as exc:
        raise StripError(f"nbstripout: {exc}") from None
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        # A structure nbformat would reject; the file is left as it is.
        raise StripError(f"nbstripout cannot strip it ({type(exc).__name__}: {exc})") from None
    for position, meta in real_metadata.items():
        node.cells[position]["metadata"] = meta
    if not had_nb_metadata:
        del node["metadata"]
    return dict(node)


def strip_notebook(data: bytes, options: StripOptions) -> StripResult:
    """Strip one notebook's bytes. Pure: returns the new text, never writes."""
    try:
        nb, raw = load_notebook(data)
    except SourceError as exc:
        raise StripError(str(exc)) from None
    _check_structure(nb)
    try:
        work = _nbstripout(nb, options)  # works on a copy (nbformat.from_dict)
    except RecursionError:
        raise StripError("notebook is nested too deeply to strip") from None
    removed, meta_cells = _strip_metadata(work, options.strip_keys)
    if work == nb:
        return StripResult()
    result = StripResult(metadata=removed)
    changed_cells = set(meta_cells)
    for position, (before, after) in enumerate(zip(nb["cells"], work["cells"], strict=True)):
        if not is_code_cell(before):
            if before != after:
                changed_cells.add(position)
            continue
        if len(after.get("outputs") or []) < len(before.get("outputs") or []):
            result.outputs += 1
        if before.get("execution_count") != after.get("execution_count"):
            result.counts += 1
            changed_cells.add(position)
        if before != after:
            changed_cells.add(position)
    result.text = serialize(work, detect_layout(raw, data.startswith(codecs.BOM_UTF8)))
    if changed_cells:
        result.first_cell = min(changed_cells)
        result.physical_line = _first_source_line(raw, result.first_cell)
        result.new_physical_line = _first_source_line(result.text, result.first_cell)
    return result


def _first_source_line(raw: str, position: int) -> int | None:
    rows = notebook_source_lines(raw.lstrip("\ufeff")).get(position)
    return rows[0] if rows else None


# -- files ----------------------------------------------------------------------------


# Notebooks with plots and widget state grow large, and those are the ones to strip, so
# the limit is well above the one for checking code.
MAX_NOTEBOOK_BYTES = 256 * 1024 * 1024


def read_notebook_bytes(path: Path) -> bytes:
    if path.is_symlink() and not path.exists():
        raise StripError("broken symbolic link")
    if path.is_dir():
        raise StripError("is a directory")
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise StripError(f"too large to strip ({size} bytes; limit {MAX_NOTEBOOK_BYTES})")
        return path.read_bytes()
    except FileNotFoundError:
        raise StripError("no such file") from None
    except PermissionError:
        raise StripError("permission denied") from None
    except OSError as exc:
        raise StripError(f"cannot read: {exc.strerror or exc}") from None


def strip_path(path: str, options: StripOptions, write: bool) -> StripResult:
    """Strip one file; with `write`, replace it atomically when (and only when) it changes."""
    if write and os.path.islink(path):
        raise StripError("is a symbolic link; strip the file it points to instead")
    data = read_notebook_bytes(Path(path))
    result = strip_notebook(data, options)
    if write and result.text is not None:
        from mlvet.baseline import atomic_write_text

        try:
            atomic_write_text(Path(path), result.text)
        except OSError as exc:
            raise StripError(f"cannot write: {exc.strerror or exc}") from None
    return result
