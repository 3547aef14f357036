"""Shared pieces of the cloud providers' ``invoke``, ``logs`` and ``workflow`` commands.

The result shapes follow the local provider (providers/local/synth.py, core/workflows/engine.py):

- invoke: ``{"status", "headers", "body"}`` for HTTP functions, ``{"ok": true}`` for events,
  ``{"result": ...}`` for workflow steps, and ``{"error": NAME, "cause": TEXT}`` (plus what is known) when the
  function failed -- ``sls-neutral invoke`` exits 1 on that;
- workflow status: ``{"execution_id", "workflow", "status", "input", "started", "stopped"}`` plus ``output``
  (SUCCEEDED) or ``error``/``cause`` (FAILED, TIMED_OUT); statuses RUNNING | SUCCEEDED | FAILED | TIMED_OUT |
  ABORTED;
- workflow history: ``[{"seq", "time", "type", "step", "detail"}]`` with the local engine's event names where a
  cloud event has an equivalent (ExecutionStarted, StepStarted, StepSucceeded, StepFailed, ...).

Stdlib only: the providers import their SDKs themselves.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
LOG_WINDOW_S = 3600  # `logs` without --since: the last hour
LOGS_SINCE = "logs_since"  # DeployContext.options key: `logs --since` as epoch seconds (absent without --since)
MAX_LOG_LINES = 10_000


def failure(result: Any) -> tuple[str, str] | None:
    """(error name, cause) when an invoke result says the function failed, else None."""
    if isinstance(result, dict) and result.get("error"):
        return str(result["error"]), str(result.get("cause") or "")
    return None


def poll_interval(endpoint_url: str | None, real: float = 2.0) -> float:
    """Seconds between polls: short against a local emulator, ``real`` against the cloud.

    ``SLSN_POLL_INTERVAL`` overrides both (tests and impatient people).
    """
    override = os.environ.get("SLSN_POLL_INTERVAL")
    if override:
        try:
            return max(0.01, float(override))
        except ValueError:
            pass
    return 0.2 if endpoint_url else real


def iso(value: Any) -> str:
    """A datetime, epoch seconds or an ISO string -> ``2026-01-01T00:00:00.000Z``; '' for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    text = getattr(value, "isoformat", None)
    return text() if callable(text) else str(value)


def json_or_text(value: Any) -> Any:
    """A JSON document given as text -> its value; anything else unchanged."""
    if isinstance(value, (bytes, bytearray)):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else None
        except ValueError:
            return value
    return value


def http_result(status: int, headers: dict[str, Any], body: bytes) -> dict[str, Any]:
    """An HTTP function's answer as the local provider prints it: the body JSON-decoded or text."""
    headers = {str(k).lower(): (", ".join(v) if isinstance(v, list) else str(v)) for k, v in headers.items()}
    out: dict[str, Any] = {"status": int(status), "headers": dict(sorted(headers.items()))}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        out["body_b64"] = base64.b64encode(body).decode("ascii")
        return out
    if "json" in headers.get("content-type", ""):
        try:
            out["body"] = json.loads(text) if text else None
            return out
        except ValueError:
            pass
    out["body"] = text
    return out


def without_envelope(value: Any) -> Any:
    """A workflow's input or output without the ``_slsn`` correlation envelope the providers add."""
    if isinstance(value, dict) and "_slsn" in value:
        value = {k: v for k, v in value.items() if k != "_slsn"}
        if set(value) == {"input"}:
            return value["input"]
    return value


def logs_since(ctx: Any, window_s: float = LOG_WINDOW_S) -> float:
    """Where ``logs`` starts, in epoch seconds: ``--since`` (``ctx.options["logs_since"]``) or ``window_s`` ago.

    The key is an option rather than a ``Provider.logs`` argument so providers written before ``--since``
    keep working: they just ignore it.
    """
    given = (getattr(ctx, "options", None) or {}).get(LOGS_SINCE)
    return float(given) if given is not None else time.time() - window_s


