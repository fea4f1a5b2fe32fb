"""ML701: every model-call source reaches a sink. Lines marked `# BAD` must be reported,
and nothing else."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code


def flagged(code: str) -> set[int]:
    return {f.line for f in check_code(textwrap.dedent(code), select=["ML701"])}


def marked(code: str) -> set[int]:
    return {i for i, line in enumerate(textwrap.dedent(code).splitlines(), 1) if "# BAD" in line}


SOURCES: dict[str, str] = {
    "openai_v1_client": """
        from openai import OpenAI

        client = OpenAI()

        def solve(question: str) -> None:
            resp = client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": question}],
            )
            code = resp.choices[0].message.content
            exec(code)  # BAD
    """,
    "openai_module_alias": """
        import openai as oa

        client = oa.OpenAI(api_key=KEY)
        answer = client.chat.completions.create(model="gpt-4o", messages=msgs).choices[0].message.content
        result = eval(answer)  # BAD
    """,
    "openai_legacy_chatcompletion": """
        import openai
        import os

        response = openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=messages)
        command = response["choices"][0]["message"]["content"]
        os.system(command)  # BAD
    """,
    "openai_legacy_completion": """
        import openai

        def generate_sql(prompt):
            completion = openai.Completion.create(engine="text-davinci-003", prompt=prompt)
            return completion.choices[0].text.strip()

        def run(cursor, q):
            sql = generate_sql(q)
            cursor.execute(sql)  # BAD
    """,
    "openai_responses_api": """
        from openai import OpenAI
        import subprocess

        client = OpenAI()
        response = client.responses.create(model="gpt-4.1", input="write a bash one-liner")
        subprocess.check_output(response.output_text, shell=True)  # BAD
    """,
    "openai_module_level_v1": """
        import openai

        r = openai.chat.completions.create(model="gpt-4o", messages=m)
        exec(r.choices[0].message.content)  # BAD
    """,
    "azure_openai": """
        from openai import AzureOpenAI

        az = AzureOpenAI(azure_endpoint=ENDPOINT, api_version="2024-02-01")

        def expr(text):
            out = az.chat.completions.create(model="gpt4", messages=[{"role": "user", "content": text}])
            return eval(out.choices[0].message.content)  # BAD
    """,
    "async_openai": """
        from openai import AsyncOpenAI

        client = AsyncOpenAI()

        async def main(q):
            resp = await client.chat.completions.create(model="gpt-4o", messages=q)
            exec(resp.choices[0].message.content)  # BAD
    """,
    "anthropic_messages": """
        import anthropic
        import subprocess

        client = anthropic.Anthropic()
        message = client.messages.create(
            model="claude-3-5-sonnet-latest",
            max_tokens=1024,
            messages=[{"role": "user", "content": "Give me a shell command to list files"}],
        )
        cmd = message.content[0].text
        subprocess.run(cmd, shell=True)  # BAD
    """,
    "anthropic_tool_use_input": """
        from anthropic import Anthropic
        import subprocess

        claude = Anthropic()

        def handle(prompt):
            msg = claude.messages.create(model="claude-3-opus", max_tokens=500, tools=TOOLS, messages=prompt)
            for block in msg.content:
                if block.type == "tool_use":
                    subprocess.run(block.input["command"], shell=True)  # BAD
    """,
    "litellm_completion": """
        from litellm import completion

        resp = completion(model="ollama/llama3", messages=[{"role": "user", "content": task}])
        code = resp.choices[0].message.content
        exec(code, {})  # BAD
    """,
    "litellm_module": """
        import litellm, os

        def act(goal):
            r = litellm.completion(model="gpt-4o", messages=[{"role": "user", "content": goal}])
            os.popen(r["choices"][0]["message"]["content"]).read()  # BAD
    """,
    "ollama_module": """
        import ollama
        import subprocess

        reply = ollama.chat(model="llama3", messages=[{"role": "user", "content": "a command"}])
        subprocess.Popen(reply["message"]["content"], shell=True)  # BAD
    """,
    "ollama_client": """
        from ollama import Client

        ol = Client(host="http://localhost:11434")
        out = ol.generate(model="codellama", prompt="python code to sum a list")
        exec(out["response"])  # BAD
    """,
    "hf_pipeline_variable": """
        from transformers import pipeline

        generator = pipeline("text-generation", model="bigcode/starcoder2-3b")
        completion = generator("def add(a, b):", max_new_tokens=64)[0]["generated_text"]
        exec(completion)  # BAD
    """,
    "hf_pipeline_inline": """
        from transformers import pipeline

        text = pipeline("text-generation", model="gpt2")("print(", max_new_tokens=20)[0]["generated_text"]
        eval(text)  # BAD
    """,
    "hf_inference_client": """
        from huggingface_hub import InferenceClient
        import subprocess

        hf = InferenceClient(model="meta-llama/Llama-3.1-8B-Instruct")
        cmd = hf.text_generation("Write a shell command that prints the date", max_new_tokens=30)
        subprocess.run(cmd.strip(), shell=True)  # BAD
    """,
    "hf_inference_chat_completion": """
        from huggingface_hub import InferenceClient

        client = InferenceClient()
        out = client.chat_completion(messages=[{"role": "user", "content": q}], max_tokens=200)
        exec(out.choices[0].message.content)  # BAD
    """,
    "model_generate_decoded": """
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained("Qwen/Qwen2.5-Coder-1.5B", revision="main")
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-Coder-1.5B", revision="main")
        inputs = tok(prompt, return_tensors="pt")
        with torch.no_grad():
            output_ids = model.generate(**inputs, max_new_tokens=128)
        code = tok.decode(output_ids[0][inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        exec(code)  # BAD
    """,
    "model_generate_batch_decode": """
        from transformers import AutoModelForCausalLM, AutoTokenizer

        def complete(model, tokenizer, prompt):
            ids = tokenizer(prompt, return_tensors="pt").input_ids
            gen = model.generate(ids, max_new_tokens=64)
            return tokenizer.batch_decode(gen, skip_special_tokens=True)[0]

        def main(m, t):
            answer = complete(m, t, "2+2=")
            print(eval(answer))  # BAD
    """,
    "langchain_chat_model_invoke": """
        from langchain_openai import ChatOpenAI
        import subprocess

        llm = ChatOpenAI(model="gpt-4o", temperature=0)
        msg = llm.invoke("Give me a shell command to count lines in *.py")
        subprocess.run(msg.content, shell=True)  # BAD
    """,
    "langchain_lcel_chain": """
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_anthropic import ChatAnthropic

        prompt = ChatPromptTemplate.from_template("Write Python that {task}. Only code.")
        chain = prompt | ChatAnthropic(model="claude-3-5-sonnet-latest") | StrOutputParser()

        def run(task):
            code = chain.invoke({"task": task})
            exec(code)  # BAD
    """,
    "langchain_llmchain_run": """
        from langchain.chains import LLMChain
        from langchain.llms import OpenAI
        from langchain.prompts import PromptTemplate
        import sqlite3

        llm = OpenAI(temperature=0)
        chain = LLMChain(llm=llm, prompt=PromptTemplate.from_template("SQL for: {q}"))
        conn = sqlite3.connect("shop.db")
        sql = chain.run(q="top customers")
        rows = conn.execute(sql).fetchall()  # BAD
    """,
    "langchain_predict_and_call": """
        from langchain.llms import OpenAI

        llm = OpenAI()
        exec(llm.predict("python to print hello"))  # BAD
        eval(llm("1 + 1 as a python expression"))  # BAD
    """,
    "langchain_agent_run": """
        from langchain.agents import initialize_agent, load_tools
        from langchain.chat_models import ChatOpenAI
        import os

        agent = initialize_agent(load_tools(["serpapi"]), ChatOpenAI(), agent="zero-shot-react-description")
        result = agent.run("What command shows disk usage?")
        os.system(result)  # BAD
    """,
    "langchain_sql_query_chain": """
        from langchain.chains import create_sql_query_chain
        from langchain_community.utilities import SQLDatabase
        from langchain_openai import ChatOpenAI

        db = SQLDatabase.from_uri("sqlite:///chinook.db")
        chain = create_sql_query_chain(ChatOpenAI(model="gpt-4o"), db)
        query = chain.invoke({"question": "How many employees are there?"})
        print(db.run(query))  # BAD
    """,
    "llamaindex_query_engine": """
        from llama_index.core import VectorStoreIndex, SimpleDirectoryReader
        import subprocess

        index = VectorStoreIndex.from_documents(SimpleDirectoryReader("docs").load_data())
        engine = index.as_query_engine()
        response = engine.query("Which command deploys the service?")
        subprocess.run(str(response), shell=True)  # BAD
    """,
    "llamaindex_llm_complete": """
        from llama_index.llms.openai import OpenAI

        llm = OpenAI(model="gpt-4o")
        resp = llm.complete("Python expression for the 10th prime")
        value = eval(resp.text)  # BAD
    """,
    "gemini_generate_content": """
        import google.generativeai as genai

        model = genai.GenerativeModel("gemini-1.5-flash")
        response = model.generate_content("python code that prints fibonacci numbers")
        exec(response.text)  # BAD
    """,
    "vllm_generate": """
        from vllm import LLM, SamplingParams

        llm = LLM(model="deepseek-ai/deepseek-coder-1.3b-instruct")
        outputs = llm.generate(["# python function to reverse a string"], SamplingParams(max_tokens=64))
        exec(outputs[0].outputs[0].text)  # BAD
    """,
    "client_on_self": """
        from openai import OpenAI

        class CodeAgent:
            def __init__(self):
                self.client = OpenAI()
                self.history = []

            def step(self, goal):
                reply = self.client.chat.completions.create(model="gpt-4o", messages=self.history)
                code = reply.choices[0].message.content
                exec(code, {"__builtins__": __builtins__})  # BAD
    """,
    "client_from_annotation": """
        from anthropic import Anthropic
        import subprocess

        def run_plan(client: Anthropic, goal: str) -> None:
            plan = client.messages.create(model="claude-3-haiku", max_tokens=256, messages=[{"role": "user", "content": goal}])
            for line in plan.content[0].text.splitlines():
                subprocess.run(line, shell=True)  # BAD
    """,
    "client_from_factory_helper": """
        from langchain_openai import ChatOpenAI

        def get_llm():
            return ChatOpenAI(model="gpt-4o-mini")

        llm = get_llm()
        answer = llm.invoke("an arithmetic expression").content
        print(eval(answer))  # BAD
    """,
    "streamed_chunks": """
        from openai import OpenAI

        client = OpenAI()
        stream = client.chat.completions.create(model="gpt-4o", messages=msgs, stream=True)
        code = ""
        for chunk in stream:
            code += chunk.choices[0].delta.content or ""
        exec(code)  # BAD
    """,
}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_source_reaches_sink(name: str) -> None:
    code = SOURCES[name]
    expected = marked(code)
    assert expected, "case must mark its sink"
    assert flagged(code) == expected


def test_message_names_source_and_sink_with_lines() -> None:
    code = textwrap.dedent(SOURCES["openai_v1_client"])
    (finding,) = check_code(code, select=["ML701"])
    assert finding.rule == "ML701"
    assert finding.name == "llm-output-executed"
    assert finding.severity == "error"
    assert "client.chat.completions.create() (line 7)" in finding.message
    assert "exec() (line 12)" in finding.message
    assert finding.column == 5
    assert finding.fix and "literal_eval" in finding.fix


def test_message_for_helper_names_helper_and_model_call() -> None:
    code = textwrap.dedent(SOURCES["openai_legacy_completion"])
    (finding,) = check_code(code, select=["ML701"])
    assert "openai.Completion.create() via generate_sql()" in finding.message
    assert "(line 5)" in finding.message
    assert "cursor.execute() (line 10)" in finding.message
    assert finding.fix and "parameters" in finding.fix


def test_decoded_generate_message_mentions_generate() -> None:
    code = textwrap.dedent(SOURCES["model_generate_decoded"])
    (finding,) = check_code(code, select=["ML701"])
    assert "model.generate() decoded by tok.decode()" in finding.message


MORE_SOURCES: dict[str, str] = {
    "raw_http_to_openai": """
        import requests

        API_URL = "https://api.openai.com/v1/chat/completions"

        def ask(prompt):
            r = requests.post(API_URL, headers=HEADERS, json={"model": "gpt-4o", "messages": [{"role": "user", "content": prompt}]})
            return r.json()["choices"][0]["message"]["content"]

        exec(ask("print hello"))  # BAD
    """,
    "raw_http_to_ollama": """
        import requests, subprocess

        resp = requests.post("http://localhost:11434/api/generate", json={"model": "llama3", "prompt": p, "stream": False})
        subprocess.run(resp.json()["response"], shell=True)  # BAD
    """,
    "nested_function_scope": """
        from openai import OpenAI

        def make_runner():
            client = OpenAI()

            def run(task):
                out = client.chat.completions.create(model="gpt-4o", messages=task)
                exec(out.choices[0].message.content)  # BAD

            return run
    """,
    "class_attribute_chain": """
        from langchain_openai import ChatOpenAI
        from langchain_core.prompts import ChatPromptTemplate
        import sqlite3

        class SQLBot:
            llm = ChatOpenAI(model="gpt-4o-mini")

            def __init__(self, path):
                self.conn = sqlite3.connect(path)
                self.chain = ChatPromptTemplate.from_template("SQL for {q}") | self.llm

            def ask(self, q):
                sql = self.chain.invoke({"q": q}).content
                return self.conn.execute(sql).fetchall()  # BAD
    """,
    "generator_helper": """
        from openai import OpenAI

        client = OpenAI()

        def stream_code(task):
            for chunk in client.chat.completions.create(model="gpt-4o", messages=task, stream=True):
                yield chunk.choices[0].delta.content or ""

        exec("".join(stream_code("sort a list")))  # BAD
    """,
    "async_with_and_gather": """
        import asyncio
        from anthropic import AsyncAnthropic

        async def main():
            async with AsyncAnthropic() as client:
                msg = await client.messages.create(model="claude-3-5-haiku-latest", max_tokens=300, messages=m)
            proc = await asyncio.create_subprocess_shell(msg.content[0].text)  # BAD
            await asyncio.create_subprocess_exec("python", "-c", msg.content[0].text)  # BAD
            await asyncio.create_subprocess_exec("say", msg.content[0].text)
            exec(msg.content[0].text)  # BAD
    """,
    "pickle_from_hex": """
        import pickle
        import litellm

        out = litellm.completion(model="gpt-4o", messages=m).choices[0].message.content
        obj = pickle.loads(bytes.fromhex(out))  # BAD
    """,
    "llm_param_named_llm": """
        from langchain_core.language_models import BaseChatModel

        def generate_sql(llm: BaseChatModel, question: str) -> str:
            return llm.invoke(f"SQL for: {question}").content

        def answer(llm, cursor, question):
            cursor.execute(generate_sql(llm, question))  # BAD
    """,
}


@pytest.mark.parametrize("name", sorted(MORE_SOURCES))
def test_more_sources(name: str) -> None:
    code = MORE_SOURCES[name]
    assert flagged(code) == marked(code)


def test_raw_http_to_an_unrelated_api_is_silent() -> None:
    code = """
        import requests, subprocess

        r = requests.post("https://example.com/api/jobs", json={"x": 1})
        subprocess.run(r.json()["cmd"], shell=True)
    """
    assert flagged(code) == set()


def test_llamaindex_agent_and_settings_llm() -> None:
    code = """
        import subprocess
        from llama_index.core import Settings
        from llama_index.core.agent import ReActAgent
        from llama_index.llms.ollama import Ollama

        Settings.llm = Ollama(model="llama3")
        agent = ReActAgent.from_tools([], llm=Settings.llm)
        reply = agent.chat("Which command frees disk space?")
        subprocess.run(str(reply), shell=True)  # BAD
        fix = Settings.llm.complete("a one-line shell fix").text
        subprocess.run(fix, shell=True)  # BAD
    """
    assert flagged(code) == marked(code)


LOCAL_MODELS: dict[str, str] = {
    "llama_cpp_call": """
        from llama_cpp import Llama

        llm = Llama(model_path="models/codellama-7b.Q4_K_M.gguf", n_ctx=2048)
        out = llm("Q: python one-liner that prints 42\\nA:", max_tokens=64)
        exec(out["choices"][0]["text"])  # BAD
    """,
    "llama_cpp_chat": """
        import subprocess
        from llama_cpp import Llama

        llm = Llama.from_pretrained(repo_id="TheBloke/Mistral-7B-GGUF", filename="*Q4*.gguf")
        r = llm.create_chat_completion(messages=[{"role": "user", "content": "a bash command"}])
        subprocess.run(r["choices"][0]["message"]["content"], shell=True)  # BAD
    """,
    "gpt4all_generate": """
        import os
        from gpt4all import GPT4All

        model = GPT4All("orca-mini-3b-gguf2-q4_0.gguf")
        os.system(model.generate("shell command to list files", max_tokens=30))  # BAD
    """,
    "mlx_lm_generate": """
        from mlx_lm import load, generate

        model, tokenizer = load("mlx-community/Qwen2.5-Coder-1.5B-4bit")
        code = generate(model, tokenizer, prompt="python: print primes", max_tokens=100)
        exec(code)  # BAD
    """,
    "replicate_run": """
        import replicate

        sql = "".join(replicate.run("meta/llama-2-70b-chat", input={"prompt": q}))
        conn.execute(sql)  # BAD
    """,
    "dspy_predict": """
        import dspy

        gen = dspy.Predict("question -> python_code")
        pred = gen(question="sum of squares below 10")
        exec(pred.python_code)  # BAD
    """,
}


@pytest.mark.parametrize("name", sorted(LOCAL_MODELS))
def test_local_model_sources(name: str) -> None:
    code = LOCAL_MODELS[name]
    assert flagged(code) == marked(code)
