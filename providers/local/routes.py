"""HTTP route matching for the local server: path parameters, greedy tails, methods, ANY.

Pure logic (no I/O) so the precedence rules are unit-tested on their own. At each
segment a literal beats a ``{param}``, which beats a greedy ``{tail+}`` -- the
order API Gateway and Cloud Run users expect, independent of manifest order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ... or ANY
    path: str  # as written: /photos/{id}
    target_kind: str  # function | workflow
    target: str
    cors: bool = False
    segments: tuple[tuple[str, str], ...] = field(default=(), compare=False)  # (kind, text): lit|param|greedy

    @staticmethod
    def build(method: str, path: str, target_kind: str, target: str, cors: bool = False) -> "Route":
        segments = []
        for seg in [s for s in path.split("/") if s]:
            if seg.startswith("{") and seg.endswith("+}"):
                segments.append(("greedy", seg[1:-2]))
            elif seg.startswith("{") and seg.endswith("}"):
                segments.append(("param", seg[1:-1]))
            else:
                segments.append(("lit", seg))
        return Route(method.upper(), path, target_kind, target, cors, tuple(segments))

    def match(self, parts: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for i, (kind, text) in enumerate(self.segments):
            if kind == "greedy":
                rest = parts[i:]
                if not rest:
                    return None
                params[text] = "/".join(rest)
                return params
            if i >= len(parts):
                return None
            if kind == "lit":
                if parts[i] != text:
                    return None
            else:
                params[text] = parts[i]
        return params if len(parts) == len(self.segments) else None

    @cached_property
    def specificity(self) -> tuple[int, ...]:
        rank = {"lit": 0, "param": 1, "greedy": 2}
        return tuple(rank[k] for k, _ in self.segments) + (3,)

    @cached_property
    def label(self) -> str:
        """``GET /photos/{id}``: how logs and handlers name the route."""
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Match:
    route: Route | None
    params: dict[str, str]
    allowed: tuple[str, ...] = ()  # methods of the path when the method did not match (405)
    cors: bool = False  # some route at this path enables CORS (for preflight)


class Router:
    CACHE_SIZE = 4096  # (method, path) pairs remembered; a hot path is matched once, not per request

    def __init__(self, routes: list[Route]):
        self.routes = sorted(routes, key=lambda r: (r.specificity, r.path, r.method))
        self._cache: dict[tuple[str, str], Match] = {}

    @classmethod
    def from_app(cls, app: Any) -> "Router":
        return cls([Route.build(t.method, t.path, kind, name, t.cors) for t, kind, name in app.http_routes])

    def match(self, method: str, path: str) -> Match:
        key = (method, path)
        found = self._cache.get(key)
        if found is None:
            found = self._match(method, path)
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = found
        return Match(found.route, dict(found.params), found.allowed, found.cors) if found.params else found

    def _match(self, method: str, path: str) -> Match:
        parts = [unquote(p) for p in path.split("/") if p]
        method = method.upper()
        path_matches: list[tuple[Route, dict[str, str]]] = []
        for route in self.routes:
            params = route.match(parts)
            if params is None:
                continue
            path_matches.append((route, params))
        if not path_matches:
            return Match(None, {})
        cors = any(r.cors for r, _ in path_matches)
        # The most specific path wins; among the routes of that path, the method decides.
        best = path_matches[0][0].specificity
        same_path = [(r, p) for r, p in path_matches if r.specificity == best]
        for route, params in same_path:
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return Match(route, params, cors=cors)
        for route, params in same_path:
            if route.method == "ANY":
                return Match(route, params, cors=cors)
        # A less specific path may still take this method (e.g. GET /a/{x} and ANY /{proxy+}).
        for route, params in path_matches:
            if route.method in (method, "ANY"):
                return Match(route, params, cors=cors)
        allowed = sorted({r.method for r, _ in path_matches})
        if "ANY" in allowed:
            allowed = ["ANY"]
        return Match(None, {}, allowed=tuple(allowed), cors=cors)
