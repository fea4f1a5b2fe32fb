"""ML205 missing-eval-mode: evaluation without .eval(), .eval() never undone."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code, check_notebook, make_notebook


def lines(code: str, path: str = "train.py") -> list[int]:
    found = check_code(textwrap.dedent(code), select=["ML205"], path=path)
    assert all(f.rule == "ML205" for f in found)
    return sorted(f.line for f in found)


POSITIVE = {
    "evaluate_function_no_grad": (
        """\
        import torch

        def evaluate(model, loader):
            total = 0
            with torch.no_grad():
                for x, y in loader:
                    total += (model(x).argmax(1) == y).sum().item()
            return total
        """,
        [7],
    ),
    "mnist_style_test_function": (
        """\
        import torch
        import torch.nn.functional as F

        def test(model, device, test_loader):
            test_loss = 0
            for data, target in test_loader:
                data, target = data.to(device), target.to(device)
                output = model(data)
                test_loss += F.nll_loss(output, target, reduction="sum").item()
            return test_loss
        """,
        [8],
    ),
    "inference_mode_module_level": (
        """\
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)
                self.drop = nn.Dropout(0.5)

            def forward(self, x):
                return self.fc(self.drop(x))

        net = Net()
        train(net)
        with torch.inference_mode():
            preds = net(x_test)
        """,
        [16],
    ),
    "decorated_no_grad": (
        """\
        import torch

        @torch.no_grad()
        def predict_batch(model, batch):
            return model(batch).softmax(-1)
        """,
        [5],
    ),
    "trainer_method_self_model": (
        """\
        import torch

        class Trainer:
            def __init__(self, model):
                self.model = model

            def validate(self, loader):
                losses = []
                with torch.no_grad():
                    for x, y in loader:
                        losses.append(self.criterion(self.model(x), y))
                return losses

            def train_epoch(self, loader):
                self.model.train()
                for x, y in loader:
                    self.optimizer.zero_grad()
                    self.criterion(self.model(x), y).backward()
                    self.optimizer.step()
        """,
        [11],
    ),
    "validation_inside_training_loop_without_eval": (
        """\
        import torch

        def fit(model, opt, train_loader, val_loader):
            for epoch in range(10):
                model.train()
                for x, y in train_loader:
                    opt.zero_grad()
                    loss_fn(model(x), y).backward()
                    opt.step()
                with torch.no_grad():
                    for x, y in val_loader:
                        val_loss = loss_fn(model(x), y)
        """,
        [12],
    ),
    "eval_never_undone_in_epoch_loop": (
        """\
        import torch

        def fit(model, opt, train_loader, val_loader):
            for epoch in range(10):
                for x, y in train_loader:
                    opt.zero_grad()
                    loss_fn(model(x), y).backward()
                    opt.step()
                model.eval()
                with torch.no_grad():
                    for x, y in val_loader:
                        val_loss = loss_fn(model(x), y)
        """,
        [9],
    ),
    "train_only_before_epoch_loop": (
        """\
        import torch

        def fit(model, optimizer, loader):
            model.train()
            for epoch in range(5):
                for x, y in loader:
                    optimizer.zero_grad()
                    loss_fn(model(x), y).backward()
                    optimizer.step()
                model.eval()
                evaluate_somewhere(model)
        """,
        [10],
    ),
    "eval_then_training_in_sequence": (
        """\
        import torch

        model.eval()
        with torch.no_grad():
            baseline = model(x_val)
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
        """,
        [3],
    ),
    "forward_call_in_eval_context": (
        """\
        import torch

        def predict(model, x):
            with torch.no_grad():
                return model.forward(x)
        """,
        [5],
    ),
}


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_fires(name: str) -> None:
    src, expected = POSITIVE[name]
    assert lines(src) == expected


NEGATIVE = {
    "evaluate_with_eval": """\
        import torch

        def evaluate(model, loader):
            model.eval()
            with torch.no_grad():
                return [model(x) for x in loader]
        """,
    "eval_by_caller": """\
        import torch

        def predict(model, x):
            with torch.no_grad():
                return model(x)

        model.eval()
        predict(model, batch)
        """,
    "train_false": """\
        import torch

        def evaluate(net, loader):
            net.train(False)
            with torch.no_grad():
                return [net(x) for x in loader]
        """,
    "chained_eval_on_creation": """\
        import torch
        import torchvision

        model = torchvision.models.resnet18(weights="DEFAULT").to("cuda").eval()
        with torch.no_grad():
            out = model(images)
        """,
    "eval_through_loop_variable": """\
        import torch

        for m in (encoder, decoder):
            m.eval()
        with torch.no_grad():
            z = encoder(x)
            y = decoder(z)
        """,
    "from_pretrained_never_trained": """\
        import torch
        from transformers import AutoModelForSequenceClassification

        model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased")
        with torch.no_grad():
            logits = model(**inputs).logits
        """,
    "not_torch": """\
        import numpy as np

        def evaluate(model, X):
            return model(X)
        """,
    "lightning_validation_step": """\
        import torch
        import lightning as L

        class Lit(L.LightningModule):
            def validation_step(self, batch, idx):
                x, y = batch
                return self.loss(self.model(x), y)

            def test_step(self, batch, idx):
                return self(batch[0])
        """,
    "module_own_method": """\
        import torch
        from torch import nn

        class Generator(nn.Module):
            @torch.no_grad()
            def generate(self, x):
                return self.decoder(self.encoder(x))
        """,
    "pytest_file_tests": """\
        import torch

        def test_model_shapes():
            model = build_model()
            with torch.no_grad():
                assert model(torch.ones(1, 3)).shape == (1, 2)
        """,
    "dqn_target_network": """\
        import torch

        def optimize(policy_net, target_net, optimizer, batch):
            with torch.no_grad():
                next_q = target_net(batch.next_state).max(1).values
            q = policy_net(batch.state)
            loss = loss_fn(q, next_q)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        """,
    "eval_then_train_restored": """\
        import torch

        def fit(model, opt, train_loader, val_loader):
            for epoch in range(10):
                model.train()
                for x, y in train_loader:
                    opt.zero_grad()
                    loss_fn(model(x), y).backward()
                    opt.step()
                model.eval()
                with torch.no_grad():
                    for x, y in val_loader:
                        val_loss = loss_fn(model(x), y)
        """,
    "eval_then_train_at_end_of_loop": """\
        import torch

        for epoch in range(10):
            for x, y in train_loader:
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                optimizer.step()
            model.eval()
            validate(model)
            model.train()
        """,
    "eval_at_end_no_more_training": """\
        import torch

        for x, y in train_loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
        model.eval()
        torch.save(model.state_dict(), "m.pt")
        """,
    "non_module_call_in_no_grad": """\
        import torch

        with torch.no_grad():
            y = transform(x)
            z = torch.relu(y)
            acc = accuracy(y, z)
        """,
    "inference_pipeline_class": """\
        import torch

        class DenoisePipeline:
            def __init__(self, unet, vae):
                self.unet = unet
                self.vae = vae

            @torch.no_grad()
            def __call__(self, latents, steps):
                for t in steps:
                    latents = self.unet(latents, t)
                return self.vae.decode(latents)
        """,
    "submodule_fetched_in_module_method": """\
        import torch
        from torch import nn

        class Seq2Seq(nn.Module):
            @torch.no_grad()
            def generate(self, x):
                encoder = self.get_encoder()
                return encoder(x)
        """,
    "imported_helper_named_like_model": """\
        import torch
        from .utils import convert_model

        with torch.no_grad():
            convert_model(net_a)
        """,
    "backward_in_eval_mode_for_saliency": """\
        import torch

        model.eval()
        for x in images:
            x.requires_grad_(True)
            model(x).max().backward()
            saliency.append(x.grad.abs())
        """,
    "pandas_eval_string": """\
        import torch

        def evaluate(df):
            return df.eval("a + b")
        """,
}


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_silent(name: str) -> None:
    path = "test_model.py" if name == "pytest_file_tests" else "train.py"
    assert lines(NEGATIVE[name], path=path) == []


def test_messages() -> None:
    src = POSITIVE["evaluate_function_no_grad"][0]
    (f,) = check_code(textwrap.dedent(src), select=["ML205"])
    assert "`model`" in f.message and "eval" in f.message
    assert f.fix and "model.eval()" in f.fix
    src = POSITIVE["eval_never_undone_in_epoch_loop"][0]
    (f,) = check_code(textwrap.dedent(src), select=["ML205"])
    assert "never undone" in f.message and "line 8" in f.message


def test_one_finding_per_module_and_function() -> None:
    src = """\
    import torch

    def evaluate(model, a, b):
        with torch.no_grad():
            model(a)
            model(b)
    """
    assert lines(src) == [5]


def test_notebook() -> None:
    nb = make_notebook(
        [
            "import torch\nfrom torch import nn",
            "model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.2), nn.Linear(8, 2))",
            ("markdown", "Evaluate"),
            "with torch.no_grad():\n    preds = model(X_test)",
        ]
    )
    found = check_notebook(nb, select=["ML205"])
    assert [(f.cell, f.line) for f in found] == [(4, 2)]
    nb["cells"][3]["source"] = [
        "model.eval()\n",
        "with torch.no_grad():\n",
        "    preds = model(X_test)",
    ]
    assert check_notebook(nb, select=["ML205"]) == []


MORE_NEGATIVE = {
    "factory_functions": """\
        import torch

        def build_model(cfg):
            return Net(cfg)

        with torch.no_grad():
            m = build_model(cfg)
            other = get_model("x")
        """,
    "jit_loaded": """\
        import torch

        model = torch.jit.load("scripted.pt")
        with torch.no_grad():
            y = model(x)
        """,
    "hf_pipeline": """\
        import torch
        from transformers import pipeline

        model = pipeline("text-classification", model="distilbert-base-uncased")
        with torch.no_grad():
            out = model("hello")
        """,
}


@pytest.mark.parametrize("name", sorted(MORE_NEGATIVE))
def test_silent_more(name: str) -> None:
    assert lines(MORE_NEGATIVE[name]) == []


def test_state_dict_inference_script_fires() -> None:
    src = """\
    import torch
    from model import Net

    model = Net()
    model.load_state_dict(torch.load("weights.pt", weights_only=True))
    with torch.no_grad():
        y = model(x)
    """
    assert lines(src) == [7]


def test_hf_style_loop_with_and_without_eval() -> None:
    src = """\
    import torch
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased")
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    for epoch in range(3):
        model.train()
        for batch in train_dataloader:
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        model.eval()
        for batch in eval_dataloader:
            with torch.no_grad():
                outputs = model(**batch)
    """
    assert lines(src) == []
    assert lines(src.replace("        model.eval()\n", "")) == [15]


def test_validation_in_training_function_without_train_call() -> None:
    src = """\
    import torch

    def fit(model, optimizer, train_loader, x_val, y_val):
        for epoch in range(10):
            for x, y in train_loader:
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                optimizer.step()
            with torch.no_grad():
                val_loss = loss_fn(model(x_val), y_val)
    """
    assert lines(src) == [10]
