"""The ML7 text gates: which files are parsed for the LLM rules at all."""

from __future__ import annotations

import pytest
from mlvet.rules.llm import CHECKERS
from mlvet.rules.llm_catalog import MODEL_URL
from mlvet.rules.llm_prefilter import has_sink_word, imported_llm_libraries, names_model_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("import openai\n", {"openai"}),
        ("import os, openai\n", {"openai"}),
        (
            "from langchain_openai import ChatOpenAI\nfrom langchain.chains import LLMChain\n",
            {"langchain"},
        ),
        ("from llama_index.core import VectorStoreIndex\n", {"llama_index"}),
        (
            "import anthropic as ac\nfrom transformers import pipeline\n",
            {"anthropic", "transformers"},
        ),
        ("import torch\nimport numpy as np\n", set()),
        ("# we could use openai one day\n", set()),
        ("import openai_helpers\n", set()),
        ("import os,openai as oa\n", {"openai"}),
        ("import numpy as np, openai\n", {"openai"}),
        ("from x import openai\n", set()),
        ("if x:\n\timport  llama_index.core\n", {"llama_index"}),
        ("reimport openai\n", set()),
        # A from-import is found from its `import`: also where the module's name holds
        # the word, where imports follow one another closely, or far apart.
        ("from openai.importers import x\n", {"openai"}),
        ("from langchain_importers import y\n", {"langchain"}),
        ("from groq import a\nfrom cohere import b\nimport os\n", {"groq", "cohere"}),
        ("import os\n" + "x = 1\n" * 600 + "from dspy import Predict\n", {"dspy"}),
        ("from openai_helpers import x\n", set()),
        ("from  vllm  import LLM\n", {"vllm"}),
        ("import os  # import openai later\n", set()),
        # The `from` of a from-import is the last one starting a statement before it:
        # not one inside the module's name, nor prose or a comment before the statement.
        ("from openai.fromage import x\n", {"openai"}),
        ("from openai \\\n    import OpenAI\n", {"openai"}),
        ('"""Models we get from\nthe hub."""\nfrom anthropic import Anthropic\n', {"anthropic"}),
        ("x = 1  # from openai\nfrom os import path\n", set()),
        ("from os import path; import openai\n", {"openai"}),
        ('s = "important"\nimport os\n', set()),
    ],
)
def test_imported_llm_libraries(text: str, expected: set[str]) -> None:
    assert imported_llm_libraries(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model.eval()\nopt = torch.compile(model)\n", False),
        ("x = eval(s)\n", True),
        ("exec(code)\n", True),
        ("(compile(src, 'f', 'exec'))", True),
        ("import subprocess\n", True),
        ("cur.executescript(sql)\n", True),
        ("df = pd.read_sql(q, con)\n", True),
        ("print(model.generate(x))\n", False),
    ],
)
def test_has_sink_word(text: str, expected: bool) -> None:
    assert has_sink_word(text) is expected


def _gates(text: str) -> set[str]:
    return {c.__name__ for c in CHECKERS if c.pattern is not None and c.pattern.search(text)}


def test_plain_ml_training_script_passes_no_gate() -> None:
    text = (
        "import torch\nfrom torch import nn\nmodel.eval()\nwith open('log.txt') as f:\n    pass\n"
    )
    assert _gates(text) == set()


def test_llm_file_without_sinks_skips_the_data_flow() -> None:
    text = "from openai import OpenAI\nprint(OpenAI().chat.completions.create(model='m', messages=[]))\n"
    assert "LLMOutputExecutedChecker" not in _gates(text)
    assert "LLMOutputExecutedChecker" in _gates(text + "import subprocess\n")


def test_agent_and_pickle_gates_need_their_names() -> None:
    imports = "from langchain_experimental.tools import PythonREPLTool\n"
    assert "DangerousAgentToolChecker" in _gates(imports + "tools = [PythonREPLTool()]")
    assert "DangerousAgentToolChecker" not in _gates("from langchain_openai import ChatOpenAI\n")
    assert "DangerousAgentToolChecker" in _gates(
        "create_csv_agent(llm, p, allow_dangerous_code=True)"
    )
    assert "DangerousDeserializationChecker" in _gates("x(allow_dangerous_deserialization=True)")
    assert "DangerousDeserializationChecker" in _gates("sio.load(p, trusted=True)")
    assert "DangerousDeserializationChecker" not in _gates("sio.load(p, trusted=[T])")


# -- ML701 gate: model calls found without an import, sources named for real -------------


def _ml701_ungated(text: str) -> bool:
    from mlvet.config import Config
    from mlvet.rules.base import Context, Walker
    from mlvet.rules.llm import RULES, LLMOutputExecutedChecker
    from mlvet.sources import Source, parse_source

    source = Source(path="app.py", kind="python", text=text, lines=text.splitlines())
    tree, _ = parse_source(source)
    ctx = Context(source=source, tree=tree, config=Config(), rules={r.code: r for r in RULES})
    Walker(ctx, [LLMOutputExecutedChecker(ctx)]).run()
    return any(f.rule == "ML701" for f in ctx.findings)


