"""Every corpus case on the local engine gives the expected output or error."""

from __future__ import annotations

import pytest

from .corpus_loader import case_ids, load_corpus

CORPUS = load_corpus()
CASES = case_ids(CORPUS)


def test_corpus_is_big_enough():
    assert len(CORPUS) >= 20
    assert sum(len(c.cases) for c in CORPUS) >= 40


@pytest.mark.parametrize("corpus,index,case", CASES, ids=[f"{c.name}-{i}" for c, i, _ in CASES])
def test_local_engine(corpus, index, case, make_engine):
    if "local" in corpus.skip:
        pytest.skip(corpus.skip["local"])
    engine = make_engine(corpus.app(), corpus.functions)
    execution_id = engine.start(corpus.name, case["input"])
    result = engine.wait(execution_id, timeout=30)
    if "output" in case:
        assert result["status"] == "SUCCEEDED", result
        assert result["output"] == case["output"]
    else:
        expected = case["error"]
        assert result["status"] in ("FAILED", "TIMED_OUT"), result
        assert result["error"] == expected["error"], result
        if "cause" in expected:
            assert result["cause"] == expected["cause"]
