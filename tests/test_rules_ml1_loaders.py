"""ML102 torch.load, ML103 numpy allow_pickle, ML104 yaml.load, ML105 Keras safe_mode."""

from __future__ import annotations

import pytest
from conftest import check_code
from ml1_support import assert_marked

TORCH = {
    "plain": """
        import torch
        sd = torch.load("ckpt.pt")  # !
        sd = torch.load("ckpt.pt", map_location="cpu")  # !
    """,
    "weights-only-true": """
        import torch
        sd = torch.load("ckpt.pt", weights_only=True)
        sd = torch.load("ckpt.pt", map_location="cpu", weights_only=True, mmap=True)
    """,
    "weights-only-false": """
        import torch
        sd = torch.load("ckpt.pt", weights_only=False)  # !
    """,
    "weights-only-variable": """
        import torch
        def load(path, safe):
            return torch.load(path, weights_only=safe)  # !
    """,
    "weights-only-none": """
        import torch
        torch.load(p, weights_only=None)  # !
    """,
    "star-kwargs-forwarded": """
        import torch
        def load(path, **kwargs):
            return torch.load(path, **kwargs)
    """,
    "star-kwargs-with-explicit-false": """
        import torch
        def load(path, **kwargs):
            return torch.load(path, weights_only=False, **kwargs)  # !
    """,
    "dict-literal-kwargs": """
        import torch
        a = torch.load(p, **{"weights_only": True})
        b = torch.load(p, **{"map_location": "cpu"})  # !
    """,
    "from-import-alias": """
        from torch import load as tl
        sd = tl("m.pt")  # !
    """,
    "import-as": """
        import torch as th
        sd = th.load("m.pt")  # !
    """,
    "serialization": """
        import torch.serialization
        sd = torch.serialization.load("m.pt")  # !
    """,
    "serialization-from": """
        from torch.serialization import load
        sd = load("m.pt")  # !
    """,
    "serialization-module-alias": """
        from torch import serialization as ser
        sd = ser.load("m.pt", weights_only=True)
        sd = ser.load("m.pt")  # !
    """,
    "multi-line": """
        import torch
        state = torch.load(  # !
            os.path.join(ckpt_dir, "model.pt"),
            map_location=lambda storage, loc: storage,
        )
    """,
    "module-rebinding": """
        import torch
        _load = torch.load
        sd = _load("m.pt")  # !
    """,
    "partial": """
        import functools
        import torch
        unsafe = functools.partial(torch.load, map_location="cpu")  # !
        safe = functools.partial(torch.load, weights_only=True)
    """,
    "reference": """
        import torch
        ds = DatasetFolder(root, loader=torch.load, extensions=(".pt",))  # !
    """,
    "unrelated-load": """
        import torch
        import json
        cfg = json.load(f)
        model.load_state_dict(torch.load("m.pt", weights_only=True))
        jit = torch.jit.load("scripted.pt")
        self.load("x")
    """,
    "torch-save-only": """
        import torch
        torch.save(model.state_dict(), "m.pt")
    """,
    "string-comment": """
        # torch.load(path)
        doc = "call torch.load(path, weights_only=True)"
    """,
    "notebook-style-no-import": """
        sd = torch.load("m.pt")  # !
    """,
    "load-state-dict-nesting": """
        import torch
        model.load_state_dict(torch.load(path, map_location=device))  # !
    """,
}

NUMPY = {
    "keyword-true": """
        import numpy as np
        d = np.load("d.npy", allow_pickle=True)  # !
    """,
    "positional": """
        import numpy as np
        d = np.load(p, None, True)  # !
        e = np.load(p, "r", False)
    """,
    "variable": """
        import numpy as np
        d = np.load(p, allow_pickle=flag)  # !
    """,
    "safe-values": """
        import numpy as np
        a = np.load(p)
        b = np.load(p, allow_pickle=False)
        c = np.load(p, allow_pickle=None)
        d = np.load(p, allow_pickle=0)
        e = np.load(p, mmap_mode="r")
    """,
    "numpy-full-and-from": """
        import numpy
        from numpy import load
        a = numpy.load(p, allow_pickle=True)  # !
        b = load(p, allow_pickle=1)  # !
    """,
    "from-alias-positional": """
        from numpy import load as npload
        b = npload(p, None, True)  # !
    """,
    "chained-item": """
        import numpy as np
        meta = np.load(  # !
            "meta.npy",
            allow_pickle=True,
        ).item()
    """,
    "dict-literal": """
        import numpy as np
        meta = np.load(p, **{"allow_pickle": True})  # !
    """,
    "star-kwargs": """
        import numpy as np
        meta = np.load(p, **opts)
    """,
    "read-array": """
        import numpy as np
        arr = np.lib.format.read_array(f, allow_pickle=True)  # !
    """,
    "unrelated": """
        import numpy as np
        x = loader.load(p, None, True)
        y = torch.load(p, allow_pickle=True)
        np.save("x.npy", arr, allow_pickle=True)
    """,
    "notebook-style": """
        x = np.load("x.npz", allow_pickle=True)  # !
    """,
}

