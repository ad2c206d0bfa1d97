"""The whole `citecheck run` on N loopback article pages: speed, memory, stages, archive.

bench/pipeline.sh runs this. For each size N (default 10,000): a site of N distinct Dutch-like
article pages (bench/articles.py, 3-9 KB each, all 200) on a loopback nginx, a sources.csv
of their N URLs (shuffled), and a quotes.csv of 100 rows: 80 cut from 80 random pages (about
a fifth with one word changed, dropped or added) and 20 invented ones found nowhere. Then

    CITECHECK_LOG=info citecheck run --sources … --quotes … --archive … --host-interval 0
        --per-host C --concurrency C --retries 0 --no-rescue --no-probe --no-progress

under /usr/bin/time -v, into an empty archive folder each time; then `citecheck verify` on
that archive (the quote stage alone, offline). Reported per size (medians): wall time,
pages/s, peak RSS, CPU, the two stage times citecheck logs, the archive's size (WARC files,
texts, all on disk) and WARC MB written per second of the check+extract+archive stage.

Every run is checked, or the benchmark stops: links.csv has N rows, each `ok`/200 with the
page's title; report.csv has the 80 cut quotes verified or approximate at the page they
were cut from (verbatim ones verified), and the 20 invented ones not_found; verify gives
the same verdicts and spans as run.

`--serve SECONDS --dir D` only serves the site of the largest size (for perf and other
ad-hoc runs): D/ready holds the base URL, D/sources-N.csv and D/quotes-N.csv are beside it.

`--recovery` measures crash recovery instead: for each size, a `run` is killed with SIGKILL
once its manifest holds half the pages, and the `citecheck verify --repair` that follows
(which repairs the open WARC file, indexes it, then locates the quotes) runs under
/usr/bin/time -v: peak RSS and wall time, and the repair's own time from citecheck's log.
`--rotate SIZE` adds the same at the largest size with `run --warc-max-size SIZE` (only
the file being written is left to repair), and one whole run with it (pages/s, files).
`--citecheck PATH` measures another build (e.g. the one before a change) with the same
site and inputs.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import articles
import harness
from harness import log, median

TARGET_PAGES_PER_S = 2000
DISCARD = False  # --discard: delete each run's archive once measured (disk)
RSS_TARGET_MB = 150


# ----------------------------------------------------------------------------- site


def _write_pages(job: tuple[str, int, int, int, bool]) -> int:
    """Writes pages [lo, hi) of a site of `pages` pages into `root`; returns bytes written."""
    root, lo, hi, pages, pad = job
    total = 0
    for k in range(lo, hi):
        data = articles.page_html(k, pages, pad).encode()
        total += len(data)
        with open(os.path.join(root, f"{k}.html"), "wb") as f:
            f.write(data)
    return total


def generator_stamp(pages: int, pad: bool) -> str:
    """Changes when the page generator or the size changes (to reuse a kept site)."""
    code = (Path(__file__).parent / "articles.py").read_bytes()
    return f"{pages} {'padded ' if pad else ''}{hashlib.sha256(code).hexdigest()[:16]}\n"


class ArticleSite:
    """`root/nieuws/<k>.html` for k < pages; nginx serves `/nieuws/<k>/<slug>` from it."""

    def __init__(self, workdir: Path, pages: int, pad: bool = False):
        self.root = workdir / "site"
        self.pages = pages
        stamp = self.root / "stamp"
        folder = self.root / "nieuws"
        if stamp.exists() and stamp.read_text() == generator_stamp(pages, pad):
            log(f"site of {pages} pages already in {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)
            folder.mkdir(parents=True)
            started = time.perf_counter()
            step = 2000
            jobs = [(str(folder), lo, min(lo + step, pages), pages, pad)
                    for lo in range(0, pages, step)]
            with multiprocessing.Pool(min(2, os.cpu_count() or 1)) as pool:
                total = sum(pool.imap_unordered(_write_pages, jobs))
            (self.root / "404.html").write_text(harness.NOT_FOUND_HTML, encoding="utf-8")
            if pad:
                (self.root / "pad").mkdir()
                for name, text in articles.pad_files().items():
                    (self.root / "pad" / name).write_text(text, encoding="utf-8")
            stamp.write_text(generator_stamp(pages, pad))
            log(f"wrote {pages} pages ({total / pages / 1000:.1f} KB each on average) "
                f"in {time.perf_counter() - started:.0f} s")
        for path in [workdir, self.root, folder] + ([self.root / "pad"] if pad else []):
            os.chmod(path, 0o755)


@dataclass
class Case:
    """The input files of one size and what the output must say."""

    pages: int
    sources: Path
    quotes: Path
    urls: list[str]  # in sources order
    titles: list[str]  # in sources order
    url_of_page: dict[int, str]
    quote_rows: list[articles.QuoteRow]


def make_case(work: Path, base: str, pages: int) -> Case:
    rng = random.Random(42)
    order = list(range(pages))
    rng.shuffle(order)
    words = articles.FUNCTION_WORDS
    url_of_page = {}
    urls, titles = [], []
    for k in order:
        slug = "-".join(rng.choice(words) for _ in range(4))
        url = f"{base}/nieuws/{k}/{k}-{slug}"
        url_of_page[k] = url
        urls.append(url)
        titles.append(articles.page_title(k))
    sources = work / f"sources-{pages}.csv"
    sources.write_text("url\n" + "".join(u + "\n" for u in urls), encoding="utf-8")
    quote_rows = articles.make_quotes(pages)
    quotes = work / f"quotes-{pages}.csv"
    with quotes.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "theme", "quote"])
        for q in quote_rows:
            w.writerow([q.id, q.theme, q.quote])
    return Case(pages, sources, quotes, urls, titles, url_of_page, quote_rows)


# --------------------------------------------------------------------------- checks


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def check_links(links: Path, case: Case) -> str | None:
    rows = read_csv(links)
    if len(rows) != case.pages:
        return f"links.csv: {len(rows)} rows for {case.pages} URLs"
    wrong = [(r, u, t) for r, u, t in zip(rows, case.urls, case.titles)
             if not (r["url"] == u and r["status"] == "ok" and r["http_status"] == "200"
                     and r["title"] == t)]
    if wrong:
        r, u, t = wrong[0]
        return (f"links.csv: {len(wrong)} rows wrong, first {u}: status={r['status']} "
                f"http={r['http_status']} title={r['title']!r} (want {t!r})")
    return None


@dataclass
class QuoteCheck:
    """How report.csv compares with what the quotes were made to be."""

    problems: list[str] = field(default_factory=list)
    verdicts: dict[str, int] = field(default_factory=dict)
    edited_verified: int = 0  # an edited quote judged verified (edits are word edits)


def check_report(report: Path, case: Case) -> QuoteCheck:
    rows = {r["id"]: r for r in read_csv(report)}
    out = QuoteCheck()
    for q in case.quote_rows:
        row = rows.get(q.id)
        if row is None:
            out.problems.append(f"{q.id}: no row")
            continue
        verdict = row["verdict"]
        out.verdicts[verdict] = out.verdicts.get(verdict, 0) + 1
        if q.page is None:
            if verdict != "not_found":
                out.problems.append(f"{q.id} (invented): {verdict} at {row['source_url']}")
            continue
        want = case.url_of_page[q.page]
        if verdict not in ("verified", "approximate") or row["source_url"] != want:
            out.problems.append(f"{q.id} (page {q.page}, edit {q.edit or 'none'}): {verdict} "
                                f"at {row['source_url']!r}, want {want}")
        elif not q.edit and verdict != "verified":
            out.problems.append(f"{q.id} (verbatim, page {q.page}): {verdict} "
                                f"score {row['score']}")
        elif q.edit and verdict == "verified":
            out.edited_verified += 1
    return out


def same_findings(a: Path, b: Path) -> str | None:
    """None when two report.csv files agree on every quote's verdict, source and span."""
    keys = ("id", "verdict", "source_url", "start", "end")
    ra = [tuple(r[k] for k in keys) for r in read_csv(a)]
    rb = [tuple(r[k] for k in keys) for r in read_csv(b)]
    if ra == rb:
        return None
    diff = next((x, y) for x, y in zip(ra + [()] * len(rb), rb + [()] * len(ra)) if x != y)
    return f"run and verify differ: {diff[0]} vs {diff[1]}"


