"""What a Python module imports and defines, read from its syntax tree without running it.

Separate from :mod:`sls_neutral.core.sources` so the incremental path (:mod:`sls_neutral.core.replay`),
which re-reads an edited handler's imports and names, loads nothing more: the tree comes from
``compile(..., ast.PyCF_ONLY_AST)`` and nodes are told apart by their class names, so not even the
:mod:`ast` module is imported (with what it imports, ~4 ms of a ~40 ms incremental build).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs the incremental path ~2 ms
if TYPE_CHECKING:  # pragma: no cover
    import ast

ONLY_AST = 0x400  # ast.PyCF_ONLY_AST
DEFINITIONS = ("FunctionDef", "AsyncFunctionDef", "ClassDef")


def _memo(maxsize: int):
    """``functools.lru_cache(maxsize)`` for the two functions below, without importing functools (with
    collections, operator and the rest: ~1.3 ms of a ~35 ms incremental build, which only re-reads the
    imports of the handlers that changed). When full it drops the oldest entry, where lru_cache drops the
    least recently used one; exceptions are not remembered, as with lru_cache."""
    def wrap(function):
        cache: dict = {}

        def cached(*args):
            try:
                return cache[args]
            except KeyError:
                pass
            value = function(*args)
            if len(cache) >= maxsize:
                del cache[next(iter(cache))]
            cache[args] = value
            return value

        def put(args, value):
            """Remember ``value`` for ``args`` as if computed here (:func:`prime`)."""
            if len(cache) >= maxsize:
                del cache[next(iter(cache))]
            cache[args] = value

        cached.cache_clear, cached.cache_put, cached.cache_items = cache.clear, put, cache.items
        cached.__name__, cached.__doc__, cached.__wrapped__ = function.__name__, function.__doc__, function
        return cached

    return wrap


#: set by :mod:`sls_neutral.core.headstart` while a helper process is scanning modules: called (once) by
#: the first question asked here, to take in what the helper found
pending = None
_PRIMED_NAMES: dict[bytes, frozenset[str]] = {}


def prime(imports_of, names_of) -> None:
    """Results another process computed with this module, for these exact bytes: ``imports_of``, (path,
    source, :func:`imports` of them); ``names_of``, (source, :func:`defined_names` of it). Being keyed by the
    content, a result is only ever used for the very bytes it was computed from."""
    for path, source, found in imports_of:
        imports.cache_put((path, source), found)
    for source, names in names_of:
        _PRIMED_NAMES[source] = frozenset(names)


def _take_pending() -> None:
    global pending
    call, pending = pending, None
    if call is not None:
        call()


@_memo(maxsize=4096)
def imports(path: str, source: bytes) -> tuple[tuple[str, ...], ...]:
    """Dotted names one module imports (as tuples), relative imports anchored at its package; parsed once."""
    if pending is not None:
        _take_pending()
        return imports(path, source)
    try:
        tree = _syntax_tree(source)
    except (SyntaxError, ValueError):
        return ()
    package = tuple(part for part in path.split("/")[:-1] if part not in ("", "."))  # its folders
    out: list[tuple[str, ...]] = []
    for node in _statements(tree):
        kind = type(node).__name__
        if kind == "Import":
            out += [tuple(a.name.split(".")) for a in node.names]
        elif kind == "ImportFrom":
            base: tuple[str, ...] = tuple((node.module or "").split(".")) if node.module else ()
            if node.level:
                anchor = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                base = tuple(anchor) + base
            out += [base] + [base + (a.name,) for a in node.names]
    return tuple(out)


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")  # the fields that hold statements


def _statements(tree: ast.Module):
    """Every statement of a module, nested ones included (imports are statements).

    Unlike ``ast.walk`` it does not descend into expressions, which are most of a module's nodes:
    ~8x faster, and the import scan of a service's modules is part of every cold package.
    """
    todo: list = list(tree.body)
    while todo:
        node = todo.pop()
        yield node
        for field in _BLOCKS:
            block = getattr(node, field, None)
            if block:
                todo.extend(block)


@_memo(maxsize=1024)
def _syntax_tree(source: bytes) -> ast.Module:
    """A module parsed once: the compiler's handler check and the import scan of the package read the
    same handler modules (do not mutate the tree)."""
    return compile(source, "<module>", "exec", ONLY_AST, dont_inherit=True)


def defined_names(source: bytes, filename: str) -> set[str]:
    """The names a module defines at its top level (functions, classes, assignments, imports): what a
    handler reference may name. Raises SyntaxError."""
    if pending is not None:
        _take_pending()
    primed = _PRIMED_NAMES.get(source)
    if primed is not None:
        return set(primed)
    try:
        tree = _syntax_tree(source)
    except (SyntaxError, ValueError):
        tree = compile(source, filename, "exec", ONLY_AST, dont_inherit=True)  # raises again, naming the file
    names = set()
    for node in tree.body:
        kind = type(node).__name__
        if kind in DEFINITIONS:
            names.add(node.name)
        elif kind == "Assign":
            names |= {t.id for t in node.targets if type(t).__name__ == "Name"}
        elif kind in ("Import", "ImportFrom"):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names
