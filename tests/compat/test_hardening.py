"""Process-level hardening of `yard server`, through real sockets: slow or silent clients are
disconnected after --idle-timeout, a DNS-rebinding Host is refused, uploads over --max-artifact-size
get 413 and leave nothing behind, and a cross-site style POST cannot reach a native endpoint."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from servers import launch

pytestmark = pytest.mark.yard_only(reason="limits, timeouts and Host checks of yard server")


@pytest.fixture(scope="module")
def strict_server():
    server = launch("yard", prefix="yard-hardening-",
                    extra_args=["--idle-timeout", "2", "--max-artifact-size", "1KB"])
    try:
        yield server
    finally:
        server.stop()
        server.cleanup()


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes the connection (recv returns b'' or resets) within `seconds`."""
    sock.settimeout(seconds)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_a_client_stalled_mid_headers_is_disconnected(strict_server):
    with socket.create_connection(("127.0.0.1", strict_server.port)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finishes the headers
        assert _closed_within(sock, 8), "a slowloris client kept its connection past the idle timeout"


def test_a_client_stalled_mid_body_is_disconnected(strict_server):
    with socket.create_connection(("127.0.0.1", strict_server.port)) as sock:
        sock.sendall(b"PUT /api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/slow.txt HTTP/1.1\r\n"
                     b"Host: 127.0.0.1\r\nContent-Length: 100\r\n\r\nonly a few bytes")
        assert _closed_within(sock, 8)
    listing = requests.get(f"{strict_server.url}/api/2.0/mlflow-artifacts/artifacts",
                           params={"path": "0/r/artifacts"}, timeout=10).json()
    assert "slow.txt" not in str(listing)


def test_an_idle_keep_alive_connection_is_closed(strict_server):
    with socket.create_connection(("127.0.0.1", strict_server.port)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        time.sleep(0.2)
        assert b"200" in sock.recv(4096)
        assert _closed_within(sock, 8)


def test_a_rebinding_host_is_refused(strict_server):
    r = requests.get(f"{strict_server.url}/api/2.0/mlflow/experiments/search?max_results=1",
                     headers={"Host": f"rebind.attacker.example:{strict_server.port}"}, timeout=10)
    assert r.status_code == 403
    assert "--allowed-hosts" in r.json()["message"]
    ok = requests.get(f"{strict_server.url}/health", headers={"Host": f"localhost:{strict_server.port}"}, timeout=10)
    assert ok.status_code == 200


def test_an_upload_over_the_cap_is_413_and_leaves_nothing(strict_server):
    url = f"{strict_server.url}/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/big.bin"
    r = requests.put(url, data=b"x" * 5000, timeout=10)
    assert r.status_code == 413
    assert r.json()["error_code"] == "CONTENT_TOO_LARGE"
    assert "--max-artifact-size" in r.json()["message"]

    def chunks():  # no Content-Length: the cap must hold while streaming too
        for _ in range(10):
            yield b"y" * 500
    r = requests.put(url, data=chunks(), timeout=10)
    assert r.status_code == 413
    assert requests.get(url, timeout=10).status_code == 404
    leftovers = [p for p in strict_server.artifacts_root.rglob("*") if p.is_file()]
    assert leftovers == []


def test_a_form_post_cannot_reach_a_native_endpoint(strict_server):
    r = requests.post(f"{strict_server.url}/api/v1/models/churn/rollback",
                      data={"alias": "production"}, timeout=10)  # what an HTML form on any site can send
    assert r.status_code == 415
    assert r.json()["error_code"] == "UNSUPPORTED_MEDIA_TYPE"