# ---------------------------------------------------------------------------- runs


@dataclass
class RunResult:
    """One measured `run` plus its `verify`."""

    run: harness.Measure
    check_stage: float  # seconds, as citecheck logged it
    locate_stage: float
    warc_mb: float  # MB (10^6 bytes) of .warc.gz written
    texts_mb: float  # apparent size of text/*.txt
    disk_mb: float  # the whole archive folder, blocks on disk (du)
    files: int  # files in the archive folder
    verify: harness.Measure


def stage_seconds(log_text: str, name: str) -> float:
    m = re.search(rf"stage {re.escape(name)}: ([0-9.]+) s", log_text)
    if m is None:
        raise SystemExit(f"no 'stage {name}' line in citecheck's log (CITECHECK_LOG=info)")
    return float(m.group(1))


def archive_sizes(folder: Path) -> tuple[float, float, float, int]:
    warc = texts = blocks = 0
    files = 0
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            st = os.stat(os.path.join(dirpath, name))
            files += 1
            blocks += st.st_blocks * 512
            if name.endswith(".warc.gz"):
                warc += st.st_size
            elif name.endswith(".txt"):
                texts += st.st_size
    return warc / 1e6, texts / 1e6, blocks / 1e6, files


def run_command(case: Case, out: Path, concurrency: int, extra: list[str] = ()) -> list[str]:
    return [str(harness.CITECHECK), "run", *extra, "--sources", str(case.sources),
            "--quotes", str(case.quotes), "--archive", str(out / "archive"),
            "--report", str(out / "report.csv"), "--links", str(out / "links.csv"),
            "--host-interval", "0", "--per-host", str(concurrency),
            "--concurrency", str(concurrency), "--retries", "0", "--no-rescue", "--no-probe",
            "--no-progress"]


