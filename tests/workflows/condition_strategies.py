"""Hypothesis strategies: random condition trees (as text the real parser reads) and states to test them on.

States hold scalars at known leaves so that every path a condition compares is a JSON scalar; some paths are
missing on purpose (``$.gone``, ``$.n.gone``) to exercise ``exists`` and the missing-path error.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.5, 1.0, 2.5, -1.5]),
                    st.sampled_from(["", "a", "b", "m", "zed", "A"]))
LEAVES = ["$.a", "$.b", "$.c", "$.n.x", "$.n.y", "$.list[0]", "$.list[1]"]
MISSING = ["$.gone", "$.n.gone", "$.list[5]"]


@st.composite
def states(draw):
    return {"a": draw(SCALARS), "b": draw(SCALARS), "c": draw(SCALARS),
            "n": {"x": draw(SCALARS), "y": draw(SCALARS)}, "list": [draw(SCALARS), draw(SCALARS)]}


def _literal_text(value) -> str:
    if isinstance(value, str):
        return "'" + value + "'"
    return json.dumps(value)


paths = st.sampled_from(LEAVES + MISSING)
operands = st.one_of(paths, SCALARS.map(_literal_text))
comparisons = st.builds(lambda left, op, right: f"{left} {op} {right}", operands,
                        st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), operands)
exists = st.sampled_from(LEAVES + MISSING + ["$.n", "$.list"]).map(lambda p: f"exists({p})")
atoms = st.one_of(comparisons, exists, st.sampled_from(["true", "false"]))


def _combine(children):
    return st.one_of(
        st.builds(lambda a, b: f"({a}) and ({b})", children, children),
        st.builds(lambda a, b: f"({a}) or ({b})", children, children),
        children.map(lambda a: f"not ({a})"),
    )


conditions = st.recursive(atoms, _combine, max_leaves=6)
