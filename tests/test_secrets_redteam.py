"""Attacks on the secret scanner: leaks in odd places and look-alikes that must stay quiet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import secrets_fakes as fake
from conftest import notebook_text
from mlvet.findings import Finding
from mlvet.wrappers.secrets import Options, scan_file


def scan(tmp_path: Path, name: str, text: str) -> list[Finding]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    findings, errors = scan_file(str(path), Options())
    assert not errors, errors
    return findings


def cell(source: str, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "outputs": outputs,
        "source": source.splitlines(keepends=True),
    }


def result(text: str) -> dict[str, Any]:
    return {
        "output_type": "execute_result",
        "execution_count": 1,
        "metadata": {},
        "data": {"text/plain": [text]},
    }


def stream(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": [text]}


def nb_text(*cells: dict[str, Any]) -> str:
    return notebook_text({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


# A prefix-less key printed by a cell: the context (the variable) is in the cell's
# source, the value alone in its output.
BARE_OUTPUTS = [
    ("os.environ['WANDB_API_KEY']", "wandb-api-key", fake.wandb, "'{}'"),
    ("print(os.environ['KAGGLE_KEY'])", "kaggle-api-key", fake.kaggle, "{}\n"),
    ("print(f'key: {COHERE_API_KEY}')", "cohere-api-key", fake.cohere, "key: {}\n"),
    ("mistral_api_key", "mistral-api-key", fake.mistral, "'{}'"),
    ("userdata.get('AZURE_OPENAI_API_KEY')", "azure-openai-key", fake.azure_openai, "'{}'"),
]


@pytest.mark.parametrize(("source", "slug", "make", "shape"), BARE_OUTPUTS)
def test_prefixless_key_printed_by_its_cell(
    tmp_path: Path, source: str, slug: str, make: Any, shape: str
) -> None:
    value = make()
    out = result(shape.format(value)) if "'" in shape else stream(shape.format(value))
    found = scan(tmp_path, "nb.ipynb", nb_text(cell(source, [out])))
    assert [(f.name, f.cell) for f in found] == [(slug, 1)]
    assert "output of cell 1" in found[0].message


@pytest.mark.parametrize(
    "source",
    [
        "print(run.id)",
        "wandb.run.id",
        "print(git_sha)",
        "wandb_run_id",
        "print(hashlib.md5(b).hexdigest())",
        "KAGGLE_DATASET_MD5",
    ],
)
def test_hex_printed_by_a_cell_without_key_context_stays_quiet(tmp_path: Path, source: str) -> None:
    outs = [result(f"'{fake.sha1_hex()}'"), stream(fake.md5_hex() + "\n")]
    assert scan(tmp_path, "nb.ipynb", nb_text(cell("import wandb\n" + source, outs))) == []


def test_wandb_login_in_a_subprocess_argument_list(tmp_path: Path) -> None:
    key = fake.wandb()
    found = scan(
        tmp_path, "a.py", f'import subprocess\nsubprocess.run(["wandb", "login", "{key}"])\n'
    )
    assert [f.name for f in found] == ["wandb-api-key"]


def test_kaggle_set_config_value(tmp_path: Path) -> None:
    key = fake.kaggle()
    found = scan(
        tmp_path,
        "a.py",
        "from kaggle.api.kaggle_api_extended import KaggleApi\n"
        f'api = KaggleApi()\napi.set_config_value("key", "{key}")\n',
    )
    assert [f.name for f in found] == ["kaggle-api-key"]


# Documentation stand-ins built from runs of the alphabet or the digits.
SEQUENTIAL = [
    "hf_" + "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGH",
    "sk-" + "1234567890abcdef" * 3,
    "0123456789abcdef" * 2 + "01234567",
    "abcdef0123456789" * 2,
    "AIza" + "Sy" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456",
]


@pytest.mark.parametrize("value", SEQUENTIAL)
def test_sequential_stand_ins_are_placeholders(tmp_path: Path, value: str) -> None:
    names = [
        "WANDB_API_KEY",
        "KAGGLE_KEY",
        "HF_TOKEN",
        "OPENAI_API_KEY",
        "GOOGLE_API_KEY",
        "AZURE_OPENAI_API_KEY",
        "MISTRAL_API_KEY",
        "COMET_API_KEY",
    ]
    assert scan(tmp_path, "a.py", "".join(f'{n} = "{value}"\n' for n in names)) == []
    assert scan(tmp_path, ".env", "".join(f"{n}={value}\n" for n in names)) == []
    assert scan(tmp_path, "c.json", json.dumps(dict.fromkeys(names, value), indent=1)) == []


def test_a_real_token_is_not_a_sequence() -> None:
    from mlvet.wrappers.secrets_filters import is_placeholder

    makers = [
        fake.hugging_face,
        fake.openai_project,
        fake.wandb,
        fake.kaggle,
        fake.google,
        fake.cohere,
        fake.mistral,
        fake.anthropic,
        fake.neptune,
        fake.groq,
        fake.langsmith,
        fake.replicate,
        fake.comet,
        fake.azure_openai,
    ]
    assert not any(is_placeholder(make()) for make in makers for _ in range(200))


@pytest.mark.parametrize(
    ("make", "slug"), [(fake.wandb_v1, "wandb-api-key"), (fake.kaggle_token, "kaggle-api-key")]
)
def test_prefixed_newer_wandb_and_kaggle_keys_need_no_context(
    tmp_path: Path, make: Any, slug: str
) -> None:
    key = make()
    found = scan(tmp_path, "notes.md", f"the run used {key} yesterday\n")
    assert [f.name for f in found] == [slug]
    nb = nb_text(cell("print(creds)", [stream(f"{key}\n")]))
    assert [f.name for f in scan(tmp_path, "nb.ipynb", nb)] == [slug]
    assert [f.name for f in scan(tmp_path, "run.sh", f'export X="{key}"\n')] == [slug]
    # Stand-ins keep quiet.
    prefix = key[: key.index("_", 6) + 1] if slug.startswith("wandb") else key[:5]
    assert scan(tmp_path, "b.md", f"export X={prefix}xxxx\nX={prefix}...\n") == []


def _ipython_colored(code: str) -> str:
    """How IPython 8 paints a source line in a traceback: ANSI codes around every token."""
    import re

    parts = re.findall(r"\w+|[^\w\s]|\s+", code)
    return "".join(p if p.isspace() else f"\x1b[38;5;124;43m{p}\x1b[39;49m" for p in parts)


@pytest.mark.parametrize(
    ("make", "code", "slug"),
    [
        (fake.hugging_face, 'login(token="{}")', "hugging-face-token"),
        (fake.wandb, 'wandb.login(key="{}")', "wandb-api-key"),
        (fake.openai_project, "client = OpenAI(api_key='{}')", "openai-api-key"),
    ],
)
def test_token_in_an_ansi_coloured_traceback(
    tmp_path: Path, make: Any, code: str, slug: str
) -> None:
    token = make()
    error = {
        "output_type": "error",
        "ename": "HTTPError",
        "evalue": "401",
        "traceback": [
            "\x1b[0;31m---------------------------------\x1b[0m",
            "\x1b[0;32m----> 3\x1b[0m " + _ipython_colored(code.format(token)),
            "\x1b[0;31mHTTPError\x1b[0m: 401",
        ],
    }
    found = scan(tmp_path, "nb.ipynb", nb_text(cell("import wandb\nrun()", [error])))
    assert [(f.name, f.cell) for f in found] == [(slug, 1)]
    assert token[4:] not in found[0].message


@pytest.mark.parametrize(
    "body",
    [
        "TheQuickBrownFoxJumpsOverTheLazyDog",
        "quickBrownFoxJumpsOverLazyDogsToo",
        "ModelCheckpointCallbackForTraining2",
    ],
)
def test_camel_case_words_after_a_prefix_are_a_name(tmp_path: Path, body: str) -> None:
    text = f'assert name == "hf_{body}"\nx = "gsk_{body}WithSomeMoreWords"\n'
    assert scan(tmp_path, "a.py", text) == []


def test_message_never_names_a_neighbouring_secret(tmp_path: Path) -> None:
    first, second = fake.wandb(), fake.wandb()
    found = scan(tmp_path, "c.yaml", f"wandb_api_key: {first}\nsecret: {second}\n")
    assert len(found) == 2
    for f in found:
        for token in (first, second):
            assert token[4:12] not in f.message and token[4:12] not in (f.fix or "")


def test_kubernetes_env_pair_names_the_variable(tmp_path: Path) -> None:
    key = fake.wandb()
    (f,) = scan(tmp_path, "k8s.yaml", f"env:\n  - name: WANDB_API_KEY\n    value: {key}\n")
    assert "WANDB_API_KEY" in f.message


def test_descriptions_are_scrubbed_of_token_shapes() -> None:
    from mlvet.wrappers.secrets import _scrub

    key = fake.wandb()
    assert _scrub(f"assigned to {key}") == f"assigned to {key[:4]}…"
    for kept in (
        "assigned to WANDB_API_KEY",
        "passed to wandb.login(key=…)",
        "assigned to azure_openai_api_key",
        "in a postgres URL for db.internal",
    ):
        assert _scrub(kept) == kept


@pytest.mark.parametrize("name", ["prod.env", "secrets.env", "config/.env.production"])
def test_named_env_files_are_secrets_files(tmp_path: Path, name: str) -> None:
    token = fake.rand(32)
    found = scan(tmp_path, name, f"# service\nSERVICE_TOKEN={token}\nLOG_LEVEL=info\n")
    assert [(f.line, f.name) for f in found] == [(2, "secret")]


@pytest.mark.parametrize("name", ["example.env", ".env.example", "sample.env", "template.env"])
def test_example_env_files_stay_quiet(tmp_path: Path, name: str) -> None:
    assert scan(tmp_path, name, f"SERVICE_TOKEN={fake.rand(32)}\n") == []


def test_azure_rest_api_key_header(tmp_path: Path) -> None:
    key = fake.azure_openai()
    text = (
        "import requests\n"
        'url = "https://res.openai.azure.com/openai/deployments/gpt4/chat/completions"\n'
        f'headers = {{"Content-Type": "application/json", "api-key": "{key}"}}\n'
        "r = requests.post(url, headers=headers, json=body)\n"
    )
    assert [f.name for f in scan(tmp_path, "call.py", text)] == ["azure-openai-key"]


def test_plain_key_name_far_from_any_vendor_stays_quiet(tmp_path: Path) -> None:
    text = (
        "import wandb\n"
        + "\n" * 12
        + f'cache = {{"key": "{fake.md5_hex()}", "api-key": "{fake.sha1_hex()}"}}\n'
    )
    assert scan(tmp_path, "a.py", text) == []


@pytest.mark.parametrize(
    "source",
    [
        "os.environ['WANDB_API_KEY'] = getpass()\n!git rev-parse HEAD",
        "wandb_key = os.environ['WANDB_API_KEY']\nprint(hashlib.sha1(data).hexdigest())",
        "KAGGLE_KEY = userdata.get('KAGGLE_KEY')\nprint(md5(open(f, 'rb').read()))",
    ],
)
def test_digest_printed_next_to_a_key_name_stays_quiet(tmp_path: Path, source: str) -> None:
    outs = [stream(fake.sha1_hex() + "\n"), result(f"'{fake.md5_hex()}'")]
    assert scan(tmp_path, "nb.ipynb", nb_text(cell(source, outs))) == []


@pytest.mark.parametrize(
    ("line", "make", "slug"),
    [
        ('parser.add_argument("--wandb-key", default="{}")', fake.wandb, "wandb-api-key"),
        (
            "parser.add_argument('--kaggle_key', type=str, default='{}', help='key')",
            fake.kaggle,
            "kaggle-api-key",
        ),
        (
            'parser.add_argument(\n    "--cohere_api_key",\n    type=str,\n    default="{}",\n)',
            fake.cohere,
            "cohere-api-key",
        ),
        ('@click.option("--wandb-api-key", default="{}")', fake.wandb, "wandb-api-key"),
    ],
)
def test_command_line_option_defaults(tmp_path: Path, line: str, make: Any, slug: str) -> None:
    found = scan(tmp_path, "train.py", "import argparse\n" + line.format(make()) + "\n")
    assert [f.name for f in found] == [slug]


def test_option_defaults_that_are_not_keys(tmp_path: Path) -> None:
    text = (
        "import argparse\n"
        f'parser.add_argument("--wandb-run-id", default="{fake.md5_hex()}")\n'
        f'parser.add_argument("--kaggle-dataset-sha", default="{fake.sha1_hex()}")\n'
        'parser.add_argument("--wandb-key", default=os.environ.get("WANDB_API_KEY"))\n'
        f'parser.add_argument("--seed", default="{fake.md5_hex()}")\n'
    )
    assert scan(tmp_path, "train.py", text) == []


def test_key_piped_into_wandb_login(tmp_path: Path) -> None:
    found = scan(tmp_path, "setup.sh", f'echo "{fake.wandb()}" | wandb login\n')
    assert [f.name for f in found] == ["wandb-api-key"]


def test_one_very_long_line_is_scanned_in_bounded_time(tmp_path: Path) -> None:
    # A 400 KB single-line .env once made the context scan backtrack for minutes.
    import time

    from mlvet.wrappers.secrets_context import _pairs

    line = "API_TOKEN=" + "a1" * 200_000
    start = time.perf_counter()
    pairs = list(_pairs(line))
    assert time.perf_counter() - start < 30  # a hang guard, not a speed target
    assert pairs and pairs[0][0] == "API_TOKEN"