def verify_command(case: Case, out: Path, repair: bool = False) -> list[str]:
    """`citecheck verify`; with `repair`, `verify --repair` (a plain verify writes nothing
    into the archive, so it leaves a killed run's open WARC file as it is)."""
    return [str(harness.CITECHECK), "verify", "--sources", str(case.sources),
            "--quotes", str(case.quotes), "--archive", str(out / "archive"),
            "--report", str(out / "report-verify.csv"),
            "--links", str(out / "links-verify.csv"), "--no-progress"] + (
                ["--repair"] if repair else [])


def measure(case: Case, out: Path, concurrency: int, timeout: float,
            extra: list[str] = ()) -> RunResult:
    """One `run` into an empty archive, checked, then `verify` on it. `out` must be new:
    outputs are deleted only at the end, since ext4 allocates inodes slowly for a minute or
    more after many files were deleted (`recently_deleted` in the kernel), which would
    charge the cost of deleting the last run's archive to this one."""
    out.mkdir(parents=True)
    run_log = out / "run.log"
    m = harness.timed(run_command(case, out, concurrency, extra), log_path=run_log,
                      timeout=timeout,
                      env={"CITECHECK_LOG": "info"})
    text = run_log.read_text(errors="replace")
    if m.returncode not in (0, 1):
        raise SystemExit(f"citecheck run at {case.pages} pages: exit {m.returncode}\n"
                         f"{text[-2000:]}")
    problem = check_links(out / "links.csv", case)
    quotes = check_report(out / "report.csv", case)
    if problem or quotes.problems:
        raise SystemExit(f"citecheck run at {case.pages} pages: wrong output ({out}):\n"
                         + "\n".join(([problem] if problem else []) + quotes.problems[:20]))
    check_stage = stage_seconds(text, "check+extract+archive")
    locate_stage = stage_seconds(text, "locate")
    warc, texts, disk, files = archive_sizes(out / "archive")
    v = harness.timed(verify_command(case, out), log_path=out / "verify.log", timeout=timeout,
                      env={"CITECHECK_LOG": "info"})
    if v.returncode not in (0, 1):
        tail = (out / "verify.log").read_text(errors="replace")[-2000:]
        raise SystemExit(f"citecheck verify at {case.pages} pages: exit {v.returncode}\n{tail}")
    differs = same_findings(out / "report.csv", out / "report-verify.csv")
    if differs:
        raise SystemExit(f"citecheck verify at {case.pages} pages: {differs}")
    r = RunResult(m, check_stage, locate_stage, warc, texts, disk, files, v)
    if DISCARD:
        shutil.rmtree(out / "archive")
    log(f"  {case.pages:>7} pages {m.wall:7.2f} s ({case.pages / m.wall:5.0f}/s)  "
        f"{m.rss_mb:6.1f} MB  cpu {m.cpu:6.2f} s  stages {check_stage:.2f} + "
        f"{locate_stage:.2f} s  WARC {warc:.1f} MB  verify {v.wall:.2f} s {v.rss_mb:.1f} MB  "
        f"quotes {dict(sorted(quotes.verdicts.items()))}"
        + (f", {quotes.edited_verified} edited ones verified" if quotes.edited_verified else ""))
    return r


