#!/usr/bin/env python3
"""Score an article-text extractor on one benchmark set (stdlib only; our own scorer).

A set is a folder with html/<id>.html.gz and one of two kinds of ground truth:

  ground-truth.json  {"<id>": {"articleBody": "...", "url": "..."}, ...}
      Full reference texts, scored by word 4-gram F1 as the public article-extraction
      benchmark defines it: each text becomes a multiset of word 4-grams (\\w+ tokens; a
      text under 4 tokens is one shingle), each page gives tp/fp/fn normalised by their sum,
      precision and recall are averaged over pages, and F1 is taken from the two averages.

  truth.jsonl        one {"id", "url", "lang", "with": [...], "without": [...]} per line.
      Must-have and must-not-have strings: after collapsing white space, a string counts
      as present when it is a substring of the output. TP = present "with" strings,
      FN = missing ones, FP = present "without" strings, summed over all pages.

The extractor is a shell command that reads the page's bytes on stdin and prints the text
(`--cmd 'target/release/citecheck text -'`), or `--peer trafilatura` (in-process, needs the
package: `python3 -m venv bench/.venv && bench/.venv/bin/pip install trafilatura`).

  python3 bench/score_extract.py --cmd 'target/release/citecheck text -' "$CITECHECK_BENCH/wcxb"
  python3 bench/score_extract.py --worst 10 --cmd '…' "$CITECHECK_BENCH/article-extraction"
  python3 bench/score_extract.py --from-dir /tmp/out --ids tune.txt "$CITECHECK_BENCH/wcxb"

`--from-dir` scores texts saved by `cargo run --release --example extract_dir SET OUT`;
`--save-dir` keeps a peer's outputs for the same; `--ids` restricts to a part's ids
(`bench/extract_split.py --list SET --parts tune`). String sets print figures per language
and, where the set names them (wcxb), per page type.

Prints one summary line `precision=P recall=R F1=F`, per-language figures for string sets,
and the N worst pages.
"""
import argparse
import collections
import concurrent.futures as cf
import gzip
import json
import os
import re
import subprocess
import sys

WORD = re.compile(r"\w+")


def collapse(text):
    return " ".join(text.split())


def four_grams(text):
    words = WORD.findall(text or "")
    if len(words) < 4:
        return collections.Counter([tuple(words)]) if words else collections.Counter()
    return collections.Counter(tuple(words[i:i + 4]) for i in range(len(words) - 3))


