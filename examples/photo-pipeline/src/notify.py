"""photo-events subscriber #2: leaves a notification for the uploader."""

import json

from sls_neutral.runtime import Context, Event


def notify(event: Event, ctx: Context):
    message = {"id": event.data["id"], "text": f"your photo {event.data['id']} is ready",
               "thumbnail": event.data["thumbnail"]}
    ctx.bucket("photos").put(f"notifications/{event.data['id']}.json", json.dumps(message, sort_keys=True))
    ctx.log.info("uploader notified", photo_id=event.data["id"])
