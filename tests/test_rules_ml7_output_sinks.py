"""ML701: every sink, every propagation step and every sanitiser. Lines marked `# BAD` must
be reported, and nothing else."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code

PRELUDE = """\
from openai import OpenAI
client = OpenAI()
def ask(prompt):
    r = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])
    return r.choices[0].message.content
"""


def flagged(code: str) -> set[int]:
    text = PRELUDE + textwrap.dedent(code)
    offset = PRELUDE.count("\n")
    return {f.line - offset for f in check_code(text, select=["ML701"])}


def marked(code: str) -> set[int]:
    return {i for i, line in enumerate(textwrap.dedent(code).splitlines(), 1) if "# BAD" in line}


CASES: dict[str, str] = {
    # ---- code execution --------------------------------------------------------------
    "exec": """
        out = ask("code")
        exec(out)  # BAD
    """,
    "eval_keyword_free": """
        val = eval(ask("expr"), {"__builtins__": {}})  # BAD
    """,
    "compile_then_exec": """
        src = ask("code")
        code_obj = compile(src, "<llm>", "exec")  # BAD
    """,
    "builtins_exec": """
        import builtins
        builtins.exec(ask("x"))  # BAD
    """,
    # ---- shell -------------------------------------------------------------------------
    "os_system_fstring": """
        import os
        target = ask("a folder name")
        os.system(f"ls -la {target}")  # BAD
    """,
    "os_popen_concat": """
        import os
        os.popen("grep -r " + ask("pattern")).read()  # BAD
    """,
    "os_execvp_program": """
        import os
        prog = ask("which program?")
        os.execvp(prog, [prog])  # BAD
    """,
    "subprocess_run_shell": """
        import subprocess
        subprocess.run(ask("cmd"), shell=True, check=True)  # BAD
    """,
    "subprocess_split_argv": """
        import shlex
        import subprocess as sp
        argv = shlex.split(ask("cmd"))
        sp.call(argv)  # BAD
    """,
    "subprocess_from_import": """
        from subprocess import check_output
        check_output(ask("cmd").split())  # BAD
    """,
    "subprocess_bash_c": """
        import subprocess
        script = ask("script")
        subprocess.run(["bash", "-c", script])  # BAD
    """,
    "subprocess_python_c": """
        import subprocess, sys
        subprocess.run([sys.executable, "-c", ask("code")])  # BAD
    """,
    "subprocess_program_from_model": """
        import subprocess
        tool = ask("tool")
        subprocess.Popen([tool, "--version"])  # BAD
    """,
    "subprocess_getoutput": """
        import subprocess
        print(subprocess.getoutput(ask("cmd")))  # BAD
    """,
    # ---- pickle / import -----------------------------------------------------------------
    "pickle_loads_b64": """
        import base64, pickle
        obj = pickle.loads(base64.b64decode(ask("payload")))  # BAD
    """,
    "import_module": """
        import importlib
        mod = importlib.import_module(ask("module name").strip())  # BAD
    """,
    "dunder_import": """
        plugin = __import__(ask("module"))  # BAD
    """,
    # ---- SQL -----------------------------------------------------------------------------
    "sqlite_cursor_execute": """
        import sqlite3
        conn = sqlite3.connect("app.db")
        cur = conn.cursor()
        sql = ask("SQL for revenue by month")
        cur.execute(sql)  # BAD
    """,
    "sqlite_executescript": """
        import sqlite3
        sqlite3.connect("x.db").executescript(ask("migration"))  # BAD
    """,
    "sqlalchemy_text": """
        from sqlalchemy import create_engine, text
        engine = create_engine("postgresql://localhost/shop")
        with engine.connect() as conn:
            rows = conn.execute(text(ask("sql"))).fetchall()  # BAD
    """,
    "pandas_read_sql": """
        import pandas as pd
        df = pd.read_sql(ask("sql"), con=engine)  # BAD
    """,
    "pandas_read_sql_query_keyword": """
        import pandas as pd
        query = ask("sql")
        df = pd.read_sql_query(sql=query, con=conn)  # BAD
    """,
    "duckdb_sql": """
        import duckdb
        duckdb.sql(ask("sql")).show()  # BAD
    """,
    "spark_sql": """
        def report(spark):
            spark.sql(ask("spark sql")).show()  # BAD
    """,
    "sql_format_into_query": """
        import sqlite3
        conn = sqlite3.connect("x.db")
        name = ask("a table name")
        conn.execute("SELECT * FROM {}".format(name))  # BAD
    """,
    "sql_percent_format": """
        def lookup(cursor, q):
            col = ask(q)
            cursor.execute("SELECT %s FROM users" % col)  # BAD
    """,
    # ---- propagation -----------------------------------------------------------------------
    "json_loads_then_subscript": """
        import json, subprocess
        plan = json.loads(ask("json plan"))
        subprocess.run(plan["command"], shell=True)  # BAD
    """,
    "regex_extract_code_block": """
        import re
        reply = ask("code")
        match = re.search(r"```python\\n(.*?)```", reply, re.S)
        if match:
            exec(match.group(1))  # BAD
    """,
    "helper_extracts_code": """
        import re

        def extract_code(text):
            blocks = re.findall(r"```(?:python)?\\n(.*?)```", text, re.S)
            return blocks[0] if blocks else text

        code = extract_code(ask("code"))
        exec(code)  # BAD
    """,
    "helper_chain_two_levels": """
        def draft(task):
            return ask(f"Write Python for: {task}")

        def cleaned(task):
            return draft(task).strip().removeprefix("```python").removesuffix("```")

        exec(cleaned("sort a list"))  # BAD
    """,
    "textwrap_dedent": """
        import textwrap
        exec(textwrap.dedent(ask("code")))  # BAD
    """,
    "list_join": """
        parts = []
        for step in ["load", "train"]:
            parts.append(ask(step))
        exec("\\n".join(parts))  # BAD
    """,
    "attribute_store": """
        class Runner:
            def go(self):
                self.code = ask("code")
                exec(self.code)  # BAD
    """,
    "tuple_unpack": """
        lang, code = "python", ask("code")
        exec(code)  # BAD
    """,
    "walrus": """
        if (code := ask("code")):
            exec(code)  # BAD
    """,
    "conditional_expression": """
        code = ask("code") if use_llm else DEFAULT
        exec(code)  # BAD
    """,
    "comprehension_sink": """
        snippets = [ask(t) for t in tasks]
        results = [eval(s) for s in snippets]  # BAD
    """,
    "try_block": """
        try:
            code = ask("code")
            exec(code)  # BAD
        except Exception as err:
            print(err)
    """,
    "after_if_merge": """
        code = "print(1)"
        if retry:
            code = ask("fix this code")
        exec(code)  # BAD
    """,
    "denylist_is_not_allowlist": """
        code = ask("code")
        if "import os" in code:
            raise ValueError("no os")
        exec(code)  # BAD
    """,
    "write_py_and_import": """
        import importlib
        code = ask("write a module")
        with open("generated_tool.py", "w") as fh:
            fh.write(code)  # BAD
        tool = importlib.import_module("generated_tool")
    """,
    "write_py_pathlib_and_run": """
        from pathlib import Path
        import runpy
        Path("solution.py").write_text(ask("solution"))  # BAD
        runpy.run_path("solution.py")
    """,
    "write_py_then_python_subprocess": """
        import subprocess
        script = ask("script")
        with open(f"{workdir}/task.py", "w") as f:
            f.write(script)  # BAD
        subprocess.run(["python", f"{workdir}/task.py"])
    """,
    "helper_that_executes_its_parameter": """
        import subprocess

        def run_shell(command, timeout=30):
            return subprocess.run(command, shell=True, capture_output=True, timeout=timeout)

        def run_twice(cmd):
            run_shell(cmd)
            return run_shell(cmd)

        run_shell(ask("a command"))  # BAD
        run_twice(timeout=5, cmd=ask("x"))  # BAD
        run_shell("ls")
    """,
    "method_that_executes_its_parameter": """
        class Sandbox:
            def execute(self, code):
                exec(code, {})

            def step(self, task):
                self.execute(ask(task))  # BAD
    """,
    "temp_py_file_run_with_sys_executable": """
        import subprocess, sys, tempfile
        code = ask("a script")
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as tmp:
            tmp.write(code)  # BAD
            script = tmp.name
        result = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=10)
    """,
}

NEGATIVES: dict[str, str] = {
    "helper_that_checks_its_parameter": """
        import subprocess

        def run_allowed(cmd):
            if cmd not in {"ls", "pwd"}:
                return None
            return subprocess.run(cmd, shell=True)

        run_allowed(ask("a command"))
    """,
    "literal_eval": """
        import ast
        values = ast.literal_eval(ask("a python list of numbers"))
        print(eval(repr(sum(values))))
    """,
    "pydantic_model_validate_json": """
        import json, subprocess
        from pydantic import BaseModel

        class Action(BaseModel):
            name: str

        action = Action.model_validate(json.loads(ask("json")))
        subprocess.run(["echo", action.name])
    """,
    "pydantic_validate_json_then_exec_field": """
        from pydantic import BaseModel

        class Out(BaseModel):
            code: str

        out = Out.model_validate_json(ask("json"))
        exec(out.code)
    """,
    "allowlist_guard": """
        import subprocess
        ALLOWED = {"ls", "pwd", "whoami"}
        cmd = ask("command").strip()
        if cmd in ALLOWED:
            subprocess.run(cmd, shell=True)
    """,
    "allowlist_early_exit": """
        import subprocess
        cmd = ask("command").strip()
        if cmd not in ALLOWED_COMMANDS:
            raise PermissionError(cmd)
        subprocess.run([cmd])
    """,
    "allowlist_assert": """
        import importlib
        name = ask("module")
        assert name in {"math", "statistics"}
        importlib.import_module(name)
    """,
    "allowlist_on_subscript": """
        import json, subprocess
        call = json.loads(ask("tool call"))
        if call["cmd"] in SAFE:
            subprocess.run(call["cmd"])
    """,
    "allowlist_match_case": """
        import os
        choice = ask("one of: status, log")
        match choice:
            case "status" | "log":
                os.system("git " + choice)
            case _:
                pass
    """,
    "lookup_table_by_model_key": """
        import subprocess
        COMMANDS = {"disk": ["df", "-h"], "mem": ["free", "-m"]}
        key = ask("disk or mem?")
        subprocess.run(COMMANDS[key])
    """,
    "sql_parameters": """
        import sqlite3
        conn = sqlite3.connect("shop.db")
        cur = conn.cursor()
        name = ask("extract the customer name")
        cur.execute("SELECT * FROM customers WHERE name = ?", (name,))
        cur.execute("SELECT * FROM customers WHERE name = :n", {"n": name})
    """,
    "sqlalchemy_bound_parameters": """
        from sqlalchemy import text
        city = ask("city")
        conn.execute(text("SELECT * FROM stores WHERE city = :city"), {"city": city})
    """,
    "argv_argument_not_program": """
        import subprocess
        message = ask("commit message")
        subprocess.run(["git", "commit", "-m", message], check=True)
    """,
    "shlex_quote": """
        import os, shlex
        os.system("echo " + shlex.quote(ask("text")))
    """,
    "int_conversion": """
        import os
        n = int(ask("how many?"))
        os.system(f"head -n {n} data.csv")
    """,
    "output_only_printed_and_logged": """
        import logging
        answer = ask("summarise")
        print(answer)
        logging.info("model said %s", answer)
        with open("answer.txt", "w") as fh:
            fh.write(answer)
    """,
    "write_py_never_imported": """
        code = ask("write a module")
        with open("suggestion.py", "w") as fh:
            fh.write(code)
    """,
    "reassigned_before_sink": """
        code = ask("code")
        code = "print('hello')"
        exec(code)
    """,
    "exec_of_constant_in_llm_file": """
        _ = ask("hi")
        exec("import math")
        eval("1 + 1")
    """,
    "prompt_built_from_user_not_model": """
        import subprocess
        def handle(user_input):
            subprocess.run(["grep", "-r", user_input, "docs/"])
            return ask(user_input)
    """,
    "validator_function_guard": """
        code = ask("code")
        if is_safe_expression(code):
            print(eval(code))
    """,
    "isidentifier_guard": """
        import importlib
        name = ask("name")
        if name.isidentifier() and name in PLUGINS:
            importlib.import_module(name)
    """,
    "startswith_is_a_verdict": """
        sql = ask("sql")
        flag = sql.startswith("SELECT")
        cursor.execute(QUERIES[flag])
    """,
    "unknown_function_stops_flow": """
        from mylib import sanitize_sql
        sql = sanitize_sql(ask("sql"))
        cursor.execute(sql)
    """,
    "execute_on_non_db_object": """
        import json
        args = json.loads(ask("tool args"))
        tool.execute(args)
    """,
    "instructor_response_model": """
        import instructor
        ic = instructor.from_openai(client)
        plan = ic.chat.completions.create(model="gpt-4o", response_model=Plan, messages=m)
        exec(plan.code)
    """,
    "structured_output_parse": """
        parsed = client.beta.chat.completions.parse(model="gpt-4o", messages=m, response_format=Cmd)
        cmd = parsed.choices[0].message.parsed
        subprocess.run(cmd.argv)
    """,
    "response_bookkeeping_is_not_text": """
        import sqlite3
        db = sqlite3.connect("usage.db")
        r = client.chat.completions.create(model="gpt-4o", messages=m)
        db.execute("INSERT INTO usage VALUES (%d, '%s')" % (r.usage.total_tokens, r.model))
        db.execute(f"UPDATE runs SET reason = '{r.choices[0].finish_reason}'")
    """,
    "local_exec_shadowed": """
        def eval(model, loader):
            return model, loader
        eval(ask("x"), None)
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sink_cases(name: str) -> None:
    code = CASES[name]
    expected = marked(code)
    assert expected, "case must mark its sink"
    assert flagged(code) == expected


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_not_a_finding(name: str) -> None:
    assert flagged(NEGATIVES[name]) == set()


def test_write_message_names_file_and_loader() -> None:
    code = PRELUDE + textwrap.dedent(CASES["write_py_and_import"])
    (finding,) = check_code(code, select=["ML701"])
    assert "'generated_tool.py'" in finding.message
    assert "imported or run (line 11)" in finding.message
    assert "via ask()" in finding.message


def test_each_sink_reported_once_even_with_two_tainted_args() -> None:
    code = PRELUDE + "exec(ask('a'), ask('b'))\n"
    assert len(check_code(code, select=["ML701"])) == 1


def test_inline_suppression() -> None:
    code = PRELUDE + "exec(ask('a'))  # mlvet: ignore[ML701]\n"
    assert check_code(code, select=["ML701"]) == []