def print_tables(sizes: list[int], results: dict[int, list[RunResult]], concurrency: int,
                 version: str, machine: str) -> None:
    def med(n: int, get) -> float:
        return median([get(r) for r in results[n]])

    print(f"\ncitecheck run on loopback nginx: N article pages (all 200), 100 quotes "
          f"(80 in the pages, 20 nowhere);\nconcurrency {concurrency} total and per host; no "
          f"interval, no retries, no rescue, no probes; {machine}; {version}\n")
    print("|    pages | runs | wall (s) | pages/s | peak RSS (MB) | CPU (s) | "
          "check+extract+archive (s) | locate (s) |")
    print("| -------: | ---: | -------: | ------: | ------------: | ------: | "
          "------------------------: | ---------: |")
    for n in sizes:
        wall = med(n, lambda r: r.run.wall)
        print(f"| {n:8,} | {len(results[n]):4} | {wall:8.2f} | {n / wall:7,.0f} | "
              f"{med(n, lambda r: r.run.rss_mb):13.1f} | {med(n, lambda r: r.run.cpu):7.2f} | "
              f"{med(n, lambda r: r.check_stage):25.2f} | {med(n, lambda r: r.locate_stage):10.2f} |")
    print("\n|    pages | WARC (MB) | texts (MB) | archive on disk (MB) | files | "
          "WARC MB/s | verify wall (s) | verify RSS (MB) |")
    print("| -------: | --------: | ---------: | -------------------: | ----: | "
          "--------: | --------------: | --------------: |")
    for n in sizes:
        warc = med(n, lambda r: r.warc_mb)
        rate = med(n, lambda r: r.warc_mb / r.check_stage)
        print(f"| {n:8,} | {warc:9.1f} | {med(n, lambda r: r.texts_mb):10.1f} | "
              f"{med(n, lambda r: r.disk_mb):20.1f} | {med(n, lambda r: r.files):5,.0f} | "
              f"{rate:9.1f} | {med(n, lambda r: r.verify.wall):15.2f} | "
              f"{med(n, lambda r: r.verify.rss_mb):15.1f} |")
    for n in sizes:
        rate = n / med(n, lambda r: r.run.wall)
        print(f"\ntarget >= {TARGET_PAGES_PER_S:,} pages/s at {n:,} pages: "
              + ("met" if rate >= TARGET_PAGES_PER_S else "MISSED") + f" ({rate:,.0f})", end="")
    print()
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        for label, get in (("run", lambda r: r.run.rss_mb),
                           ("verify", lambda r: r.verify.rss_mb)):
            a, b = med(lo, get), med(hi, get)
            print(f"{label}: peak RSS grows {b - a:.1f} MB from {lo:,} to {hi:,} pages "
                  f"(about {(b - a) * 1e6 / (hi - lo):,.0f} bytes per page)")
    big = sizes[-1]
    rss = med(big, lambda r: r.run.rss_mb)
    print(f"target: peak RSS under {RSS_TARGET_MB} MB at {big:,} pages: "
          + ("met" if rss < RSS_TARGET_MB else "MISSED") + f" ({rss:.1f} MB)")


