"""function_app.py as the jinja2 template rendered it, kind by kind (render_app replaced the template).

The expected texts below are the template's output, kept verbatim: every kind of Azure function, with and
without its optional parts (Service Bus sessions, a zoned timer's cron and time zone, ANY methods), and both
headers. A one-character change to any of them fails here; tests/golden/azure says the same for whole services.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sls_neutral.providers.azure import render_app
from sls_neutral.providers.azure.model import AzFunction

# (id, function, its text in function_app.py after the two blank lines that precede every function)
CASES = [
    ("http",
     AzFunction("api-get-photos-id", "api_get_photos_id", "http", "api",
                {"route": "photos/{id}", "methods": ["GET"], "path": "/photos/{id}",
                 "route_key": "GET /photos/{id}"}),
     """\
@app.function_name(name='api-get-photos-id')
@app.route(route='photos/{id}', methods=['GET'], auth_level=func.AuthLevel.ANONYMOUS)
def api_get_photos_id(req: func.HttpRequest) -> func.HttpResponse:
    return slsn.http(req, 'api', route='GET /photos/{id}')
"""),
    ("http_any",
     AzFunction("web-any-files-rest", "web_any_files_rest", "http", "web",
                {"route": "files/{*rest}", "methods": None, "path": "/files/{rest+}",
                 "route_key": "ANY /files/{rest+}"}),
     """\
@app.function_name(name='web-any-files-rest')
@app.route(route='files/{*rest}', methods=None, auth_level=func.AuthLevel.ANONYMOUS)
def web_any_files_rest(req: func.HttpRequest) -> func.HttpResponse:
    return slsn.http(req, 'web', route='ANY /files/{rest+}')
"""),
    ("queue",
     AzFunction("resize", "resize", "queue", "resize",
                {"queue_name": "resize-jobs", "connection": "SLSN_STORAGE_RESIZE", "queue": "resize-jobs"}),
     """\
@app.function_name(name='resize')
@app.queue_trigger(arg_name="msg", queue_name='resize-jobs', connection='SLSN_STORAGE_RESIZE')
def resize(msg: func.QueueMessage) -> None:
    slsn.queue_message(msg, 'resize', queue='resize-jobs')
"""),
    ("sb_queue",
     AzFunction("consume-queue-fanned", "consume_queue_fanned", "sb_queue", "consume",
                {"queue_name": "fanned", "connection": "SLSN_SERVICEBUS_CONSUME",
                 "is_sessions_enabled": False, "queue": "fanned"}),
     """\
@app.function_name(name='consume-queue-fanned')
@app.service_bus_queue_trigger(arg_name="msg", connection='SLSN_SERVICEBUS_CONSUME', queue_name='fanned')
def consume_queue_fanned(msg: func.ServiceBusMessage) -> None:
    slsn.service_bus_message(msg, 'consume', kind="queue", name='fanned')
"""),
    ("sb_queue_sessions",
     AzFunction("consume-queue-ordered", "consume_queue_ordered", "sb_queue", "consume",
                {"queue_name": "ordered", "connection": "SLSN_SERVICEBUS_CONSUME",
                 "is_sessions_enabled": True, "queue": "ordered"}),
     """\
@app.function_name(name='consume-queue-ordered')
@app.service_bus_queue_trigger(arg_name="msg", connection='SLSN_SERVICEBUS_CONSUME', queue_name='ordered', is_sessions_enabled=True)
def consume_queue_ordered(msg: func.ServiceBusMessage) -> None:
    slsn.service_bus_message(msg, 'consume', kind="queue", name='ordered')
"""),
    ("sb_topic",
     AzFunction("listen", "listen", "sb_topic", "listen",
                {"topic_name": "news", "subscription_name": "listen",
                 "connection": "SLSN_SERVICEBUS_LISTEN"}),
     """\
@app.function_name(name='listen')
@app.service_bus_topic_trigger(arg_name="msg", connection='SLSN_SERVICEBUS_LISTEN', topic_name='news', subscription_name='listen')
def listen(msg: func.ServiceBusMessage) -> None:
    slsn.service_bus_message(msg, 'listen', kind="topic", name='news')
