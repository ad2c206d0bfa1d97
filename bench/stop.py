"""A run stopped part-way: how many rows links.csv keeps.

    python3 bench/stop.py [--binary target/release/citecheck] [--urls 60] [--delay 2]
                          [--stop-at 12]

Serves --urls pages in one folder on 127.0.0.1, each answered after --delay seconds (and an
honest 404, as slowly, for any other name, so that the soft-404 probe has work to do), then
runs `citecheck check` with its default settings (probe on) three ways: stopped by SIGTERM
at --stop-at seconds, by SIGINT at --stop-at seconds, and by `--deadline`. Prints, per way,
the exit code and the rows links.csv holds, and the rows already on disk a second before
the stop (links.csv is flushed at least once a second).
"""

from __future__ import annotations

import argparse
import http.server
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


class SlowHandler(http.server.BaseHTTPRequestHandler):
    delay = 2.0

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        time.sleep(self.delay)
        name = self.path.rsplit("/", 1)[-1]
        if name.isdigit():
            body = (
                f"<html><head><title>Bericht {name}</title></head><body><main><p>"
                + "De wijkraad sprak over de speeltuin en de bomen langs de singel. " * 40
                + "</p></main></body></html>"
            ).encode()
            self.send_response(200)
        else:
            body = b"<html><head><title>Niet gevonden</title></head><body>weg</body></html>"
            self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a stopped run drops its connections: not the server's problem


def rows(path: Path) -> int:
    try:
        return max(0, len(path.read_text().splitlines()) - 1)
    except FileNotFoundError:
        return 0


def one_run(binary: Path, base: str, n: int, stop_at: float, how: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sources = "url\n" + "".join(f"{base}/artikelen/{i}\n" for i in range(n))
        (work / "sources.csv").write_text(sources)
        cmd = [str(binary), "check", "--no-progress"]
        if how == "deadline":
            cmd += ["--deadline", f"{int(stop_at)}s"]
        started = time.monotonic()
        child = subprocess.Popen(cmd, cwd=work, stderr=subprocess.PIPE, text=True)
        links = work / "links.csv"
        before = "-"
        if how != "deadline":
            while time.monotonic() - started < stop_at - 1:
                time.sleep(0.05)
            before = str(rows(links))
            while time.monotonic() - started < stop_at:
                time.sleep(0.05)
            child.send_signal(signal.SIGTERM if how == "SIGTERM" else signal.SIGINT)
        _, stderr = child.communicate(timeout=600)
        elapsed = time.monotonic() - started
        last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        return (
            f"{how:>9}: exit {child.returncode}, {rows(links)} rows in links.csv after "
            f"{elapsed:.1f} s ({before} on disk 1 s before the stop); {last}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", type=Path, default=Path("target/debug/citecheck"))
    parser.add_argument("--urls", type=int, default=60)
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--stop-at", type=float, default=12.0)
    args = parser.parse_args()
    if not args.binary.exists():
        parser.error(f"{args.binary}: build it first (cargo build)")
    SlowHandler.delay = args.delay
    server = Server(("127.0.0.1", 0), SlowHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"{args.urls} pages, {args.delay} s each, one folder; stop at {args.stop_at} s")
    for how in ["SIGTERM", "SIGINT", "deadline"]:
        print(one_run(args.binary.resolve(), base, args.urls, args.stop_at, how), flush=True)
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
