"""ML106 trust-remote-code, ML107 torch-hub-load, ML108 unpinned-hub-download."""

from __future__ import annotations

import pytest
from conftest import check_code
from ml1_support import assert_marked
from mlvet.rules.remote_code import is_hub_id, ref_is_pinned

SHA = "a1b2c3d4" * 5  # a full 40-hex commit id, built at run time

TRUST = {
    "from-pretrained": """
        from transformers import AutoModelForCausalLM
        m = AutoModelForCausalLM.from_pretrained("org/m", trust_remote_code=True)  # !
    """,
    "any-call": """
        llm = LLM(model="org/m", trust_remote_code=True)  # !
        tok = get_tokenizer(name, trust_remote_code=True)  # !
        ds = load_dataset("org/d", trust_remote_code=True)  # !
    """,
    "variable": """
        from transformers import AutoModel
        m = AutoModel.from_pretrained(args.model, trust_remote_code=args.trust)  # !
    """,
    "false-and-none": """
        from transformers import AutoModel
        a = AutoModel.from_pretrained(p, trust_remote_code=False)
        b = AutoModel.from_pretrained(p, trust_remote_code=None)
        c = AutoModel.from_pretrained(p)
    """,
    "string-true": """
        m = AutoModel.from_pretrained(p, trust_remote_code="true")  # !
    """,
    "dict-star": """
        m = AutoModel.from_pretrained(p, **{"trust_remote_code": True})  # !
        n = AutoModel.from_pretrained(p, **{"trust_remote_code": False})
    """,
    "kwargs-dict": """
        from transformers import pipeline
        pipe = pipeline(  # !
            "text-generation",
            model=name,
            trust_remote_code=True,
        )
        opts = {"device_map": "auto", "trust_remote_code": True}  # !
        kw = dict(trust_remote_code=True)  # !
    """,
    "model-kwargs-nested-dict": """
        pipe = pipeline("text-generation", model=name,  # !
                        model_kwargs={"trust_remote_code": True})
    """,
    "definition-default-and-strings": """
        def load(name, trust_remote_code=True):
            return name
        parser.add_argument("--trust_remote_code", action="store_true")
        # trust_remote_code=True
        text = "trust_remote_code=True"
    """,
    "attribute-assignment-not-a-call": """
        config.trust_remote_code = True
    """,
}

HUB = {
    "unpinned": """
        import torch
        m = torch.hub.load("pytorch/vision", "resnet50", weights="DEFAULT")  # !
    """,
    "branch-refs": """
        import torch
        a = torch.hub.load("pytorch/vision:main", "resnet50")  # !
        b = torch.hub.load("facebookresearch/dino:master", "dino_vits16")  # !
        c = torch.hub.load("org/repo:dev", "m")  # !
        d = torch.hub.load("org/repo:HEAD", "m")  # !
    """,
    "pinned": """
        import torch
        a = torch.hub.load("pytorch/vision:v0.17.0", "resnet50")
        b = torch.hub.load("ultralytics/yolov5:v7.0", "yolov5s")
        c = torch.hub.load("org/repo:4b1d9c3", "m")
    """,
    "trust-repo": """
        import torch
        a = torch.hub.load("pytorch/vision:v0.17.0", "resnet50", trust_repo=True)  # !
        b = torch.hub.load("pytorch/vision:v0.17.0", "resnet50", trust_repo="check")
        c = torch.hub.load("pytorch/vision:v0.17.0", "resnet50", trust_repo=False)
    """,
    "local-source": """
        import torch
        a = torch.hub.load("./yolov5", "custom", source="local", path="best.pt")
        b = torch.hub.load(repo_dir, "custom", source="local")
        c = torch.hub.load("my/dir", "m", source="local", trust_repo=True)
        d = torch.hub.load("/abs/yolov5", "custom")
    """,
    "list-and-help": """
        import torch
        torch.hub.list("pytorch/vision")  # !
        torch.hub.help("pytorch/vision", "resnet18")  # !
        torch.hub.list("pytorch/vision:v0.10.0")
    """,
    "keyword-repo": """
        import torch
        m = torch.hub.load(repo_or_dir="snakers4/silero-vad", model="silero_vad")  # !
        n = torch.hub.list(github="pytorch/vision:main")  # !
    """,
    "from-hub-import": """
        from torch import hub
        from torch.hub import load as hub_load
        a = hub.load("org/repo", "m")  # !
        b = hub_load("org/repo", "m")  # !
    """,
    "variable-repo": """
        import torch
        m = torch.hub.load(REPO, "m")
    """,
    "multi-line": """
        import torch
        model = torch.hub.load(  # !
            "facebookresearch/dinov2",
            "dinov2_vits14",
        )
    """,
    "unrelated": """
        import torch
        state = torch.hub.load_state_dict_from_url(url, weights_only=True)
        hub.load("org/repo")
        cache = torch.hub.get_dir()
    """,
}

