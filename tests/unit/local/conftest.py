"""An in-memory IR app for the local provider's unit tests (no manifest file, no I/O)."""

import pytest

from sls_neutral.core import ir


def function(name, *triggers, grants=(), timeout=10.0):
    return ir.Function(name=name, handler=f"src/{name}.py:handle", handler_file=f"src/{name}.py",
                       handler_function="handle", module=f"src.{name}", runtime="python3.12", memory=256,
                       timeout=timeout, environment={}, secret_environment={}, requirements=None,
                       grants=tuple(ir.Grant(*g.split(":")) for g in grants), triggers=tuple(triggers))


@pytest.fixture
def photo_app():
    functions = {
        "api": function("api", ir.HttpTrigger("POST", "/photos"), ir.HttpTrigger("GET", "/photos/{id}", cors=True),
                        grants=["bucket:photos:write"]),
        "on-upload": function("on-upload", ir.BucketTrigger("photos", ("created",), "uploads/", ".jpg")),
        "resize": function("resize", ir.QueueTrigger("resize-jobs", 5)),
        "audit": function("audit", ir.TopicTrigger("photo-events")),
        "tick": function("tick", ir.ScheduleTrigger(cron=None, rate=60.0)),
    }
    return ir.App(service="photo", stage="dev", runtime="python3.12", default_provider="local",
                  functions=functions,
                  queues={"resize-jobs": ir.Queue("resize-jobs", dead_letter="resize-jobs-dlq", max_receives=3),
                          "resize-jobs-dlq": ir.Queue("resize-jobs-dlq", dead_letter_for="resize-jobs")},
                  topics={"photo-events": ir.Topic("photo-events")}, buckets={"photos": ir.Bucket("photos")},
                  secrets={}, workflows={})
