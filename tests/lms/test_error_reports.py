"""The optional error-reporting hook: SENTRY_DSN turns it on, and nothing is loaded without it.

The reports go to a listener of ours on loopback that stands in for the Sentry server.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.production import run_under_production_settings


class _Collector(BaseHTTPRequestHandler):
    received: list[bytes]

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":  # the SDK's choice when brotli is installed (WeasyPrint's is)
            import brotli

            body = brotli.decompress(body)
        self.server.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def report_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_without_sentry_dsn_the_sdk_is_not_even_imported():
    result = run_under_production_settings("import sys; print('sentry_sdk' in sys.modules)")
    assert result.stdout.strip() == "False"


def test_with_sentry_dsn_an_error_log_line_is_reported_with_its_request_id(report_server):
    port = report_server.server_address[1]
    result = run_under_production_settings(
        "import logging, sys, sentry_sdk; from lms import request_id; "
        "request_id.current.set('cohort-9am-3'); "
        "logging.getLogger('credence.badges').error('badge abc: rendering gave up'); "
        "sentry_sdk.flush(timeout=10); print('sentry_sdk' in sys.modules)",
        SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1",
    )
    assert result.stdout.strip() == "True"
    reports = b"\n".join(report_server.received)
    assert b"badge abc: rendering gave up" in reports
    assert b'"request_id":"cohort-9am-3"' in reports.replace(b" ", b"")
    # The JSON log line is still written: reports come in addition to logs.
    assert '"message": "badge abc: rendering gave up"' in result.stderr
