"""`citecheck check` at growing N: is peak memory flat in the number of URLs? (bench/scale.sh)

Same loopback nginx site and URL mix as links.py (half pages, half 404s, every URL
distinct). Runs go round-robin over the sizes (after one unmeasured warm-up at the smallest),
and medians are reported, since the machine's cores are shared. Every run's links.csv is
checked row by row.

With `--cache`, each round also runs `check --cache FILE` twice per size after the plain
check: "fill" starts from no cache file (the N/2 live links are written to it) and "reuse"
reads that file back (N/2 rows come from it, the 404s are fetched again).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import harness
from harness import log, median

RSS_TARGET_MB = 150  # at 100,000 URLs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated URL counts (default 1000,10000,100000)")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="requests in flight, in total and per host (default 32)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per size (default 3)")
    parser.add_argument("--no-build", action="store_true", help="skip cargo build")
    parser.add_argument("--cache", action="store_true",
                        help="also measure check --cache: filling a new cache, then reusing it")
    parser.add_argument("--citecheck", type=Path, metavar="PATH",
                        help="the binary to measure (default: target/release/citecheck, built)")
    args = parser.parse_args()
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes takes numbers, e.g. 10000,100000")
    if not sizes or not all(2 <= n <= 1_000_000 for n in sizes) or not 1 <= args.runs <= 20:
        parser.error("sizes 2..1000000, --runs 1..20")

    harness.exit_on_sigterm()
    if args.citecheck is not None:
        harness.CITECHECK = args.citecheck.resolve()
    harness.ensure_tools(need_lychee=False, build=not args.no_build and args.citecheck is None)
    version = harness.tool_version([str(harness.CITECHECK)])

    modes = ["plain", "fill", "reuse"] if args.cache else ["plain"]
    results: dict[tuple[int, str], list[harness.Measure]] = {
        (n, mode): [] for n in sizes for mode in modes}
    with harness.make_workdir() as tmp:
        work = Path(tmp)
        site = harness.Site(work)
        with harness.Nginx(work, site) as server:
            cases = {}
            for n in sizes:
                targets = site.targets(server.base, n)
                sources = work / f"sources-{n}.csv"
                harness.write_sources(sources, targets)
                cases[n] = (targets, sources)
            links = work / "links.csv"

            cache = work / "cache.jsonl"

            def run(n: int, mode: str = "plain") -> harness.Measure:
                targets, sources = cases[n]
                links.unlink(missing_ok=True)
                command = harness.citecheck_command(sources, links, args.concurrency)
                if mode == "fill":
                    cache.unlink(missing_ok=True)
                if mode != "plain":
                    command += ["--cache", str(cache)]
                m = harness.timed(command, log_path=work / "citecheck.log")
                problem = (f"exit {m.returncode}" if m.returncode not in (0, 1)
                           else harness.check_citecheck_output(links, targets))
                if not problem and mode == "reuse":
                    with links.open(newline="", encoding="utf-8") as f:
                        cached = sum(1 for row in csv.DictReader(f) if row["cached"] == "true")
                    if cached != sum(1 for t in targets if t.ok):
                        problem = f"{cached} rows from the cache"
                if problem:
                    tail = (work / "citecheck.log").read_text(errors="replace")[-2000:]
                    raise SystemExit(f"citecheck at {n} URLs ({mode}): wrong output: "
                                     f"{problem}\n{tail}")
                log(f"  {n:>7} URLs {mode:>5} {m.wall:7.2f} s  {m.rss_mb:6.1f} MB  "
                    f"cpu {m.cpu:6.2f} s")
                return m

            log(f"concurrency {args.concurrency}: warm-up")
            run(sizes[0])
            for i in range(args.runs):
                log(f"round {i + 1}/{args.runs}")
                for n in sizes:
                    for mode in modes:
                        results[(n, mode)].append(run(n, mode))

    print(f"\ncitecheck check on loopback nginx, half pages (200) and half 404s; concurrency "
          f"{args.concurrency} total and per host; no interval, no retries;")
    print(f"median of {args.runs} round-robin runs per size; {harness.machine()}; {version}\n")
    print("|     URLs | wall (s) | URLs/s | peak RSS (MB) | CPU (s) | CPU/URL (us) |"
          + (" --cache |" if args.cache else ""))
    print("| -------: | -------: | -----: | ------------: | ------: | -----------: |"
          + (" :------ |" if args.cache else ""))
    for n in sizes:
        for mode in modes:
            ms = results[(n, mode)]
            wall, rss, cpu = (median([m.wall for m in ms]), median([m.rss_mb for m in ms]),
                              median([m.cpu for m in ms]))
            print(f"| {n:8} | {wall:8.2f} | {n / wall:6.0f} | {rss:13.1f} | {cpu:7.2f} | "
                  f"{cpu / n * 1e6:12.0f} |" + (f" {mode} |" if args.cache else ""))
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        for mode in modes:
            rss_lo = median([m.rss_mb for m in results[(lo, mode)]])
            rss_hi = median([m.rss_mb for m in results[(hi, mode)]])
            per_row = (rss_hi - rss_lo) * 1e6 / (hi - lo)
            print(f"\n{mode}: peak RSS grows {rss_hi - rss_lo:.1f} MB from {lo} to {hi} URLs "
                  f"(about {per_row:.0f} bytes per URL)")
    if 100_000 in sizes:
        rss = median([m.rss_mb for m in results[(100_000, "plain")]])
        print(f"target: under {RSS_TARGET_MB} MB at 100,000 URLs: "
              + ("met" if rss < RSS_TARGET_MB else "MISSED") + f" ({rss:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
