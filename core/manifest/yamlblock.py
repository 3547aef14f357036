"""The subset of YAML manifests are written in, read line by line in Python.

Block mappings and sequences (compact ``- key: value`` items and sequences written level with their key
included), single-line plain and quoted scalars, single-line flow collections (``{method: GET, path: /x}``,
``[a, b]``), comments and blank lines. That is every manifest in the repository and what ``sls-neutral
init`` writes. Reading it here costs ~10 ms for a 1,000-function manifest, where importing PyYAML (~15 ms,
a third of it compiling one regular expression) and composing and converting its node tree (~45 ms) cost
more than the rest of loading and compiling together, on the serial start of every command.

Anything outside the subset (tags, anchors, block scalars, multi-line scalars or flows, empty values,
tabs, directives, duplicate keys, numbers YAML 1.1 and 1.2 read differently, errors) makes
:func:`load_block` return None, and the libyaml and ruamel paths of :mod:`yamlpos` decide. What it does
read, it reads as ruamel does: the same data and the same positions (tests/unit/core/test_yaml_block.py
holds it to that on every YAML file of the repository and on generated documents).
"""

from __future__ import annotations

import re

from sls_neutral.core.manifest.yamlpos import SourceDoc, _Fallback, _plain_scalar

_PLAIN_KEY = r"[A-Za-z0-9_$][A-Za-z0-9_.$/-]*"  # plain keys read here; anything else falls back
_KEY = re.compile(_PLAIN_KEY)
_KEY_THEN_VALUE = re.compile(f"({_PLAIN_KEY}):(?: +|$)")  # the common line, in one match
_FLOW_KEY_THEN_VALUE = re.compile(f"({_PLAIN_KEY}): +")
_NOT_TEXT_START = frozenset("0123456789-+.")
_FLOW_PLAIN_END = re.compile(r"[,\[\]{}]|:(?=[\s,\[\]{}]|$)| #")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
            "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
            "L": "\u2028", "P": "\u2029"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
# what YAML does not allow in a document (ruamel refuses it): C0 controls but LF, DEL, C1 but NEL,
# surrogates and the two non-characters of the basic plane. Tabs and CR are refused separately.
_NOT_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


class _NotBlock(Exception):
    """Outside the subset: the other paths decide."""


def load_block(text: str, file: str) -> SourceDoc | None:
    """The document as :func:`yamlpos.load_yaml_text` reads it, or None when it is outside the subset."""
    if "\t" in text or "\r" in text or text.startswith("\ufeff") or _NOT_PRINTABLE.search(text):
        return None
    doc = SourceDoc(data=None, file=file, text=text)
    try:
        doc.data = _Reader(text, doc).document()
    except (_NotBlock, _Fallback, RecursionError):
        return None
    return doc


