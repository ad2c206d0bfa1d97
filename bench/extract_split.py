#!/usr/bin/env python3
"""Score the article extractor on the tuning and held-out parts of the three benchmark sets.

Each set (article-extraction, wcxb, fundus) is split by a fixed hash of the page id:
a page is in the tuning part when int(sha256("citecheck-split:" + id)[:8], 16) % 100 < 70,
else in the held-out part (about 70/30). The split never changes, so tuning decisions
are made on the tuning part only and the held-out figures stay honest.

For each requested set and part, a temporary folder of symlinks (html/<id>.html.gz plus a
filtered ground-truth.json or truth.jsonl) is made and bench/score_extract.py scores it.

  python3 bench/extract_split.py --bench DIR --cmd 'target/release/citecheck text -'
  python3 bench/extract_split.py --bench DIR --sets wcxb --parts tune --worst 10 --cmd '…'
  python3 bench/extract_split.py --bench DIR --list wcxb --parts heldout   # ids only

DIR is the folder holding the three set folders (or set CITECHECK_BENCH); bench/README.md
says where each set comes from. Stdlib only.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

SETS = ("article-extraction", "wcxb", "fundus")
PARTS = ("tune", "heldout")
TUNE_PERCENT = 70


def part_of(page_id):
    h = int(hashlib.sha256(("citecheck-split:" + page_id).encode()).hexdigest()[:8], 16)
    return "tune" if h % 100 < TUNE_PERCENT else "heldout"


def ids_of(set_dir):
    if (set_dir / "ground-truth.json").exists():
        return sorted(json.loads((set_dir / "ground-truth.json").read_text(encoding="utf-8")))
    with open(set_dir / "truth.jsonl", encoding="utf-8") as f:
        return [json.loads(line)["id"] for line in f if line.strip()]


def materialise(set_dir, part, out):
    """Symlinks the pages of one part into `out`; returns how many."""
    (out / "html").mkdir(parents=True)
    keep = set()
    if (set_dir / "ground-truth.json").exists():
        truth = json.loads((set_dir / "ground-truth.json").read_text(encoding="utf-8"))
        sub = {k: v for k, v in truth.items() if part_of(k) == part}
        (out / "ground-truth.json").write_text(json.dumps(sub), encoding="utf-8")
        keep = set(sub)
    else:
        lines = []
        with open(set_dir / "truth.jsonl", encoding="utf-8") as f:
            for line in f:
                if line.strip() and part_of(json.loads(line)["id"]) == part:
                    lines.append(line.rstrip("\n"))
                    keep.add(json.loads(line)["id"])
        (out / "truth.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for page_id in keep:
        name = page_id + ".html.gz"
        os.symlink((set_dir / "html" / name).resolve(), out / "html" / name)
    return len(keep)


SCORER = Path(__file__).resolve().parent / "score_extract.py"


def score(bench, name, data, cmd, worst):
    argv = [sys.executable, str(SCORER), "--cmd", cmd, "--jobs", "2", "--worst", str(worst or 0), str(data)]
    out = subprocess.run(argv, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    return out.stdout


def summary(name, stdout):
    """(P, R, F1) from the scorer's summary line."""
    m = re.search(r"precision=([\d.]+) recall=([\d.]+) F1=([\d.]+)", stdout)
    return (float(m.group(1)), float(m.group(2)), float(m.group(3))) if m else None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", type=Path, default=os.environ.get("CITECHECK_BENCH"),
                    help="folder with the three sets (env CITECHECK_BENCH)")
    ap.add_argument("--cmd", help="extractor command: HTML on stdin, text on stdout")
    ap.add_argument("--sets", default=",".join(SETS), help="comma-separated (default: all three)")
    ap.add_argument("--parts", default=",".join(PARTS), help="tune,heldout (default: both)")
    ap.add_argument("--worst", type=int, default=0, help="also print the scorer's N worst pages")
    ap.add_argument("--verbose", action="store_true", help="print each scorer's full output")
    ap.add_argument("--list", metavar="SET", help="print the ids of SET in --parts and stop")
    args = ap.parse_args(argv)
    if args.bench is None:
        raise SystemExit("--bench DIR (or CITECHECK_BENCH) is required")
    parts = args.parts.split(",")
    if args.list:
        for page_id in ids_of(args.bench / args.list):
            if part_of(page_id) in parts:
                print(page_id)
        return 0
    if not args.cmd:
        raise SystemExit("--cmd is required")
    rows = []
    for name in args.sets.split(","):
        for part in parts:
            with tempfile.TemporaryDirectory(prefix="extract-split-") as tmp:
                data = Path(tmp) / name
                n = materialise(args.bench / name, part, data)
                out = score(args.bench, name, data, args.cmd, args.worst)
            if args.verbose or args.worst:
                print("== %s / %s\n%s" % (name, part, out))
            s = summary(name, out)
            rows.append((name, part, n, s))
            print("%-20s %-8s %4d pages  %s" % (
                name, part, n, "P %.3f  R %.3f  F1 %.3f" % s if s else "(no summary)\n" + out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
