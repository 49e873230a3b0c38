"""The page's server refuses what it must: requests from other machines unless `--host` opened it
to them, a Host header that is not loopback (DNS rebinding), a WebSocket from another origin."""

import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
from demoforge.augment.teleop import TeleopConfig
from demoforge.augment.teleop.server import WebDevice, remote_allowed
from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus
from websockets.http11 import Request
from websockets.sync.client import connect


@pytest.mark.parametrize(
    ("remote", "host", "allowed"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("::1", "127.0.0.1", True),
        ("::ffff:127.0.0.1", "localhost", True),
        ("192.168.1.7", "127.0.0.1", False),
        ("192.168.1.7", "0.0.0.0", True),  # --host 0.0.0.0: the user opened it to the network
    ],
)
def test_remote_addresses(remote, host, allowed):
    assert remote_allowed(remote, host) is allowed


def _status(host: str, remote: str, path: str = "/", headers=()) -> int:
    device = WebDevice(TeleopConfig(host=host), make_session=None, on_ready=None)
    connection = SimpleNamespace(remote_address=(remote, 50000))
    response = device.http(connection, Request(path, Headers([("Host", "127.0.0.1:8765"), *headers])))
    return 101 if response is None else response.status_code


def test_a_request_from_outside_localhost_is_refused_unless_host_allows_it():
    assert _status("127.0.0.1", "192.168.1.7") == 403
    assert _status("0.0.0.0", "192.168.1.7") == 200
    assert _status("127.0.0.1", "127.0.0.1") == 200
    assert _status("127.0.0.1", "127.0.0.1", "/ws", [("Origin", "http://127.0.0.1:8765")]) == 101
    assert _status("127.0.0.1", "127.0.0.1", "/ws", [("Origin", "https://evil.example")]) == 403
    assert _status("127.0.0.1", "127.0.0.1", "/missing") == 404


def test_the_running_server(teleop_server):
    url, _proc, _out = teleop_server
    with urllib.request.urlopen(url) as response:
        assert response.status == 200 and b"demoforge teleop" in response.read()
    rebinding = urllib.request.Request(url, headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(rebinding)
    assert refused.value.code == 403
    with pytest.raises(InvalidStatus):
        connect(url.replace("http", "ws") + "ws", origin="https://evil.example", open_timeout=10).close()
    with connect(url.replace("http", "ws") + "ws", open_timeout=10) as ws:
        assert '"type": "hello"' in ws.recv(timeout=10)
