"""Review of ML702/ML703 opt-in flags: a wrapper that forwards the caller's own flag
(`allow_dangerous_requests=allow_dangerous_requests`) decides nothing and is not reported;
the caller that sets it is."""

from __future__ import annotations

import textwrap

import pytest
from conftest import check_code


def flagged(code: str, rule: str) -> set[int]:
    return {f.line for f in check_code(textwrap.dedent(code), select=[rule])}


def marked(code: str) -> set[int]:
    return {i for i, line in enumerate(textwrap.dedent(code).splitlines(), 1) if "# BAD" in line}


CASES: dict[str, tuple[str, str]] = {
    "forward_parameter": (
        "ML702",
        """
        from langchain_community.agent_toolkits.openapi.toolkit import RequestsToolkit
        def make_toolkit(wrapper, allow_dangerous_requests: bool = False):
            return RequestsToolkit(requests_wrapper=wrapper, allow_dangerous_requests=allow_dangerous_requests)
    """,
    ),
    "forward_attribute": (
        "ML702",
        """
        from langchain_community.tools.requests.tool import RequestsGetTool
        class Kit:
            def tools(self):
                return [RequestsGetTool(requests_wrapper=self.w, allow_dangerous_requests=self.allow_dangerous_requests)]
    """,
    ),
    "forward_dict_get": (
        "ML703",
        """
        from langchain_community.vectorstores import FAISS
        def load(data, emb):
            return FAISS.load_local(data["path"], emb, allow_dangerous_deserialization=data.get("allow_dangerous_deserialization", False))
    """,
    ),
    "forward_config_subscript": (
        "ML703",
        """
        from langchain_community.vectorstores import FAISS
        def load(cfg, emb):
            return FAISS.load_local(cfg.path, emb, allow_dangerous_deserialization=cfg["allow_dangerous_deserialization"])
    """,
    ),
    "caller_sets_it": (
        "ML702",
        """
        from langchain_community.agent_toolkits.openapi.toolkit import RequestsToolkit
        def make_toolkit(wrapper, allow_dangerous_requests: bool = False):
            return RequestsToolkit(requests_wrapper=wrapper, allow_dangerous_requests=allow_dangerous_requests)
        kit = make_toolkit(None, allow_dangerous_requests=True)  # BAD
    """,
    ),
    "other_variable_still_reported": (
        "ML703",
        """
        from langchain_community.vectorstores import FAISS
        TRUST_INDEX = True
        db = FAISS.load_local("idx", None, allow_dangerous_deserialization=TRUST_INDEX)  # BAD
    """,
    ),
    "literal_true_still_reported": (
        "ML703",
        """
        from langchain_community.vectorstores import FAISS
        def load(allow_dangerous_deserialization=False):
            return FAISS.load_local("idx", None, allow_dangerous_deserialization=True)  # BAD
    """,
    ),
    "agent_flag_from_settings": (
        "ML702",
        """
        from langchain_experimental.agents import create_pandas_dataframe_agent
        agent = create_pandas_dataframe_agent(llm, df, allow_dangerous_code=settings.agent_code)  # BAD
    """,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(name: str) -> None:
    rule, code = CASES[name]
    assert flagged(code, rule) == marked(code)


def test_forwarded_flag_in_keyword_dict_is_not_reported() -> None:
    code = """
        from langchain_community.vectorstores import FAISS
        def load(path, emb, allow_dangerous_deserialization=False):
            kwargs = {"allow_dangerous_deserialization": allow_dangerous_deserialization}
            return FAISS.load_local(path, emb, **kwargs)
        opts = {"allow_dangerous_deserialization": True}  # BAD
    """
    assert flagged(code, "ML703") == marked(code)


AUTHORIZED: dict[str, str] = {
    "subprocess_authorized": """
        from smolagents import CodeAgent, InferenceClientModel
        agent = CodeAgent(tools=[], model=InferenceClientModel(), additional_authorized_imports=["pandas", "subprocess"])  # BAD
    """,
    "wildcard_of_exec_module": """
        from smolagents import LocalPythonExecutor
        ex = LocalPythonExecutor(additional_authorized_imports=["numpy", "importlib.*"])  # BAD
    """,
    "star_plus_spread_list": """
        from smolagents import CodeAgent
        BASE = ["numpy"]
        agent = CodeAgent(tools=[], model=m, additional_authorized_imports=[*BASE, "*"])  # BAD
    """,
    "data_modules_only": """
        from smolagents import CodeAgent
        agent = CodeAgent(tools=[], model=m, additional_authorized_imports=["numpy.*", "pandas", "os.path", "json"])
    """,
    "os_is_not_flagged": """
        from smolagents import CodeAgent
        agent = CodeAgent(tools=[], model=m, additional_authorized_imports=["os", "glob"])
    """,
}


@pytest.mark.parametrize("name", sorted(AUTHORIZED))
def test_authorized_imports(name: str) -> None:
    code = AUTHORIZED[name]
    assert flagged(code, "ML702") == marked(code)
