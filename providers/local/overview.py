"""``info -p local``: what runs where, read from the IR and the local state (no runtime needed)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sls_neutral.providers.local.schedule import describe as describe_time
from sls_neutral.providers.local.schedule import next_tick, schedule_key


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def describe(app: Any, state_dir: Path, root: Path) -> dict[str, Any]:
    from sls_neutral.core import ir
    from sls_neutral.providers.local.provider import _running
    from sls_neutral.providers.local.store import LocalStore, bucket_delivery_queue, dead_queue, \
        topic_delivery_queue

    running = _running(state_dir)
    deployed = state_dir.joinpath("state.db").exists()
    base = running["url"] if running else None
    store = LocalStore(state_dir) if deployed else None

    def depth(queue: str) -> dict[str, int] | None:
        return store.depth(queue) if store is not None else None

    routes = [{"method": t.method, "path": t.path, "url": f"{base}{t.path}" if base else None,
               "target": f"{kind}:{name}", "cors": t.cors} for t, kind, name in app.http_routes]
    queues = []
    for q in sorted(app.queues.values(), key=lambda q: q.name):
        queues.append({"name": q.name, "fifo": q.fifo, "dead_letter": q.dead_letter,
                       "max_receives": q.max_receives, "depth": depth(q.name),
                       "consumers": sorted(f.name for f in app.functions.values() for t in f.triggers
                                           if isinstance(t, ir.QueueTrigger) and t.queue == q.name)})
    topics = []
    for t in sorted(app.topics.values(), key=lambda t: t.name):
        subs = []
        for f in sorted(app.functions.values(), key=lambda f: f.name):
            if any(isinstance(tr, ir.TopicTrigger) and tr.topic == t.name for tr in f.triggers):
                dq = topic_delivery_queue(t.name, f.name)
                subs.append({"function": f.name, "pending": depth(dq), "dead": depth(dead_queue(dq))})
        topics.append({"name": t.name, "subscribers": subs, "queues": list(t.queues)})
    buckets = []
    for b in sorted(app.buckets.values(), key=lambda b: b.name):
        listeners = [{"function": f.name, "events": list(tr.events), "prefix": tr.prefix, "suffix": tr.suffix,
                      "pending": depth(bucket_delivery_queue(b.name, f.name))}
                     for f in sorted(app.functions.values(), key=lambda f: f.name) for tr in f.triggers
                     if isinstance(tr, ir.BucketTrigger) and tr.bucket == b.name]
        buckets.append({"name": b.name, "objects": len(store.bucket_list(b.name)) if store else 0,
                        "listeners": listeners})
    schedules = []
    now = time.time()
    owners = [("function", f.name, f.triggers) for f in app.functions.values()] + \
        [("workflow", w.name, w.triggers) for w in app.workflows.values()]
    for kind, owner, triggers in sorted(owners, key=lambda o: (o[0], o[1])):
        for i, trig in enumerate(triggers):
            if isinstance(trig, ir.ScheduleTrigger):
                last = store.schedule_last_tick(schedule_key(kind, owner, i)) if store else None
                schedules.append({"target": f"{kind}:{owner}", "cron": trig.cron, "rate": trig.rate,
                                  "timezone": trig.timezone,
                                  "next_tick": describe_time(next_tick(trig, now, last), trig.timezone)})
    record = _read_json(state_dir / "deployment.json")
    info = {
        "provider": "local", "service": app.service, "stage": app.stage,
        "status": "running" if running else ("stopped" if deployed else "not deployed"),
        "url": base, "pid": running["pid"] if running else None,
        "routes": routes, "queues": queues, "topics": topics, "buckets": buckets, "schedules": schedules,
        "workflows": sorted(app.workflows), "functions": sorted(app.functions),
        "last_deploy": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(state_dir.joinpath("deployment.json")
                                                                       .stat().st_mtime)) if record else None,
    }
    if store is not None:
        store.close()
    return info
