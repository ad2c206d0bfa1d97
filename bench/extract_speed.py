#!/usr/bin/env python3
"""Speed of article extraction: trafilatura (in-process, Python) vs our extract_article.

Runs trafilatura.extract over all benchmark pages held in memory (a few rounds, median),
then `cargo run --release --example extract_speed` on the same pages, and prints both
figures and the ratio.

Usage: bench/.venv/bin/python bench/extract_speed.py [--data DIR] [--rounds N]
(needs trafilatura in the interpreter: python3 -m venv .venv && .venv/bin/pip install
trafilatura lxml_html_clean)
"""

import argparse
import os
import gzip
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(os.environ.get("CITECHECK_BENCH", "."), "article-extraction"),
                    help="the article-extraction set (default: $CITECHECK_BENCH/article-extraction)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    import trafilatura

    data = Path(args.data)
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for item_id in sorted(truth):
        with gzip.open(data / "html" / (item_id + ".html.gz"), "rb") as f:
            pages.append(f.read().decode("utf-8", "replace"))

    times = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        for html in pages:
            trafilatura.extract(html, include_comments=False)
        times.append(time.perf_counter() - t0)
    traf = len(pages) / statistics.median(times)
    print("trafilatura %s: %.1f pages/s (median of %d rounds over %d pages)"
          % (trafilatura.__version__, traf, args.rounds, len(pages)))
    sys.stdout.flush()

    out = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "--example", "extract_speed", "--",
         str(data), "5"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    print(out.strip())
    one = re.search(r"extract_article: .*?([0-9.]+) pages/s", out)
    many = re.search(r"extract_article on (\d+) threads: ([0-9.]+) pages/s", out)
    if not one or not many:
        raise SystemExit("could not read pages/s from extract_speed output")
    print("ratio, one thread each: %.1fx trafilatura's pages/s (target >= 20x)"
          % (float(one.group(1)) / traf))
    print("ratio, citecheck on %s threads (as a run extracts) vs trafilatura on one: %.1fx"
          % (many.group(1), float(many.group(2)) / traf))
    return 0


if __name__ == "__main__":
    sys.exit(main())
