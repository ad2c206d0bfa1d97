"""Findability: how many real article sentences `citecheck run` finds in their own page.

    python3 bench/findability.py DATA_DIR [DATA_DIR ...] [--bin target/release/citecheck]
        [--baseline-bin OTHER] [--per-page 4] [--work DIR]

Each DATA_DIR holds `truth.jsonl` (one page a line: `id`, `url`, the must-have strings
`with` and the annotated main text `text`) and `html/<id>.html.gz` (the page as served), as
the wcxb and fundus benchmark sets do. From every page this takes up to --per-page quotes:
its must-have strings of 8 words or more, then sentences of 8-40 words from its main text
(a fixed-seed choice). The pages are served from a throwaway HTTP server on 127.0.0.1 (the
only address contacted), and

    citecheck run --sources sources.csv --quotes quotes.csv --no-rescue --no-probe ...

runs once over all of them, each quote naming its page in the `source` column. A quote is
found when its verdict is `verified` or `approximate` at its own page. Reported per set, per
half (pages split by a hash of their id: `a` and `b`, so a change tuned on one half can be
checked on the other) and per page kind (`article` pages, and the `other` page types of a
set that has them: forums, products, listings…), split by `region` (article text, or only
the page text), with the run's wall time, pages/s and stage times. With --baseline-bin the same run is made with another binary
(e.g. one without the page-text fallback) and its figures are printed beside.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import http.server
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MIN_WORDS = 8
MAX_WORDS = 40


def sentences(text: str) -> list[str]:
    """Sentences of MIN_WORDS..MAX_WORDS words from a main text (split at . ! ? and lines)."""
    out = []
    for para in text.split("\n"):
        for s in re.split(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ0-9\"'“‘])", para.strip()):
            n = len(s.split())
            if MIN_WORDS <= n <= MAX_WORDS:
                out.append(s.strip())
    return out


def half(page_id: str) -> str:
    return "a" if hashlib.sha1(page_id.encode()).digest()[0] % 2 == 0 else "b"


def load_set(data: Path, per_page: int, rng: random.Random):
    """(pages {path: bytes}, quotes [(set, half, page kind, page path, quote)])."""
    name = data.name
    pages, quotes = {}, []
    for line in (data / "truth.jsonl").read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        entry = json.loads(line)
        html = data / "html" / f"{entry['id']}.html.gz"
        if not html.exists():
            continue
        path = f"/{name}/{entry['id']}"
        pages[path] = gzip.decompress(html.read_bytes())
        chosen = [w.strip() for w in entry.get("with", []) if len(w.split()) >= MIN_WORDS]
        rest = [s for s in sentences(entry.get("text", "")) if s not in chosen]
        rng.shuffle(rest)
        chosen = (chosen + rest)[:per_page]
        kind = "article" if entry.get("page_type", "article") == "article" else "other"
        quotes += [(name, half(entry["id"]), kind, path, q) for q in chosen]
    return pages, quotes


class Handler(http.server.BaseHTTPRequestHandler):
    pages: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = self.pages.get(self.path)
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def run(binary: str, work: Path, base: str, pages: dict, quotes: list) -> tuple[dict, float]:
    """Runs citecheck once; returns ({quote row index: report row}, wall seconds)."""
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "sources.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "url"])
        for i, path in enumerate(sorted(pages), 1):
            w.writerow([i, base + path])
    with open(work / "quotes.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "quote", "source"])
        for i, (_, _, _, path, q) in enumerate(quotes):
            w.writerow([i, q, base + path])
    archive = work / "archive"
    if archive.exists():
        shutil.rmtree(archive)
    cmd = [binary, "run", "--sources", "sources.csv", "--quotes", "quotes.csv",
           "--archive", "archive", "--report", "report.csv", "--links", "links.csv",
           "--no-rescue", "--no-probe", "--no-progress", "--host-interval", "0",
           "--retries", "0", "--concurrency", "16", "--per-host", "16"]
    started = time.monotonic()
    env = dict(os.environ, CITECHECK_LOG="info")
    done = subprocess.run(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, env=env)
    wall = time.monotonic() - started
    for line in done.stderr.splitlines():
        if "stage " in line:
            print("   ", line[line.index("stage "):])
    if done.returncode not in (0, 1):
        sys.exit(f"{binary} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    with open(work / "report.csv", newline="", encoding="utf-8") as f:
        rows = {int(r["id"]): r for r in csv.DictReader(f)}
    return rows, wall


def tally(quotes: list, rows: dict, base: str) -> dict:
    """{(set, part): [quotes, found in article, found in page]}; parts: halves `a`/`b`,
    page kinds (`article` pages, `other` page types where the set has them), `all`."""
    out: dict = {}
    for i, (name, h, kind, path, _) in enumerate(quotes):
        keys = [(name, h), (name, kind), (name, "all"), ("all", kind), ("all", "all")]
        for key in keys:
            out.setdefault(key, [0, 0, 0])[0] += 1
        r = rows.get(i, {})
        if r.get("verdict") in ("verified", "approximate") and r.get("source_url") == base + path:
            col = 2 if r.get("region") == "page" else 1
            for key in keys:
                out[key][col] += 1
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="+", type=Path, help="benchmark set folders")
    parser.add_argument("--bin", default="target/release/citecheck")
    parser.add_argument("--baseline-bin", help="another binary to run on the same quotes")
    parser.add_argument("--per-page", type=int, default=4, help="quotes per page (default 4)")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    args = parser.parse_args()
    rng = random.Random(15)
    pages, quotes = {}, []
    for data in args.data:
        p, q = load_set(data.resolve(), args.per_page, rng)
        pages.update(p)
        quotes += q
    Handler.pages = pages
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"{len(pages)} pages, {len(quotes)} quotes of {MIN_WORDS}+ words, served at {base}")
    binaries = [("citecheck", args.bin)]
    if args.baseline_bin:
        binaries.append(("baseline", args.baseline_bin))
    with tempfile.TemporaryDirectory(prefix="citecheck-findability-") as tmp:
        work_root = args.work or Path(tmp)
        for label, binary in binaries:
            binary = str(Path(binary).resolve())
            rows, wall = run(binary, work_root / label, base, pages, quotes)
            counts = tally(quotes, rows, base)
            print(f"\n{label} ({binary}): run {wall:.2f} s, {len(pages) / wall:.0f} pages/s")
            print("| set | part | quotes | found | share | in article | in page text only |")
            print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
            for (name, h), (n, art, page) in sorted(counts.items(),
                                                    key=lambda kv: (kv[0][0] == "all", kv[0])):
                print(f"| {name} | {h} | {n} | {art + page} | {(art + page) / n:.1%} "
                      f"| {art} | {page} |")
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
