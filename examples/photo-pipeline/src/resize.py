"""Queue worker: derive the thumbnail, then announce it on photo-events.

A real service would resize with Pillow (add it to a requirements file); this
example stays dependency-free and keeps the JPEG header plus the first
kilobyte, which is enough to follow the pipeline. A body that is not a JPEG
raises, so the message is retried and, after 3 receives, dead-lettered.
"""

from sls_neutral.runtime import Context, Event

JPEG_MAGIC = b"\xff\xd8"
THUMB_BYTES = 1024


def resize(event: Event, ctx: Context):
    job = event.data
    original = ctx.bucket("photos").get(job["key"])
    if not original.startswith(JPEG_MAGIC):
        raise ValueError(f"{job['key']} is not a JPEG image")
    thumb_key = f"thumbs/{job['id']}.jpg"
    ctx.bucket("photos").put(thumb_key, original[:THUMB_BYTES], content_type="image/jpeg")
    ctx.topic("photo-events").publish({"id": job["id"], "thumbnail": thumb_key, "original": job["key"]},
                                      attributes={"kind": "thumbnail-ready"})
    ctx.log.info("thumbnail written", photo_id=job["id"], thumbnail=thumb_key)
