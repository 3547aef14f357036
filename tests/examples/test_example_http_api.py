"""examples/http-api: CRUD over a bucket with path parameters, deployed locally and packaged for every cloud."""

from __future__ import annotations

import json

import pytest

from examples_helpers import check_aws, check_azure, check_gcp, resource_types, trigger_types
from local_helpers import http, state_dir

pytestmark = [pytest.mark.functional]

JSON = {"content-type": "application/json"}


def call(port, method, path, body=None):
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    status, raw = http(port, method, path, body=data, headers=JSON if data else None)
    return status, (json.loads(raw) if raw else None)


def test_crud_over_a_bucket_end_to_end(service_copy, deployed, cli):
    root = service_copy("http-api")
    port, _ = deployed(root)
    objects = state_dir(root) / "buckets" / "items"

    assert call(port, "GET", "/items") == (200, {"items": []})
    status, created = call(port, "POST", "/items", {"name": "lamp"})
    assert status == 201
    lamp = created["id"]
    assert json.loads((objects / f"{lamp}.json").read_text()) == {"name": "lamp"}  # one object per item
    status, second = call(port, "POST", "/items", {"name": "desk"})
    assert status == 201
    desk = second["id"]

    assert call(port, "GET", f"/items/{lamp}") == (200, {"name": "lamp"})  # {id} is the path parameter
    assert call(port, "GET", "/items") == (200, {"items": sorted([lamp, desk])})
    assert call(port, "GET", "/items?limit=1") == (200, {"items": sorted([lamp, desk])[:1]})
    assert call(port, "PUT", f"/items/{lamp}", {"name": "desk lamp"}) == (200, {"id": lamp})
    assert call(port, "GET", f"/items/{lamp}") == (200, {"name": "desk lamp"})
    assert call(port, "DELETE", f"/items/{lamp}") == (204, None)
    assert not (objects / f"{lamp}.json").exists()

    # 404s: a deleted item, one that never existed, and deleting twice
    assert call(port, "GET", f"/items/{lamp}") == (404, {"error": f"item {lamp} not found"})
    assert call(port, "GET", "/items/nope")[0] == 404
    assert call(port, "DELETE", f"/items/{lamp}")[0] == 404
    # bad input is the client's fault (400), never a 500
    assert call(port, "GET", "/items/bad!id")[0] == 400
    assert call(port, "POST", "/items", b"not json")[0] == 400
    assert call(port, "PUT", f"/items/{desk}", [1, 2])[0] == 400
    assert call(port, "GET", "/items?limit=lots")[0] == 400
    # no route for this method: the local router answers 405 with the allowed methods
    status, body = call(port, "PATCH", f"/items/{desk}")
    assert status == 405 and body["allowed"] == ["DELETE", "GET", "PUT"]
    assert call(port, "GET", "/items") == (200, {"items": [desk]})

    logs = cli("logs", "items", "--output", "json", cwd=root)
    lines = [json.loads(line) for line in json.loads(logs.stdout)]
    assert sum(1 for line in lines if line.get("outcome") == "ok") >= 17
    assert not [line for line in lines if line.get("outcome") == "failed"]


def test_package_all_passes_each_providers_checks(packaged):
    out = packaged("http-api").out
    template = check_aws(out, {"items": "src/items.py"})
    types = resource_types(template)
    assert types["AWS::Lambda::Function"] == 1 and types["AWS::S3::Bucket"] == 1
    assert types["AWS::ApiGatewayV2::Api"] == 1 or types["AWS::Serverless::HttpApi"] == 1
    gcp = check_gcp(out)
    assert [spec["function"] for spec in gcp["functions"].values()] == ["items"]
    assert len(gcp["buckets"]) == 1
    indexed = check_azure(out)
    assert trigger_types(indexed) == {"httpTrigger": 5}
    routes = sorted((b["route"], tuple(b["methods"])) for bs in indexed.values() for b in bs if b["type"] == "httpTrigger")
    assert routes == [("items", ("GET",)), ("items", ("POST",)), ("items/{id}", ("DELETE",)),
                      ("items/{id}", ("GET",)), ("items/{id}", ("PUT",))]