# ------------------------------------------------------------------------ recovery


@dataclass
class RecoveryResult:
    """One killed `run` and the `verify` that repaired its archive."""

    pages_done: int  # manifest lines when the run was killed
    open_mb: float  # the .open file(s) left
    finished_files: int  # WARC files the killed run had finished (rotation)
    verify: harness.Measure
    repair: float  # seconds, the repair as citecheck logged it (nan if it did not)


def killed_run(case: Case, out: Path, concurrency: int, extra: list[str],
               timeout: float) -> tuple[int, float, int]:
    """Starts `run` and SIGKILLs it once the manifest holds half the pages. Returns the
    manifest lines then, the MB left in `.open` files and the finished WARC files."""
    out.mkdir(parents=True)
    archive = out / "archive"
    manifest = archive / "manifest.jsonl"
    with open(out / "run.log", "wb") as log_file:
        proc = subprocess.Popen(run_command(case, out, concurrency, extra), stdin=subprocess.DEVNULL,
                                stdout=log_file, stderr=log_file, env=harness.bench_env())
        deadline = time.monotonic() + timeout
        lines = 0
        seen = None  # the manifest, read as it grows
        try:
            while lines < case.pages // 2:
                if proc.poll() is not None:
                    raise SystemExit(f"run at {case.pages} pages ended (exit {proc.returncode}) "
                                     f"before half its pages; see {out / 'run.log'}")
                if time.monotonic() > deadline:
                    raise SystemExit(f"run at {case.pages} pages: no half-way point in time")
                time.sleep(0.02)
                if seen is None and manifest.exists():
                    seen = open(manifest, "rb")
                if seen is not None:
                    lines += seen.read().count(b"\n")
        finally:
            proc.kill()  # SIGKILL: no chance to close the WARC file
            proc.wait()
            if seen is not None:
                seen.close()
    open_bytes = sum(p.stat().st_size for p in archive.glob("*.warc.gz.open"))
    finished = len(list(archive.glob("*.warc.gz")))
    return lines, open_bytes / 1e6, finished


def measure_recovery(case: Case, out: Path, concurrency: int, timeout: float,
                     extra: list[str] = ()) -> RecoveryResult:
    lines, open_mb, finished = killed_run(case, out, concurrency, list(extra), timeout)
    v = harness.timed(verify_command(case, out, repair=True), log_path=out / "verify.log",
                      timeout=timeout, env={"CITECHECK_LOG": "info"})
    text = (out / "verify.log").read_text(errors="replace")
    if v.returncode not in (0, 1):
        raise SystemExit(f"verify after the kill at {case.pages} pages: exit {v.returncode}\n"
                         f"{text[-2000:]}")
    left = list((out / "archive").glob("*.open"))
    if left:
        raise SystemExit(f"verify left {left} open")
    repairs = [float(x) for x in re.findall(r"archive: recovered .* in ([0-9.]+) s", text)]
    r = RecoveryResult(lines, open_mb, finished, v, sum(repairs) if repairs else float("nan"))
    log(f"  {case.pages:>7} pages, killed at {lines}: open WARC {open_mb:.1f} MB "
        f"(+{finished} finished files); verify {v.wall:.2f} s {v.rss_mb:.1f} MB, "
        f"repair {r.repair:.2f} s")
    return r


