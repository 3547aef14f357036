"""The estimator's arithmetic against cases computed by hand from the list prices in pricing.json."""

from __future__ import annotations

import pytest

from sls_neutral.core import ir
from sls_neutral.core.cost.estimate import (aws_bill, azure_bill, container_bill, crossover, function_crossover,
                                            gcp_bill, service_crossover)
from sls_neutral.core.cost.profile import Container, FunctionLoad, MessageLoad, Profile, WorkflowLoad

TEN_M = 10_000_000


def one(requests=TEN_M, duration=0.1, memory=512, http=False) -> Profile:
    return Profile({"fn": FunctionLoad("fn", requests, duration, memory, http=http)})


def lines(bill, category):
    return sum(line.cost for line in bill.lines if line.category == category)


def test_lambda_x86_512mb_100ms_10m_requests_with_free_tier(build):
    bill = aws_bill(build.app(build.function("fn")), one(), free_tier=True)
    requests = (TEN_M - 1_000_000) * 0.20 / 1_000_000  # $1.80
    gb_seconds = TEN_M * 0.1 * 0.5  # 500,000 GB-s
    compute = (gb_seconds - 400_000) * 0.0000166667  # $1.66667
    assert lines(bill, "requests") == pytest.approx(requests)
    assert lines(bill, "compute") == pytest.approx(compute)
    assert bill.total() == pytest.approx(1.80 + 1.66667)


def test_lambda_without_free_tier_and_behind_http_api(build):
    bill = aws_bill(build.app(build.function("fn")), one(http=True), free_tier=False)
    assert lines(bill, "requests") == pytest.approx(2.00)
    assert lines(bill, "compute") == pytest.approx(500_000 * 0.0000166667)
    assert lines(bill, "gateway") == pytest.approx(10.00)  # $1.00 per million, no free tier applied


def test_lambda_arm64_and_1ms_rounding(build):
    app = build.app(build.function("fn"), settings={"aws": {"architecture": "arm64"}})
    bill = aws_bill(app, one(requests=1_000_000, duration=0.0101), free_tier=False)
    # 10.1 ms is billed as 11 ms: 1M x 0.011 s x 0.5 GB = 5,500 GB-s
    assert lines(bill, "compute") == pytest.approx(5_500 * 0.0000133334)


def test_cloud_run_rounds_to_100ms_and_gives_cpu_by_memory(build):
    bill = gcp_bill(build.app(build.function("fn")), one(duration=0.12), free_tier=True)
    seconds = TEN_M * 0.2  # 120 ms billed as 200 ms
    assert lines(bill, "requests") == pytest.approx((TEN_M - 2_000_000) * 0.40 / 1_000_000)
    cpu = (seconds * 0.333 - 180_000) * 0.000024
    memory = (seconds * 0.5 - 360_000) * 0.0000025
    assert lines(bill, "compute") == pytest.approx(cpu + memory)


def test_azure_flex_bills_the_instance_size_and_consumption_the_memory(build):
    flex = azure_bill(build.app(build.function("fn", memory=700)), one(memory=700), free_tier=False)
    # 700 MB runs on the 2,048 MB Flex instance size
    assert lines(flex, "compute") == pytest.approx(TEN_M * 0.1 * 2.0 * 0.000026)
    assert lines(flex, "requests") == pytest.approx(10 * 0.40)
    app = build.app(build.function("fn", memory=700), settings={"azure": {"plan": "consumption"}})
    consumption = azure_bill(app, one(memory=700), free_tier=True)
    # 700 MB rounds up to 768 MB (128 MB steps)
    assert lines(consumption, "compute") == pytest.approx((TEN_M * 0.1 * 0.75 - 400_000) * 0.000016)
    assert lines(consumption, "requests") == pytest.approx(9 * 0.20)


def test_queues_topics_workflows_and_schedules(build):
    fn = build.function("fn", triggers=[ir.ScheduleTrigger(cron=None, rate=300.0)])
    wf = ir.Workflow("wf", steps=(ir.CallStep("a", function="fn"),))
    app = build.app(fn, queues=[ir.Queue("jobs")], topics=[ir.Topic("events")], workflows=[wf])
    profile = Profile({"fn": FunctionLoad("fn", 0, 0.1, 512)},
                      workflows={"wf": WorkflowLoad("wf", 100_000, 12, 1)},
                      queues={"jobs": MessageLoad("jobs", 1_000_000, 4, batch_size=10)},
                      topics={"events": MessageLoad("events", 1_000_000, 1, deliveries=1)})
    aws = aws_bill(app, profile, free_tier=True)
    # SQS: 1M sends + 2 x 1M / 10 receive+delete batches = 1.2M requests, 1M free
    assert lines(aws, "queues") == pytest.approx(200_000 * 0.40 / 1_000_000)
    assert lines(aws, "topics") == 0  # 1M SNS publishes, inside the 1M free requests
    assert lines(aws_bill(app, profile, free_tier=False), "topics") == pytest.approx(0.50)
    # 5-minute rate: 730 h x 12 = 8,760 invocations, inside the 14M free invocations
    assert lines(aws, "schedulers") == 0
    assert lines(aws, "workflows") == pytest.approx((1_200_000 - 4_000) * 0.025 / 1000)
    gcp = gcp_bill(app, profile, free_tier=False)
    # Pub/Sub: publish + one delivery per message; 4 KB and 1 KB payloads
    tib = (1_000_000 * 4096 * 2 + 1_000_000 * 1024 * 2) / 2 ** 40
    assert lines(gcp, "queues") == pytest.approx(tib * 40)
    assert lines(gcp, "schedulers") == pytest.approx(0.10)
    assert lines(gcp, "workflows") == pytest.approx(1_200_000 * 0.01 / 1000)
    azure = azure_bill(app, profile, free_tier=False)
    assert any("queue" in item for item in azure.unpriced)  # said, not guessed


