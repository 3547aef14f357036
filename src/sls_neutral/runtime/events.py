"""Events from queues, topics, buckets and schedules, as CloudEvents 1.0.

Every provider turns its native message into the same ``Event``; ``to_dict`` is
the CloudEvents JSON format (structured mode), so events can be forwarded to
any CloudEvents consumer unchanged.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~2 ms at import; annotations are strings anyway
    from typing import Any


QUEUE_MESSAGE = "sls.queue.message"
TOPIC_MESSAGE = "sls.topic.message"
BUCKET_CREATED = "sls.bucket.object.created"
BUCKET_DELETED = "sls.bucket.object.deleted"
SCHEDULE_TICK = "sls.schedule.tick"

_CORE = ("specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema")
_REQUIRED = ("id", "source", "type")


def _now_iso() -> str:
    import time

    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


class Event:
    """A CloudEvents 1.0 event; ``extensions`` holds extension attributes (e.g. ``receivecount``)."""

    __slots__ = ("id", "source", "type", "subject", "time", "datacontenttype", "dataschema", "data",
                 "specversion", "extensions")

    def __init__(self, id: str | None = None, source: str = "", type: str = "", subject: str | None = None,
                 time: str | None = None, datacontenttype: str | None = None, data: Any = None,
                 specversion: str = "1.0", dataschema: str | None = None, extensions: dict[str, Any] | None = None):
        if specversion != "1.0":
            raise ValueError(f"unsupported CloudEvents specversion {specversion!r} (expected '1.0')")
        if id is None:
            import uuid

            id = uuid.uuid4().hex
        self.id = str(id)
        self.source = source
        self.type = type
        self.subject = subject
        self.time = time or _now_iso()
        if datacontenttype is None and data is not None:
            datacontenttype = "text/plain" if isinstance(data, str) else \
                "application/octet-stream" if isinstance(data, (bytes, bytearray)) else "application/json"
        self.datacontenttype = datacontenttype
        self.dataschema = dataschema
        self.data = data
        self.specversion = specversion
        self.extensions = dict(extensions or {})

    def to_dict(self) -> dict[str, Any]:
        """The CloudEvents JSON format; absent optional attributes are omitted, bytes go to ``data_base64``."""
        out: dict[str, Any] = {"specversion": self.specversion, "id": self.id, "source": self.source,
                               "type": self.type}
        for name in ("subject", "time", "datacontenttype", "dataschema"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out.update(self.extensions)
        if isinstance(self.data, (bytes, bytearray)):
            import base64

            out["data_base64"] = base64.b64encode(self.data).decode("ascii")
        elif self.data is not None:
            out["data"] = self.data
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Event":
        missing = [name for name in _REQUIRED if not data.get(name)]
        if missing:
            raise ValueError(f"not a CloudEvent: missing {', '.join(missing)}")
        body = data.get("data")
        if "data_base64" in data:
            import base64

            body = base64.b64decode(data["data_base64"])
        extensions = {k: v for k, v in data.items() if k not in _CORE and k not in ("data", "data_base64")}
        return cls(id=data["id"], source=data["source"], type=data["type"], subject=data.get("subject"),
                   time=data.get("time"), datacontenttype=data.get("datacontenttype"), data=body,
                   specversion=data.get("specversion", "1.0"), dataschema=data.get("dataschema"),
                   extensions=extensions)

    def __getitem__(self, name: str) -> Any:
        """Attribute access by CloudEvents name (``event["type"]``), extensions included."""
        if name in _CORE or name == "data":
            return getattr(self, name)
        return self.extensions[name]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Event({self.type} id={self.id} subject={self.subject!r})"
