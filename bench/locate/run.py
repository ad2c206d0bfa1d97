#!/usr/bin/env python3
"""Quote-location benchmark: generate the set, run our locator and two peers, score them.

  python3 bench/locate/run.py [--truth PATH] [--seed N] [--no-peers] [--pairs N]

Creates bench/.venv with rapidfuzz and edlib on first use (and re-runs itself in it),
runs make_set.py, builds and runs `examples/locate_eval.rs` (release) on the set and on
1,000 quotes × 1,000 articles, scores per class, runs rapidfuzz `partial_ratio_alignment`
and edlib (`mode="HW", task="path"`, on the raw text and on normalised keys mapped back to
the raw text) on the same quote × true-source pairs (negatives: against their origin
article, if any, and random sources), prints one table and writes bench/locate/RESULTS.md.
Intermediate files (corpus, set, predictions, failures.jsonl) stay in bench/locate/ and are
not committed.
"""

import argparse
import datetime
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VENV = REPO / "bench" / ".venv"
VENV_PY = VENV / "bin" / "python"

VERIFIED_CLASSES = {"typography", "linebreak", "split", "ellipsis"}
MIN_SCORE = 0.80  # DEFAULT_MIN_SCORE of the locator; peers get the same threshold
NEG_SOURCES = 5  # sources each negative is tried against, for the peers


