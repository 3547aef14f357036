"""The event graph of an app, for recursive-loop detection (SN007) and invoke chains (SN011).

Nodes are ``kind:name`` strings. Edges point the way data flows: a resource
that triggers a function (``bucket:photos -> function:thumbs``), a function
that writes, sends, publishes, starts or invokes (``function:thumbs ->
bucket:photos``), a topic that fans out into its queues, a workflow that calls
its step functions. A cycle through a function is a loop that the platform
will happily run forever (AWS stops after ~16 hops on some services; GCP and
Azure do not stop it at all).
"""

from __future__ import annotations

from dataclasses import dataclass

from sls_neutral.core import ir

# grant action -> the resource kind it feeds (a function writing to a bucket fires that bucket's triggers)
FEEDING_ACTIONS = {("bucket", "write"), ("queue", "send"), ("topic", "publish"), ("workflow", "start"),
                   ("function", "invoke")}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    why: str  # "trigger", "write", "send", "publish", "start", "invoke", "fan-out", "step"
    filtered: bool = False  # a bucket trigger with a prefix/suffix: the loop may be broken by key layout


def build_edges(app: ir.App) -> list[Edge]:
    edges: list[Edge] = []
    names = {"bucket": app.buckets, "queue": app.queues, "topic": app.topics, "workflow": app.workflows,
             "function": app.functions}
    for f in app.functions.values():
        me = f"function:{f.name}"
        for t in f.triggers:
            if isinstance(t, ir.BucketTrigger):
                edges.append(Edge(f"bucket:{t.bucket}", me, "trigger", bool(t.prefix or t.suffix)))
            elif isinstance(t, ir.QueueTrigger):
                edges.append(Edge(f"queue:{t.queue}", me, "trigger"))
            elif isinstance(t, ir.TopicTrigger):
                edges.append(Edge(f"topic:{t.topic}", me, "trigger"))
        for g in f.grants:
            if g.implied:
                continue
            for kind, action in FEEDING_ACTIONS:
                if g.kind == kind and g.action in (action, "*"):
                    targets = sorted(set(names[kind]) | _triggering(app, kind)) if g.name == "*" else [g.name]
                    edges.extend(Edge(me, f"{kind}:{name}", action) for name in targets)
    for topic in app.topics.values():
        edges.extend(Edge(f"topic:{topic.name}", f"queue:{q}", "fan-out") for q in topic.queues)
    for wf in app.workflows.values():
        edges.extend(Edge(f"workflow:{wf.name}", f"function:{fn}", "step") for fn in wf.functions)
    return sorted(set(edges), key=lambda e: (e.source, e.target, e.why))


def _triggering(app: ir.App, kind: str) -> set[str]:
    """Names of ``kind`` resources that trigger some function (a wildcard grant reaches them too)."""
    attr = {"bucket": "bucket", "queue": "queue", "topic": "topic"}.get(kind)
    if attr is None:
        return set()
    return {getattr(t, attr) for f in app.functions.values() for t in f.triggers if t.kind == kind}


def strongly_connected(edges: list[Edge]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components with a cycle only, each sorted, in a stable order."""
    graph: dict[str, list[str]] = {}
    for e in edges:
        graph.setdefault(e.source, []).append(e.target)
        graph.setdefault(e.target, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succ = sorted(graph[node])
            if i < len(succ):
                work.append((node, i + 1))
                nxt = succ[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            for s in succ:
                if s in on_stack:
                    low[node] = min(low[node], low[s])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in graph[node]:
                    out.append(sorted(comp))
    return sorted(out)


def cycle_path(component: list[str], edges: list[Edge]) -> list[Edge]:
    """One concrete cycle inside a strongly connected component, starting at its first function."""
    members = set(component)
    inner = [e for e in edges if e.source in members and e.target in members]
    start = next((n for n in component if n.startswith("function:")), component[0])
    # breadth-first from start back to start
    from collections import deque

    prev: dict[str, Edge] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for e in inner:
            if e.source != node:
                continue
            if e.target == start:
                path = [e]
                while path[0].source != start:
                    path.insert(0, prev[path[0].source])
                return path
            if e.target not in seen:
                seen.add(e.target)
                prev[e.target] = e
                queue.append(e.target)
    return []


def invoke_chains(app: ir.App) -> dict[str, list[str]]:
    """function -> the longest chain of synchronous invokes starting there (``function:X:invoke`` grants)."""
    calls: dict[str, list[str]] = {}
    for f in app.functions.values():
        callees = {g.name for g in f.grants
                   if g.kind == "function" and g.action in ("invoke", "*") and not g.implied}
        if "*" in callees:
            callees = set(app.functions) - {f.name}
        calls[f.name] = sorted(callees & set(app.functions))

    def longest(name: str, visiting: frozenset[str]) -> list[str]:
        best = [name]
        for callee in calls.get(name, []):
            if callee not in visiting:
                chain = [name] + longest(callee, visiting | {callee})
                if len(chain) > len(best):
                    best = chain
        return best

    return {name: longest(name, frozenset({name})) for name in sorted(calls) if calls[name]}
