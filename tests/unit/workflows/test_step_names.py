"""Compiled state/step names -> manifest step names (what ``workflow history`` reports on AWS and GCP)."""

from __future__ import annotations

from sls_neutral.core import ir
from sls_neutral.core.workflows.asl import asl_step_names, compile_asl
from sls_neutral.core.workflows.gcp import compile_gcp, gcp_step_names


def workflow() -> ir.Workflow:
    retry = (ir.Retry(errors=("Busy",), interval=1.0, backoff_rate=2.0),)
    return ir.Workflow(name="orders", steps=(
        ir.CallStep(name="charge-card", function="charge", result="$.paid", retry=retry),
        ir.SetStep(name="tidy", assignments=(("$.a", 1), ("$.b", "$.a"))),  # reads its own write: snapshot
        ir.ParallelStep(name="fanout", result="$.both", branches=(
            ir.Branch(name="left", steps=(ir.CallStep(name="ship-it", function="ship"),)),
            ir.Branch(name="right", steps=(ir.WaitStep(name="pause", seconds=1.0),)))),
        ir.MapStep(name="each-item", items="$.items", steps=(ir.CallStep(name="pack", function="pack"),),
                   result="$.packed"),
        ir.TryStep(name="check", steps=(ir.ReturnStep(name="early", value="$.paid"),), catches=(
            ir.Catch(errors=("all",), result="$.err", steps=(ir.FailStep(name="give-up", error="Nope"),)),)),
        ir.CallStep(name="charge-card-result", function="charge"),  # compiles to a name the one above took
    ))


def test_every_asl_state_maps_to_its_manifest_step():
    wf = workflow()
    names = asl_step_names(wf)
    definition = compile_asl(wf, str)

    def states(container):
        for name, state in container["States"].items():
            yield name
            for branch in state.get("Branches", []):
                yield from states(branch)
            if "ItemProcessor" in state:
                yield from states(state["ItemProcessor"])

    assert set(states(definition)) == set(names)  # every state is listed, nothing else
    assert names["charge-card"] == "charge-card"
    assert names["tidy"] == names["tidy.1"] == names["tidy.2"] == names["tidy.done"] == "tidy"
    assert names["fanout"] == "fanout" and names["ship-it"] == "ship-it" and names["pause"] == "pause"
    assert names["each-item"] == "each-item" and names["pack"] == "pack"
    assert names["early"] == "early"
    assert names["check"] == names["check.returned"] == names["check.return"] == "check"
    assert names["check.catch1.error"] == names["check.catch1.plain"] == "check"
    assert names["give-up"] == "give-up"
    assert names["charge-card-result"] == "charge-card-result"
    assert None not in names.values()  # nothing here needs a terminal Done


def test_the_asl_terminal_done_is_plumbing():
    from sls_neutral.core.workflows import conditions

    case = ir.Case(when="$.x == 1", condition=conditions.parse_condition("$.x == 1"),
                   steps=(ir.SetStep(name="one", assignments=(("$.y", 1),)),))
    wf = ir.Workflow(name="w", steps=(ir.SwitchStep(name="pick", cases=(case,)),))  # no default: ends in Done
    names = asl_step_names(wf)
    assert names == {"pick": "pick", "one": "one", "Done": None}
    assert set(compile_asl(wf, str)["States"]) == set(names)


def test_asl_dedupes_map_to_the_step_that_took_the_name_second():
    wf = ir.Workflow(name="w", steps=(ir.SetStep(name="a", assignments=(("$.x", 1), ("$.y", 2))),
                                      ir.CallStep(name="a-2", function="f")))
    names = asl_step_names(wf)
    # the set's second state is "a.2"; the call keeps its own name
    assert names == {"a": "a", "a.2": "a", "a-2": "a-2"}
    assert set(compile_asl(wf, str)["States"]) == set(names)


def test_asl_step_names_do_not_change_the_definition():
    wf = workflow()
    before = compile_asl(wf, str)
    asl_step_names(wf)
    assert compile_asl(wf, str) == before


def _main_step_names(steps: list) -> set[str]:
    out = set()
    for entry in steps:
        (name, body), = entry.items()
        out.add(name)
        for key in ("steps",):
            if key in body:
                out |= _main_step_names(body[key])
        for part in ("try", "except"):
            if isinstance(body.get(part), dict) and "steps" in body[part]:
                out |= _main_step_names(body[part]["steps"])
        for case in body.get("switch", []):
            out |= _main_step_names(case.get("steps", []))
        parallel = body.get("parallel", {})
        for branch in parallel.get("branches", []):
            out |= _main_step_names([branch])
        if "for" in parallel:
            out |= _main_step_names(parallel["for"]["steps"])
        if "for" in body:
            out |= _main_step_names(body["for"]["steps"])
    return out


def test_every_gcp_step_maps_to_its_manifest_step():
    wf = workflow()
    names = gcp_step_names(wf)
    definition = compile_gcp(wf, str)
    assert _main_step_names(definition["main"]["steps"]) <= set(names)  # (variables are listed too)
    assert names["init"] is None and names["done"] is None
    assert names["charge_card"] == names["charge_card_response"] == names["charge_card_result"] == "charge-card"
    assert names["charge_card_retry"] == names["charge_card_normalize"] == "charge-card"
    assert names["tidy"] == names["tidy_v0"] == "tidy"
    assert names["fanout"] == names["fanout_init"] == names["fanout_failed"] == names["left_branch"] == "fanout"
    assert names["ship_it"] == "ship-it" and names["pause"] == "pause"
    assert names["each_item"] == names["each_item_items"] == names["each_item_collect"] == "each-item"
    assert names["pack"] == "pack"
    assert names["check"] == names["check_snapshot"] == names["check_catch"] == "check"
    assert names["early"] == "early" and names["give_up"] == "give-up"
    # "charge-card-result" compiles to charge_card_result, which the first call's result step already has
    assert names["charge_card_result_2"] == "charge-card-result"
    assert {n for n, step in names.items() if step is None} == {"init", "done"}


def test_gcp_step_names_do_not_change_the_definition():
    wf = workflow()
    before = compile_gcp(wf, str)
    gcp_step_names(wf)
    assert compile_gcp(wf, str) == before


def test_aws_history_event_reports_the_step_and_keeps_the_state():
    from sls_neutral.providers.aws.operations import history_event

    entered = {"id": 7, "type": "PassStateEntered", "stateEnteredEventDetails": {"name": "tidy-up.2"}}
    event = history_event(entered, "tidy-up", "tidy-up.2")
    assert (event["type"], event["step"], event["detail"]) == (
        "StepStarted", "tidy-up", {"aws": "PassStateEntered", "state": "tidy-up.2"})
    assert "state" not in history_event(entered, "tidy-up", "tidy-up")["detail"]  # the same name: not repeated
    assert history_event(entered, None, "Done")["detail"]["state"] == "Done"  # plumbing: no step


def test_gcp_step_entries_map_main_steps_and_leave_subworkflows_as_plumbing():
    from sls_neutral.providers.gcp.operations import _manifest_step

    origins = gcp_step_names(workflow())
    assert _manifest_step(origins, "main", "charge_card_result") == "charge-card"
    assert _manifest_step(origins, "main", "init") is None
    assert _manifest_step(origins, "slsn_error", "named") is None  # a subworkflow's step
    assert _manifest_step(origins, "main", "renamed_since") == "renamed_since"  # an older deployment's name
