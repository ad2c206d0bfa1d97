"""citecheck check vs lychee on the same URLs, side by side (bench/links.sh runs this).

Half of the URLs lead to an article page of about 20 KB (2,500 words; `--page-words`), half
to a missing path (404), all on one loopback nginx. Both tools get the same concurrency,
per-host limit equal to it, no politeness interval and no retries; citecheck runs with its
soft-404 probes on, as users run it (`--no-probe` turns them off), and no web-archive rescue. Runs alternate (c l, l c, c l, ...) after one unmeasured warm-up
run each, and medians are reported: the machine's cores are shared, so single runs are
noisy. Each run's output is checked: every page ok (with its title, for citecheck), every
missing path broken with 404.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import quote, unquote

import harness
from harness import log, median


def lychee_command(concurrency: int, output: Path) -> list[str]:
    """lychee with politeness off and no retries, reading URLs from stdin."""
    return [str(harness.LYCHEE), "--no-progress", "--format", "json", "--output", str(output),
            "--host-request-interval", "0", "--max-concurrency", str(concurrency),
            "--host-concurrency", str(concurrency), "--max-retries", "0", "-"]


def check_lychee_output(report: Path, targets: list[harness.Target]) -> str | None:
    """None when lychee counted every page successful and every missing path a 404."""
    data = json.loads(report.read_text(encoding="utf-8"))
    pages = sum(t.ok for t in targets)
    # lychee reports URLs percent-encoded (financi%C3%ABle); compare in one form.
    def same_form(url: str) -> str:
        return quote(unquote(url), safe=":/")

    missing = {same_form(t.url) for t in targets if not t.ok}
    errors = [e for entries in data.get("error_map", {}).values() for e in entries]
    problems = []
    if data.get("total") != len(targets):
        problems.append(f"total {data.get('total')} != {len(targets)}")
    if data.get("successful") != pages:
        problems.append(f"successful {data.get('successful')} != {pages}")
    if data.get("errors") != len(missing):
        problems.append(f"errors {data.get('errors')} != {len(missing)}")
    if {same_form(e["url"]) for e in errors} != missing or any(e["status"].get("code") != 404 for e in errors):
        problems.append("error_map is not exactly the missing paths with 404")
    return "; ".join(problems) or None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=10_000, help="URLs per run (default 10000)")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="requests in flight, in total and per host (default 32)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per tool (default 5)")
    parser.add_argument("--page-words", type=int, default=2500,
                        help="words per article page (default 2500: pages of about 20 KB; "
                             "0 for the old 3-6 KB pages)")
    parser.add_argument("--no-probe", action="store_true",
                        help="citecheck without its soft-404 probes (on by default, as users run it)")
    parser.add_argument("--citecheck", help="measure this build instead of target/release/citecheck")
    parser.add_argument("--no-build", action="store_true", help="skip cargo build")
    args = parser.parse_args()
    if not 2 <= args.urls <= 1_000_000 or not 1 <= args.runs <= 50 or args.concurrency < 1:
        parser.error("--urls 2..1000000, --runs 1..50, --concurrency >= 1")

    harness.exit_on_sigterm()
    harness.ensure_tools(need_lychee=True, build=not args.no_build)
    citecheck_version = harness.tool_version([args.citecheck or str(harness.CITECHECK)])
    lychee_version = harness.tool_version([str(harness.LYCHEE)])

    with harness.make_workdir() as tmp:
        work = Path(tmp)
        site = harness.Site(work, words=args.page_words or None)
        log(f"site: {site.pool} pages of {site.mean_page_bytes / 1000:.1f} KB on average")
        with harness.Nginx(work, site) as server:
            targets = site.targets(server.base, args.urls)
            sources, url_list = work / "sources.csv", work / "urls.txt"
            harness.write_sources(sources, targets)
            harness.write_url_list(url_list, targets)
            links, lychee_json = work / "links.csv", work / "lychee.json"

            def run(tool: str) -> harness.Measure:
                if tool == "citecheck":
                    links.unlink(missing_ok=True)
                    command = harness.citecheck_command(sources, links, args.concurrency,
                                                        probe=not args.no_probe)
                    if args.citecheck:
                        command[0] = args.citecheck
                    m = harness.timed(command, log_path=work / "citecheck.log")
                    problem = (f"exit {m.returncode}" if m.returncode not in (0, 1)
                               else harness.check_citecheck_output(links, targets))
                else:
                    lychee_json.unlink(missing_ok=True)
                    m = harness.timed(lychee_command(args.concurrency, lychee_json),
                                      stdin=url_list, log_path=work / "lychee.log")
                    problem = (f"exit {m.returncode}" if m.returncode not in (0, 2)
                               else check_lychee_output(lychee_json, targets))
                if problem:
                    log_text = (work / f"{tool}.log").read_text(errors="replace")[-2000:]
                    raise SystemExit(f"{tool}: wrong output: {problem}\n{log_text}")
                log(f"  {tool:9} {m.wall:6.2f} s  {m.rss_mb:6.1f} MB  cpu {m.cpu:5.2f} s")
                return m

            log(f"{args.urls} URLs, concurrency {args.concurrency}: warm-up")
            run("citecheck")
            run("lychee")
            results: dict[str, list[harness.Measure]] = {"citecheck": [], "lychee": []}
            for i in range(args.runs):
                log(f"round {i + 1}/{args.runs}")
                order = ["citecheck", "lychee"] if i % 2 == 0 else ["lychee", "citecheck"]
                for tool in order:
                    results[tool].append(run(tool))
            counts = harness.status_counts(links)

    c, l = results["citecheck"], results["lychee"]
    rows = [
        ("wall time (s)", median([m.wall for m in c]), median([m.wall for m in l]), 0.7),
        ("peak RSS (MB)", median([m.rss_mb for m in c]), median([m.rss_mb for m in l]), 0.3),
        ("CPU user+sys (s)", median([m.cpu for m in c]), median([m.cpu for m in l]), None),
    ]
    print(f"\n{args.urls} URLs ({sum(t.ok for t in targets)} pages 200 of "
          f"{site.mean_page_bytes / 1000:.1f} KB on average, "
          f"{sum(not t.ok for t in targets)} paths 404) on loopback nginx; "
          f"citecheck's soft-404 probes {'off' if args.no_probe else 'on'}; "
          f"concurrency {args.concurrency} total and per host; no interval, no retries;")
    print(f"median of {args.runs} alternating runs each; {harness.machine()}")
    print(f"citecheck: {citecheck_version}; lychee: {lychee_version}")
    print(f"citecheck links.csv: {', '.join(f'{n} {s}' for s, n in sorted(counts.items()))}; "
          f"lychee: {sum(t.ok for t in targets)} successful, {sum(not t.ok for t in targets)} "
          "errors (404) - both checked\n")
    print(f"| {'measure':18} | {'citecheck':>9} | {'lychee':>9} | {'ratio':>6} | target |")
    print(f"| {'-' * 18} | {'-' * 8}: | {'-' * 8}: | {'-' * 5}: | ------ |")
    for name, cv, lv, target in rows:
        ratio = cv / lv if lv else float("nan")
        goal = "-" if target is None else f"<= {target}x " + ("met" if ratio <= target else "MISSED")
        print(f"| {name:18} | {cv:9.2f} | {lv:9.2f} | {ratio:5.2f}x | {goal} |")
    print("\nall runs (s / MB):")
    for tool, ms in results.items():
        print(f"  {tool:9} " + "  ".join(f"{m.wall:.2f}/{m.rss_mb:.0f}" for m in ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
