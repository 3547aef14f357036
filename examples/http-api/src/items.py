"""Create, list, read, replace and delete JSON items stored in a bucket."""

import json
import re
import uuid

from sls_neutral.runtime import NotFound, Request, Response

ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def handle(request: Request, ctx):
    items = ctx.bucket("items")
    item_id = request.path_params.get("id")
    if item_id is not None and not ID.match(item_id):
        return Response(status=400, body={"error": "invalid id"})
    if item_id is None and request.method == "GET":
        limit = int(request.query_first("limit", "100"))
        return {"items": sorted(k.removesuffix(".json") for k in items.list())[:limit]}
    if item_id is None and request.method == "POST":
        new_id = uuid.uuid4().hex[:12]
        items.put(f"{new_id}.json", json.dumps(request.json()), content_type="application/json")
        return Response(status=201, body={"id": new_id}, headers={"location": f"/items/{new_id}"})
    key = f"{item_id}.json"
    try:
        if request.method == "GET":
            return json.loads(items.get(key))
        if request.method == "PUT":
            items.put(key, json.dumps(request.json()), content_type="application/json")
            return {"id": item_id}
        if request.method == "DELETE":
            items.get(key)
            items.delete(key)
            return None
    except NotFound:
        return Response(status=404, body={"error": f"item {item_id} not found"})
    return Response(status=405, body={"error": "method not allowed"})