def ensure_venv():
    """Re-run this script inside bench/.venv, creating it (rapidfuzz, edlib) if needed."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not VENV_PY.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    ok = subprocess.run([str(VENV_PY), "-c", "import rapidfuzz, edlib"],
                        capture_output=True).returncode == 0
    if not ok:
        subprocess.run([str(VENV_PY), "-m", "pip", "install", "-q", "rapidfuzz", "edlib"],
                       check=True)
    os.execv(str(VENV_PY), [str(VENV_PY), str(Path(__file__).resolve())] + sys.argv[1:])


def read_jsonl(p):
    with open(p, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_eval(binary, corpus, qset, pred, pairs=None):
    cmd = [str(binary), str(corpus), str(qset), str(pred)]
    if pairs:
        cmd += ["--pairs", str(pairs)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    stats = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                stats[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return stats, out


def expected_class_verdict(cls):
    if cls.startswith("neg_"):
        return "not_found"
    return "verified" if cls in VERIFIED_CLASSES else "approximate"


def peer_verdict(score, exact):
    if exact:
        return "verified"
    return "approximate" if score >= MIN_SCORE else "not_found"


def edlib_align(edlib, q, text):
    """edlib HW alignment; edlib takes at most 256 distinct characters, so on overflow the
    text characters absent from the quote (they can only mismatch) become one placeholder
    (same length, same offsets)."""
    try:
        return edlib.align(q, text, mode="HW", task="path")
    except ValueError:
        alpha = set(q)
        pad = next(chr(c) for c in range(1, 0x10FFFF) if chr(c) not in alpha)
        t2 = "".join(c if c in alpha else pad for c in text)
        return edlib.align(q, t2, mode="HW", task="path")


def run_peers(items, texts, make_set):
    """Each peer on each quote: (verdict, source, start, end) and summed time per pair."""
    from rapidfuzz import fuzz
    import edlib

    strict_keys = {}

    def skey(i):
        if i not in strict_keys:
            strict_keys[i] = make_set.key_with_map(texts[i], loose=False)
        return strict_keys[i]

    rng = random.Random(7)
    results = {"rapidfuzz": {}, "edlib_raw": {}, "edlib_keys": {}}
    timing = {k: [0.0, 0] for k in results}
    for it in items:
        if it["source"] is not None:
            srcs = [it["source"]]
        else:
            m = re.search(r"vs its article (\d+)", it["detail"])
            srcs = [int(m.group(1))] if m else []
            while len(srcs) < NEG_SOURCES:
                srcs.append(rng.randrange(len(texts)))
        q = it["quote"]
        qk, _ = make_set.key_with_map(q, loose=False)
        best = {k: None for k in results}
        for s in srcs:
            text = texts[s]
            tk, tmap = skey(s)
            t0 = time.perf_counter()
            r = fuzz.partial_ratio_alignment(q, text)
            t1 = time.perf_counter()
            e = edlib_align(edlib, q, text)
            t2 = time.perf_counter()
            ek = edlib_align(edlib, qk, tk) if qk and tk else None
            t3 = time.perf_counter()
            for name, dt in (("rapidfuzz", t1 - t0), ("edlib_raw", t2 - t1),
                             ("edlib_keys", t3 - t2)):
                timing[name][0] += dt
                timing[name][1] += 1
            cands = {
                "rapidfuzz": (r.score / 100, r.score == 100, s, r.dest_start, r.dest_end),
                "edlib_raw": (1 - e["editDistance"] / max(1, len(q)), e["editDistance"] == 0, s,
                              e["locations"][0][0], e["locations"][0][1] + 1),
            }
            if ek is not None and ek["locations"] and ek["locations"][0][0] is not None:
                a, b = ek["locations"][0]
                cands["edlib_keys"] = (1 - ek["editDistance"] / len(qk), ek["editDistance"] == 0,
                                       s, tmap[a], tmap[b] + 1)
            for name, c in cands.items():
                if best[name] is None or c[0] > best[name][0]:
                    best[name] = c
        for name, c in best.items():
            if c is None:
                results[name][it["id"]] = ("not_found", None, 0, 0)
                continue
            v = peer_verdict(c[0], c[1])
            results[name][it["id"]] = (v, c[2] if v != "not_found" else None, c[3], c[4])
    per_pair = {k: (v[0] / v[1] * 1e6 if v[1] else 0.0) for k, v in timing.items()}
    return results, per_pair


def score(items, preds):
    """Per class: n, verdict accuracy, found (any match at the right source), exact spans,
    false positives (negatives)."""
    rows = {}
    for it in items:
        p = preds.get(it["id"])
        cls = it["class"]
        r = rows.setdefault(cls, {"n": 0, "verdict": 0, "found": 0, "span": 0, "fp": 0})
        r["n"] += 1
        if p is None:
            continue
        verdict, source, start, end = p
        if it["source"] is None:
            if verdict == "not_found":
                r["verdict"] += 1
            if verdict in ("verified", "approximate"):
                r["fp"] += 1
            continue
        at_source = source == it["source"]
        if at_source and verdict in ("verified", "approximate"):
            r["found"] += 1
        if at_source and verdict == it["verdict"]:
            r["verdict"] += 1
        if at_source and [start, end] == it["span"]:
            r["span"] += 1
    return rows


def pct(a, n):
    return f"{100 * a / n:.1f}%" if n else "–"


def main():
    ensure_venv()
    ap = argparse.ArgumentParser()
    ap.add_argument("--truth")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--pairs", type=int, default=1000, help="quote × single article timings")
    args = ap.parse_args()

    gen = [sys.executable, str(HERE / "make_set.py")]
    if args.truth:
        gen += ["--truth", args.truth]
    if args.seed is not None:
        gen += ["--seed", str(args.seed)]
    subprocess.run(gen, check=True)

    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "locate_eval"],
                   cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    binary = target / "release" / "examples" / "locate_eval"

    corpus = HERE / "corpus.json"
    qset = HERE / "set.jsonl"
    texts = json.loads(corpus.read_text(encoding="utf-8"))
    items = read_jsonl(qset)
    st, _ = run_eval(binary, corpus, qset, HERE / "pred.jsonl", pairs=args.pairs)
    st1k, _ = run_eval(binary, HERE / "corpus1000.json", HERE / "set1000.jsonl",
                       HERE / "pred1000.jsonl")
    preds = {p["id"]: (p["verdict"], p["source"], p["start"], p["end"])
             for p in read_jsonl(HERE / "pred.jsonl")}
    preds1k = {p["id"]: (p["verdict"], p["source"], p["start"], p["end"])
               for p in read_jsonl(HERE / "pred1000.jsonl")}
    full_preds = {p["id"]: p for p in read_jsonl(HERE / "pred.jsonl")}

    ours = score(items, preds)
    peers, peer_time = {}, {}
    if not args.no_peers:
        sys.path.insert(0, str(HERE))
        import make_set
        pres, peer_time = run_peers(items, texts, make_set)
        peers = {k: score(items, v) for k, v in pres.items()}

    classes = list(dict.fromkeys(it["class"] for it in items))
    names = ["ours"] + list(peers)
    tables = {"ours": ours, **peers}
    head = ["class", "n", "expected"]
    for nm in names:
        head += [f"{nm} verdict", f"{nm} span"] if nm != "ours" else [
            "ours verdict", "ours found", "ours span", "ours FP"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def row(label, cls_list):
        n = sum(tables["ours"][c]["n"] for c in cls_list)
        neg = all(c.startswith("neg_") for c in cls_list)
        exp = expected_class_verdict(cls_list[0]) if len(
            {expected_class_verdict(c) for c in cls_list}) == 1 else "mixed"
        cells = [label, str(n), exp]
        for nm in names:
            t = tables[nm]
            v = sum(t[c]["verdict"] for c in cls_list)
            sp = sum(t[c]["span"] for c in cls_list)
            fp = sum(t[c]["fp"] for c in cls_list)
            fd = sum(t[c]["found"] for c in cls_list)
            if nm == "ours":
                cells += [pct(v, n), "–" if neg else pct(fd, n), "–" if neg else pct(sp, n),
                          str(fp) if neg else "–"]
            else:
                cells += [pct(v, n) + (f" ({fp} FP)" if neg else ""), "–" if neg else pct(sp, n)]
        return "| " + " | ".join(cells) + " |"

    for c in classes:
        lines.append(row(c, [c]))
    pos = [c for c in classes if not c.startswith("neg_")]
    neg = [c for c in classes if c.startswith("neg_")]
    edits = [c for c in classes if c.startswith("edit_")]
    lines.append(row("**all edits (≤10%)**", edits))
    lines.append(row("**all positives**", pos))
    lines.append(row("**all negatives**", neg))
    table = "\n".join(lines)

    acc1k = score([it for it in read_jsonl(HERE / "set1000.jsonl")], preds1k)
    n1k = sum(r["n"] for r in acc1k.values())
    ok1k = sum(r["verdict"] for r in acc1k.values())
    tim = [
        "| measure | value |", "|---|---|",
        f"| corpus | {len(texts)} articles, {sum(map(len, texts)):,} chars |",
        f"| ours: build (once) | {st['build_ms']:.1f} ms |",
        f"| ours: locate, per quote over the whole corpus | mean {st['locate_per_quote_mean_us']:.0f} µs, "
        f"median {st['locate_per_quote_median_us']:.0f} µs, p99 {st['locate_per_quote_p99_us']:.0f} µs, "
        f"max {st['locate_per_quote_max_us']:.0f} µs |",
        f"| ours: per quote × article pair, amortised over the corpus | "
        f"{st['locate_per_pair_amortised_us']:.2f} µs |",
    ]
    if "pair_locate_mean_us" in st:
        tim.append(f"| ours: one quote × one article (corpus of 1; {int(st['pairs'])} pairs) | "
                   f"locate mean {st['pair_locate_mean_us']:.0f} µs, median "
                   f"{st['pair_locate_median_us']:.0f} µs (+ build {st['pair_build_median_us']:.0f} µs) |")
    for nm, us in peer_time.items():
        tim.append(f"| {nm}: per quote × article pair | {us:.0f} µs |")
    n_big = len(json.loads((HERE / "corpus1000.json").read_text(encoding="utf-8")))
    tim.append(f"| ours: {n1k:,} quotes × {n_big:,} articles | build {st1k['build_ms']:.0f} ms "
               f"+ locate {st1k['locate_total_ms']:.0f} ms; verdicts right {pct(ok1k, n1k)} |")
    timing = "\n".join(tim)

    targets = []
    def chk(name, ok, val):
        targets.append(f"- [{'x' if ok else ' '}] {name}: {val}")
    for c in ("typography", "split"):
        r = ours[c]
        chk(f"{c}: 100% verified", r["verdict"] == r["n"], pct(r["verdict"], r["n"]))
    fd = sum(ours[c]["found"] for c in edits)
    ne = sum(ours[c]["n"] for c in edits)
    chk("≤10% word edits: recall ≥ 99%", fd >= 0.99 * ne, pct(fd, ne))
    fp = sum(ours[c]["fp"] for c in neg)
    chk("negatives: 0 false matches", fp == 0, f"{fp} of {sum(ours[c]['n'] for c in neg)}")
    sp = sum(ours[c]["span"] for c in pos)
    npos = sum(ours[c]["n"] for c in pos)
    chk("spans exact (all positives)", sp == npos, pct(sp, npos))
    if peer_time and "pair_locate_mean_us" in st:
        ratio = peer_time["rapidfuzz"] / st["pair_locate_mean_us"]
        chk("≥ 10× faster per pair than rapidfuzz (one quote × one article)", ratio >= 10,
            f"{ratio:.1f}× (amortised over the corpus: "
            f"{peer_time['rapidfuzz'] / st['locate_per_pair_amortised_us']:.0f}×)")
    t1k = (st1k["build_ms"] + st1k["locate_total_ms"]) / 1000
    chk(f"{n1k:,} quotes × {n_big:,} articles < 2 s", t1k < 2, f"{t1k:.2f} s (build + locate)")

    cmd = "python3 bench/locate/run.py" + "".join(f" {a}" for a in sys.argv[1:])
    report = (f"# Quote location benchmark\n\n{datetime.date.today().isoformat()}, "
              f"`{cmd}`\n\n"
              "Verdict = expected verdict at the expected source (negatives: `not_found`); "
              "found = verified or approximate at the expected source; span = [start, end) "
              "equal to the expected character span; FP = negatives given verified/approximate. "
              f"Peers: verdict by threshold (score 100 / d = 0 → verified, ≥ {MIN_SCORE:.2f} → "
              f"approximate), run on the quote × true-source pair (negatives: against "
              f"{NEG_SOURCES} sources incl. the origin article). edlib_keys = edlib on "
              "normalised keys (diacritics kept), span mapped back to the raw text.\n\n"
              f"{table}\n\n## Timing\n\n{timing}\n\n## Targets\n\n" + "\n".join(targets) + "\n")
    print(report)
    (HERE / "RESULTS.md").write_text(report, encoding="utf-8")

    # Failures of our locator, for inspection.
    with open(HERE / "failures.jsonl", "w", encoding="utf-8") as f:
        for it in items:
            p = full_preds.get(it["id"])
            if p is None:
                continue
            ok = (p["verdict"] == it["verdict"] and
                  (it["source"] is None or (p["source"] == it["source"]
                                            and [p["start"], p["end"]] == it["span"])))
            if not ok:
                exp = ""
                if it["source"] is not None:
                    s, e = it["span"]
                    exp = texts[it["source"]][s:e]
                got = ""
                if p["source"] is not None:
                    got = texts[p["source"]][p["start"]:p["end"]]
                f.write(json.dumps({"item": it, "pred": p, "expected_text": exp,
                                    "got_text": got}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
