"""Purge uploads older than RETENTION_DAYS (keys carry their upload date) and report the bucket size."""

import os
from datetime import datetime, timedelta, timezone


def purge(event, ctx):
    cutoff = datetime.now(timezone.utc) - timedelta(days=int(os.environ["RETENTION_DAYS"]))
    bucket = ctx.bucket("uploads")
    removed = 0
    for key in bucket.list():
        # keys look like 2026-11-01/photo.jpg
        try:
            day = datetime.strptime(key.split("/", 1)[0], "%Y-%m-%d").replace(tzinfo=timezone.utc)
        except ValueError:
            continue
        if day < cutoff:
            bucket.delete(key)
            removed += 1
    ctx.log.info("purged", removed=removed, cutoff=cutoff.date().isoformat())
    return {"removed": removed}


def report(event, ctx):
    count = len(ctx.bucket("uploads").list())
    token_set = bool(os.environ.get("REPORT_TOKEN"))
    ctx.log.info("report", objects=count, token_configured=token_set)
    return {"objects": count}
