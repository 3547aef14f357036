"""The IR's shared eq, hash, repr and immutability (core/ir.py ``_Value``) and its generated ``__init__``s
behave exactly as ``@dataclass(frozen=True)``'s."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from sls_neutral.core import ir
from sls_neutral.core.errors import Position

FROZEN = [cls for cls in vars(ir).values()
          if isinstance(cls, type) and dataclasses.is_dataclass(cls) and issubclass(cls, ir._Value)]


def _generated(cls: type) -> type:
    """The same class as a plain frozen dataclass (generated eq, hash, repr), for comparison."""
    fields = [(f.name, f.type, dataclasses.field(default=f.default, default_factory=f.default_factory,
                                                   init=f.init, repr=f.repr, compare=f.compare, kw_only=f.kw_only))
              for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(cls.__name__, fields, frozen=True)


def test_every_frozen_ir_class_shares_the_methods():
    assert len(FROZEN) >= 25
    for cls in FROZEN:
        assert "__eq__" not in vars(cls) and "__hash__" not in vars(cls) and "__repr__" not in vars(cls), cls
        assert "__setattr__" not in vars(cls) and "__delattr__" not in vars(cls), cls
        with pytest.raises(dataclasses.FrozenInstanceError):
            object.__new__(cls).__setattr__("x", 1)


def _parameters(init) -> list[tuple]:
    """An __init__'s parameters: name, kind, and default (a default factory's sentinel as "factory")."""
    out = []
    for param in inspect.signature(init).parameters.values():
        default = param.default
        sentinel = type(default).__name__ in ("object", "_HAS_DEFAULT_FACTORY_CLASS")
        if default is not inspect.Parameter.empty and sentinel:
            default = "factory"
        out.append((param.name, param.kind, default))
    return out


def test_each_init_takes_what_a_generated_one_takes():
    for cls in FROZEN:
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"
        assert _parameters(cls.__init__) == _parameters(_generated(cls).__init__), cls


def test_instances_are_frozen_and_init_only_fields_filled():
    step = ir.CallStep("charge", function="pay", source=Position("m.yaml", 1, 1))
    assert (step.kind, step.input, step.retry, step.source.line) == ("call", None, (), 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.function = "other"
    with pytest.raises(dataclasses.FrozenInstanceError):
        del step.name
    app = ir.App(service="s", stage="dev", runtime="python3.12", default_provider="local", functions={},
                 queues={}, topics={}, buckets={}, secrets={}, workflows={})
    other = ir.App(service="s", stage="dev", runtime="python3.12", default_provider="local", functions={},
                   queues={}, topics={}, buckets={}, secrets={}, workflows={})
    assert app.params == {} and app.params is not other.params  # a default factory, called per object
    assert app.observability == ir.Observability()
    with pytest.raises(TypeError):
        ir.CallStep("charge", "pay", None, None, (), None, Position("m.yaml", 1, 1))  # source is keyword-only
    assert dataclasses.replace(step, function="refund").function == "refund"


SAMPLES = [
    ir.HttpTrigger(method="GET", path="/a/{id}", cors=True),
    ir.QueueTrigger(queue="jobs", batch_size=5),
    ir.ScheduleTrigger(cron=None, rate=300.0, timezone="UTC", data={"k": [1, 2]}),
    ir.Queue(name="jobs", visibility_timeout=30.0, retention=60.0, fifo=False, source=Position("m.yaml", 3, 1)),
    ir.Topic(name="t", queues=("a", "b"), source=Position("m.yaml", 9, 1)),
    ir.Retry(errors=("all",), interval=1.0, max_attempts=3, backoff_rate=2.0),
]


@pytest.mark.parametrize("obj", SAMPLES, ids=lambda o: type(o).__name__)
def test_eq_hash_and_repr_match_a_generated_dataclass(obj):
    twin_cls = _generated(type(obj))
    values = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}
    twin = twin_cls(**values)
    same = type(obj)(**values)
    assert repr(obj) == repr(twin)
    assert obj == same and not obj != same
    assert obj != twin  # another class: never equal, as with generated methods
    try:
        expected = hash(twin)
    except TypeError:  # a dict in the data: unhashable either way
        with pytest.raises(TypeError):
            hash(obj)
        return
    assert hash(obj) == expected == hash(same)
    assert len({obj, same}) == 1


def test_fields_that_do_not_compare_are_ignored():
    a = ir.Queue(name="jobs", visibility_timeout=30.0, retention=60.0, fifo=False, source=Position("a.yaml", 1, 1))
    b = dataclasses.replace(a, source=Position("b.yaml", 7, 2))
    c = dataclasses.replace(a, retention=61.0)
    assert a == b and hash(a) == hash(b)
    assert a != c