"""),
    ("timer",
     AzFunction("cleanup", "cleanup", "timer", "cleanup",
                {"schedule": "0 0 * * * *", "data": None, "cron": None, "timezone": None}),
     """\
@app.function_name(name='cleanup')
@app.timer_trigger(arg_name="timer", schedule='0 0 * * * *', run_on_startup=False, use_monitor=True)
def cleanup(timer: func.TimerRequest) -> None:
    slsn.timer(timer, 'cleanup', schedule='0 0 * * * *', data=None)
"""),
    ("timer_zoned",
     AzFunction("tick-schedule-0", "tick_schedule_0", "timer", "tick",
                {"schedule": "0 15 * * * *", "data": {"k": [1, "it's", True, None], "a": 1.5},
                 "cron": "15 4 * * 1", "timezone": "Europe/Berlin"}),
     """\
@app.function_name(name='tick-schedule-0')
@app.timer_trigger(arg_name="timer", schedule='0 15 * * * *', run_on_startup=False, use_monitor=True)
def tick_schedule_0(timer: func.TimerRequest) -> None:
    slsn.timer(timer, 'tick', schedule='0 15 * * * *', data={'a': 1.5, 'k': [1, "it's", True, None]}, cron='15 4 * * 1', timezone='Europe/Berlin')
"""),
    ("blob",
     AzFunction("on-upload", "on_upload", "blob", "on-upload",
                {"path": "photos/uploads/{name}.jpg", "connection": "SLSN_STORAGE_ON_UPLOAD",
                 "bucket": "photos"}),
     """\
@app.function_name(name='on-upload')
@app.blob_trigger(arg_name="blob", path='photos/uploads/{name}.jpg', connection='SLSN_STORAGE_ON_UPLOAD', source=func.BlobSource.EVENT_GRID)
def on_upload(blob: func.InputStream) -> None:
    slsn.blob(blob, 'on-upload', bucket='photos')
"""),
    ("eventgrid",
     AzFunction("watch-deleted-files", "watch_deleted_files", "eventgrid", "watch", {"bucket": "files"}),
     """\
@app.function_name(name='watch-deleted-files')
@app.event_grid_trigger(arg_name="event")
def watch_deleted_files(event: func.EventGridEvent) -> None:
    slsn.blob_event(event, 'watch', bucket='files')
"""),
    ("orchestrator",
     AzFunction("process-order", "wf_process_order", "orchestrator", "process-order", {}),
     """\
@app.function_name(name='process-order')
@app.orchestration_trigger(context_name="context")
def wf_process_order(context: df.DurableOrchestrationContext):
    return (yield from orch_process_order.orchestrator(context))
"""),
    ("activity",
     AzFunction("slsn-step", "slsn_step", "activity", "", {}),
     """\
@app.function_name(name='slsn-step')
@app.activity_trigger(input_name="payload")
def slsn_step(payload: dict) -> dict:
    return slsn.step(payload)
"""),
    ("http_starter",
     AzFunction("process-order-start-post-orders", "process_order_start_post_orders", "http_starter",
                "process-order", {"route": "orders", "methods": ["POST"]}),
     """\
@app.function_name(name='process-order-start-post-orders')
@app.route(route='orders', methods=['POST'], auth_level=func.AuthLevel.ANONYMOUS)
@app.durable_client_input(client_name="client")
async def process_order_start_post_orders(req: func.HttpRequest, client) -> func.HttpResponse:
    return await slsn.start_workflow_http(req, client, 'process-order')
"""),
    ("timer_starter",
     AzFunction("process-order-start-schedule-1", "process_order_start_schedule_1", "timer_starter",
                "process-order", {"schedule": "0 */10 * * * *", "data": None, "cron": None,
                                  "timezone": None}),
     """\
@app.function_name(name='process-order-start-schedule-1')
@app.timer_trigger(arg_name="timer", schedule='0 */10 * * * *', run_on_startup=False, use_monitor=True)
@app.durable_client_input(client_name="client")
async def process_order_start_schedule_1(timer: func.TimerRequest, client) -> None:
    await slsn.start_workflow_timer(timer, client, 'process-order', data=None)
