"""Create, list, read, replace and delete JSON items stored in a bucket (one object per item: <id>.json)."""

import json
import re
import uuid

from sls_neutral.runtime import NotFound, Request, Response

ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _body(request: Request):
    """The request's JSON object, or a 400 response saying what is wrong with it."""
    try:
        body = request.json()
    except ValueError:
        return None, Response(status=400, body={"error": "the body is not JSON"})
    if not isinstance(body, dict):
        return None, Response(status=400, body={"error": "the body must be a JSON object"})
    return body, None


def handle(request: Request, ctx):
    items = ctx.bucket("items")
    item_id = request.path_params.get("id")
    if item_id is not None and not ID.match(item_id):
        return Response(status=400, body={"error": "invalid id"})
    if item_id is None and request.method == "GET":
        limit = request.query_first("limit", "100")
        if not limit.isdigit():
            return Response(status=400, body={"error": "limit must be a non-negative integer"})
        return {"items": sorted(k.removesuffix(".json") for k in items.list())[:int(limit)]}
    if item_id is None and request.method == "POST":
        body, problem = _body(request)
        if problem:
            return problem
        new_id = uuid.uuid4().hex[:12]
        items.put(f"{new_id}.json", json.dumps(body), content_type="application/json")
        return Response(status=201, body={"id": new_id}, headers={"location": f"/items/{new_id}"})
    key = f"{item_id}.json"
    try:
        if request.method == "GET":
            return json.loads(items.get(key))
        if request.method == "PUT":
            body, problem = _body(request)
            if problem:
                return problem
            items.put(key, json.dumps(body), content_type="application/json")
            return {"id": item_id}
        if request.method == "DELETE":
            items.get(key)  # 404 for an item that does not exist
            items.delete(key)
            return None  # 204
    except NotFound:
        return Response(status=404, body={"error": f"item {item_id} not found"})
    return Response(status=405, body={"error": "method not allowed"})
