"""Serve the benchmark site for ad-hoc runs (perf, valgrind, other flags), then stop.

    python3 bench/serve.py --urls 10000 --dir /tmp/cc-site --seconds 600 &
    # when /tmp/cc-site/ready exists: it holds the base URL, and sources.csv (a `url`
    # column) and urls.txt (one URL a line) are beside it
    perf record -g target/release/citecheck check --sources /tmp/cc-site/sources.csv ...

nginx stops after --seconds (at most 3600), or at once on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import harness


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=10_000, help="URLs to list (default 10000)")
    parser.add_argument("--dir", type=Path, required=True,
                        help="where site, nginx prefix, sources.csv, urls.txt and ready go")
    parser.add_argument("--seconds", type=float, default=600, help="serve this long (default 600)")
    parser.add_argument("--page-words", type=int, default=2500,
                        help="words per article page, as bench/links.sh (0: the 3-6 KB pages)")
    args = parser.parse_args()
    if not 2 <= args.urls <= 1_000_000 or not 0 < args.seconds <= 3600:
        parser.error("--urls 2..1000000, --seconds 0..3600")

    harness.exit_on_sigterm()
    harness.ensure_tools(need_lychee=False, build=False)
    work = args.dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o755)
    (work / "ready").unlink(missing_ok=True)
    site = harness.Site(work, words=args.page_words or None)
    with harness.Nginx(work, site) as server:
        targets = site.targets(server.base, args.urls)
        harness.write_sources(work / "sources.csv", targets)
        harness.write_url_list(work / "urls.txt", targets)
        print(server.base, flush=True)
        harness.serve_until_stopped(work, server.base, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
