"""YAML 1.2 semantics: no/on/yes are strings, never booleans (the Norway problem)."""

from sls_neutral.core.manifest.yamlpos import load_yaml_text

DOC = """\
service: demo
functions:
  no:
    handler: src/a.py:h
    environment: {COUNTRY: NO, FLAG: on, OK: yes, REAL: true}
  on:
    handler: src/a.py:h
"""


def test_keys_and_values_stay_strings():
    data = load_yaml_text(DOC, "m.yaml").data
    assert list(data["functions"]) == ["no", "on"]
    env = data["functions"]["no"]["environment"]
    assert env == {"COUNTRY": "NO", "FLAG": "on", "OK": "yes", "REAL": True}


def test_positions_are_recorded_for_keys_and_values():
    doc = load_yaml_text(DOC, "m.yaml")
    assert doc.position(("functions", "on"), key=True).line == 6
    assert doc.position(("functions", "no", "handler")).line == 4
    assert doc.position(("functions", "no", "handler")).col == 14
    # an unknown deeper path falls back to its nearest parent
    assert doc.position(("functions", "on", "nothing", 3)).line == 6