def shingle_counts(truth, output):
    """(tp, fp, fn) of one page, normalised by their sum."""
    t, o = four_grams(truth), four_grams(output)
    tp = sum((t & o).values())
    fp = sum((o - t).values())
    fn = sum((t - o).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def page_precision(tp, fp, fn):
    if fp == 0 and fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def page_recall(tp, fp, fn):
    if fp == 0 and fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def f1(p, r):
    return 2 * p * r / (p + r) if p + r else 0.0


TYPES = {}  # page id -> page type, for sets that name one (wcxb)


def load(set_dir):
    """[(id, url, lang, truth)] where truth is a text or a (with, without) pair."""
    gt = os.path.join(set_dir, "ground-truth.json")
    if os.path.exists(gt):
        with open(gt, encoding="utf-8") as fh:
            data = json.load(fh)
        return "shingles", [(k, v.get("url", ""), "und", v.get("articleBody") or "") for k, v in sorted(data.items())]
    pages = []
    with open(os.path.join(set_dir, "truth.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                p = json.loads(line)
                pair = ([s for s in p.get("with", []) if collapse(s)], [s for s in p.get("without", []) if collapse(s)])
                pages.append((p["id"], p.get("url", ""), p.get("lang", "und"), pair))
                TYPES[p["id"]] = p.get("page_type", "")
    return "strings", pages


def extractor(args):
    if args.from_dir:
        def saved(pid):
            try:
                with open(os.path.join(args.from_dir, pid + ".txt"), encoding="utf-8") as fh:
                    return fh.read(), ""
            except OSError as e:
                return "", str(e)
        return saved
    if args.peer == "trafilatura":
        import trafilatura  # noqa: PLC0415 (optional)

        def run(raw, url, pid=None):
            html = raw.decode("utf-8", "replace")
            return trafilatura.extract(html, url=url or None, include_comments=False) or "", ""
        return run

    def run(raw, url, pid=None):
        try:
            cp = subprocess.run(args.cmd, shell=True, input=raw, capture_output=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return "", "timeout after %ss" % args.timeout
        err = "" if cp.returncode == 0 else "exit %d" % cp.returncode
        return cp.stdout.decode("utf-8", "replace"), err
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("set_dir")
    ap.add_argument("--cmd", help="extractor command: page bytes on stdin, text on stdout")
    ap.add_argument("--peer", choices=["trafilatura"], help="an in-process peer instead of --cmd")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--worst", type=int, default=10)
    ap.add_argument("--lang", help="string sets: only these languages (comma-separated)")
    ap.add_argument("--from-dir", help="score saved texts DIR/<id>.txt (from examples/extract_dir) instead")
    ap.add_argument("--save-dir", help="also save each output as DIR/<id>.txt (to score it again later)")
    ap.add_argument("--ids", help="only the page ids listed in this file, one per line")
    args = ap.parse_args(argv)
    if sum(map(bool, (args.cmd, args.peer, args.from_dir))) != 1:
        ap.error("give exactly one of --cmd, --peer and --from-dir")
    kind, pages = load(args.set_dir)
    if args.lang:
        keep = set(args.lang.split(","))
        pages = [p for p in pages if p[2] in keep]
    if args.ids:
        with open(args.ids, encoding="utf-8") as fh:
            keep = {line.strip() for line in fh if line.strip()}
        pages = [p for p in pages if p[0] in keep]
    run = extractor(args)
    if args.save_dir:
        os.makedirs(args.save_dir, exist_ok=True)

    def work(page):
        pid, url, lang, truth = page
        if args.from_dir:
            out, err = run(pid)
        else:
            with gzip.open(os.path.join(args.set_dir, "html", pid + ".html.gz")) as fh:
                raw = fh.read()
            out, err = run(raw, url)
        if args.save_dir:
            with open(os.path.join(args.save_dir, pid + ".txt"), "w", encoding="utf-8") as fh:
                fh.write(out)
        if kind == "shingles":
            c = shingle_counts(truth, out)
            return dict(id=pid, url=url, lang=lang, counts=c, err=err,
                        f1=f1(page_precision(*c), page_recall(*c)), missing=[], leaked=[])
        text = collapse(out)
        with_, without = truth
        missing = [s for s in with_ if collapse(s) not in text]
        leaked = [s for s in without if collapse(s) in text]
        tp, fn, fp = len(with_) - len(missing), len(missing), len(leaked)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return dict(id=pid, url=url, lang=lang, counts=(tp, fp, fn), err=err, f1=f1(p, r),
                    missing=missing, leaked=leaked)

    workers = 1 if args.peer else max(1, args.jobs)
    with cf.ThreadPoolExecutor(max_workers=workers) as ex:
        results = list(ex.map(work, pages))
    if kind == "shingles":
        ps = [page_precision(*r["counts"]) for r in results if r["counts"][0] + r["counts"][1] > 0]
        rs = [page_recall(*r["counts"]) for r in results if r["counts"][0] + r["counts"][2] > 0]
        p = sum(ps) / len(ps) if ps else 0.0
        r = sum(rs) / len(rs) if rs else 0.0
    else:
        tp = sum(x["counts"][0] for x in results)
        fp = sum(x["counts"][1] for x in results)
        fn = sum(x["counts"][2] for x in results)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
    errors = sum(1 for x in results if x["err"])
    print("set: %s (%s, %d pages, %d extractor errors)" % (args.set_dir, kind, len(results), errors))
    print("precision=%.4f recall=%.4f F1=%.4f" % (p, r, f1(p, r)))
    if kind == "strings":
        for label, key in (("lang", lambda x: x["lang"]), ("type", lambda x: TYPES.get(x["id"], ""))):
            groups = collections.defaultdict(lambda: [0, 0, 0, 0])
            for x in results:
                c = groups[key(x)]
                c[0] += 1
                for i in range(3):
                    c[i + 1] += x["counts"][i]
            if len(groups) > 1:
                for name, (n, tp, fp, fn) in sorted(groups.items(), key=lambda kv: -kv[1][0]):
                    lp = tp / (tp + fp) if tp + fp else 0.0
                    lr = tp / (tp + fn) if tp + fn else 0.0
                    print("  %s %-13s pages=%4d P=%.3f R=%.3f F1=%.3f" % (label, name, n, lp, lr, f1(lp, lr)))
    for x in sorted(results, key=lambda x: x["f1"])[: args.worst]:
        print("  worst %-40s F1=%.2f %s %s" % (x["id"], x["f1"], x["url"], x["err"]))
        for s in x["missing"][:2]:
            print("      missing: %r" % s[:90])
        for s in x["leaked"][:2]:
            print("      leaked:  %r" % s[:90])
    return 0


if __name__ == "__main__":
    sys.exit(main())
