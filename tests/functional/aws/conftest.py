"""Fixtures of the AWS functional tests: a moto server on 127.0.0.1 with dummy credentials."""

from __future__ import annotations

import pytest
from aws_helpers import free_port


@pytest.fixture
def moto_server(monkeypatch):
    """A moto server on 127.0.0.1 (free port) with dummy credentials; yields its URL."""
    pytest.importorskip("moto")
    from moto.server import ThreadedMotoServer

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
