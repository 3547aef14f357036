"""Bucket trigger on uploads/*.jpg: one resize job per new original."""

from sls_neutral.runtime import Context, Event


def on_upload(event: Event, ctx: Context):
    key = event.data["key"]
    photo_id = key.rsplit("/", 1)[-1].removesuffix(".jpg")
    ctx.queue("resize-jobs").send({"id": photo_id, "key": key, "size": event.data["size"]})
    ctx.log.info("resize job queued", photo_id=photo_id)