def measure_resume(case: Case, out: Path, concurrency: int, timeout: float,
                   extra: list[str] = ()) -> RecoveryResult:
    """A `run` SIGKILLed at half its pages, then the same `run --resume` (which repairs the
    open WARC file, keeps the rows the killed run wrote and fetches the rest), checked like a
    whole run."""
    lines, open_mb, finished = killed_run(case, out, concurrency, list(extra), timeout)
    log_path = out / "resume.log"
    m = harness.timed(run_command(case, out, concurrency, [*extra, "--resume"]),
                      log_path=log_path, timeout=timeout, env={"CITECHECK_LOG": "info"})
    text = log_path.read_text(errors="replace")
    if m.returncode not in (0, 1):
        raise SystemExit(f"run --resume after the kill at {case.pages} pages: exit "
                         f"{m.returncode}\n{text[-2000:]}")
    problem = check_links(out / "links.csv", case)
    quotes = check_report(out / "report.csv", case)
    if problem or quotes.problems:
        raise SystemExit(f"run --resume at {case.pages} pages: wrong output ({out}):\n"
                         + "\n".join(([problem] if problem else []) + quotes.problems[:20]))
    repairs = [float(x) for x in re.findall(r"archive: recovered .* in ([0-9.]+) s", text)]
    r = RecoveryResult(lines, open_mb, finished, m, sum(repairs) if repairs else float("nan"))
    if DISCARD:
        shutil.rmtree(out / "archive")
    log(f"  {case.pages:>7} pages, killed at {lines}: open WARC {open_mb:.1f} MB "
        f"(+{finished} finished files); run --resume {m.wall:.2f} s {m.rss_mb:.1f} MB, "
        f"repair {r.repair:.2f} s")
    return r