YAML = {
    "no-loader": """
        import yaml
        cfg = yaml.load(f)  # !
    """,
    "unsafe-loaders": """
        import yaml
        a = yaml.load(f, Loader=yaml.Loader)  # !
        b = yaml.load(f, Loader=yaml.UnsafeLoader)  # !
        c = yaml.load(f, yaml.CLoader)  # !
        d = yaml.load_all(f, Loader=yaml.Loader)  # !
    """,
    "unsafe-load": """
        import yaml
        a = yaml.unsafe_load(f)  # !
        b = list(yaml.unsafe_load_all(f))  # !
    """,
    "safe-loaders": """
        import yaml
        a = yaml.load(f, Loader=yaml.SafeLoader)
        b = yaml.load(f, Loader=yaml.CSafeLoader)
        c = yaml.load(f, yaml.BaseLoader)
        d = yaml.load(f, Loader=yaml.CBaseLoader)
        e = yaml.load_all(f, Loader=yaml.SafeLoader)
        g = yaml.safe_load(f)
    """,
    "full-loader-not-flagged": """
        import yaml
        a = yaml.full_load(f)
        b = yaml.load(f, Loader=yaml.FullLoader)
        c = yaml.full_load_all(f)
    """,
    "imported-safe-loader": """
        from yaml import SafeLoader, load
        cfg = load(f, Loader=SafeLoader)
        bad = load(f)  # !
    """,
    "try-c-loader": """
        import yaml
        try:
            from yaml import CSafeLoader as Loader
        except ImportError:
            from yaml import SafeLoader as Loader
        cfg = yaml.load(f, Loader=Loader)
    """,
    "unsafe-imported": """
        from yaml import Loader, load
        cfg = load(f, Loader)  # !
    """,
    "variable-loader": """
        import yaml
        def read(f, loader):
            return yaml.load(f, Loader=loader)  # !
    """,
    "getattr-idiom": """
        import yaml
        Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        cfg = yaml.load(f, Loader=Loader)
        inline = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        bad = yaml.load(f, Loader=getattr(yaml, "CLoader", yaml.Loader))  # !
    """,
    "subclass-of-safe": """
        import yaml
        class ConfigLoader(yaml.SafeLoader):
            pass
        class Evil(yaml.Loader):
            pass
        a = yaml.load(f, Loader=ConfigLoader)
        b = yaml.load(f, Loader=Evil)  # !
    """,
    "alias-module": """
        import yaml as y
        cfg = y.load(open("c.yml"))  # !
    """,
    "multi-line": """
        import yaml
        cfg = yaml.load(  # !
            stream,
            Loader=yaml.Loader,
        )
    """,
    "star-kwargs": """
        import yaml
        cfg = yaml.load(f, **kw)
    """,
    "ruamel-not-pyyaml": """
        from ruamel.yaml import YAML
        yaml = YAML(typ="safe")
        data = yaml.load(f)
    """,
    "json-and-others": """
        import json
        import yaml
        a = json.load(f)
        yaml.dump(data, f)
        s = "yaml.load(f)"
    """,
    "notebook-style": """
        cfg = yaml.load(open("c.yaml"))  # !
    """,
}