HF = {
    "from-pretrained": """
        from transformers import AutoModel, AutoTokenizer
        tok = AutoTokenizer.from_pretrained("google-bert/bert-base-uncased")  # !
        model = AutoModel.from_pretrained(  # !
            "google-bert/bert-base-uncased",
        )
    """,
    "pinned-commit-or-expression": f"""
        from transformers import AutoModel
        a = AutoModel.from_pretrained("org/m", revision="{SHA}")
        b = AutoModel.from_pretrained("org/m", revision="4b1d9c3")
        c = AutoModel.from_pretrained("org/m", revision=REVISION)
        d = AutoModel.from_pretrained("org/m", revision=cfg["rev"])
    """,
    "branch-or-tag": """
        from transformers import AutoModel
        a = AutoModel.from_pretrained("org/m", revision="main")  # !
        b = AutoModel.from_pretrained("org/m", revision="v1.0")  # !
        c = AutoModel.from_pretrained("org/m", revision=None)  # !
    """,
    "local-paths": """
        from transformers import AutoModel
        from pathlib import Path
        a = AutoModel.from_pretrained("./ckpt")
        b = AutoModel.from_pretrained("/abs/path/model")
        c = AutoModel.from_pretrained("~/models/bert")
        d = AutoModel.from_pretrained("C:\\\\models\\\\bert")
        e = AutoModel.from_pretrained(Path("ckpt") / "final")
        f = AutoModel.from_pretrained(os.path.join(out_dir, "best"))
        g = AutoModel.from_pretrained("outputs/checkpoint-500")
        h = AutoModel.from_pretrained("checkpoints/best")
        i = AutoModel.from_pretrained(model_name)
        j = AutoModel.from_pretrained(f"{org}/{name}")
    """,
    "single-name-ids": """
        from transformers import AutoModel, AutoTokenizer
        tok = AutoTokenizer.from_pretrained("gpt2")
        model = AutoModel.from_pretrained("bert-base-uncased")
    """,
    "any-class": """
        from diffusers import StableDiffusionPipeline
        from peft import PeftModel
        pipe = StableDiffusionPipeline.from_pretrained(  # !
            "stabilityai/stable-diffusion-2-1", torch_dtype=torch.float16
        )
        model = PeftModel.from_pretrained(base, "org/lora-adapter")  # !
        cfg = AutoConfig.from_pretrained(pretrained_model_name_or_path="org/m")  # !
    """,
    "hub-functions": """
        from huggingface_hub import hf_hub_download, snapshot_download
        p = hf_hub_download(repo_id="org/m", filename="model.safetensors")  # !
        q = hf_hub_download("org/m", "config.json", revision="main")  # !
        d = snapshot_download("org/m")  # !
        e = snapshot_download(repo_id="org/m", revision="4b1d9c3e")
        f = huggingface_hub.snapshot_download("org/d", repo_type="dataset")  # !
    """,
    "load-dataset": """
        from datasets import load_dataset
        a = load_dataset("HuggingFaceH4/ultrachat_200k", split="train_sft")  # !
        b = load_dataset("imdb")
        c = load_dataset("json", data_files="data/train.json")
        d = load_dataset(path="org/d", revision="4b1d9c3")
        e = load_dataset("csv", data_files={"train": "a/b.csv"})
    """,
    "pipeline": """
        from transformers import pipeline
        a = pipeline("text-generation", model="meta-llama/Llama-3.1-8B")  # !
        b = pipeline("sentiment-analysis", "org/sentiment")  # !
        c = pipeline("text-generation", model="org/m", revision="4b1d9c3")
        d = pipeline("sentiment-analysis")
        e = pipeline(model="org/m")  # !
    """,
    "sentence-transformers": """
        from sentence_transformers import CrossEncoder, SentenceTransformer
        a = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")  # !
        b = CrossEncoder("cross-encoder/ms-marco-MiniLM-L-6-v2")  # !
        c = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2", revision="4b1d9c3")
    """,
    "star-kwargs": """
        from transformers import AutoModel
        m = AutoModel.from_pretrained("org/m", **kwargs)
        n = AutoModel.from_pretrained("org/m", **{"revision": "4b1d9c3"})
        o = AutoModel.from_pretrained("org/m", **{"torch_dtype": "auto"})  # !
    """,
    "unrelated-same-names": """
        def pipeline(task, model):
            return task
        p = pipeline("x", "org/m")
        q = sklearn.pipeline.Pipeline([("a", "b/c")])
        r = my_loader.load_dataset("org/d")
        s = "AutoModel.from_pretrained('org/m')"
    """,
    "notebook-style-unresolved": """
        tok = AutoTokenizer.from_pretrained("org/m")  # !
        ds = load_dataset("org/d")  # !
    """,
    "aliased-import": """
        from huggingface_hub import snapshot_download as sd
        from transformers import pipeline as hf_pipeline
        a = sd("org/m")  # !
        b = hf_pipeline("fill-mask", model="org/m")  # !
    """,
    "local-files-only": """
        from transformers import AutoModel
        a = AutoModel.from_pretrained("org/m", local_files_only=True)
        b = AutoModel.from_pretrained("org/m", local_files_only=offline)  # !
    """,
    "file-name-not-repo": """
        from huggingface_hub import hf_hub_download
        p = hf_hub_download(repo_id=REPO, filename="onnx/model.onnx")
    """,
}


