"""Review of ML108's hub-id test: local output folders of training scripts are not hub ids."""

from __future__ import annotations

import pytest
from ml1_support import assert_marked
from mlvet.rules.remote_code import is_hub_id

# Folders that Trainer / Lightning / PEFT scripts write and read back.
LOCAL = [
    "output_dir/final_model",
    "my_output/model",
    "ckpt_dir/model",
    "save_dir/bert",
    "lightning_logs/version_0",
    "model_output/checkpoint",
    "trained_models/bert",
    "model_dir/bert",
    "finetuned_model/adapter",
    "cache_dir/m",
    "work_dirs/run",
    "peft_model/adapter_model",
    "mlruns/0",
    "sft_output/merged",
    "merged_model/fp16",
    "export/model",
    "saved_models/1",
    "dataset/train",
    "training/output",
]
HUB = [
    "meta-llama/Llama-2-7b-hf",
    "google-bert/bert-base-uncased",
    "TheBloke/Llama-2-7B-GGUF",
    "Qwen/Qwen2.5-0.5B",
    "EleutherAI/gpt-neo-1.3B",
    "timm/resnet50.a1_in1k",
    "sentence-transformers/all-MiniLM-L6-v2",
    "HuggingFaceH4/zephyr-7b-beta",
    "BAAI/bge-small-en-v1.5",
    "openai-community/gpt2",
    "deepseek-ai/deepseek-coder-6.7b-base",
    "onnx-community/whisper-tiny",
    "peft-internal-testing/tiny-dummy-qwen2",
    "hf-internal-testing/tiny-random-bert",
    "stanfordnlp/imdb",
    "lora-library/B-LoRA",
    # placeholder ids as tutorials write them
    "org/model",
    "my-org/model",
    "acme/adapter",
    "unsloth/llama-3-8b-bnb-4bit",
    "Helsinki-NLP/opus-mt-en-de",
    "nomic-ai/nomic-embed-text-v1",
]


@pytest.mark.parametrize("path", LOCAL)
def test_local_output_folders_are_not_hub_ids(path: str) -> None:
    assert not is_hub_id(path)


@pytest.mark.parametrize("repo", HUB)
def test_real_hub_ids_stay_hub_ids(repo: str) -> None:
    assert is_hub_id(repo)


def test_trainer_script_reads_back_its_own_output() -> None:
    assert_marked(
        """
        from transformers import AutoModelForSequenceClassification, AutoTokenizer, Trainer

        base = "microsoft/deberta-v3-base"
        tok = AutoTokenizer.from_pretrained("microsoft/deberta-v3-base")  # !
        trainer = Trainer(model=AutoModelForSequenceClassification.from_pretrained(base))
        trainer.save_model("output_dir/final_model")
        best = AutoModelForSequenceClassification.from_pretrained("output_dir/final_model")
        tok2 = AutoTokenizer.from_pretrained("save_dir/tokenizer")
    """,
        "ML108",
    )
