"""Fixtures for the confirmation tests: a real SMTP server on loopback, a mail-enabled app."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from booking.extensions import db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class Collector:
    """An aiosmtpd handler that keeps every message it accepts."""

    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 Message accepted"


class SmtpServer:
    """A loopback SMTP server that can be started late (to simulate an outage)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = Collector()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server on 127.0.0.1 and a free port."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down() -> Iterator[SmtpServer]:
    """An SMTP server that is NOT running yet: its port refuses connections until start()."""
    server = SmtpServer(free_port())
    yield server
    server.stop()


def _mail_app(make_app, port: int) -> Iterator[Flask]:
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT_SECONDS=5)
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def mail_app(make_app, smtp_server: SmtpServer) -> Iterator[Flask]:
    """The app, sending through ``smtp_server``."""
    yield from _mail_app(make_app, smtp_server.port)


@pytest.fixture
def mail_app_down(make_app, smtp_down: SmtpServer) -> Iterator[Flask]:
    """The app, pointed at an SMTP port where nothing listens yet."""
    yield from _mail_app(make_app, smtp_down.port)
