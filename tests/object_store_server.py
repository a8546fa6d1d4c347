"""An S3-compatible server on loopback for the object-storage tests: moto's server mode in a
child process, and a fault-injecting HTTP proxy that can be put in front of it.

Also a small command line, for the C and Zig suites (``make test-c`` / ``make test-zig``)::

    python tests/object_store_server.py run -- CMD ARGS...

starts moto on a free port, creates the bucket ``agentdb-test``, runs ``CMD`` with
``AGENTDB_TEST_S3_ENDPOINT`` (``http://127.0.0.1:PORT``) and ``AGENTDB_TEST_S3_BUCKET`` set, stops
moto and exits with ``CMD``'s status; ``start DIR`` / ``stop DIR`` do the same around a Makefile
recipe (see ``mk/capi.mk``).
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional

BUCKET = "agentdb-test"
REGION = "us-east-1"
# moto accepts any credentials; these keep the AWS SDKs from looking for real ones.
KEY_ID = "testing"
SECRET = "testing"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Moto:
    """moto's server (``python -m moto.server``) on a free loopback port, with one bucket."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION=REGION)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).read()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"moto exited with status {self.proc.returncode}")
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("moto did not start within 60 s")
                time.sleep(0.1)
        req = urllib.request.Request(f"{self.endpoint}/{BUCKET}", method="PUT")
        urllib.request.urlopen(req, timeout=10).read()

    def storage_options(self, endpoint: Optional[str] = None) -> Dict[str, str]:
        return {
            "endpoint": endpoint or self.endpoint,
            "region": REGION,
            "access_key_id": KEY_ID,
            "secret_access_key": SECRET,
            "allow_http": "true",
        }

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class FaultProxy:
    """A plain HTTP proxy to ``upstream`` that can fail or slow every request on demand:
    ``mode = "pass" | "fail" | "slow"``. ``fail`` answers 503 without forwarding; ``slow`` waits
    ``delay`` seconds first. ``requests`` counts what reached it (by method)."""

    def __init__(self, upstream_port: int) -> None:
        self.mode = "pass"
        self.delay = 0.0
        self.requests: Dict[str, int] = {}
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                proxy.requests[self.command] = proxy.requests.get(self.command, 0) + 1
                if proxy.mode == "fail":
                    msg = b"<Error><Code>ServiceUnavailable</Code><Message>injected</Message></Error>"
                    self.send_response(503)
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    return
                if proxy.mode == "slow":
                    time.sleep(proxy.delay)
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(argv: List[str]) -> int:
    if len(argv) == 3 and argv[1] == "start":
        # For a Makefile recipe: `eval "$(python object_store_server.py start DIR)"`, then
        # `... stop DIR` (moto keeps running after this process exits; its pid is in DIR/moto.pid).
        os.makedirs(argv[2], exist_ok=True)
        moto = Moto()
        with open(os.path.join(argv[2], "moto.pid"), "w") as f:
            f.write(str(moto.proc.pid))
        print(f"export AGENTDB_TEST_S3_ENDPOINT={moto.endpoint} AGENTDB_TEST_S3_BUCKET={BUCKET}")
        return 0
    if len(argv) == 3 and argv[1] == "stop":
        try:
            with open(os.path.join(argv[2], "moto.pid")) as f:
                os.kill(int(f.read()), 15)
        except (OSError, ValueError):
            pass
        return 0
    if len(argv) < 3 or argv[1] != "run" or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    moto = Moto()
    try:
        env = dict(os.environ, AGENTDB_TEST_S3_ENDPOINT=moto.endpoint, AGENTDB_TEST_S3_BUCKET=BUCKET)
        return subprocess.call(argv[3:], env=env)
    finally:
        moto.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