def recovery_bench(cases: dict[int, Case], sizes: list[int], outputs: Path, args,
                   version: str) -> None:
    runs = iter(range(1, 1000))

    def out() -> Path:
        return outputs / f"recovery-{next(runs)}"

    def timeout(n: int) -> float:
        return max(600.0, n / 50)

    log(f"concurrency {args.concurrency}: warm-up at {sizes[0]} pages")
    measure(cases[sizes[0]], out(), args.concurrency, timeout(sizes[0]))
    results: dict[int, list[RecoveryResult]] = {n: [] for n in sizes}
    resumed: dict[int, list[RecoveryResult]] = {n: [] for n in sizes}
    flag = ["--warc-max-size", args.rotate] if args.rotate else []
    for i in range(args.runs):
        log(f"round {i + 1}/{args.runs}")
        for n in sizes:
            if not args.resume:
                results[n].append(measure_recovery(cases[n], out(), args.concurrency,
                                                   timeout(n)))
            else:
                resumed[n].append(measure_resume(cases[n], out(), args.concurrency,
                                                 timeout(n), flag))
    rotated: list[RecoveryResult] = []
    whole: list[RunResult] = []
    big = sizes[-1]
    if args.rotate:
        for i in range(args.runs):
            log(f"rotation round {i + 1}/{args.runs}: --warc-max-size {args.rotate}")
            rotated.append(measure_recovery(cases[big], out(), args.concurrency, timeout(big),
                                            flag))
            whole.append(measure(cases[big], out(), args.concurrency, timeout(big), flag))
    machine = harness.machine()

    def med(rs, get) -> float:
        return median([get(r) for r in rs])

    print(f"\ncrash recovery: `citecheck run` SIGKILLed at half its pages, then `citecheck "
          f"verify --repair` (repair + index + quotes);\nmedians of {args.runs}; {machine}; {version}\n")
    print("|    pages | killed at | open WARC (MB) | verify wall (s) | verify peak RSS (MB) "
          "| repair (s) |")
    print("| -------: | --------: | -------------: | --------------: | -------------------: "
          "| ---------: |")
    rows = [(f"{n:8,}", results[n]) for n in sizes if results[n]]
    if rotated:
        rows.append((f"{big:,} rotated at {args.rotate}", rotated))
    for label, rs in rows:
        print(f"| {label} | {med(rs, lambda r: r.pages_done):9,.0f} | "
              f"{med(rs, lambda r: r.open_mb):14.1f} | {med(rs, lambda r: r.verify.wall):15.2f} | "
              f"{med(rs, lambda r: r.verify.rss_mb):20.1f} | {med(rs, lambda r: r.repair):10.2f} |")
    if args.resume:
        print("\n`citecheck run` SIGKILLed at half its pages, then the same `run --resume`"
              + (f" (both with --warc-max-size {args.rotate})" if args.rotate else "") + "\n")
        print("|    pages | killed at | open WARC (MB) | resume wall (s) | resume peak RSS (MB) "
              "| repair (s) |")
        print("| -------: | --------: | -------------: | --------------: | -------------------: "
              "| ---------: |")
        for n in sizes:
            rs = resumed[n]
            print(f"| {n:8,} | {med(rs, lambda r: r.pages_done):9,.0f} | "
                  f"{med(rs, lambda r: r.open_mb):14.1f} | "
                  f"{med(rs, lambda r: r.verify.wall):15.2f} | "
                  f"{med(rs, lambda r: r.verify.rss_mb):20.1f} | "
                  f"{med(rs, lambda r: r.repair):10.2f} |")
    if rotated:
        files = med(rotated, lambda r: r.finished_files)
        print(f"\nrotated: the killed run had finished {files:.0f} files; only the open one "
              f"was repaired")
    if whole:
        wall = med(whole, lambda r: r.run.wall)
        print(f"whole run at {big:,} pages with --warc-max-size {args.rotate}: {wall:.2f} s, "
              f"{big / wall:,.0f} pages/s, peak RSS {med(whole, lambda r: r.run.rss_mb):.1f} MB, "
              f"WARC {med(whole, lambda r: r.warc_mb):.1f} MB")
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        what = "run --resume" if args.resume else "verify"
        got = resumed if args.resume else results
        a = med(got[lo], lambda r: r.verify.rss_mb)
        b = med(got[hi], lambda r: r.verify.rss_mb)
        print(f"{what} peak RSS after a crash at {hi:,} pages is {b / a:.2f}x the one at "
              f"{lo:,} (target <= 1.3x: " + ("met" if b / a <= 1.3 else "MISSED") + ")")