def test_fargate_container_month(build):
    bill = container_bill("aws", Container(vcpu=0.5, memory_gb=1.0, instances=1), free_tier=True)
    assert bill.total() == pytest.approx((0.5 * 0.04048 + 1 * 0.004445) * 730)  # $18.02


def test_crossover_lambda_only_matches_the_hand_computed_volume(build):
    fixed = (0.5 * 0.04048 + 0.004445) * 730
    per_request = 0.20 / 1e6 + 0.1 * 0.5 * 0.0000166667  # $1.033e-6
    x = function_crossover("aws", build.app(build.function("fn")), FunctionLoad("fn", 0, 0.1, 512), fixed, False, 1)
    assert x == pytest.approx(fixed / per_request, rel=1e-6)  # ~17.4M requests/month
    with_free = function_crossover("aws", build.app(build.function("fn")), FunctionLoad("fn", 0, 0.1, 512), fixed,
                                   True, 1)
    assert with_free == pytest.approx((fixed + 0.20 + 400_000 * 0.0000166667) / per_request, rel=1e-6)


def test_service_crossover_scales_the_whole_mix(build):
    app = build.app(build.function("a"), build.function("b", memory=1024))
    profile = Profile({"a": FunctionLoad("a", 3e6, 0.1, 512), "b": FunctionLoad("b", 1e6, 0.2, 1024)})
    x = service_crossover("aws", app, profile, 50.0, False)
    share_a, share_b = 0.75, 0.25
    per_request = share_a * (0.2e-6 + 0.05 * 0.0000166667) + share_b * (0.2e-6 + 0.2 * 0.0000166667)
    assert x == pytest.approx(50.0 / per_request, rel=1e-6)


def test_crossover_edges():
    assert crossover(lambda r: 100.0, 10.0) == 0.0
    assert crossover(lambda r: 0.0, 10.0) is None
    assert crossover(lambda r: r / 1000, 10.0) == pytest.approx(10_000, abs=1)  # to the request


def test_warm_instances_are_always_on_cost(build):
    bill = aws_bill(build.app(build.function("fn", memory=2048, warm=2)), Profile({}), free_tier=True)
    assert lines(bill, "always-on") == pytest.approx(2 * 2.0 * 730 * 3600 * 0.0000041667)
    assert any(line.confidence == "low" for line in bill.lines if line.category == "always-on")


def test_http_api_meters_per_512kb(build):
    profile = Profile({"fn": FunctionLoad("fn", 1_000_000, 0.1, 512, http=True, payload_kb=600)})
    bill = aws_bill(build.app(build.function("fn")), profile, free_tier=True)
    assert lines(bill, "gateway") == pytest.approx(2 * 1.00)  # 600 KB counts as two 512 KB calls


def test_report_in_words(build):
    from sls_neutral.core.cost.report import build_report

    app = build.app(build.function("fn"))
    busy = build_report(app, one(requests=50_000_000), free_tier=False)
    assert busy["summary"][0].startswith("aws: at 50M requests/month the functions cost $51.67")
    assert "the container is cheaper from 17.4M requests/month" in busy["summary"][0]
    quiet = build_report(app, one(requests=1_000_000), free_tier=False)
    assert "becomes cheaper above 17.4M requests/month (17.4x today's volume)" in quiet["summary"][0]
    idle = build_report(app, one(requests=0), free_tier=False)
    assert "no requests" in idle["summary"][0] and idle["providers"]["aws"]["crossover"]["service"] is None


def test_function_sentences(build):
    from sls_neutral.core.cost.report import build_report

    app = build.app(build.function("fn"))
    busy = build_report(app, one(requests=50_000_000), free_tier=False)
    assert busy["function_summary"][0].startswith("fn: at 50M requests/month an always-on container is already "
                                                  "cheaper on aws")
    quiet = build_report(app, one(requests=1_000_000), free_tier=False)
    # aws 18.02 / 1.033e-6 = 17.4M; gcp 28.91 / 1.324e-6 = 21.8M; azure 39.42 / 1.7e-6 = 23.2M
    assert quiet["function_summary"] == ["fn: stays cheaper as a function until 17.4M requests/month "
                                         "(17.4x today, first on aws)."]
    crossings = quiet["providers"]
    assert crossings["gcp"]["crossover"]["functions"]["fn"] == pytest.approx(28.908 / 1.3242e-6, rel=1e-3)
    assert crossings["azure"]["crossover"]["functions"]["fn"] == pytest.approx(39.42 / 1.7e-6, rel=1e-3)
