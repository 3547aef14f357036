"""Event is CloudEvents 1.0: round trips and conversion through the reference SDK (binary and structured)."""

from __future__ import annotations

import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.conversion import to_dict as sdk_to_dict
from cloudevents.http import CloudEvent, from_http

from sls_neutral.runtime import Event


def sample() -> Event:
    return Event(id="m-1", source="//sls-neutral/photos/queues/jobs", type="sls.queue.message", subject="m-1",
                 time="2026-01-02T03:04:05.000Z", datacontenttype="application/json",
                 data={"photo": "a.jpg", "n": 3}, extensions={"receivecount": 2})


def test_round_trip_through_dict():
    event = sample()
    data = event.to_dict()
    assert data["specversion"] == "1.0"
    assert data["receivecount"] == 2
    assert Event.from_dict(data) == event
    assert Event.from_dict(data)["receivecount"] == 2


def test_optional_attributes_absent_not_null():
    data = Event(id="1", source="/s", type="t").to_dict()
    assert set(data) == {"specversion", "id", "source", "type", "time"}
    assert None not in data.values()


def test_bytes_data_travel_as_data_base64():
    event = Event(id="1", source="/s", type="t", data=b"\x00\x01")
    data = event.to_dict()
    assert data["data_base64"] == "AAE=" and "data" not in data
    assert Event.from_dict(data).data == b"\x00\x01"


def test_from_dict_refuses_non_events():
    with pytest.raises(ValueError, match="missing id, source"):
        Event.from_dict({"type": "x"})
    with pytest.raises(ValueError, match="specversion"):
        Event.from_dict({"id": "1", "source": "/s", "type": "t", "specversion": "0.3"})


@pytest.mark.parametrize("mode", [to_binary, to_structured])
def test_attributes_survive_the_cloudevents_sdk_http_modes(mode):
    ours = sample()
    attributes = {k: v for k, v in ours.to_dict().items() if k != "data"}
    headers, body = mode(CloudEvent(attributes, ours.data))
    received = from_http(headers, body)
    back = Event.from_dict(sdk_to_dict(received))
    assert back == ours
    assert back.extensions == {"receivecount": 2}
    for name in ("id", "source", "type", "subject", "time", "datacontenttype", "specversion"):
        assert received[name] == getattr(ours, name)


def test_sdk_event_converts_into_ours():
    sdk_event = CloudEvent({"type": "sls.topic.message", "source": "//x/topics/t", "subject": "s"}, "plain text")
    ours = Event.from_dict(sdk_to_dict(sdk_event))
    assert ours.type == "sls.topic.message" and ours.data == "plain text" and ours.id == sdk_event["id"]


def test_default_id_time_and_content_type():
    event = Event(source="/s", type="t", data="x")
    assert len(event.id) == 32 and event.time.endswith("Z")
    assert event.datacontenttype == "text/plain"
