"""A local mail server and a local webhook that keep what they receive, for the alert tests."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    """A port nothing listens on right now (the sink binds it next)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class MailSink:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def connection_json(self, sender: str) -> str:
        """An Airflow SMTP connection to this sink: plain SMTP, no TLS, no login."""
        return json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": self.port,
                "extra": {
                    "from_email": sender,
                    "disable_tls": True,
                    "disable_ssl": True,
                    "retry_limit": 0,
                    "timeout": 10,
                },
            }
        )


@contextmanager
def mail_sink() -> Iterator[MailSink]:
    from aiosmtpd.controller import Controller

    sink = MailSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def body_text(message: EmailMessage) -> str:
    """The message's body as text: the HTML part unescaped, tags left in."""
    import html

    part = message.get_body(preferencelist=("html", "plain"))
    assert part is not None, "the message has no body"
    return html.unescape(part.get_content())


@dataclass
class WebhookSink:
    status: int = 200
    url: str = ""
    posts: list[dict[str, Any]] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)


@contextmanager
def webhook_sink(status: int = 200, path: str = "/hooks/alerts") -> Iterator[WebhookSink]:
    sink = WebhookSink(status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length", "0"))
            sink.content_types.append(self.headers.get("Content-Type", ""))
            sink.posts.append(json.loads(self.rfile.read(length)))
            self.send_response(sink.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
