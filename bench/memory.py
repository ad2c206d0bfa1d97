"""Peak memory of `citecheck run` and `check` on big pages (bench/memory.sh runs this).

A loopback nginx serves one article page of `--page-mib` MiB (default 10: Dutch-like
paragraphs, a `<title>`, a headline) under N distinct URLs `/groot/<i>.html` (default
N = 256); every other path is a 404, so the soft-404 probes (on, as users run them) find an
honest host. Then, at default settings apart from the politeness interval (0 ms) and
rescue (off: nothing may leave the machine), each of

    citecheck run   --sources … --quotes … --archive … --no-rescue --host-interval 0
    citecheck check --sources … --links … --no-rescue --host-interval 0

runs under /usr/bin/time -v: peak RSS, wall time, CPU. `--citecheck PATH` (repeatable)
measures other builds (e.g. the one before a change) instead of target/release/citecheck. Every run is checked: links.csv
has N rows, each `ok`/200 with the page's title; in `run`, report.csv finds the quote that
is cut from the middle of the page, and the archive holds a response record per URL.
The archive is deleted after each run (N × 10 MiB of WARC otherwise).
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
from pathlib import Path

import harness
from harness import log, median

RSS_TARGET_MB = 400

TITLE = "Grote gemeenten: het lange verslag van de raadsvergadering | Nieuws Binnenlands Bestuur"
QUOTE = ("De wethouder zegt dat de samenwerking met de provincie over het nieuwe budget voor "
         "wonen en energie pas volgend jaar zichtbaar wordt in de wijken")

NGINX_CONF = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    default_type text/html;
    charset utf-8;
    sendfile on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {root};
        location ~ "^/groot/\\d+\\.html$" {{ rewrite ^ /big.html break; }}
        location / {{ return 404; }}
    }}
}}
"""