ML701_PASSES = [
    # a client handed in as a parameter: no LLM import in the file
    "import subprocess\n\ndef run(client, task):\n"
    "    r = client.chat.completions.create(model='m', messages=[])\n"
    "    subprocess.run(r.choices[0].message.content, shell=True)\n",
    "def run(model, tok, ids):\n    out = model.generate(ids)\n    exec(tok.decode(out[0]))\n",
    "def run(m, q):\n    eval(m.generate_content(q).text)\n",
    "def ask(index, q):\n    engine = index.as_query_engine()\n    exec(str(engine.query(q)))\n",
    # raw HTTP to a model API, the URL built from parts
    "import requests\nBASE = 'http://localhost:8000'\n\ndef run(q):\n"
    "    r = requests.post(BASE + '/v1/chat/completions', json={})\n"
    "    eval(r.json()['choices'][0]['message']['content'])\n",
    # transformers.pipeline: a conventional name, and under another name
    "gen = transformers.pipeline('text-generation')\nexec(gen('x')[0]['generated_text'])\n",
    "import transformers as tf\ngen = tf.pipeline('text-generation')\n"
    "exec(gen('x')[0]['generated_text'])\n",
    "import os; import transformers as hf\ngen = hf . pipeline('text-generation')\n"
    "exec(gen('x')[0]['generated_text'])\n",
    "try:\n    from transformers import pipeline\nexcept ImportError:\n    pipeline = None\n"
    "gen = pipeline('text-generation')\nexec(gen('x')[0]['generated_text'])\n",
    "from transformers import (\n    AutoTokenizer,\n    pipeline,\n)\n"
    "gen = pipeline('text-generation')\nexec(gen('x')[0]['generated_text'])\n",
    "from transformers import pipeline as make\ngen = make('text-generation')\n"
    "exec(gen('x')[0]['generated_text'])\n",
    # the library imported after an aliased one
    "import torch, transformers as hf\ngen = hf.pipeline('text-generation')\n"
    "exec(gen('x')[0]['generated_text'])\n",
    "import subprocess\nimport numpy as np, anthropic\nc = anthropic.Anthropic()\n"
    "m = c.messages.create(model='m', max_tokens=9, messages=[])\n"
    "subprocess.run(m.content[0].text, shell=True)\n",
    # sinks with odd spacing
    "from openai import OpenAI\nclient = OpenAI()\n\ndef report(spark, q):\n"
    "    r = client.chat.completions.create(model='m', messages=[])\n"
    "    spark . sql(r.choices[0].message.content)\n",
    # a model API's path after another path; a session posting with odd spacing; a host alone
    "import httpx\n\ndef run(q):\n    r = httpx.post('http://proxy:8080/api/v1/messages', json={})\n"
    "    exec(r.json()['content'][0]['text'])\n",
    "import requests\n\ndef run(session, q):\n"
    "    r = session . post('http://localhost:11434/api/generate', json={})\n"
    "    exec(r.json()['response'])\n",
    "import requests\nURL = 'https://api.openai.com'\n\ndef run(q):\n    r = requests.post(URL, json={})\n"
    "    exec(r.json()['choices'][0]['message']['content'])\n",
]

ML701_REJECTS = [
    # generate and decode only in a library docstring
    'import pickle\n\ndef generate(self, ids):\n    """\n    out = model.generate(ids)\n'
    '    text = tokenizer.decode(out[0])\n    """\n    return pickle.dumps(ids)\n',
    # `pipeline` of sklearn, and transformers named in prose only
    "import subprocess\nfrom sklearn.pipeline import make_pipeline\n"
    "# column transformers feed the pipeline\npipe = make_pipeline(a, b)\nsubprocess.run(['ls'])\n",
    # `pipeline` from elsewhere; "transformers" and "pipeline" inside other names
    "import subprocess\nfrom sentence_transformers import SentenceTransformer\n"
    "from mylib.pipelines import pipeline\np = pipeline('x')\nsubprocess.run(p('y'), shell=True)\n",
    "import subprocess\nfrom .utils import dummy_torch_and_transformers_objects, custom_pipelines\n"
    "subprocess.run(['ls'])\n",
    # a post to some other API
    "import requests, subprocess\nr = requests.post('https://example.com/upload', data=b)\n"
    "subprocess.run(r.text, shell=True)\n",
    # an API path, a host named api.*, that are no model API's
    "import requests, subprocess\nr = requests.post('https://example.com/api/upload', data=b)\n"
    "subprocess.run(r.text, shell=True)\n",
    "import requests, subprocess\nr = requests.post('https://api.example.com/v2/run', data=b)\n"
    "subprocess.run(r.text, shell=True)\n",
    # generated ids never decoded
    "import subprocess\n\ndef run(model, ids):\n    out = model.generate(ids)\n"
    "    subprocess.run(str(out), shell=True)\n",
]


@pytest.mark.parametrize("text", ML701_PASSES)
def test_ml701_gate_passes_model_calls_without_imports(text: str) -> None:
    assert _ml701_ungated(text)
    assert "LLMOutputExecutedChecker" in _gates(text)


@pytest.mark.parametrize("text", ML701_REJECTS)
def test_ml701_gate_rejects_files_without_a_model_call(text: str) -> None:
    assert not _ml701_ungated(text)
    assert "LLMOutputExecutedChecker" not in _gates(text)


@pytest.mark.parametrize("url", MODEL_URL.pattern.split("|"))
def test_every_model_url_is_found(url: str) -> None:
    text = url.replace("\\.", ".")
    assert MODEL_URL.search(text)
    assert names_model_url(f"x = 1\nURL = 'https://{text}/x'\n")
    assert names_model_url(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'http://proxy/api/v1/messages'", True),
        ("'http://proxy/v1/v1/chat'", True),
        ("BASE + '/v1/chat/completions'", True),
        ("'https://example.com/api/upload'", False),
        ("'https://api.example.com/v1/models'", False),
        ("see https://github.com/openai/openai-python", False),
    ],
)
def test_model_url_spellings(text: str, expected: bool) -> None:
    assert names_model_url(text) is expected
    assert names_model_url(text) is (MODEL_URL.search(text) is not None)
