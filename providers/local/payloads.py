"""The JSON payloads the local runtime hands to worker processes, built in one place.

``http``: ``{"method", "path", "route", "path_params", "query_string", "headers", "body_b64",
"correlation_id"}`` (built by the HTTP server). ``event``: ``{"event": <CloudEvents 1.0 attributes +
data>, "correlation_id"}`` built here from a stored message. The worker turns them into
``sls_neutral.runtime.Request`` / ``Event``.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from sls_neutral.providers.local.store import Message

CORRELATION_ATTR = "slsn-correlation-id"


_second: list = [None, ""]  # the last whole second formatted: a batch of messages mostly shares it


def _iso(ts: float) -> str:
    """``2024-05-01T12:00:00.123Z`` (UTC, milliseconds)."""
    second = int(ts // 1)
    micros = round((ts - second) * 1e6)  # as datetime.fromtimestamp rounds, then milliseconds truncated
    if micros >= 1000000:
        second, micros = second + 1, micros - 1000000
    if _second[0] != second:
        _second[1] = datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        _second[0] = second
    return f"{_second[1]}.{micros // 1000:03d}Z"


def decode_body(body: bytes) -> Any:
    """Queue/topic data as handlers see it: JSON-decoded when it is JSON, else text."""
    text = body.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _content_type(data: Any) -> str:
    return "text/plain" if isinstance(data, str) else "application/json"


def event(event_type: str, source: str, subject: str | None, data: Any, *, event_id: str | None = None,
          time: float | None = None, correlation_id: str | None = None) -> dict[str, Any]:
    import time as _time

    cloud_event = {
        "specversion": "1.0", "id": event_id or uuid.uuid4().hex, "source": source, "type": event_type,
        "subject": subject, "time": _iso(time if time is not None else _time.time()),
        "datacontenttype": _content_type(data), "data": data,
    }
    return {"event": cloud_event, "correlation_id": correlation_id or uuid.uuid4().hex}


def queue_event(service: str, queue: str, message: Message) -> dict[str, Any]:
    data = decode_body(message.body)
    payload = event("sls.queue.message", f"//sls-neutral/{service}/queues/{queue}", message.id, data,
                    event_id=message.id, time=message.sent_at,
                    correlation_id=message.attributes.get(CORRELATION_ATTR))
    payload["event"]["receivecount"] = message.receive_count
    return payload


def topic_event(service: str, topic: str, message: Message) -> dict[str, Any]:
    data = decode_body(message.body)
    return event("sls.topic.message", f"//sls-neutral/{service}/topics/{topic}",
                 message.attributes.get("slsn-topic-message-id", message.id), data,
                 event_id=message.attributes.get("slsn-topic-message-id", message.id), time=message.sent_at,
                 correlation_id=message.attributes.get(CORRELATION_ATTR))


def bucket_event(service: str, bucket: str, message: Message) -> dict[str, Any]:
    info = json.loads(message.body)
    kind = message.attributes.get("slsn-bucket-event", "created")
    data = {k: info[k] for k in ("bucket", "key", "size", "etag")}
    return event(f"sls.bucket.object.{kind}", f"//sls-neutral/{service}/buckets/{bucket}", info["key"], data,
                 event_id=message.id, time=message.sent_at)


def schedule_event(service: str, owner: str, tick: float, data: Any) -> dict[str, Any]:
    return event("sls.schedule.tick", f"//sls-neutral/{service}/schedules/{owner}", _iso(tick), data,
                 time=tick)