def big_page(mib: int) -> str:
    """An article page of about `mib` MiB: many paragraphs, the quote in the middle."""
    rng = random.Random(7)
    target = mib * 1024 * 1024
    paragraphs: list[str] = []
    size = 0
    while size < target - 2048:
        p = "<p>" + " ".join(harness.sentence(rng) for _ in range(rng.randint(3, 7))) + "</p>\n"
        paragraphs.append(p)
        size += len(p.encode())
    paragraphs.insert(len(paragraphs) // 2, f"<p>Volgens het verslag: {QUOTE}.</p>\n")
    return (f"<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">"
            f"<title>{TITLE}</title></head>\n<body><header><a href=\"/\">Binnenlands Bestuur"
            f"</a></header>\n<main><article><h1>{TITLE.split(' | ')[0]}</h1>\n"
            + "".join(paragraphs) + "</article></main>\n<footer>Binnenlands Bestuur</footer>"
            "</body></html>\n")


class BigSite:
    def __init__(self, work: Path, mib: int):
        self.root = work / "site"
        self.root.mkdir(parents=True, exist_ok=True)
        html = big_page(mib)
        (self.root / "big.html").write_text(html, encoding="utf-8")
        self.page_bytes = len(html.encode())


class BigNginx(harness.Nginx):
    """harness.Nginx with the one-page config above."""

    def __init__(self, workdir: Path, site: BigSite):
        super().__init__(workdir, site)
        self.conf.write_text(NGINX_CONF.format(prefix=self.prefix, port=self.port,
                                               root=site.root))


def check_links(links: Path, urls: list[str]) -> str | None:
    with links.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if len(rows) != len(urls):
        return f"{len(rows)} rows for {len(urls)} URLs"
    for row, url in zip(rows, urls):
        if (row["url"], row["status"], row["http_status"], row["title"]) != (url, "ok", "200", TITLE):
            return f"{url}: status={row['status']} http={row['http_status']} title={row['title']!r}"
    return None


def check_run(out: Path, urls: list[str]) -> str | None:
    problem = check_links(out / "links.csv", urls)
    if problem:
        return problem
    with (out / "report.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if len(rows) != 1 or rows[0].get("verdict") != "verified":
        return f"report.csv: {rows!r:.300}"
    manifest = (out / "archive" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    if len(manifest) != len(urls):
        return f"manifest has {len(manifest)} lines for {len(urls)} URLs"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=256, help="URLs (default 256)")
    parser.add_argument("--page-mib", type=int, default=10, help="page size in MiB (default 10)")
    parser.add_argument("--runs", type=int, default=2, help="runs per command and build")
    parser.add_argument("--commands", default="run,check", help="run,check (default both)")
    parser.add_argument("--citecheck", action="append", default=[],
                        help="a build to measure (repeat for several, e.g. the one before a "
                             "change; default target/release/citecheck)")
    parser.add_argument("--extra", default="", help="more citecheck options, one string "
                        "(e.g. '--body-budget 16MiB')")
    parser.add_argument("--no-build", action="store_true", help="skip cargo build")
    args = parser.parse_args()
    harness.exit_on_sigterm()
    harness.ensure_tools(need_lychee=False, build=not (args.no_build or args.citecheck))
    builds = args.citecheck or [str(harness.CITECHECK)]
    commands = [c for c in args.commands.split(",") if c]

    results: dict[tuple[str, str], list[harness.Measure]] = {}
    with harness.make_workdir() as tmp:
        work = Path(tmp)
        site = BigSite(work, args.page_mib)
        with BigNginx(work, site) as server:
            urls = [f"{server.base}/groot/{i}.html" for i in range(args.pages)]
            sources = work / "sources.csv"
            sources.write_text("url\n" + "".join(u + "\n" for u in urls), encoding="utf-8")
            quotes = work / "quotes.csv"
            with quotes.open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["id", "quote", "source"])
                w.writerow(["Q1", QUOTE, urls[len(urls) // 2]])
            log(f"{args.pages} URLs of one {site.page_bytes / 2**20:.1f} MiB page at {server.base}")
            for r in range(args.runs):
                for build in builds:
                    for command in commands:
                        out = work / f"out-{r}-{command}"
                        out.mkdir()
                        cmd = [build, command, "--sources", str(sources),
                               "--links", str(out / "links.csv"), "--no-rescue",
                               "--host-interval", "0", "--no-progress", *args.extra.split()]
                        if command == "run":
                            cmd += ["--quotes", str(quotes), "--archive", str(out / "archive"),
                                    "--report", str(out / "report.csv")]
                        m = harness.timed(cmd, log_path=out / "log.txt", timeout=3600,
                                          env={"CITECHECK_LOG": "info"})
                        problem = (f"exit {m.returncode}" if m.returncode not in (0, 1)
                                   else check_run(out, urls) if command == "run"
                                   else check_links(out / "links.csv", urls))
                        if problem:
                            tail = (out / "log.txt").read_text(errors="replace")[-2000:]
                            raise SystemExit(f"{build} {command}: wrong output: {problem}\n{tail}")
                        budget = [line.split("INFO ", 1)[-1] for line in
                                  (out / "log.txt").read_text(errors="replace").splitlines()
                                  if "body bytes in flight" in line]
                        log(f"  {build} {command}: {m.wall:.2f} s  {m.rss_mb:.1f} MB  "
                            f"cpu {m.cpu:.2f} s  {' '.join(budget)}")
                        results.setdefault((build, command), []).append(m)
                        shutil.rmtree(out)

    print(f"\n{args.pages} URLs of a {site.page_bytes / 2**20:.1f} MiB page on loopback nginx; "
          f"default settings, --host-interval 0 --no-rescue; {args.runs} runs each "
          f"(median, then every run); {harness.machine()}\n")
    print(f"| build | command | peak RSS (MB) | wall (s) | CPU (s) | all runs (MB / s) |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for (build, command), ms in results.items():
        rss = median([m.rss_mb for m in ms])
        runs = ", ".join(f"{m.rss_mb:.0f} / {m.wall:.1f}" for m in ms)
        mark = "" if rss <= RSS_TARGET_MB else " (over 400)"
        print(f"| {build} | {command} | {rss:.1f}{mark} | {median([m.wall for m in ms]):.2f} "
              f"| {median([m.cpu for m in ms]):.2f} | {runs} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