class _Reader:
    def __init__(self, text: str, doc: SourceDoc):
        self.doc = doc
        self.lines = text.split("\n")
        # the content lines: (index, indent), comments and blank lines left out
        self.content: list[tuple[int, int]] = []
        for index, line in enumerate(self.lines):
            body = line.lstrip(" ")
            if body and body[0] != "#":
                if line.startswith(("---", "...", "%")):
                    raise _NotBlock("document marker or directive")
                self.content.append((index, len(line) - len(body)))
        self.at = 0  # the next content line to read

    # ------------------------------------------------------------ block structure
    def document(self):
        if not self.content:
            return None
        index, indent = self.content[0]
        if indent != 0 or _dash(self.lines[index], 0):
            raise _NotBlock("only a mapping at the root")
        root = self.mapping(indent, ())
        if self.at != len(self.content):
            raise _NotBlock("content after the root mapping")
        self.doc.value_pos.setdefault((), (self.content[0][0] + 1, 1))
        return root

    def mapping(self, column: int, path: tuple, first: int | None = None) -> dict:
        """The block mapping whose keys start at ``column``; ``first``: where its first key starts on the
        current line when that is a sequence item's line (``- key: value``)."""
        out: dict = {}
        lines, content, total = self.lines, self.content, len(self.content)
        key_pos, value_pos = self.doc.key_pos, self.doc.value_pos
        while self.at < total:
            index, indent = content[self.at]
            line = lines[index]
            if first is not None:
                start, first = first, None
            elif indent == column:
                start = indent
                if _dash(line, start):
                    break  # a sequence level with this mapping's key: the caller's (or an error)
            elif indent < column:
                break
            else:
                raise _NotBlock("unexpected indentation")
            match = _KEY_THEN_VALUE.match(line, start)
            if match is not None and _is_text(key := match.group(1)):
                rest = match.end()
            else:
                key, colon = self.key(line, start)
                rest = _skip_spaces(line, colon + 1)
            if key in out:
                raise _NotBlock("duplicate key")  # ruamel words the error
            child = path + (key,)
            key_pos[child] = (index + 1, start + 1)
            self.at += 1
            if rest == len(line) or line[rest] == "#":
                out[key] = self.nested(column, child)
            else:
                value_pos[child] = (index + 1, rest + 1)
                out[key] = self.inline(line, rest, index, child)
                self.no_continuation(column)
        return out

    def nested(self, column: int, path: tuple):
        """The block node under ``key:`` (a key at ``column``), on the following lines."""
        if self.at == len(self.content):
            raise _NotBlock("empty value")
        index, indent = self.content[self.at]
        line = self.lines[index]
        dash = _dash(line, indent)
        if indent > column or (indent == column and dash):
            self.doc.value_pos[path] = (index + 1, indent + 1)
            return self.sequence(indent, path) if dash else self.mapping(indent, path)
        raise _NotBlock("empty value")  # ruamel places it by the next token: let the other paths do it

    def sequence(self, column: int, path: tuple) -> list:
        """The block sequence whose dashes are at ``column``."""
        items: list = []
        lines, content = self.lines, self.content
        while self.at < len(content):
            index, indent = content[self.at]
            line = lines[index]
            if indent < column:
                break
            if indent > column:
                raise _NotBlock("unexpected indentation")
            if not line.startswith("- ", indent):
                break  # a key level with the sequence: the enclosing mapping's next key
            start = indent + 2
            while start < len(line) and line[start] == " ":
                start += 1
            if start == len(line) or line[start] in "#-":
                raise _NotBlock("empty or nested sequence item")
            child = path + (len(items),)
            self.doc.value_pos[child] = (index + 1, start + 1)
            if self.starts_key(line, start):
                items.append(self.mapping(start, child, first=start))
            else:
                self.at += 1
                items.append(self.inline(line, start, index, child))
                self.no_continuation(column)
        return items

    def no_continuation(self, column: int) -> None:
        """After a value on one line, a more indented line would continue it (a multi-line scalar)."""
        if self.at < len(self.content) and self.content[self.at][1] > column:
            raise _NotBlock("multi-line value")

    def starts_key(self, line: str, start: int) -> bool:
        """Whether a sequence item starts a compact mapping (``- key: ...``)."""
        if line[start] in "\"'":
            end = _quoted_end(line, start)
            return end < len(line) and line[end] == ":"
        match = _KEY.match(line, start)
        if match is None:
            return False
        end = match.end()
        return end < len(line) and line[end] == ":" and (end + 1 == len(line) or line[end + 1] == " ")

    @staticmethod
    def key(line: str, start: int) -> tuple[str, int]:
        """A block mapping key at ``start`` (quoted, or plain and unusual): its text and where its ':' is."""
        key, end = _key_text(line, start)
        if end == len(line) or line[end] != ":" or (end + 1 < len(line) and line[end + 1] != " "):
            raise _NotBlock("not a key")
        return key, end

    # ------------------------------------------------------------ values on one line
    def inline(self, line: str, start: int, index: int, path: tuple):
        """A value that starts at ``start`` and ends on this line (a comment may follow)."""
        first = line[start]
        if first in "[{":
            value, end = self.flow(line, start, index, path)
        elif first in "\"'":
            end = _quoted_end(line, start)
            value = _quoted(line, start, end)
        else:
            if first in _INDICATORS and not (first == "-" and start + 1 < len(line) and line[start + 1] != " "):
                raise _NotBlock("an indicator")
            cut = line.find(" #", start)
            text = (line[start:] if cut < 0 else line[start:cut]).rstrip(" ")
            if ": " in text or text.endswith(":"):
                raise _NotBlock("a ': ' in a plain value")
            return _plain_scalar(text)
        _end_of_line(line, end)
        return value

    def flow(self, line: str, start: int, index: int, path: tuple):
        """A flow collection at ``start`` on this line: the value and the index after it."""
        closing = "]" if line[start] == "[" else "}"
        out: list | dict = [] if closing == "]" else {}
        i = _skip_spaces(line, start + 1)
        if i < len(line) and line[i] == closing:
            return out, i + 1
        while True:
            if i >= len(line):
                raise _NotBlock("a flow collection over several lines")
            if closing == "}":
                match = _FLOW_KEY_THEN_VALUE.match(line, i)
                if match is not None and _is_text(match.group(1)):
                    key, after = match.group(1), match.end()
                else:
                    key, after = _flow_key(line, i)
                if key in out:
                    raise _NotBlock("duplicate key")
                child = path + (key,)
                self.doc.key_pos[child] = (index + 1, i + 1)
                i = after
            else:
                child = path + (len(out),)
            if i >= len(line) or line[i] in ",]}#":
                raise _NotBlock("empty flow value")
            self.doc.value_pos[child] = (index + 1, i + 1)
            value, i = self.flow_node(line, i, index, child)
            if closing == "}":
                out[key] = value
            else:
                out.append(value)
            i = _skip_spaces(line, i)
            if i < len(line) and line[i] == closing:
                return out, i + 1
            if i >= len(line) or line[i] != ",":
                raise _NotBlock("a flow collection this reader does not follow")
            i = _skip_spaces(line, i + 1)
            if i < len(line) and line[i] in ",]}":
                raise _NotBlock("an empty flow entry")

    def flow_node(self, line: str, start: int, index: int, path: tuple):
        first = line[start]
        if first in "[{":
            return self.flow(line, start, index, path)
        if first in "\"'":
            end = _quoted_end(line, start)
            return _quoted(line, start, end), end
        if first in _INDICATORS and not (first == "-" and start + 1 < len(line) and line[start + 1] not in " ,]}"):
            raise _NotBlock("an indicator")
        match = _FLOW_PLAIN_END.search(line, start)
        end = len(line) if match is None else match.start()
        if match is not None and match.group() != "," and match.group()[0] not in "]}":
            raise _NotBlock("a flow scalar this reader does not follow")  # 'a: b' pairs, '[' in text, comments
        text = line[start:end].rstrip(" ")
        return _plain_scalar(text), start + len(text)