@pytest.mark.parametrize("code", TRUST.values(), ids=TRUST.keys())
def test_trust_remote_code(code: str) -> None:
    assert_marked(code, "ML106")


@pytest.mark.parametrize("code", HUB.values(), ids=HUB.keys())
def test_torch_hub_load(code: str) -> None:
    assert_marked(code, "ML107")


@pytest.mark.parametrize("code", HF.values(), ids=HF.keys())
def test_unpinned_hub_download(code: str) -> None:
    assert_marked(code, "ML108")


@pytest.mark.parametrize(
    ("ref", "pinned"),
    [
        ("v0.10.0", True),
        ("0.12", True),
        ("r1.4", True),
        ("4b1d9c3", True),
        (SHA, True),
        ("main", False),
        ("master", False),
        ("dev", False),
        ("develop", False),
        ("trunk", False),
        ("HEAD", False),
        ("feature/x", False),
        ("fix-typo", False),
    ],
)
def test_ref_is_pinned(ref: str, pinned: bool) -> None:
    assert ref_is_pinned(ref) is pinned


@pytest.mark.parametrize(
    ("text", "hub"),
    [
        ("meta-llama/Llama-2-7b-hf", True),
        ("stabilityai/stable-diffusion-xl-base-1.0", True),
        ("org/m", True),
        ("gpt2", False),
        ("./ckpt", False),
        ("/abs/x", False),
        ("~/x", False),
        ("C:\\x", False),
        ("a/b/c", False),
        ("outputs/checkpoint-500", False),
        ("org/model.safetensors", False),
        ("../up/x", False),
        ("org/", False),
    ],
)
def test_is_hub_id(text: str, hub: bool) -> None:
    assert is_hub_id(text) is hub


def test_ml108_is_a_warning_with_specific_message() -> None:
    [f] = check_code(
        "from transformers import AutoModel\nm = AutoModel.from_pretrained('org/m', revision='main')\n",
        select=["ML108"],
    )
    assert f.severity == "warning"
    assert "`AutoModel.from_pretrained()`" in f.message and '"org/m"' in f.message
    assert 'revision="main"' in f.message and "commit hash" in f.message


def test_ml107_message_lists_each_problem() -> None:
    [f] = check_code(
        "import torch\nm = torch.hub.load('org/r:main', 'm', trust_repo=True)\n",
        select=["ML107"],
    )
    assert "`torch.hub.load()`" in f.message
    assert '"main"' in f.message and "trust_repo=True" in f.message
    assert f.severity == "error"


def test_ml107_trust_repo_alone_is_not_called_unpinned() -> None:
    [f] = check_code(
        "import torch\nm = torch.hub.load('org/r:v1.2.0', 'm', trust_repo=True)\n",
        select=["ML107"],
    )
    assert "trust_repo=True" in f.message and "not pinned" not in f.message
    assert 'trust_repo at "check"' in f.message


def test_ml106_message_and_position() -> None:
    code = "from transformers import AutoModel\nx = [\n  AutoModel.from_pretrained(\n    p,\n    trust_remote_code=True)]\n"
    [f] = check_code(code, select=["ML106"])
    assert (f.line, f.column) == (3, 3)
    assert "`AutoModel.from_pretrained()`" in f.message and "trust_remote_code=True" in f.message


def test_one_call_can_break_two_rules() -> None:
    code = "from transformers import AutoModel\nm = AutoModel.from_pretrained('org/m', trust_remote_code=True)\n"
    assert sorted(f.rule for f in check_code(code, select=["ML106", "ML108"])) == ["ML106", "ML108"]