KERAS = {
    "keras-models": """
        import keras
        m = keras.models.load_model("m.keras", safe_mode=False)  # !
    """,
    "tf-keras": """
        import tensorflow as tf
        m = tf.keras.models.load_model("m.keras", safe_mode=False)  # !
    """,
    "keras-saving": """
        import keras
        m = keras.saving.load_model("m.keras", compile=False, safe_mode=False)  # !
    """,
    "from-import": """
        from keras.models import load_model
        m = load_model("m.keras", safe_mode=False)  # !
    """,
    "from-tensorflow-import-keras": """
        from tensorflow import keras
        m = keras.models.load_model(path, safe_mode=False)  # !
    """,
    "variable-safe-mode": """
        from keras.models import load_model
        def restore(path, trusted):
            return load_model(path, safe_mode=trusted)  # !
    """,
    "safe": """
        import keras
        from keras.models import load_model
        a = keras.models.load_model("m.keras")
        b = load_model("m.keras", safe_mode=True)
        c = keras.saving.load_model("m.keras", compile=False)
    """,
    "enable-unsafe": """
        import keras
        keras.config.enable_unsafe_deserialization()  # !
    """,
    "enable-unsafe-tf": """
        import tensorflow as tf
        tf.keras.config.enable_unsafe_deserialization()  # !
    """,
    "enable-unsafe-from": """
        from keras.config import enable_unsafe_deserialization
        enable_unsafe_deserialization()  # !
    """,
    "multi-line": """
        import keras
        model = keras.models.load_model(  # !
            "m.keras",
            custom_objects={"Gelu": Gelu},
            safe_mode=False,
        )
    """,
    "unresolved-bare-load-model": """
        model = load_model("m.keras", safe_mode=False)  # !
    """,
    "unrelated-load-model": """
        import mlflow
        m = mlflow.pyfunc.load_model("runs:/1/model")
        m2 = self.load_model(path, safe_mode=False)
        m3 = registry.load_model(path, safe_mode=flag)
    """,
    "string-only": """
        note = "load_model(path, safe_mode=False)"
    """,
    "dict-literal": """
        import keras
        m = keras.models.load_model(p, **{"safe_mode": False})  # !
    """,
}


@pytest.mark.parametrize("code", TORCH.values(), ids=TORCH.keys())
def test_torch_load(code: str) -> None:
    assert_marked(code, "ML102")


@pytest.mark.parametrize("code", NUMPY.values(), ids=NUMPY.keys())
def test_numpy_allow_pickle(code: str) -> None:
    assert_marked(code, "ML103")


@pytest.mark.parametrize("code", YAML.values(), ids=YAML.keys())
def test_yaml_load(code: str) -> None:
    assert_marked(code, "ML104")


@pytest.mark.parametrize("code", KERAS.values(), ids=KERAS.keys())
def test_keras_unsafe_load(code: str) -> None:
    assert_marked(code, "ML105")


@pytest.mark.parametrize(
    ("code", "rule", "words"),
    [
        ("import torch\ntorch.load(p)\n", "ML102", ["`torch.load()`", "weights_only=True"]),
        (
            "import torch\ntorch.load(p, weights_only=False)\n",
            "ML102",
            ["weights_only=False", "safetensors"],
        ),
        (
            "import numpy as np\nnp.load(p, allow_pickle=True)\n",
            "ML103",
            ["`numpy.load()`", "allow_pickle=True", "allow_pickle=False"],
        ),
        ("import yaml\nyaml.load(f)\n", "ML104", ["`yaml.load()`", "yaml.safe_load()"]),
        (
            "import yaml\nyaml.load(f, Loader=yaml.UnsafeLoader)\n",
            "ML104",
            ["yaml.UnsafeLoader", "SafeLoader"],
        ),
        ("import yaml\nyaml.unsafe_load(f)\n", "ML104", ["`yaml.unsafe_load()`", "safe_load"]),
        (
            "import keras\nkeras.models.load_model(p, safe_mode=False)\n",
            "ML105",
            ["`keras.models.load_model()`", "safe_mode=False", "safe_mode=True"],
        ),
        (
            "import keras\nkeras.config.enable_unsafe_deserialization()\n",
            "ML105",
            ["enable_unsafe_deserialization", "safe mode"],
        ),
    ],
)
def test_messages_name_api_and_alternative(code: str, rule: str, words: list[str]) -> None:
    [f] = check_code(code, select=[rule])
    assert f.rule == rule and f.severity == "error"
    for word in words:
        assert word in f.message


def test_positions_point_at_call_start() -> None:
    code = "import torch\nif ok:\n    sd = {\n        'a': torch.load(\n            p)}\n"
    [f] = check_code(code, select=["ML102"])
    assert (f.line, f.column) == (4, 14)


def test_suppression_per_rule() -> None:
    code = (
        "import torch, yaml\n"
        "a = torch.load(p)  # mlvet: ignore[ML102]\n"
        "b = yaml.load(f)  # mlvet: ignore[ML102]\n"
        "c = torch.load(p)  # mlvet: ignore\n"
    )
    assert [(f.rule, f.line) for f in check_code(code, select=["ML1"])] == [("ML104", 3)]
