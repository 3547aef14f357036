"""Request/Response as handlers see them: normalization, headers, query, JSON."""

from __future__ import annotations

import json

import pytest

from sls_neutral.runtime import Request, Response
from sls_neutral.runtime.http import Headers


@pytest.mark.parametrize("value, status, content_type, body", [
    (None, 204, None, b""),
    ({"id": 1, "name": "é"}, 200, "application/json", json.dumps({"id": 1, "name": "é"}, separators=(",", ":"),
                                                                  ensure_ascii=False).encode()),
    ([1, 2], 200, "application/json", b"[1,2]"),
    ("hello", 200, "text/plain; charset=utf-8", b"hello"),
    (b"\x00\xff", 200, "application/octet-stream", b"\x00\xff"),
    (bytearray(b"ab"), 200, "application/octet-stream", b"ab"),
    (42, 200, "application/json", b"42"),
])
def test_from_return_normalizes_handler_values(value, status, content_type, body):
    response = Response.from_return(value)
    assert response.status == status
    assert response.headers.get("content-type") == content_type
    assert response.body_bytes() == body


def test_from_return_keeps_a_response_and_its_headers():
    original = Response(201, {"ok": True}, {"Location": "/x", "Content-Type": "application/vnd.x+json"})
    response = Response.from_return(original)
    assert response is original
    assert response.headers["content-type"] == "application/vnd.x+json"
    assert response.headers["location"] == "/x"


def test_from_return_refuses_unknown_types_with_a_clear_message():
    with pytest.raises(TypeError, match="return a Response, dict, list, str, bytes or None"):
        Response.from_return(object())


@pytest.mark.parametrize("status", [99, 600, "200", True])
def test_response_refuses_invalid_status(status):
    with pytest.raises(ValueError):
        Response(status)


def test_response_with_no_body_has_no_content_type():
    assert "content-type" not in Response(302, headers={"location": "/"}).headers


def test_headers_are_case_insensitive_and_keep_spelling():
    headers = Headers({"Content-Type": "text/html", "X-Trace": "1"})
    assert headers["content-type"] == headers.get("CONTENT-TYPE") == "text/html"
    assert "x-trace" in headers and "missing" not in headers
    headers["content-type"] = "application/json"
    assert len(headers) == 2
    assert list(headers) == ["content-type", "X-Trace"]  # the latest spelling, the first position
    del headers["X-TRACE"]
    assert dict(headers) == {"content-type": "application/json"}
    assert headers == {"content-type": "application/json"}


def test_request_headers_query_and_body():
    request = Request("post", "/photos/7", {"id": "7"}, {"tag": ["a", "b"], "size": "small"},
                      {"X-Correlation-Id": "c-1"}, '{"title": "sun"}', route="POST /photos/{id}")
    assert request.method == "POST"
    assert request.headers.get("x-correlation-id") == "c-1"
    assert request.query == {"tag": ["a", "b"], "size": ["small"]}
    assert request.query_first("tag") == "a"
    assert request.query_first("missing", "d") == "d"
    assert request.json() == {"title": "sun"}
    assert request.text == '{"title": "sun"}'
    assert request.body == b'{"title": "sun"}'
    assert request.path_params == {"id": "7"}
    assert request.route == "POST /photos/{id}"


def test_request_query_string_keeps_repeated_and_blank_values():
    request = Request(query="a=1&a=2&b=")
    assert request.query == {"a": ["1", "2"], "b": [""]}


def test_request_json_of_empty_body_is_none_and_bad_json_raises():
    assert Request(body=b"").json() is None
    with pytest.raises(ValueError):
        Request(body=b"{nope").json()
