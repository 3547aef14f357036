"""Hypothesis strategies for conditions and states, shared by the engine's and the compilers' property tests.

Paths come from a small vocabulary so that random states and random
conditions often meet (present paths, missing paths, type mismatches).
"""

from __future__ import annotations

from hypothesis import strategies as st

from sls_neutral.core.workflows.conditions import (COMPARE_OPS, And, Compare, Exists, Literal, Not, Or,
                                                   PathRef)

KEYS = ("a", "b", "n", "name", "flag", "items", "x_1", "k-2")

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-10**6, max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=6),
)

json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.sampled_from(KEYS), children, max_size=4)),
    max_leaves=12,
)

states = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6)


@st.composite
def paths(draw) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(KEYS).map(lambda k: f".{k}"),
                                    st.integers(min_value=0, max_value=2).map(lambda i: f"[{i}]")),
                          min_size=1, max_size=3))
    return "$" + "".join(parts)


path_refs = paths().map(PathRef)
literals = scalars.map(Literal)
operands = st.one_of(path_refs, literals)
compares = st.builds(Compare, st.sampled_from(COMPARE_OPS), operands, operands)
exists = path_refs.map(Exists)

conditions = st.recursive(
    st.one_of(compares, exists, path_refs, literals),
    lambda children: st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda items: And(tuple(items))),
        st.lists(children, min_size=2, max_size=3).map(lambda items: Or(tuple(items))),
        children.map(Not),
    ),
    max_leaves=8,
)
