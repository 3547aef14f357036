"""Replay a generated Durable orchestrator in-process with the real ``azure.durable_functions`` engine.

Each episode builds a history (OrchestratorStarted, ExecutionStarted, TaskScheduled/TaskCompleted,
TimerCreated/TimerFired, ...) exactly as the Durable host would, calls the SDK's ``Orchestrator.handle``,
reads the actions it asked for, executes new activities in-process (tests/workflows/behaviours.py behind
the slsn-step envelope contract) and delivers completions on a simulated clock: an activity takes its
behaviour's ``sleep`` (0 by default) and a timer fires at its time; when nothing is due the clock jumps to the
earliest next completion, so retry delays, waits, step timeouts and the workflow deadline order the way they
would in Azure.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from .behaviours import BehaviourError, Behaviours

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
OUT_OF_PROC = "$OutOfProcData$:"
# The replay schema a current Durable extension negotiates (V2: compound WhenAny/WhenAll actions). With the
# legacy V1 schema the SDK repeats the action of a task awaited again in a later task_any, which the host
# would schedule twice; the generated orchestrators rely on V2+ (extension bundle v4 speaks it).
REPLAY_SCHEMA = 1


@dataclass
class DurableRun:
    output: Any = None
    error: str | None = None  # "NAME: CAUSE" message of a failed orchestration
    episodes: int = 0
    activities: list[dict] = field(default_factory=list)  # payloads, in scheduling order
    timers: list[float] = field(default_factory=list)  # seconds from the start when each fired

    @property
    def error_name(self) -> str | None:
        return None if self.error is None else self.error.split(":", 1)[0].strip()

    @property
    def error_cause(self) -> str | None:
        return None if self.error is None else self.error.split(":", 1)[1].strip() if ":" in self.error else ""


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _flatten(actions: Any) -> list[dict]:
    out: list[dict] = []
    for item in actions or []:
        if isinstance(item, list):
            out.extend(_flatten(item))
        elif isinstance(item, dict) and item.get("actionType") in (11, 12):  # WhenAny/WhenAll (replay schema V2)
            out.extend(_flatten(item.get("compoundActions")))
        else:
            out.append(item)
    return out


def _parse_time(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def run_activity(behaviours: Behaviours, payload: dict, execution: str) -> dict:
    """The slsn-step activity contract: ``{"result"}`` or ``{"error", "cause"}``, never an exception."""
    try:
        return {"result": behaviours.invoke(payload["function"], payload.get("input"), execution)}
    except BehaviourError as exc:
        return {"error": exc.error, "cause": exc.cause}
    except Exception as exc:  # any other exception is TaskFailed, as the runtime's error_payload says
        return {"error": "TaskFailed", "cause": str(exc)}


def replay(source: str, workflow_input: Any, behaviours: Behaviours, instance_id: str = "inst-1",
           max_episodes: int = 2000) -> DurableRun:
    import azure.durable_functions as df
    from azure.durable_functions.models import DurableOrchestrationContext

    namespace: dict[str, Any] = {"__name__": "slsn_generated_orchestrator"}
    exec(compile(source, "orchestrator.py", "exec"), namespace)  # noqa: S102 - the module under test

    clock = T0
    history: list[dict] = []
    run = DurableRun()

    def event(kind: int, **fields: Any) -> None:
        history.append({"EventType": kind, "EventId": -1, "IsPlayed": False, "Timestamp": _iso(clock), **fields})

    event(12)
    event(0, Input=json.dumps(workflow_input), Name="wf", Version="")
    known = 0
    timers: dict[int, dt.datetime] = {}
    running: dict[int, tuple[dt.datetime, dict]] = {}  # activity id -> (when it completes, its envelope)
    # a behaviour's `sleep` is simulated time here: the activity completes that much later on the clock
    # (any object with invoke(function, input, execution) works: without .functions, activities take no time)
    specs = getattr(behaviours, "functions", None)
    specs = specs if isinstance(specs, dict) else {}
    instant = Behaviours({name: {k: v for k, v in spec.items() if k != "sleep"} for name, spec in specs.items()}) \
        if specs else behaviours
    for run.episodes in range(1, max_episodes + 1):
        body = json.dumps({"history": history, "instanceId": instance_id, "isReplaying": False,
                           "parentInstanceId": None, "input": json.dumps(workflow_input),
                           "upperSchemaVersion": REPLAY_SCHEMA})
        try:
            orchestrator = df.Orchestrator(namespace["orchestrator"])  # a fresh executor per episode, as the host
            state = json.loads(orchestrator.handle(DurableOrchestrationContext.from_json(body)))
        except Exception as exc:  # a failed orchestration: the message carries NAME: CAUSE
            message = str(exc)
            run.error = message.split("\n\n" + OUT_OF_PROC)[0] if OUT_OF_PROC in message else message
            return run
        if state.get("isDone"):
            run.output = state.get("output")
            return run
        actions = _flatten(state.get("actions"))
        for index, action in enumerate(actions):
            if action.get("actionType") == 5 and action.get("isCanceled"):
                timers.pop(index, None)
        new = actions[known:]
        for offset, action in enumerate(new):
            task_id = known + offset
            if action["actionType"] == 0:
                payload = action["input"]
                payload = json.loads(payload) if isinstance(payload, str) else payload
                run.activities.append(payload)
                event(4, Name=action["functionName"])
                result = run_activity(instant, payload, instance_id)  # computed now, delivered when due
                duration = float(specs.get(payload["function"], {}).get("sleep", 0))
                running[task_id] = (clock + dt.timedelta(seconds=duration), result)
            elif action["actionType"] == 5:
                event(10, FireAt=action["fireAt"])
                if not action.get("isCanceled"):
                    timers[task_id] = _parse_time(action["fireAt"])
            else:
                raise AssertionError(f"unexpected Durable action {action}")
        known = len(actions)
        event(13)
        due = sorted((when, task_id) for task_id, (when, _result) in running.items() if when <= clock)
        if due:  # activities that are done by now complete in this batch
            for _when, task_id in due:
                event(5, TaskScheduledId=task_id, Result=json.dumps(running.pop(task_id)[1]))
        else:  # nothing done yet: advance the clock to the next activity completion or timer
            upcoming = [(when, 0, task_id) for task_id, (when, _r) in running.items()]
            upcoming += [(when, 1, task_id) for task_id, when in timers.items()]
            if not upcoming:
                raise AssertionError("the orchestration waits on nothing: it would hang")
            when, kind, task_id = min(upcoming)
            clock = max(clock, when)
            if kind == 0:
                event(5, TaskScheduledId=task_id, Result=json.dumps(running.pop(task_id)[1]))
            else:
                timers.pop(task_id)
                run.timers.append((when - T0).total_seconds())
                event(11, TimerId=task_id, FireAt=_iso(when))
        event(12)
    raise AssertionError(f"no completion after {max_episodes} episodes")
