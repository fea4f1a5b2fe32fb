"""ML501: a credential in the repository (`mlvet secrets`, hook `detect-ml-secrets`).

The examples are prose: a documented example must never contain a token-shaped string.
"""

from __future__ import annotations

from mlvet.registry import Rule

CODE = "ML501"

RULES: list[Rule] = [
    Rule(
        code=CODE,
        name="secret",
        severity="error",
        summary="a credential (Hugging Face, OpenAI, Anthropic, W&B, Kaggle, AWS, ...) in a "
        "file, notebook cell or cell output",
        what=(
            "Finds credentials in every text file: vendor tokens by their real formats "
            "(Hugging Face, OpenAI classic and project keys, Anthropic, Groq, Replicate, "
            "Together, LangSmith, Pinecone, Google AI Studio, Neptune, ...), keys without a "
            "prefix through their context (a W&B key in WANDB_API_KEY or wandb.login(key=...), "
            "a Kaggle key in kaggle.json, Comet, Cohere, Mistral, Azure OpenAI), passwords "
            "and tokens inside URLs, private keys, and everything detect-secrets' own "
            "plugins find (AWS, GitHub, Slack, Stripe, ...). Notebooks are scanned cell by "
            "cell, outputs included. The finding's name and message name the detector; the "
            "secret itself is never printed beyond its first four characters."
        ),
        why=(
            "A token committed to git is public to everyone who can read the repository, "
            "forever: deleting the line does not remove it from history, and a notebook "
            "output that printed an environment variable leaks as surely as source code. "
            "Leaked ML keys are used to run paid inference, read private models and "
            "datasets, or push poisoned model weights."
        ),
        bad=(
            "A Hugging Face token (hf_ followed by 34 letters) assigned to HF_TOKEN in "
            "train.py, a W&B key passed as wandb.login(key=<40 hex digits>), or a notebook "
            "cell whose output printed os.environ with an OpenAI key in it."
        ),
        good=(
            'HF_TOKEN = os.environ["HF_TOKEN"], wandb.login() reading WANDB_API_KEY from the '
            "environment, getpass() in notebooks, placeholders such as hf_xxx or <YOUR_KEY> "
            "in docs, and model ids, git SHAs and sha256 checksums (never flagged)."
        ),
        fix=(
            "revoke the credential at its issuer, then read it from the environment or a "
            "secrets manager; acknowledge a known false positive with "
            "`# pragma: allowlist secret`, `# mlvet: ignore[ML501]` or a .secrets.baseline"
        ),
        references=(
            "https://github.com/Yelp/detect-secrets",
            "https://huggingface.co/docs/hub/security-tokens",
            "https://docs.github.com/en/code-security/secret-scanning",
            "https://cwe.mitre.org/data/definitions/798.html",
        ),
        example_kind="none",
        security_severity=8.5,
        tags=("security", "secrets", "CWE-798"),
    ),
]