# ---------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="10000",
                        help="comma-separated page counts (default 10000), e.g. 1000,10000,100000")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="requests in flight, in total and per host (default 32)")
    parser.add_argument("--runs", type=int, default=3,
                        help="measured runs per size up to 10,000 pages (default 3)")
    parser.add_argument("--big-runs", type=int, default=1,
                        help="measured runs per size above 10,000 pages (default 1)")
    parser.add_argument("--dir", type=Path,
                        help="work folder to keep (site, inputs, last outputs); reused if the "
                             "site there is the same (default: a temporary folder)")
    parser.add_argument("--serve", type=float, metavar="SECONDS",
                        help="only serve the site of the largest size (needs --dir), then stop")
    parser.add_argument("--no-build", action="store_true", help="skip cargo build")
    parser.add_argument("--recovery", action="store_true",
                        help="measure crash recovery: kill -9 each run at half its pages, then "
                             "time `verify`")
    parser.add_argument("--rotate", metavar="SIZE",
                        help="with --recovery: also at the largest size with "
                             "--warc-max-size SIZE (e.g. 8MB)")
    parser.add_argument("--resume", action="store_true",
                        help="with --recovery: also kill each run at half its pages and "
                             "measure the `run --resume` that finishes it")
    parser.add_argument("--discard", action="store_true",
                        help="delete each run's archive as soon as it is measured (big runs "
                             "on a small disk; the next run may then pay for ext4's inode "
                             "reuse, see below)")
    parser.add_argument("--large", action="store_true",
                        help="pages of 50-150 KB as served (the article pages plus an inline "
                             "stylesheet, JSON state, mega-menu and icon sprite, included by "
                             "nginx; see articles.pad_files)")
    parser.add_argument("--citecheck", type=Path, metavar="PATH",
                        help="the binary to measure (default: target/release/citecheck, built)")
    args = parser.parse_args()
    try:
        sizes = sorted({int(s.replace("_", "").replace(",", ""))
                        for s in args.pages.split(",") if s.strip()})
    except ValueError:
        parser.error("--pages takes numbers, e.g. 1000,10000,100000")
    if (not sizes or not all(100 <= n <= 300_000 for n in sizes) or not 1 <= args.runs <= 20
            or not 1 <= args.big_runs <= 20 or args.concurrency < 1):
        parser.error("pages 100..300000, --runs and --big-runs 1..20, --concurrency >= 1")
    if args.serve is not None and (args.dir is None or not 0 < args.serve <= 3600):
        parser.error("--serve needs --dir, and 0 < SECONDS <= 3600")

    if (args.rotate or args.resume) and not args.recovery:
        parser.error("--rotate and --resume go with --recovery")
    harness.exit_on_sigterm()
    global DISCARD
    DISCARD = args.discard
    if args.citecheck is not None:
        harness.CITECHECK = args.citecheck.resolve()
    harness.ensure_tools(need_lychee=False, build=not args.no_build and args.serve is None
                         and args.citecheck is None)
    version = harness.tool_version([str(harness.CITECHECK)])
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=harness.REPO,
                            capture_output=True, text=True).stdout.strip()
    version += f" at commit {commit or '?'}"
    results: dict[int, list[RunResult]] = {n: [] for n in sizes}

    tmp = None
    if args.dir is None:
        tmp = harness.make_workdir()
        work = Path(tmp.name)
    else:
        work = args.dir.resolve()
        work.mkdir(parents=True, exist_ok=True)
    try:
        site = ArticleSite(work, max(sizes), args.large)
        with harness.Nginx(work, site, ssi=args.large) as server:
            cases = {n: make_case(work, server.base, n) for n in sizes}
            if args.serve is not None:
                log(f"serving {server.base} for {args.serve:.0f} s; inputs in {work}")
                harness.serve_until_stopped(work, server.base, args.serve)
                return 0
            outputs = work / "out"
            shutil.rmtree(outputs, ignore_errors=True)
            if args.recovery:
                recovery_bench(cases, sizes, outputs, args, version)
                return 0
            runs = iter(range(1, 1000))

            def out() -> Path:
                return outputs / f"run-{next(runs)}"

            def timeout(n: int) -> float:
                return max(600.0, n / 50)  # at least 50 pages/s, or something is wrong

            log(f"concurrency {args.concurrency}: warm-up at {sizes[0]} pages")
            measure(cases[sizes[0]], out(), args.concurrency, timeout(sizes[0]))
            rounds = max(args.runs if n <= 10_000 else args.big_runs for n in sizes)
            for i in range(rounds):
                log(f"round {i + 1}/{rounds}")
                for n in sizes:
                    if i < (args.runs if n <= 10_000 else args.big_runs):
                        results[n].append(measure(cases[n], out(), args.concurrency, timeout(n)))
            machine = harness.machine()
            if args.dir is not None:  # keep the last run's outputs only
                for old in sorted(outputs.iterdir(), key=lambda p: int(p.name[4:]))[:-1]:
                    shutil.rmtree(old)
        print_tables(sizes, results, args.concurrency, version, machine)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
