"""HTTP request and response as handlers see them, identical on every provider."""

from __future__ import annotations

from collections.abc import MutableMapping

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~2 ms at import; annotations are strings anyway
    from typing import Any, Iterator

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
BINARY_TYPE = "application/octet-stream"


class Headers(MutableMapping):
    """Case-insensitive header mapping that remembers the spelling a handler used.

    HTTP header names are case-insensitive and each platform spells them its own
    way (API Gateway lowercases, Azure keeps them), so handlers must never depend on case.
    """

    __slots__ = ("_items",)

    def __init__(self, data: Any = None, **more: str):
        self._items: dict[str, tuple[str, Any]] = {}
        if data:
            items = data.items() if hasattr(data, "items") else data
            for key, value in items:
                self[key] = value
        for key, value in more.items():
            self[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._items[key.lower()][1]

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"header names are strings, not {type(key).__name__}")
        if not isinstance(value, (str, list)):
            value = str(value)
        self._items[key.lower()] = (key, value)

    def __delitem__(self, key: str) -> None:
        del self._items[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str, default: Any = None) -> Any:
        item = self._items.get(key.lower())
        return default if item is None else item[1]

    def copy(self) -> "Headers":
        return Headers(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Headers, dict)):
            other_headers = other if isinstance(other, Headers) else Headers(other)
            return {k: v for k, (_, v) in self._items.items()} == \
                {k: v for k, (_, v) in other_headers._items.items()}
        return NotImplemented

    def __repr__(self) -> str:
        return f"Headers({dict(self)!r})"


def _normalize_query(query: Any) -> dict[str, list[str]]:
    if not query:
        return {}
    if isinstance(query, str):
        from urllib.parse import parse_qs

        return parse_qs(query.lstrip("?"), keep_blank_values=True)
    out: dict[str, list[str]] = {}
    for key, value in query.items():
        out[str(key)] = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    return out


class Request:
    """An HTTP request: ``query`` maps a name to every value given (``?tag=a&tag=b``)."""

    __slots__ = ("method", "path", "path_params", "query", "headers", "body", "route", "_json")

    def __init__(self, method: str = "GET", path: str = "/", path_params: dict[str, str] | None = None,
                 query: Any = None, headers: Any = None, body: bytes | str | None = b"", route: str = ""):
        self.method = method.upper()
        self.path = path or "/"
        self.path_params = dict(path_params or {})
        self.query = _normalize_query(query)
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        if body is None:
            body = b""
        self.body = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        self.route = route
        self._json: Any = _UNSET

    def query_first(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter (most parameters are given once)."""
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON (None for an empty body); ValueError when it is not JSON."""
        if self._json is _UNSET:
            import json

            self._json = json.loads(self.body) if self.body.strip() else None
        return self._json

    def __repr__(self) -> str:
        return f"Request({self.method} {self.path}, route={self.route!r}, {len(self.body)} bytes)"


_UNSET: Any = object()


class Response:
    """What a handler returns; ``from_return`` turns plain values into one.

    ``body`` may be None, bytes, str or any JSON value; the content type follows
    the body unless a ``content-type`` header is given.
    """

    __slots__ = ("status", "body", "_headers")

    def __init__(self, status: int = 200, body: Any = None, headers: Any = None):
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"HTTP status must be an integer 100-599, not {status!r}")
        self.status = status
        self.body = body
        self._headers = Headers(headers)

    @classmethod
    def from_return(cls, value: Any) -> "Response":
        """A handler's return value as a Response: None -> 204, dict/list -> JSON, str -> text, bytes -> binary."""
        if isinstance(value, Response):
            return value
        if value is None:
            return cls(204)
        if isinstance(value, (dict, list, str, bytes, bytearray, memoryview, int, float, bool)):
            return cls(200, value)
        raise TypeError(f"a handler returned {type(value).__name__}; return a Response, dict, list, str, "
                        f"bytes or None")

    @property
    def headers(self) -> Headers:
        """The headers with ``content-type`` set from the body when the handler did not set one."""
        if "content-type" not in self._headers:
            content_type = self._content_type()
            if content_type:
                self._headers["content-type"] = content_type
        return self._headers

    def _content_type(self) -> str | None:
        body = self.body
        if body is None:
            return None
        if isinstance(body, str):
            return TEXT_TYPE
        if isinstance(body, (bytes, bytearray, memoryview)):
            return BINARY_TYPE
        return JSON_TYPE

    def body_bytes(self) -> bytes:
        body = self.body
        if body is None:
            return b""
        if isinstance(body, bytes):
            return body
        if isinstance(body, (bytearray, memoryview)):
            return bytes(body)
        if isinstance(body, str):
            return body.encode("utf-8")
        import json

        return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Response):
            return NotImplemented
        return (self.status, self.body_bytes(), self.headers) == (other.status, other.body_bytes(), other.headers)

    def __repr__(self) -> str:
        return f"Response({self.status}, {self.headers.get('content-type')!r}, {len(self.body_bytes())} bytes)"