"""),
    ("timer_starter_zoned",
     AzFunction("process-order-start-schedule-2", "process_order_start_schedule_2",
                "timer_starter", "process-order",
                {"schedule": "0 30 * * * *", "data": {"x": 1}, "cron": "30 6 * * 1-5",
                 "timezone": "America/New_York"}),
     """\
@app.function_name(name='process-order-start-schedule-2')
@app.timer_trigger(arg_name="timer", schedule='0 30 * * * *', run_on_startup=False, use_monitor=True)
@app.durable_client_input(client_name="client")
async def process_order_start_schedule_2(timer: func.TimerRequest, client) -> None:
    await slsn.start_workflow_timer(timer, client, 'process-order', data={'x': 1}, cron='30 6 * * 1-5', timezone='America/New_York')
"""),
    ("queue_starter",
     AzFunction("process-order-start-queue", "process_order_start_queue", "queue_starter",
                "process-order", {"queue_name": "slsn-start-process-order",
                                  "connection": "AzureWebJobsStorage"}),
     """\
@app.function_name(name='process-order-start-queue')
@app.queue_trigger(arg_name="msg", queue_name='slsn-start-process-order', connection='AzureWebJobsStorage')
@app.durable_client_input(client_name="client")
async def process_order_start_queue(msg: func.QueueMessage, client) -> None:
    await slsn.start_workflow_message(msg, client, 'process-order')
"""),
]

PLAIN_HEADER = '''\
"""photo-app (dev) on Azure Functions: the Python v2 programming model.

Generated by sls-neutral from sls-neutral.yaml; do not edit (run `sls-neutral package -p azure`).
One decorated function per trigger. Each one hands its binding to the neutral runtime's
Azure adapter, which runs the unchanged handler from the service's sources.
"""

import azure.functions as func

from sls_neutral.runtime.adapters import azure as slsn

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
'''

DURABLE_HEADER = '''\
"""shop (prod) on Azure Functions: the Python v2 programming model.

Generated by sls-neutral from sls-neutral.yaml; do not edit (run `sls-neutral package -p azure`).
One decorated function per trigger. Each one hands its binding to the neutral runtime's
Azure adapter, which runs the unchanged handler from the service's sources.
"""

import azure.functions as func
import azure.durable_functions as df

from sls_neutral.runtime.adapters import azure as slsn
from slsn_workflows import process_order as orch_process_order
from slsn_workflows import nightly_report as orch_nightly_report

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
'''


@pytest.mark.parametrize("function,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_kind_renders_as_the_template_did(function, expected):
    assert render_app.function(function) == "\n\n" + expected


def test_every_kind_has_a_case():
    assert {c[1].kind for c in CASES} == set(render_app.SHAPES)


def test_unknown_kind_is_an_error_not_a_silently_missing_function():
    with pytest.raises(ValueError, match="'webhook'"):
        render_app.function(AzFunction("hook", "hook", "webhook", "hook", {}))


def test_headers():
    assert render_app.header("photo-app", "dev", False, []) == PLAIN_HEADER
    assert render_app.header("shop", "prod", True, ["process-order", "Nightly-Report"]) == DURABLE_HEADER


def _model(service, stage, workflows, functions):
    """What render_function_app reads of an AzureModel."""
    app = SimpleNamespace(service=service, stage=stage, workflows=dict.fromkeys(workflows))
    return SimpleNamespace(app=app, uses_durable=bool(workflows), functions=functions)


def test_whole_file_is_the_header_then_the_functions_in_model_order():
    functions = [c[1] for c in CASES]
    text = render_app.render_function_app(_model("shop", "prod", ["process-order", "Nightly-Report"], functions))
    assert text == DURABLE_HEADER + "".join("\n\n" + c[2] for c in CASES)
    assert render_app.render_function_app(_model("photo-app", "dev", [], [])) == PLAIN_HEADER
    compile(text, "function_app.py", "exec")


def test_py_literal():
    assert render_app.py_literal({"b": [1, 2.5, None], "a": "it's"}) == \
        "{'a': \"it's\", 'b': [1, 2.5, None]}"
    assert render_app.py_literal(("x", False)) == "['x', False]"
    with pytest.raises(TypeError):
        render_app.py_literal({1, 2})
