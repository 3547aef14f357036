"""photo-events subscriber #1: an audit record per processed photo."""

import json

from sls_neutral.runtime import Context, Event


def record(event: Event, ctx: Context):
    entry = {"id": event.data["id"], "thumbnail": event.data["thumbnail"], "event_id": event.id,
             "time": event.time, "correlation_id": ctx.correlation_id}
    ctx.bucket("photos").put(f"audit/{event.data['id']}.json", json.dumps(entry, sort_keys=True))
