"""Enqueue work over HTTP; process it from the queue (redelivery-safe: results are keyed by job id)."""

import json
import uuid

from sls_neutral.runtime import Response


def submit(request, ctx):
    job = {"id": uuid.uuid4().hex, "payload": request.json()}
    ctx.queue("jobs").send(job)
    return Response(status=202, body={"id": job["id"]})


def work(event, ctx):
    job = event.data
    ctx.bucket("results").put(f"{job['id']}.json", json.dumps({"done": True, "payload": job["payload"]}))
    ctx.log.info("job done", job_id=job["id"])
