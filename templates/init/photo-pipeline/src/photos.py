"""The photo pipeline's handlers, written once against the neutral runtime."""

import uuid

from sls_neutral.runtime import Response


def upload(request, ctx):
    key = f"uploads/{uuid.uuid4().hex}.jpg"
    ctx.bucket("photos").put(key, request.body)
    return Response(status=201, body={"key": key})


def on_upload(event, ctx):
    ctx.queue("resize-jobs").send({"key": event.data["key"]})


def resize(event, ctx):
    key = event.data["key"]
    original = ctx.bucket("photos").get(key)
    thumb = "thumbs/" + key.rsplit("/", 1)[-1]
    ctx.bucket("photos").put(thumb, original[:1024])  # a real app would resize here
    ctx.topic("photo-events").publish({"original": key, "thumb": thumb})


def audit(event, ctx):
    ctx.log.info("photo processed", **event.data)
