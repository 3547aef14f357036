"""dispatch: handler loading, context from the environment, run_*, error payloads, backend selection."""

from __future__ import annotations

import sys
import types

import pytest

from sls_neutral.runtime import Event, Request, Response, StepError, dispatch
from sls_neutral.runtime.adapters import Backend, get_backend, reset_backends
from sls_neutral.runtime.errors import FunctionTimeout, SlsnRuntimeError


@pytest.fixture
def handler_module(monkeypatch):
    """A handler module registered in sys.modules (no files: unit tests do no I/O)."""
    module = types.ModuleType("slsn_test_handlers")
    module.calls = 0

    def handle(request, ctx):
        module.calls += 1
        return {"path": request.path, "fn": ctx.function_name}

    async def ahandle(request, ctx):
        return "async ok"

    module.handle = handle
    module.ahandle = ahandle
    module.not_callable = 3
    monkeypatch.setitem(sys.modules, "slsn_test_handlers", module)
    dispatch.clear_handlers()
    yield module
    dispatch.clear_handlers()


def test_load_handler_caches_per_process(handler_module):
    first = dispatch.load_handler("slsn_test_handlers:handle")
    assert first is handler_module.handle
    handler_module.handle = lambda r, c: None
    assert dispatch.load_handler("slsn_test_handlers:handle") is first


def test_load_handler_accepts_the_manifest_spelling(handler_module, monkeypatch):
    pkg = types.ModuleType("slsn_pkg")
    pkg.__path__ = []
    sub = types.ModuleType("slsn_pkg.api")
    sub.handle = handler_module.handle
    monkeypatch.setitem(sys.modules, "slsn_pkg", pkg)
    monkeypatch.setitem(sys.modules, "slsn_pkg.api", sub)
    assert dispatch.load_handler("slsn_pkg/api.py:handle") is handler_module.handle


@pytest.mark.parametrize("spec, message", [
    ("no_colon", "is not 'module:function'"),
    ("slsn_missing_module_xyz:handle", "handler module 'slsn_missing_module_xyz' not found"),
    ("slsn_test_handlers:nope", "has no function 'nope'"),
    ("slsn_test_handlers:not_callable", "is not callable"),
])
def test_load_handler_errors_are_clear(handler_module, spec, message):
    with pytest.raises(SlsnRuntimeError, match=message):
        dispatch.load_handler(spec)


ENV = {"SLSN_PROVIDER": "local", "SLSN_SERVICE": "svc", "SLSN_STAGE": "dev", "SLSN_FUNCTION": "api",
       "SLSN_GRANTS": "queue:jobs:send", "SLSN_TIMEOUT_MS": "3000"}


def test_context_from_env(monkeypatch):
    monkeypatch.setattr(dispatch, "os", types.SimpleNamespace(environ=ENV, getcwd=lambda: "/"))
    ctx = dispatch.context_from_env("r-1", correlation_id="c-1")
    assert (ctx.request_id, ctx.function_name, ctx.service, ctx.stage, ctx.provider, ctx.correlation_id) == \
        ("r-1", "api", "svc", "dev", "local", "c-1")
    assert ctx.grants.allows("queue", "jobs", "send")
    assert 2900 < ctx.remaining_time_ms() <= 3000


def test_context_from_explicit_env_and_deadline():
    ctx = dispatch.context_from_env(None, deadline=0.0, env={"SLSN_FUNCTION": "f"}, backend="B")
    assert len(ctx.request_id) == 32 and ctx.correlation_id == ctx.request_id
    assert ctx.remaining_time_ms() == 0 and ctx.backend == "B"


def test_run_http_normalizes_sync_and_async(handler_module):
    ctx = dispatch.context_from_env("r", env={"SLSN_FUNCTION": "api"})
    response = dispatch.run_http(handler_module.handle, Request(path="/x"), ctx)
    assert isinstance(response, Response) and response.body == {"path": "/x", "fn": "api"}
    assert dispatch.run_http(handler_module.ahandle, Request(), ctx).body_bytes() == b"async ok"


def test_run_event_and_step():
    ctx = dispatch.context_from_env("r", env={})
    seen = []
    assert dispatch.run_event(lambda e, c: seen.append(e.type), Event(source="/s", type="t"), ctx) is None
    assert seen == ["t"]
    assert dispatch.run_step(lambda i, c: {"doubled": i["n"] * 2}, {"n": 2}, ctx) == {"doubled": 4}

    def failing(i, c):
        raise StepError("OutOfStock", "sku 1")

    with pytest.raises(StepError) as info:
        dispatch.run_step(failing, {}, ctx)
    assert info.value.name == "OutOfStock"


@pytest.mark.parametrize("exc, payload", [
    (StepError("OutOfStock", "sku 1"), {"error": "OutOfStock", "cause": "sku 1"}),
    (FunctionTimeout("ran 3 s"), {"error": "Timeout", "cause": "ran 3 s"}),
    (ValueError("bad"), {"error": "TaskFailed", "cause": "ValueError: bad"}),
    (KeyError, {"error": "TaskFailed", "cause": "KeyError"}),
])
def test_error_payload(exc, payload):
    assert dispatch.error_payload(exc() if isinstance(exc, type) else exc) == payload


def test_step_error_needs_a_name():
    with pytest.raises(TypeError):
        StepError("")
    assert str(StepError("Busy")) == "Busy"


class _Secrets(Backend):
    def secret_read(self, name):
        return {"stripe-key": "sk_1"}[name]


def test_fill_secret_env_once(monkeypatch):
    env = {"SLSN_SECRET_ENV": '{"STRIPE_KEY": "stripe-key"}', "KEEP": "1"}
    monkeypatch.setattr(dispatch, "_secrets_filled", False)
    dispatch.fill_secret_env(env, backend=_Secrets())
    assert env["STRIPE_KEY"] == "sk_1"
    env["STRIPE_KEY"] = "changed"
    dispatch.fill_secret_env(env, backend=_Secrets())
    assert env["STRIPE_KEY"] == "changed"


def test_backend_base_refuses_clearly():
    with pytest.raises(SlsnRuntimeError, match="does not support bucket get"):
        Backend().bucket_get("b", "k")


def test_get_backend_selects_and_caches_by_provider(monkeypatch):
    reset_backends()
    monkeypatch.setenv("SLSN_PROVIDER", "local")
    try:
        first = get_backend()
        assert type(first).__name__ == "LocalBackend" and get_backend() is first
        with pytest.raises(SlsnRuntimeError, match="no runtime adapter for provider 'nowhere'"):
            get_backend("nowhere")
        monkeypatch.delenv("SLSN_PROVIDER")
        with pytest.raises(SlsnRuntimeError, match="SLSN_PROVIDER is not set"):
            get_backend()
    finally:
        reset_backends()


def test_public_names_and_lazy_import():
    import sls_neutral.runtime as runtime

    assert set(runtime.__all__) <= set(dir(runtime))
    with pytest.raises(AttributeError):
        runtime.Nope  # noqa: B018