def _flow_key(line: str, i: int) -> tuple[str, int]:
    """A key of a flow mapping at ``i`` (quoted, or plain and unusual): its text and where its value starts."""
    key, end = _key_text(line, i)
    if end >= len(line) or line[end] != ":" or end + 1 == len(line) or line[end + 1] != " ":
        raise _NotBlock("flow key without ': '")
    return key, _skip_spaces(line, end + 1)


def _key_text(line: str, start: int) -> tuple[str, int]:
    """A key's text (quoted, or plain and read as text) and the index after it."""
    if line[start] in "\"'":
        end = _quoted_end(line, start)
        return _quoted(line, start, end), end
    match = _KEY.match(line, start)
    if match is None:
        raise _NotBlock("key outside the subset")
    key = _plain_scalar(match.group())
    if not isinstance(key, str):
        raise _NotBlock("a key that is not text")
    return key, match.end()


def _is_text(key: str) -> bool:
    """Whether a plain key matched by _KEY reads as text (not a number, bool or null): _plain_scalar's
    answer without its call for the common key."""
    if key[0] in _NOT_TEXT_START or key in _NOT_TEXT_WORDS:
        return isinstance(_plain_scalar(key), str)
    return True


_NOT_TEXT_WORDS = frozenset(["null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"])


def _dash(line: str, at: int) -> bool:
    """Whether a sequence entry starts at ``at``: a dash alone or followed by a space."""
    return line.startswith("-", at) and (len(line) == at + 1 or line[at + 1] == " ")


def _skip_spaces(line: str, i: int) -> int:
    while i < len(line) and line[i] == " ":
        i += 1
    return i


def _end_of_line(line: str, i: int) -> None:
    """Only spaces, and then perhaps a comment, after a value."""
    i = _skip_spaces(line, i)
    if i < len(line) and (line[i] != "#" or line[i - 1] != " "):
        raise _NotBlock("text after a value")


def _quoted_end(line: str, start: int) -> int:
    """The index after the closing quote of the scalar that opens at ``start`` (on this line)."""
    quote = line[start]
    i = start + 1
    while True:
        i = line.find(quote, i)
        if i < 0:
            raise _NotBlock("a quoted scalar over several lines")
        if quote == "'":
            if line.startswith("''", i):
                i += 2
                continue
            return i + 1
        backslashes = 0
        while line[i - 1 - backslashes] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return i + 1
        i += 1


def _quoted(line: str, start: int, end: int) -> str:
    body = line[start + 1:end - 1]
    if line[start] == "'":
        return body.replace("''", "'")
    if "\\" not in body:
        return body
    out = []
    i = 0
    while True:
        j = body.find("\\", i)
        if j < 0:
            out.append(body[i:])
            return "".join(out)
        out.append(body[i:j])
        code = body[j + 1:j + 2]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i = j + 2
        elif code in _HEX_ESCAPES:
            digits = body[j + 2:j + 2 + _HEX_ESCAPES[code]]
            if len(digits) != _HEX_ESCAPES[code] or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise _NotBlock("a malformed escape")
            point = int(digits, 16)
            if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
                raise _NotBlock("an escape that is not a character")
            out.append(chr(point))
            i = j + 2 + len(digits)
        else:
            raise _NotBlock("an unknown escape")
