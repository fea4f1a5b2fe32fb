"""Odd but valid Python never crashes the ML1xx checkers, and still gets the right answer."""

from __future__ import annotations

import textwrap

from conftest import check_code

ODD = textwrap.dedent(
    """
    import pickle, torch, yaml, numpy as np, keras
    from transformers import AutoModel
    f = lambda *a, **k: None
    f(*[1], **{})
    f(**{**base, "trust_remote_code": False})
    (lambda: 0)()
    getattr(pickle, "loads")(blob)
    loaders = {"pkl": pickle.load}
    loaders["pkl"](fh)
    torch.load(*paths)
    np.load(*args)
    np.load(p, *rest)
    yaml.load(*args)
    keras.models.load_model(*a, **k)
    AutoModel.from_pretrained(*ids)
    AutoModel.from_pretrained(**cfg)
    [x async for x in aiter()] if False else None
    match cmd:
        case {"load": fn}:
            fn()
        case _:
            pass
    if (n := len(xs)) > 3:
        obj = pickle.loads(xs[n])
    async def run():
        async with lock:
            return await loop.run_in_executor(None, pickle.loads, data)
    class Holder:
        load = staticmethod(pickle.load)
        @property
        def model(self):
            return torch.load(self.path, weights_only=True)
    torch.hub.load(*repo)
    torch.hub.load(source="local")
    yaml.load(Loader=yaml.SafeLoader, stream=f)
    """
)


def test_odd_shapes_do_not_crash_and_fire_only_where_they_should() -> None:
    found = sorted((f.rule, f.line) for f in check_code(ODD, select=["ML1"]))
    lines = ODD.splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if text in line)

    assert found == sorted(
        [
            ("ML101", line_of("pickle.loads(xs[n])")),
            ("ML101", line_of("run_in_executor")),
            ("ML101", line_of("staticmethod(pickle.load)")),
            ("ML102", line_of("torch.load(*paths)")),
        ]
    )


def test_empty_and_comment_only_files() -> None:
    assert check_code("", select=["ML1"]) == []
    assert (
        check_code("# pickle.load(f) torch.load(p) trust_remote_code=True\n", select=["ML1"]) == []
    )
    assert check_code('"""yaml.load(f)\ntorch.hub.load("a/b", "m")"""\n', select=["ML1"]) == []
