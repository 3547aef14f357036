"""Unit tests of the GCP emit helpers: main.py without Jinja on the hot path, the source digest."""

from __future__ import annotations

import hashlib
import itertools
import json

import pytest

from sls_neutral.providers.gcp import emit

ENTRIES = ("http_entry", "event_entry", "queue_entry")
SUBSETS = [list(c) for k in range(len(ENTRIES) + 1) for c in itertools.combinations(ENTRIES, k)]


def jinja_main(*, what, handler, entries, config, http_doc) -> str:
    """main.py as the template renders it through Jinja (what render_main did per function before)."""
    literal = repr(json.dumps(config, sort_keys=True, separators=(",", ":")))
    text = emit._environment().get_template(emit.TEMPLATE).render(
        what=what, handler=handler, entries=entries, config=f"__import__('json').loads({literal})",
        http_doc=http_doc)
    while "\n\n\n\n" in text:
        text = text.replace("\n\n\n\n", "\n\n\n")
    return text.rstrip("\n") + "\n"


@pytest.mark.parametrize("entries", SUBSETS, ids=lambda e: "+".join(e) or "none")
def test_the_plain_renderer_is_jinja_for_the_template(entries):
    values = {"what": "W", "handler": "H", "config": "C", "http_doc": "D"}
    plain = emit._render_plain(emit._template_source(), values, tuple(entries))
    assert plain is not None  # the template uses only what the plain renderer knows
    assert plain == emit._environment().get_template(emit.TEMPLATE).render(entries=entries, **values)


@pytest.mark.parametrize("entries", SUBSETS, ids=lambda e: "+".join(e) or "none")
@pytest.mark.parametrize("values", [
    {"what": "function 'api'", "handler": "src/api.py:handle", "http_doc": "routes GET /items/{id}, POST /x"},
    {"what": "", "handler": "", "http_doc": ""},
    {"what": "a\n\n\n\nb", "handler": "{{ what }} {% if %}", "http_doc": "\x00slsn-field\x00 \n\n\n"},
])
def test_render_main_is_byte_identical_to_the_jinja_rendering(entries, values):
    config = {"function": "api", "routes": [{"method": "GET", "path": "/items/{id}", "cors": True}],
              "note": "quote ' and \" and \\ and \u00e9"}
    assert emit.render_main(entries=entries, config=config, **values) == jinja_main(entries=entries, config=config,
                                                                                   **values)


@pytest.mark.parametrize("source", [
    "{{ what }}{% for x in entries %}{% endfor %}",   # a tag it does not know
    "{{ nobody }}",                                  # a field it is not given
    "{# a comment #}",
    '{% if "http_entry" in entries %}never closed',
    "{% endif %}",
    "{{ what }}\r\n",                                 # Jinja normalizes newlines; leave that to Jinja
])
def test_the_plain_renderer_declines_what_it_does_not_know(source):
    assert emit._render_plain(source, {"what": "W"}, ("http_entry",)) is None


def test_nested_blocks_and_free_braces():
    source = 'a{% if "x" in entries %}b{% if "y" in entries %}c{% endif %}d{% endif %}e {x} %'
    assert emit._render_plain(source, {}, ("x",)) == "abde {x} %"
    assert emit._render_plain(source, {}, ("x", "y")) == "abcde {x} %"
    assert emit._render_plain(source, {}, ("y",)) == "ae {x} %"


def test_source_digest_hashes_names_and_contents():
    files = {"main.py": b"print(1)\n", "big.bin": bytes(range(256)) * 4, "empty": b""}
    expected = hashlib.sha256()
    for name in sorted(files):
        expected.update(name.encode() + b"\0" + hashlib.sha256(files[name]).hexdigest().encode() + b"\n")
    assert emit.source_digest(files) == expected.hexdigest()
    assert emit.source_digest({**files, "main.py": b"print(2)\n"}) != expected.hexdigest()
