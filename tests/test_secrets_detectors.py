"""ML token detectors on real files: vendor formats, contexts, placeholders, look-alikes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import secrets_fakes as fake
from mlvet.findings import Finding
from mlvet.wrappers.secrets import Options, scan_file


def scan(tmp_path: Path, name: str, text: str, *, ds: bool = True) -> list[Finding]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    findings, errors = scan_file(str(path), Options(use_detect_secrets=ds))
    assert not errors, errors
    return findings


def names(findings: list[Finding]) -> list[str]:
    return [f.name for f in findings]


# -- prefixed vendor tokens ------------------------------------------------------------


@pytest.mark.parametrize(("slug", "make"), fake.PREFIXED, ids=[s for s, _ in fake.PREFIXED])
def test_prefixed_token_in_python_is_found(
    tmp_path: Path, slug: str, make: Callable[[], str]
) -> None:
    token = make()
    found = scan(tmp_path, "train.py", f'import os\nAPI_TOKEN = "{token}"\n')
    assert names(found) == [slug]
    f = found[0]
    assert (f.rule, f.source, f.line, f.column) == ("ML501", "mlvet", 2, 14)
    assert token not in f.message and token[:5] not in f.message
    assert f.message.endswith("assigned to API_TOKEN")


@pytest.mark.parametrize(("slug", "make"), fake.PREFIXED, ids=[s for s, _ in fake.PREFIXED])
def test_prefixed_token_unquoted_in_env_file(
    tmp_path: Path, slug: str, make: Callable[[], str]
) -> None:
    found = scan(tmp_path, ".env", f"# keys\nMY_KEY={make()}\n")
    assert names(found) == [slug]
    assert found[0].line == 2


def test_hugging_face_message_names_detector_and_variable(tmp_path: Path) -> None:
    token = fake.hugging_face()
    (f,) = scan(tmp_path, "a.py", f"HF_TOKEN = '{token}'\n")
    assert f.message == f"Hugging Face token {token[:4]}… assigned to HF_TOKEN"
    assert f.name == "hugging-face-token"
    assert token not in f.snippet and token not in f.fingerprint()


def test_token_inside_a_call_and_multiline_string(tmp_path: Path) -> None:
    t1, t2 = fake.openai_project(), fake.anthropic()
    code = (
        "from openai import OpenAI\n"
        "client = OpenAI(\n"
        f'    api_key="{t1}",\n'
        ")\n"
        "PROMPT = '''\n"
        f"use {t2} please\n"
        "'''\n"
    )
    found = scan(tmp_path, "app.py", code)
    assert [(f.name, f.line) for f in found] == [("openai-api-key", 3), ("anthropic-api-key", 6)]


def test_two_tokens_on_one_line(tmp_path: Path) -> None:
    line = f'TOKENS = ["{fake.groq()}", "{fake.replicate()}"]\n'
    found = scan(tmp_path, "t.py", line)
    assert sorted(names(found)) == ["groq-api-key", "replicate-api-token"]


# -- unquoted values in every config style ------------------------------------------------


def test_shell_export_and_slurm_script(tmp_path: Path) -> None:
    hf, wb = fake.hugging_face(), fake.wandb()
    text = (
        "#!/bin/bash\n#SBATCH --gres=gpu:1\n"
        f"export HF_TOKEN={hf}\n"
        f"export WANDB_API_KEY={wb}\n"
        "srun python train.py\n"
    )
    found = scan(tmp_path, "job.slurm", text)
    assert [(f.name, f.line) for f in found] == [("hugging-face-token", 3), ("wandb-api-key", 4)]
    assert found[1].message.endswith("assigned to WANDB_API_KEY")


def test_dockerfile_env_both_forms(tmp_path: Path) -> None:
    hf, wb = fake.hugging_face(), fake.wandb()
    text = f"FROM python:3.11\nENV HF_TOKEN {hf}\nENV WANDB_API_KEY={wb}\nRUN pip install x\n"
    found = scan(tmp_path, "Dockerfile", text)
    assert [(f.name, f.line) for f in found] == [("hugging-face-token", 2), ("wandb-api-key", 3)]


def test_github_workflow_env_block(tmp_path: Path) -> None:
    wb, hf = fake.wandb(), fake.hugging_face()
    text = (
        "jobs:\n  train:\n    runs-on: ubuntu-latest\n    env:\n"
        f"      WANDB_API_KEY: {wb}\n"
        f"      HF_TOKEN: {hf}\n"
        "      SAFE: ${{ secrets.OTHER }}\n"
    )
    found = scan(tmp_path, ".github/workflows/train.yml", text)
    assert [(f.name, f.line) for f in found] == [("wandb-api-key", 5), ("hugging-face-token", 6)]


def test_yaml_nested_under_vendor_key(tmp_path: Path) -> None:
    text = f"logging:\n  wandb:\n    project: demo\n    api_key: {fake.wandb()}\n"
    (f,) = scan(tmp_path, "config.yaml", text)
    assert (f.name, f.line) == ("wandb-api-key", 4)


def test_ini_and_toml_sections(tmp_path: Path) -> None:
    ini = f"[comet]\napi_key = {fake.comet()}\nproject_name = demo\n"
    assert names(scan(tmp_path, "setup.cfg", ini)) == ["comet-api-key"]
    toml = f'[mistral]\napi_key = "{fake.mistral()}"\n'
    assert names(scan(tmp_path, "conf.toml", toml)) == ["mistral-api-key"]


def test_json_config_nested(tmp_path: Path) -> None:
    text = json.dumps({"cohere": {"api_key": fake.cohere(), "model": "command-r"}}) + "\n"
    assert names(scan(tmp_path, "settings.json", text)) == ["cohere-api-key"]


def test_kubernetes_env_list(tmp_path: Path) -> None:
    text = f"env:\n  - name: WANDB_API_KEY\n    value: {fake.wandb()}\n"
    (f,) = scan(tmp_path, "deploy.yaml", text)
    assert (f.name, f.line) == ("wandb-api-key", 3)


# -- keys found only through their context ------------------------------------------------


@pytest.mark.parametrize(
    ("code", "slug"),
    [
        ('import wandb\nwandb.login(key="{wandb}")\n', "wandb-api-key"),
        ('import wandb\nwandb.login(\n    relogin=True,\n    key="{wandb}",\n)\n', "wandb-api-key"),
        ('import os\nos.environ["WANDB_API_KEY"] = "{wandb}"\n', "wandb-api-key"),
        ('import os\nos.environ.setdefault("KAGGLE_KEY", "{kaggle}")\n', "kaggle-api-key"),
        (
            'from comet_ml import Experiment\nexp = Experiment(api_key="{comet}", project_name="x")\n',
            "comet-api-key",
        ),
        ('import comet_ml\ncomet_ml.init(api_key="{comet}")\n', "comet-api-key"),
        ('import cohere\nco = cohere.Client("{cohere}")\n', "cohere-api-key"),
        ('import cohere\nco = cohere.ClientV2(api_key="{cohere}")\n', "cohere-api-key"),
        ('from cohere import Client\nco = Client(api_key="{cohere}")\n', "cohere-api-key"),
        (
            'from mistralai import Mistral\nclient = Mistral(api_key="{mistral}")\n',
            "mistral-api-key",
        ),
        ('MISTRAL_API_KEY = "{mistral}"\n', "mistral-api-key"),
        (
            'from openai import AzureOpenAI\nclient = AzureOpenAI(\n    api_key="{azure}",\n'
            '    api_version="2024-02-01",\n)\n',
            "azure-openai-key",
        ),
        ('AZURE_OPENAI_API_KEY = "{azure}"\n', "azure-openai-key"),
        ('from pinecone import Pinecone\npc = Pinecone(api_key="{uuid}")\n', "pinecone-api-key"),
        ('TOGETHER_API_KEY = "{sha256}"\n', "together-api-key"),
        ('config = {{"wandb_api_key": "{wandb}"}}\n', "wandb-api-key"),
    ],
)
def test_context_only_keys_are_found(tmp_path: Path, code: str, slug: str) -> None:
    values = {
        "wandb": fake.wandb(),
        "kaggle": fake.kaggle(),
        "comet": fake.comet(),
        "cohere": fake.cohere(),
        "mistral": fake.mistral(),
        "azure": fake.azure_openai(),
        "uuid": fake.uuid(),
        "sha256": fake.sha256_hex(),
    }
    found = scan(tmp_path, "train.py", code.format(**values))
    assert names(found) == [slug]


def test_wandb_login_message_names_the_call(tmp_path: Path) -> None:
    key = fake.wandb()
    (f,) = scan(tmp_path, "t.py", f'import wandb\nwandb.login(key="{key}")\n')
    assert f.message == f"Weights & Biases API key {key[:4]}… passed to wandb.login(key=…)"


@pytest.mark.parametrize(
    "code",
    [
        'COMMIT = "{sha1}"\n',
        'sha256 = "{sha256}"\n',
        'checksum = "{md5}"\n',
        'RUN_ID = "{uuid}"\n',
        'model = AutoModel.from_pretrained("bert-base-uncased", revision="{sha1}")\n',
        'import wandb\nrun = wandb.init(id="{md5}", project="demo")\n',
        'import wandb\nartifact_digest = "{sha1}"  # wandb artifact\n',
        'KAGGLE_USERNAME = "{md5}"\n',
        'WANDB_API_KEY = os.environ["WANDB_API_KEY"]\n',
        'WANDB_API_KEY = os.getenv("WANDB_API_KEY")\n',
        'key = "{sha1}"\n',
        'hashes = {{"a": "{sha256}", "b": "{sha1}"}}\n',
        'DATASET = "imagenet/{sha1}"\n',
        'lock = "{sha256}"  # sha256 of the archive\n',
    ],
)
def test_hashes_and_ids_stay_quiet(tmp_path: Path, code: str) -> None:
    values = {
        "sha1": fake.sha1_hex(),
        "sha256": fake.sha256_hex(),
        "md5": fake.md5_hex(),
        "uuid": fake.uuid(),
    }
    assert scan(tmp_path, "x.py", code.format(**values)) == []


def test_generic_api_key_name_is_enough_context_for_detect_secrets(tmp_path: Path) -> None:
    (f,) = scan(tmp_path, "x.py", f'api_key = "{fake.md5_hex()}"\n')
    assert (f.name, f.source) == ("secret-keyword", "detect-secrets")


def test_hash_file_and_lockfile_shapes(tmp_path: Path) -> None:
    text = "".join(f"{fake.sha256_hex()}  data/part-{i}.parquet\n" for i in range(5))
    assert scan(tmp_path, "SHA256SUMS", text) == []
    lock = f'[[package]]\nname = "torch"\nhash = "sha256:{fake.sha256_hex()}"\n'
    assert scan(tmp_path, "poetry.lock", lock) == []


# -- placeholders and look-alikes ---------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        'HF_TOKEN = "hf_xxx"',
        'HF_TOKEN = "hf_' + "x" * 34 + '"',
        'OPENAI_API_KEY = "sk-..."',  # pragma: allowlist secret
        'OPENAI_API_KEY = "sk-' + "X" * 48 + '"',
        'OPENAI_API_KEY = "<YOUR_KEY>"',
        'api_key = "<YOUR_OPENAI_API_KEY>"',
        'HF_TOKEN = os.environ["HF_TOKEN"]',
        'token = os.environ.get("HF_TOKEN")',
        "token = getpass.getpass('HF token: ')",
        'WANDB_API_KEY = "your-wandb-api-key-here"',  # pragma: allowlist secret
        'WANDB_API_KEY = "${WANDB_API_KEY}"',
        'ANTHROPIC_API_KEY = "sk-ant-api03-..."',  # pragma: allowlist secret
        'model_id = "meta-llama/Llama-2-7b-hf"',
        'repo = "openai/whisper-large-v3"',
        'hf_hub_download(repo_id="org/model-name", filename="model.safetensors")',
        'password = "changeme"',  # pragma: allowlist secret
        "password = get_password()",
        'DATABASE_URL = "postgres://user:password@localhost:5432/db"',  # pragma: allowlist secret
        'DATABASE_URL = "postgres://${DB_USER}:${DB_PASSWORD}@db:5432/app"',
        'url = "https://user:<token>@github.com/org/repo.git"',
        'url = "https://github.com/org/repo.git"',
        'hf_hub_kwargs = {"token": None}',
    ],
)
def test_placeholders_are_not_secrets(tmp_path: Path, line: str) -> None:
    assert scan(tmp_path, "x.py", line + "\n") == []


def test_placeholders_in_env_example(tmp_path: Path) -> None:
    text = "HF_TOKEN=hf_xxx\nOPENAI_API_KEY=sk-...\nWANDB_API_KEY=<your key>\nKAGGLE_KEY=\n"
    assert scan(tmp_path, ".env.example", text) == []


# -- URLs --------------------------------------------------------------------------------


def test_credentials_in_database_url(tmp_path: Path) -> None:
    pw = fake.password().replace("#", "x").replace("%", "y")
    (f,) = scan(
        tmp_path, "db.py", f'URL = "postgresql://trainer:{pw}@db.internal.example:5432/x"\n'
    )
    assert f.name == "url-credentials"
    assert pw not in f.message and "db.internal.example" in f.message


def test_token_in_requirements_index_url(tmp_path: Path) -> None:
    tok = fake.rand(30)
    text = f"--extra-index-url https://__token__:{tok}@pypi.corp.example/simple\ntorch==2.3.0\n"
    (f,) = scan(tmp_path, "requirements.txt", text)
    assert (f.name, f.line) == ("url-credentials", 1)
    assert tok[:5] not in f.message


# -- credential files by name -------------------------------------------------------------


def test_kaggle_json(tmp_path: Path) -> None:
    (f,) = scan(tmp_path, "kaggle.json", json.dumps({"username": "alice", "key": fake.kaggle()}))
    assert f.name == "kaggle-api-key"


def test_netrc_for_wandb(tmp_path: Path) -> None:
    text = f"machine api.wandb.ai\n  login user\n  password {fake.wandb()}\n"
    (f,) = scan(tmp_path, ".netrc", text)
    assert (f.name, f.line) == ("wandb-api-key", 3)


def test_comet_config(tmp_path: Path) -> None:
    (f,) = scan(tmp_path, ".comet.config", f"[comet]\napi_key={fake.comet()}\n")
    assert f.name == "comet-api-key"


def test_aws_credentials_ini(tmp_path: Path) -> None:
    text = (
        f"[default]\naws_access_key_id = {fake.aws_access_key_id()}\n"
        f"aws_secret_access_key = {fake.aws_secret_access_key()}\n"
    )
    found = scan(tmp_path, ".aws/credentials", text)
    assert sorted((f.name, f.line) for f in found) == [
        ("aws-access-key", 2),
        ("aws-secret-access-key", 3),
    ]
    assert {f.source for f in found} == {"detect-secrets", "mlvet"}


def test_gcp_service_account_json(tmp_path: Path) -> None:
    data = {"type": "service_account", "private_key": fake.private_key_pem(), "client_email": "a@b"}
    text = json.dumps(data, indent=2) + "\n"
    (f,) = scan(tmp_path, "sa.json", text)
    assert (f.name, f.line) == ("gcp-service-account-key", 3)


def test_streamlit_secrets_toml(tmp_path: Path) -> None:
    text = (
        f'[openai]\nOPENAI_API_KEY = "{fake.openai_project()}"\n[wandb]\nkey = "{fake.wandb()}"\n'
    )
    found = scan(tmp_path, ".streamlit/secrets.toml", text)
    assert names(found) == ["openai-api-key", "wandb-api-key"]


# -- what detect-secrets' own plugins add -------------------------------------------------


def test_detect_secrets_plugins_report_with_their_source(tmp_path: Path) -> None:
    text = f'GITHUB_TOKEN = "{fake.github()}"\nAWS_KEY = "{fake.aws_access_key_id()}"\n'
    found = scan(tmp_path, "ci.py", text)
    assert [(f.name, f.source) for f in found] == [
        ("github-token", "detect-secrets"),
        ("aws-access-key", "detect-secrets"),
    ]
    assert found[0].message.startswith("GitHub Token ghp_…")
    assert scan(tmp_path, "ci2.py", text, ds=False) == []


def test_private_key_block(tmp_path: Path) -> None:
    (f,) = scan(tmp_path, "id_rsa", fake.private_key_pem() + "\n")
    assert f.name == "private-key" and f.line == 1


def test_one_finding_when_both_engines_see_the_same_token(tmp_path: Path) -> None:
    found = scan(tmp_path, "k.py", f'OPENAI_API_KEY = "{fake.openai_classic()}"\n')
    assert [(f.name, f.source) for f in found] == [("openai-api-key", "mlvet")]


# -- suppressions ------------------------------------------------------------------------


def test_allowlist_pragma_and_mlvet_ignore(tmp_path: Path) -> None:
    text = (
        f'A = "{fake.hugging_face()}"  # pragma: allowlist secret\n'
        f'B = "{fake.hugging_face()}"  # mlvet: ignore[ML501]\n'
        f'C = "{fake.hugging_face()}"  # mlvet: ignore[ML101]\n'
        "# pragma: allowlist nextline secret\n"
        f'D = "{fake.hugging_face()}"\n'
    )
    found = scan(tmp_path, "s.py", text)
    assert [f.line for f in found] == [3]


# -- more ML habits ------------------------------------------------------------------------


def test_wandb_cli_login_and_printed_netrc(tmp_path: Path) -> None:
    key = fake.wandb()
    assert names(
        scan(tmp_path, "setup.sh", f"pip install wandb\nwandb login --relogin {key}\n")
    ) == ["wandb-api-key"]
    printed = f"machine api.wandb.ai\n  login user\n  password {fake.wandb()}\n"
    assert names(scan(tmp_path, "out.txt", printed)) == ["wandb-api-key"]


def test_kaggle_json_written_from_python(tmp_path: Path) -> None:
    code = (
        "import json, os\n"
        "os.makedirs(os.path.expanduser('~/.kaggle'), exist_ok=True)\n"
        "with open(os.path.expanduser('~/.kaggle/kaggle.json'), 'w') as f:\n"
        f"    json.dump({{'username': 'alice', 'key': '{fake.kaggle()}'}}, f)\n"
    )
    (f,) = scan(tmp_path, "setup_kaggle.py", code)
    assert (f.name, f.line) == ("kaggle-api-key", 4)


def test_azure_key_set_on_the_openai_module(tmp_path: Path) -> None:
    code = f'import openai\nopenai.api_type = "azure"\nopenai.api_key = "{fake.azure_openai()}"\n'
    assert names(scan(tmp_path, "az.py", code)) == ["azure-openai-key"]


def test_azure_chat_model_with_openai_keyword(tmp_path: Path) -> None:
    code = (
        "from langchain_openai import AzureChatOpenAI\nllm = AzureChatOpenAI(\n"
        f'    openai_api_key="{fake.azure_openai()}",\n    azure_deployment="gpt4",\n)\n'
    )
    (f,) = scan(tmp_path, "llm.py", code)
    assert (f.name, f.line) == ("azure-openai-key", 3)


def test_vendor_comment_on_previous_line(tmp_path: Path) -> None:
    code = f'# Weights & Biases (wandb)\nAPI_KEY = "{fake.wandb()}"\n'
    assert names(scan(tmp_path, "cfg.py", code)) == ["wandb-api-key"]


def test_ids_next_to_vendors_stay_quiet(tmp_path: Path) -> None:
    code = (
        f'COMET_EXPERIMENT_KEY = "{fake.md5_hex()}"\n'
        f'WANDB_RUN_ID = "{fake.md5_hex()}"\n'
        'KAGGLE_CONFIG_DIR = "/content/kaggle"\n'
        f'wandb.init(project="demo", id="{fake.md5_hex()}", resume="allow")\n'
        'AZURE_OPENAI_ENDPOINT = "https://example.openai.azure.com/"\n'
        f'wandb_artifact = "team/proj/model:{fake.sha1_hex()[:8]}"\n'
        'WANDB_ENTITY = "research"\n'
        f'cache_key = "{fake.sha1_hex()}"\n'
        'secret_name = "prod/openai"\n'  # pragma: allowlist secret
        'password_env_var = "DB_PASSWORD_VALUE"\n'  # pragma: allowlist secret
    )
    assert scan(tmp_path, "ids.py", code) == []


@pytest.mark.parametrize(
    "url",
    [
        "mongodb+srv://trainer:{pw}@cluster0.example.mongodb.net/db",
        "redis://:{pw}@cache.internal:6379/0",
        "git+https://oauth2:{pw}@gitlab.example.com/team/lib.git",
    ],
)
def test_more_url_credentials(tmp_path: Path, url: str) -> None:
    pw = fake.rand(20)
    (f,) = scan(tmp_path, "u.py", f'URL = "{url.format(pw=pw)}"\n')
    assert f.name == "url-credentials"


def test_dedicated_secrets_files_report_any_credential(tmp_path: Path) -> None:
    tok = fake.rand(28)
    toml = f'[db]\nhost = "db.internal"\ntoken = "{tok}"\n[ui]\ntheme = "dark"\n'
    (f,) = scan(tmp_path, ".streamlit/secrets.toml", toml)
    assert (f.name, f.line, f.source) == ("secret", 3, "mlvet")
    assert f.message.startswith("Streamlit secret ")
    env = f"TOKENIZERS_PARALLELISM=false\nSERVICE_TOKEN={fake.rand(32)}\nMODEL_NAME=llama-3\n"
    (g,) = scan(tmp_path, ".env", env)
    assert (g.name, g.line) == ("secret", 2)
    assert scan(tmp_path, ".env.example", f"SERVICE_TOKEN={fake.rand(32)}\n") == []


def test_aliases_far_from_the_import(tmp_path: Path) -> None:
    filler = "x = 1\n" * 40
    code = (
        f"import wandb as wb\nfrom comet_ml import Experiment\n{filler}"
        f'wb.login(key="{fake.wandb()}")\nexp = Experiment(api_key="{fake.comet()}")\n'
    )
    found = scan(tmp_path, "far.py", code)
    assert [(f.name, f.line) for f in found] == [("wandb-api-key", 43), ("comet-api-key", 44)]


def test_annotated_class_attributes(tmp_path: Path) -> None:
    hf, wb = fake.hugging_face(), fake.wandb()
    code = (
        f"class Settings(BaseSettings):\n    hf_token: str = '{hf}'\n"
        f'    wandb_api_key: Optional[str] = "{wb}"\n'
    )
    found = scan(tmp_path, "settings.py", code)
    assert [(f.name, f.line) for f in found] == [("hugging-face-token", 2), ("wandb-api-key", 3)]
    assert found[0].message.endswith("assigned to hf_token")
