"""CRUD over a bucket, written once against the neutral runtime."""

import json
import uuid

from sls_neutral.runtime import NotFound, Request, Response


def handle(request: Request, ctx):
    notes = ctx.bucket("notes")
    note_id = request.path_params.get("id")
    if request.method == "POST":
        new_id = uuid.uuid4().hex[:12]
        notes.put(f"{new_id}.json", json.dumps(request.json()))
        return Response(status=201, body={"id": new_id})
    if note_id is None:
        return {"notes": sorted(key.removesuffix(".json") for key in notes.list())}
    try:
        if request.method == "DELETE":
            notes.get(f"{note_id}.json")
            notes.delete(f"{note_id}.json")
            return None
        return json.loads(notes.get(f"{note_id}.json"))
    except NotFound:
        return Response(status=404, body={"error": f"note {note_id} not found"})
