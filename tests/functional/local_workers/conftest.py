"""A small service written per test session: handlers that misbehave on purpose (sleep, hog, crash)."""

from __future__ import annotations

from pathlib import Path

import pytest

MANIFEST = """\
service: workers-test
runtime: python3.12
provider: local
queues:
  jobs: {}
buckets:
  files: {}
secrets:
  api-key: {}
functions:
  hello:
    handler: src/handlers.py:hello
    memory: 128MB
    timeout: 5s
    environment: {GREETING: hi, API_KEY: "${secret:api-key}"}
    permissions: [queue:jobs:send]
    triggers:
      - http: {method: GET, path: /hello}
  items:
    handler: src/handlers.py:item
    triggers:
      - http: {method: GET, path: "/items/{id}"}
  slow:
    handler: src/handlers.py:slow
    memory: 128MB
    timeout: 1s
    triggers:
      - http: {method: POST, path: /slow}
  hog:
    handler: src/handlers.py:hog
    memory: 128MB
    timeout: 10s
    triggers:
      - http: {method: POST, path: /hog}
  crash:
    handler: src/handlers.py:crash
    triggers:
      - http: {method: POST, path: /crash}
  consume:
    handler: src/handlers.py:consume
    triggers:
      - queue: {name: jobs}
  upload:
    handler: src/handlers.py:upload
    triggers:
      - bucket: {name: files, events: [created]}
  tick:
    handler: src/handlers.py:consume
    triggers:
      - schedule: {rate: 1h}
  step:
    handler: src/handlers.py:step
  writer:
    handler: src/handlers.py:writer
    permissions: [bucket:files:write, bucket:files:read]
  broken:
    handler: src/broken.py:handle
  warmed:
    handler: src/handlers.py:step
    warm: 2
"""

HANDLERS = '''\
import json
import os
import time

from sls_neutral.runtime import Response, StepError

IMPORTED_AT = time.time()


def hello(request, ctx):
    env = {k: os.environ.get(k) for k in ("GREETING", "SLSN_PROVIDER", "SLSN_FUNCTION", "SLSN_STATE_DIR",
                                          "SLSN_GRANTS", "SLSN_HANDLER", "SLSN_TIMEOUT_MS", "SLSN_SERVICE",
                                          "API_KEY")}
    return {"pid": os.getpid(), "env": env, "cwd": os.getcwd(), "imported_at": IMPORTED_AT,
            "correlation_id": ctx.correlation_id, "query": request.query, "remaining": ctx.remaining_time_ms()}


def item(request, ctx):
    return Response(201, {"id": request.path_params["id"], "body": request.json(), "route": request.route},
                    {"X-Item": request.path_params["id"]})


def slow(request, ctx):
    data = request.json() or {}
    time.sleep(data.get("sleep", 0))
    if "tag" in data:
        return {"tag": data["tag"], "pid": os.getpid()}
    return {"pid": os.getpid()}


def hog(request, ctx):
    size = (request.json() or {}).get("mb", 0)
    block = bytearray(size * 1024 * 1024)
    return {"pid": os.getpid(), "allocated": len(block)}


def crash(request, ctx):
    how = (request.json() or {}).get("how")
    if how == "exit":
        os._exit(3)
    if how == "segfault":
        import ctypes
        ctypes.string_at(0)
    if how == "raise":
        raise ValueError("bad input")
    return {"pid": os.getpid()}


def consume(event, ctx):
    if event.data == "fail":
        raise RuntimeError("cannot handle this message")
    print(json.dumps({"seen": event.type, "correlation_id": ctx.correlation_id, "data": event.data}))
    print("plain text line")


def upload(event, ctx):
    if event.data["key"] != "a.txt" or event.type != "sls.bucket.object.created":
        raise ValueError(repr(event.to_dict()))


def step(input, ctx):
    if input.get("fail"):
        raise StepError("OutOfStock", "sku " + str(input["sku"]))
    return {"doubled": input["n"] * 2, "correlation_id": ctx.correlation_id}


def writer(input, ctx):
    ctx.bucket("files").put(input["key"], input["text"])
    if input.get("sneaky"):
        ctx.queue("jobs").send("not allowed")
    return ctx.bucket("files").get(input["key"]).decode()
'''


@pytest.fixture(scope="session")
def service(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("workers-service")
    (root / "sls-neutral.yaml").write_text(MANIFEST, encoding="utf-8")
    (root / "src").mkdir()
    (root / "src" / "handlers.py").write_text(HANDLERS, encoding="utf-8")
    (root / "src" / "broken.py").write_text("import does_not_exist_anywhere\n\n\ndef handle(input, ctx):\n    return input\n", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def app(service):
    from sls_neutral.core.pipeline import Project

    return Project(service / "sls-neutral.yaml").app


@pytest.fixture(scope="session")
def state_dir(service) -> Path:
    state = service / ".sls-neutral" / "local" / "dev"
    state.mkdir(parents=True, exist_ok=True)
    (state / "secrets.json").write_text('{"api-key": "k-123"}', encoding="utf-8")  # the local secret store
    return state
