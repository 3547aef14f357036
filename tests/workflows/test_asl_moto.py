"""The corpus's generated ASL executed by moto's Step Functions interpreter (a port of LocalStack's).

Lambdas are moto functions whose invocation runs tests/workflows/behaviours.py, failing the way a Lambda does:
a FunctionError with ``{"errorType": NAME, "errorMessage": CAUSE}`` -- what the AWS adapter produces when it
raises an exception class named after the StepError. So this checks the error-name convention, the
``{Error, Cause}`` -> ``{"error", "cause"}`` renaming, try rollback, return markers and retries end to end.
Waits and retry sleeps are recorded instead of slept (the delays moto computes are asserted).
"""

from __future__ import annotations

import json
import time
import types

import pytest

from .behaviours import BehaviourError, Behaviours
from .corpus_loader import case_ids, load_corpus

moto = pytest.importorskip("moto")

CORPUS = load_corpus()
CASES = case_ids(CORPUS)
# Timing that a recorded (instant) wait cannot show; the ASL side is TimeoutSeconds on the machine.
SKIP = {
    "workflow-timeout": "needs a wall-clock wait longer than the machine timeout",
    "step-timeout": "ASL timeouts are whole seconds: the 0.1 s timeout becomes 1 s, longer than the 0.6 s step "
                    "(validate -p aws warns)",
    "wait-until-0": "moto's TimestampPath parser takes only 'Z' timestamps; Step Functions takes offsets (RFC 3339)",
    "switch-exists-guard-3": "a Choice on a missing path: States.Runtime per the ASL spec, no match in moto "
                             "(documented divergence from the DSL's TaskFailed)",
}
ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture
def moto_sfn(monkeypatch):
    import boto3
    from moto import mock_aws
    from moto.awslambda import models as lambda_models
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

    sleeps: list[float] = []
    monkeypatch.setattr(retrier_decl, "time", types.SimpleNamespace(sleep=sleeps.append))
    monkeypatch.setattr(wait_function.WaitFunction, "_wait_interval",
                        lambda self, env, wait_seconds: sleeps.append(float(wait_seconds)))
    current: dict = {}

    def invoke(self, event):
        try:
            return json.dumps(current["behaviours"].invoke(self.function_name, event, "moto")), False, ""
        except BehaviourError as exc:
            return json.dumps({"errorMessage": exc.cause, "errorType": exc.error, "stackTrace": []}), True, ""

    monkeypatch.setattr(lambda_models.LambdaFunction, "_invoke_lambda", invoke)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        yield types.SimpleNamespace(sfn=boto3.client("stepfunctions", region_name=REGION),
                                    lam=boto3.client("lambda", region_name=REGION), role=role, sleeps=sleeps,
                                    current=current)


def _run(env, corpus, case, index):
    from sls_neutral.core.workflows.asl import compile_asl

    for function in corpus.functions:
        try:
            env.lam.create_function(FunctionName=function, Runtime="python3.12", Role=env.role, Handler="x.h",
                                    Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})
        except env.lam.exceptions.ResourceConflictException:
            pass
    env.current["behaviours"] = Behaviours(corpus.functions)
    definition = compile_asl(corpus.workflow(),
                             lambda f: f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{f}")
    machine = env.sfn.create_state_machine(name=f"{corpus.name}-{index}", definition=json.dumps(definition),
                                           roleArn=env.role)["stateMachineArn"]
    execution = env.sfn.start_execution(stateMachineArn=machine, name=f"run-{index}",
                                        input=json.dumps(case["input"]))["executionArn"]
    deadline = time.monotonic() + 30
    while True:
        described = env.sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.02)


@pytest.mark.parametrize("corpus,index,case", CASES, ids=[f"{c.name}-{i}" for c, i, _ in CASES])
def test_corpus_case_on_moto_step_functions(corpus, index, case, moto_sfn):
    for key in (corpus.name, f"{corpus.name}-{index}"):
        if key in SKIP:
            pytest.skip(SKIP[key])
    described = _run(moto_sfn, corpus, case, index)
    if "error" in case:
        assert described["status"] == "FAILED", described
        if case["error"]["error"] == "TaskFailed":  # a missing path: States.Runtime on AWS (docs/workflows.md)
            assert described.get("error") in ("TaskFailed", "States.Runtime")
        else:
            assert described.get("error") == case["error"]["error"]
    else:
        assert described["status"] == "SUCCEEDED", described
        assert json.loads(described["output"]) == case["output"]


def test_retry_delays_follow_backoff_on_moto(moto_sfn):
    corpus = next(c for c in CORPUS if c.name == "retry-on-try")
    described = _run(moto_sfn, corpus, corpus.cases[0], 0)
    assert described["status"] == "SUCCEEDED"
    assert moto_sfn.sleeps == [2.0, 3.0]  # interval 2s, backoff 1.5
