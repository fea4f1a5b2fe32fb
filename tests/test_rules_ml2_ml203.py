"""ML203 gradients-not-cleared: real training loops through the real engine."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code, check_notebook, make_notebook


def lines(code: str) -> list[int]:
    found = check_code(textwrap.dedent(code), select=["ML203"])
    assert all(f.rule == "ML203" for f in found)
    return sorted(f.line for f in found)


POSITIVE = {
    "basic": (
        """\
        for x, y in loader:
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
        """,
        [1],
    ),
    "zero_grad_before_loop_only": (
        """\
        optimizer.zero_grad()
        for x, y in loader:
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
        """,
        [2],
    ),
    "zero_grad_in_outer_epoch_loop_only": (
        """\
        for epoch in range(10):
            optimizer.zero_grad()
            for x, y in loader:
                loss = criterion(model(x), y)
                loss.backward()
                optimizer.step()
        """,
        [3],
    ),
    "nested_reports_inner_loop_once": (
        """\
        for epoch in range(10):
            for batch in loader:
                loss = model(**batch).loss
                loss.backward()
                optimizer.step()
                scheduler.step()
        """,
        [2],
    ),
    "while_loop": (
        """\
        step = 0
        while step < max_steps:
            loss = compute_loss()
            loss.backward()
            opt.step()
            step += 1
        """,
        [2],
    ),
    "accelerate_backward": (
        """\
        for batch in train_dataloader:
            outputs = model(**batch)
            accelerator.backward(outputs.loss)
            optimizer.step()
            lr_scheduler.step()
        """,
        [1],
    ),
    "amp_scaler": (
        """\
        for x, y in loader:
            with torch.autocast("cuda"):
                loss = loss_fn(model(x), y)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        """,
        [1],
    ),
    "self_attributes_in_method": (
        """\
        class Trainer:
            def fit(self):
                self.optimizer.zero_grad()
                for x, y in self.loader:
                    loss = self.loss_fn(self.model(x), y)
                    loss.backward()
                    self.optimizer.step()
        """,
        [4],
    ),
    "optimizer_with_unusual_name": (
        """\
        import torch
        g = torch.optim.Adam(gen.parameters())
        for z in batches:
            loss = -disc(gen(z)).mean()
            loss.backward()
            g.step()
        """,
        [3],
    ),
    "gan_two_optimizers_no_clear": (
        """\
        for real in loader:
            d_loss = d_criterion(netD(real), netD(netG(noise())))
            d_loss.backward()
            optimizerD.step()
            g_loss = g_criterion(netD(netG(noise())))
            g_loss.backward()
            optimizerG.step()
        """,
        [1],
    ),
    "async_for": (
        """\
        async def run():
            async for x in stream:
                loss = model(x).sum()
                loss.backward()
                optim.step()
        """,
        [2],
    ),
    "zero_grad_after_loop": (
        """\
        for x in data:
            model(x).sum().backward()
            optimizer.step()
        optimizer.zero_grad()
        """,
        [1],
    ),
}


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_fires(name: str) -> None:
    src, expected = POSITIVE[name]
    assert lines(src) == expected


NEGATIVE = {
    "zero_grad_first": """\
        for x, y in loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
        """,
    "zero_grad_last": """\
        for x, y in loader:
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        """,
    "model_zero_grad": """\
        for x, y in loader:
            model.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        """,
    "grad_set_to_none": """\
        for x, y in loader:
            criterion(model(x), y).backward()
            optimizer.step()
            for p in model.parameters():
                p.grad = None
        """,
    "grad_zero_in_place": """\
        for x, y in loader:
            criterion(model(x), y).backward()
            opt.step()
            for p in params:
                p.grad.zero_()
        """,
    "accumulation_with_condition": """\
        for i, (x, y) in enumerate(loader):
            loss = criterion(model(x), y) / accum
            loss.backward()
            if (i + 1) % accum == 0:
                optimizer.step()
                optimizer.zero_grad()
        """,
    "accumulation_inner_micro_batches": """\
        for step in range(steps):
            optimizer.zero_grad()
            for micro in split(batch, accum):
                (model(micro).loss / accum).backward()
            optimizer.step()
        """,
    "no_step": """\
        for x in loader:
            loss = model(x).sum()
            loss.backward()
            grads.append(x.grad)
        """,
    "scheduler_step_only": """\
        for epoch in range(10):
            train_one_epoch(model, loader, optimizer)
            scheduler.step()
            model(x).sum().backward()
        """,
    "rl_env_step": """\
        for t in range(1000):
            obs, reward, done, info = env.step(action)
            loss = -reward
            loss.backward()
        """,
    "backward_and_step_outside_loop": """\
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        """,
    "helper_function_does_training": """\
        def train_step(batch):
            optimizer.zero_grad()
            loss = model(batch).loss
            loss.backward()
            optimizer.step()

        for batch in loader:
            train_step(batch)
        """,
    "closure_for_lbfgs": """\
        for i in range(20):
            def closure():
                optimizer.zero_grad()
                loss = criterion(model(x), y)
                loss.backward()
                return loss
            optimizer.step(closure)
        """,
    "deepspeed_engine": """\
        for batch in loader:
            loss = engine(batch)
            engine.backward(loss)
            engine.step()
        """,
    "custom_zero_helper": """\
        for batch in loader:
            loss = model(batch)
            loss.backward()
            optimizer.step()
            self._zero_grad(optimizer)
        """,
    "fresh_optimizer_per_iteration": """\
        import torch
        for model_class in model_classes:
            model = model_class(config)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
            loss = model(**inputs).loss
            loss.backward()
            optimizer.step()
        """,
    "string_and_comment": """\
        for x in loader:
            s = "loss.backward(); optimizer.step()"  # loss.backward()
        """,
}


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_silent(name: str) -> None:
    assert lines(NEGATIVE[name]) == []


def test_finding_details() -> None:
    src = "for x in data:\n    model(x).sum().backward()\n    optimizer.step()\n"
    (f,) = check_code(src, select=["ML203"])
    assert f.severity == "error"
    assert "zero_grad" in f.message
    assert (f.line, f.column) == (1, 1)


def test_two_separate_loops_each_reported() -> None:
    src = """\
    def pretrain():
        for x in a:
            model(x).sum().backward()
            opt.step()

    def finetune():
        for x in b:
            opt.zero_grad()
            model(x).sum().backward()
            opt.step()
        for x in c:
            model(x).sum().backward()
            opt.step()
    """
    assert lines(src) == [2, 11]


def test_notebook_loop_in_a_cell() -> None:
    nb = make_notebook(
        [
            "import torch\nopt = torch.optim.SGD(model.parameters(), lr=0.1)",
            ("markdown", "Train"),
            "for epoch in range(3):\n    for x, y in loader:\n"
            "        loss = loss_fn(model(x), y)\n        loss.backward()\n        opt.step()",
        ]
    )
    found = check_notebook(nb, select=["ML203"])
    assert [(f.cell, f.line) for f in found] == [(3, 2)]


def test_full_training_script_correct() -> None:
    src = """\
    import torch
    from torch import nn


    def train(model, loader, epochs, device):
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)
        scaler = torch.cuda.amp.GradScaler()
        for epoch in range(epochs):
            model.train()
            for step, (x, y) in enumerate(loader):
                x, y = x.to(device), y.to(device)
                optimizer.zero_grad(set_to_none=True)
                with torch.autocast(device_type="cuda"):
                    loss = nn.functional.cross_entropy(model(x), y)
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                scaler.step(optimizer)
                scaler.update()
    """
    assert lines(src) == []


def test_notebook_with_magics_keeps_lines() -> None:
    nb = make_notebook(
        [
            "%matplotlib inline\n!pip install torch\nimport torch",
            "%%time\nfor x, y in loader:\n    loss = loss_fn(model(x), y)\n"
            "    loss.backward()\n    optimizer.step()",
        ]
    )
    found = check_notebook(nb, select=["ML203"])
    assert [(f.cell, f.line) for f in found] == [(2, 2)]
