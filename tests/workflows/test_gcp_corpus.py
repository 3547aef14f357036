"""The conformance corpus on the generated Cloud Workflows YAML, run by tests/workflows/gcp_interpreter.py."""

from __future__ import annotations

import pytest

from sls_neutral.core.workflows.gcp import compile_gcp, to_yaml

from .behaviours import Behaviours
from .compiled_workflows import function_url
from .corpus_loader import case_ids, load_corpus
from .gcp_interpreter import Interpreter

CORPUS = load_corpus()
CASES = case_ids(CORPUS)
SKIP = {"workflow-timeout": "Cloud Workflows has no execution timeout to compile to (gcp_approximations says so)"}


def _definition(corpus):
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(to_yaml(compile_gcp(corpus.workflow(), function_url)))  # what GCP would read


@pytest.mark.parametrize("corpus,index,case", CASES, ids=[f"{c.name}-{i}" for c, i, _ in CASES])
def test_corpus_case_on_cloud_workflows(corpus, index, case):
    if corpus.name in SKIP:
        pytest.skip(SKIP[corpus.name])
    urls = {function_url(f): f for f in corpus.functions}
    run = Interpreter(_definition(corpus), Behaviours(corpus.functions), urls).run(case["input"])
    if "error" in case:
        assert run.error is not None, run.output
        assert run.error_name == case["error"]["error"], run.error
        if "cause" in case["error"]:
            assert run.error.get("cause") == case["error"]["cause"]
    else:
        assert run.error is None, run.error
        assert run.output == case["output"]


def test_retry_delays_are_the_backoff():
    corpus = next(c for c in CORPUS if c.name == "retry-succeeds-third-attempt")
    urls = {function_url(f): f for f in corpus.functions}
    run = Interpreter(_definition(corpus), Behaviours(corpus.functions), urls).run(corpus.cases[0]["input"])
    assert run.error is None and len(run.sleeps) == 2
