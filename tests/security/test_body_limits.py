"""Every server refuses a body over the limit before reading it: development and gunicorn.

A declared ``Content-Length`` over the limit is answered without waiting for a byte of the
body. A chunked body (no length) is read up to the limit and no further: the 413 arrives
while the client still has most of its 10 MB to send, and the connection is closed.
"""

from __future__ import annotations

import select
import socket

import pytest

from tests.security.servers import development_server, gunicorn

TEN_MB = 10 * 1024 * 1024
LIMIT = 256 * 1024
PATHS = {
    "/book/details": "application/x-www-form-urlencoded",
    "/api/v1/bookings": "application/json",
}


@pytest.fixture(params=["development", "gunicorn"])
def server(request, app, database_url, tmp_path):
    if request.param == "development":
        with development_server(app) as running:
            yield running
    else:
        with gunicorn(database_url, tmp_path) as running:
            yield running


def _head(path: str, **headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_answer(sock: socket.socket) -> bytes:
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass
    return answer


@pytest.mark.parametrize("path", PATHS)
def test_a_declared_length_over_the_limit_is_answered_without_reading(server, path):
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(_head(path, Content_Type=PATHS[path], Content_Length=str(TEN_MB)))
        # Not a byte of the body is sent: the answer comes anyway.
        answer = _read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


@pytest.mark.parametrize("path", PATHS)
def test_a_chunked_body_is_read_no_further_than_the_limit(server, path):
    frame = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(_head(path, Content_Type=PATHS[path], Transfer_Encoding="chunked"))
        try:
            while sent < TEN_MB:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server has answered: stop sending
                sock.sendall(frame)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass  # it answered and closed the connection
        # The final zero-size chunk is never sent: a server reading the whole body would
        # still be waiting for it, and this read would time out instead.
        answer = _read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < TEN_MB / 2, sent


def test_a_small_chunked_body_still_reaches_the_app(server):
    frame = b"2\r\n{}\r\n0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(
            _head("/api/v1/bookings", Content_Type="application/json", Transfer_Encoding="chunked")
            + frame
        )
        answer = _read_answer(sock)
    # Read and validated: an empty booking is a 400 with the fields it lacks.
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b'"name"' in answer or b"name" in answer