SINCE_FORMS = ("a duration back from now (90s, 10m, 2h, 3d) or an ISO-8601 time "
               "(2026-12-05T10:00:00Z, 2026-12-05T11:00:00+01:00; no offset means UTC)")


def parse_since(value: str, now: float) -> float:
    """``logs --since``: a duration back from ``now`` or an ISO-8601 time -> epoch seconds.

    Raises ValueError naming the accepted forms.
    """
    from sls_neutral.core.manifest.units import parse_duration  # lazy: the manifest package imports pydantic

    text = str(value).strip()
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        return epoch_of_iso(text)
    except ValueError:
        raise ValueError(f"{value!r}: use {SINCE_FORMS}") from None


def epoch_of_iso(text: str) -> float:
    """An ISO-8601 time (a trailing ``Z``, an offset, or none meaning UTC) -> epoch seconds; ValueError if not one."""
    when = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("z", "Z") else text)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def log_line(when: Any, text: Any, function: str, *, level: str | None = None, **extra: Any) -> str:
    """One printed log line: a JSON object, as the local provider's log file and ``logs -p azure`` print them.

    A ``ctx.log`` line (a JSON object) keeps its own fields; any other text becomes ``{"level", "message"}``.
    ``time`` and ``function`` are added when missing, then ``extra`` (the cloud's ids) where not set.
    """
    record: dict[str, Any] = {}
    if isinstance(text, dict):
        record = dict(text)
    else:
        text = str(text).rstrip("\n")
        if text.lstrip().startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                record = parsed
        if not record:
            record = {"level": level or "info", "message": text}
    record.setdefault("time", iso(when))
    record.setdefault("function", function)
    for key, value in extra.items():
        if value not in (None, ""):
            record.setdefault(key, value)
    return json.dumps(record, sort_keys=True, default=str, ensure_ascii=False)


def follow(fetch: Callable[[], Iterable[str]], interval: float, *, out: Any = None,
           sleep: Callable[[float], None] = time.sleep) -> None:
    """``logs --tail``: print what ``fetch()`` returns, again and again, until Ctrl-C.

    ``fetch`` returns only lines it has not returned before (the providers keep a cursor).
    """
    stream = out or sys.stdout
    try:
        while True:
            for line in fetch():
                stream.write(line + "\n")
            stream.flush()
            sleep(interval)
    except KeyboardInterrupt:
        return


class Seen:
    """A bounded set of ids already printed (cloud log APIs repeat events at the cursor's timestamp)."""

    def __init__(self, limit: int = 20_000):
        self.limit = limit
        self._order: list[str] = []
        self._set: set[str] = set()

    def add(self, key: str) -> bool:
        """True when ``key`` is new."""
        if key in self._set:
            return False
        self._set.add(key)
        self._order.append(key)
        if len(self._order) > self.limit:
            old = self._order[: self.limit // 2]
            self._order = self._order[self.limit // 2:]
            self._set.difference_update(old)
        return True


def history_text(events: list[dict[str, Any]]) -> str:
    """``workflow history`` for people: one aligned line per event, the detail as compact JSON."""
    if not events:
        return "(no events)"
    rows = []
    for index, event in enumerate(events):
        detail = event.get("detail")
        if detail in (None, "", {}, []):
            text = ""
        elif isinstance(detail, str):
            text = detail
        else:
            text = json.dumps(detail, sort_keys=True, separators=(", ", ": "), default=str)
        if len(text) > 160:
            text = text[:157] + "..."
        rows.append((str(event.get("seq", index)), iso(event.get("time")), str(event.get("type") or ""),
                     str(event.get("step") or "-"), text))
    header = ("SEQ", "TIME", "TYPE", "STEP", "DETAIL")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(4)]
    lines = []
    for row in [header] + rows:
        cells = [row[0].rjust(widths[0])] + [row[i].ljust(widths[i]) for i in (1, 2, 3)] + [row[4]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
