"""Upload API: POST /photos stores the original, GET /photos/{id} reports how far it got."""

import re
import uuid

from sls_neutral.runtime import Context, NotFound, Request, Response

PHOTO_ID = re.compile(r"^[a-f0-9]{32}$")
STAGES = (("uploaded", "uploads/{id}.jpg"), ("thumbnail", "thumbs/{id}.jpg"),
          ("audited", "audit/{id}.json"), ("notified", "notifications/{id}.json"))


def handle(request: Request, ctx: Context):
    if request.method == "POST":
        if not request.body:
            return Response(status=400, body={"error": "send the photo bytes as the request body"})
        photo_id = uuid.uuid4().hex
        key = f"uploads/{photo_id}.jpg"
        ctx.bucket("photos").put(key, request.body, content_type="image/jpeg")
        ctx.log.info("photo uploaded", photo_id=photo_id, size=len(request.body))
        return Response(status=201, body={"id": photo_id, "key": key})

    photo_id = request.path_params["id"]
    if not PHOTO_ID.match(photo_id):
        return Response(status=400, body={"error": "a photo id is 32 hex characters"})
    bucket = ctx.bucket("photos")
    status = {"id": photo_id}
    for name, pattern in STAGES:
        try:
            bucket.get(pattern.format(id=photo_id))
            status[name] = True
        except NotFound:
            status[name] = False
    if not status["uploaded"]:
        return Response(status=404, body={"error": f"no photo {photo_id}"})
    status["done"] = all(status[name] for name, _ in STAGES)
    return status
