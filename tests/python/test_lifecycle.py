"""Starting and stopping the server process."""

from __future__ import annotations

import signal
import subprocess

from support import REQUEST_TIMEOUT


def test_sigterm_stops_server(server):
    s = server.session("alice")
    assert s.options(server.base_url, timeout=REQUEST_TIMEOUT).status_code in (200, 204)
    server.proc.send_signal(signal.SIGTERM)
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        raise AssertionError("server still running 10 s after SIGTERM") from None
    assert server.proc.returncode in (0, -signal.SIGTERM, 128 + signal.SIGTERM), server.proc.returncode
