#!/usr/bin/env python3
"""Score an article-text extractor on the Dutch gold set.

The set is the article pages of the fixture site (tests/fixtures/site: 17 pages, the
overheidvannu.nl-style articles the integration tests also serve) plus bench/dutch-gold
(6 municipal, provincial, water-authority and central-government news pages: breadcrumb,
meta line, intro or standfirst, body, blockquote, a table, an FAQ accordion, a figure
caption, share links, related articles and a cookie bar). Both are our own invented text;
each folder has a ground-truth.json of {id: {file, url, title, articleBody}}.

Materialises the pages in the benchmark layout (html/<id>.html.gz holding UTF-8 HTML, plus
ground-truth.json with articleBody and url) in a temporary directory, then scores them with
bench/score_extract.py (word 4-gram F1). Every argument this script does not know is passed
through to score_extract.py.

  python3 bench/dutch_gold.py --cmd 'target/release/citecheck text -'
  python3 bench/dutch_gold.py --worst 5 --cmd 'target/release/citecheck text -'
  bench/.venv/bin/python bench/dutch_gold.py --peer trafilatura
  python3 bench/dutch_gold.py --out /tmp/dutch-gold      # materialise only, keep the files

Pages not served as UTF-8 (the windows-1252 page) are transcoded, and their
<meta charset> is rewritten to utf-8, so the extractor sees the same text.
Stdlib only.
"""

import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SITE = REPO / "tests" / "fixtures" / "site"
EXTRA = REPO / "bench" / "dutch-gold"
DEFAULT_EVAL = REPO / "bench" / "score_extract.py"

META_CHARSET = re.compile(
    r"""<meta\s+charset=["']?[\w-]+["']?\s*/?>|<meta\s+http-equiv=["']?content-type["']?\s+content=["'][^"']*["']\s*/?>""",
    re.I)


def declared_charset(raw, content_type):
    """HTML5 order, as far as the fixtures need it: HTTP header, then <meta> in the first 1024 bytes."""
    m = re.search(r"charset=([\w-]+)", content_type or "", re.I)
    if m:
        return m.group(1)
    m = re.search(rb"""<meta[^>]+charset=["']?([\w-]+)""", raw[:1024], re.I)
    if m:
        return m.group(1).decode("ascii")
    return "utf-8"


def python_codec(label):
    label = label.lower()
    # WHATWG: iso-8859-1 and us-ascii mean windows-1252
    if label in ("windows-1252", "iso-8859-1", "latin1", "us-ascii", "ascii"):
        return "cp1252"
    return label


def materialise(sites, out):
    (out / "html").mkdir(parents=True, exist_ok=True)
    gt_out = {}
    for site in sites:
        materialise_one(site, out, gt_out)
    (out / "ground-truth.json").write_text(json.dumps(gt_out, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(gt_out)


def materialise_one(site, out, gt_out):
    routes = {}
    if (site / "routes.tsv").exists():
        for line in (site / "routes.tsv").read_text(encoding="utf-8").splitlines()[1:]:
            path, fname, ctype = line.split("\t")
            routes[fname] = ctype
    truth = json.loads((site / "ground-truth.json").read_text(encoding="utf-8"))
    for item_id, entry in sorted(truth.items()):
        if item_id in gt_out:
            raise SystemExit("%s: id %s is also in another folder" % (site, item_id))
        raw = (site / entry["file"]).read_bytes()
        codec = python_codec(declared_charset(raw, routes.get(entry["file"])))
        text = raw.decode(codec)
        if codec not in ("utf-8", "utf8"):
            head, rest = text[:1024], text[1024:]
            head, n = META_CHARSET.subn('<meta charset="utf-8">', head, count=1)
            if not n:
                raise SystemExit("%s: cannot rewrite the charset declaration" % entry["file"])
            text = head + rest
        with gzip.open(out / "html" / (item_id + ".html.gz"), "wb") as f:
            f.write(text.encode("utf-8"))
        gt_out[item_id] = {"articleBody": entry["articleBody"], "url": entry["url"]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="path of the scorer (default: %(default)s)")
    ap.add_argument("--site", type=Path, default=SITE, help="fixture site directory (default: %(default)s)")
    ap.add_argument("--extra", type=Path, default=EXTRA, help="folder of extra gold pages (default: %(default)s)")
    ap.add_argument("--no-extra", action="store_true", help="the fixture site's pages only")
    ap.add_argument("--out", type=Path, help="materialise into this directory and keep it; "
                                             "without scorer arguments, stop there")
    args, rest = ap.parse_known_args(argv)
    if rest[:1] == ["--"]:
        rest = rest[1:]

    sites = [args.site] if args.no_extra else [args.site, args.extra]
    if args.out:
        n = materialise(sites, args.out)
        print("materialised %d pages into %s" % (n, args.out), file=sys.stderr)
        if not rest:
            return 0
        return run_eval(args.eval, args.out, rest)
    with tempfile.TemporaryDirectory(prefix="dutch-gold-") as tmp:
        materialise(sites, Path(tmp))
        return run_eval(args.eval, Path(tmp), rest)


def run_eval(eval_path, data, rest):
    if not eval_path.exists():
        raise SystemExit("scorer not found at %s (use --eval PATH)" % eval_path)
    cmd = [sys.executable, str(eval_path)] + rest + [str(data)]
    return subprocess.call(cmd, cwd=str(REPO))


if __name__ == "__main__":
    sys.exit(main())
