#!/usr/bin/env python3
"""Build the quote-location perturbation set from real article text (stdlib only).

Sources: the article bodies of the public article-extraction benchmark (`--truth`, default
`$CITECHECK_BENCH/article-extraction/ground-truth.json`; bench/README.md says where the set
comes from) plus the Dutch fixture articles (tests/fixtures/site/ground-truth.json).
A few articles are held out of the corpus; sentences from them are negatives.

Writes (into `--out`, default bench/locate/):
  corpus.json        list of article texts (the split class modifies its articles' copies)
  corpus_meta.json   id, url, language and the split insertions per corpus text
  set.jsonl          one quote per line: id, class, detail, quote, source (index or null),
                     span [start, end) in characters of corpus[source], verdict
  corpus1000.json    1,000 texts for the scale timing: the corpus first (same indices),
                     then word-substituted copies of it
  set1000.jsonl      1,000 quotes sampled from set.jsonl, for the scale timing

Classes (expected verdict):
  typography   quote marks (curly/straight/„”/«»), apostrophes, NBSP, soft hyphens,
               ligatures, case                                       verified
  linebreak    line breaks for spaces, one word split `ant-\\nwoord`  verified
  split        the source copy gets an attribution inside the quote:
               `‘part one,’ zegt Jan de Vries. ‘part two’`           verified
  ellipsis     the quote skips >= 3 middle words, marked … ... (…) […] verified
  edit_changed / edit_dropped / edit_added / edit_mixed
               1-3 interior word edits, <= 10% of the quote's words   approximate
  accent       accents removed from 1-2 words (texts with accents)   approximate
  neg_nearmiss a corpus sentence with ~half its words replaced        not_found
  neg_heldout  a sentence from an article not in the corpus          not_found
  neg_shuffled a corpus sentence with its words shuffled              not_found

Every positive quote's word sequence occurs exactly once in the whole corpus, so its
source and span are unambiguous. Negatives are checked with a semi-global edit distance
(Myers, big-int bit-vectors) to score below NEG_MAX_SCORE against their origin article.
"""

import argparse
import os
import json
import random
import re
import sys
import unicodedata
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DUTCH_TRUTH = REPO / "tests" / "fixtures" / "site" / "ground-truth.json"
BENCH_CANDIDATES = [
    Path(os.environ.get("CITECHECK_BENCH", ".")) / "article-extraction" / "ground-truth.json",
]

NEG_MAX_SCORE = 0.70  # negatives must stay well below DEFAULT_MIN_SCORE = 0.80

QUOTE_MARKS = set("‘’‚‛“”„‟«»‹›'\"`´′″")
DASHES = set("-‐‑‒–—−")
DELETE = set("\u00ad\u200b\u200c\u200d\ufeff")


# ---------------------------------------------------------------- normalisation (approx.)

def key_with_map(s, loose=True):
    """Approximation of the locator's key (docs/matching.md §2): lower case, NFKC, diacritics
    dropped when loose, quote marks and punctuation deleted, dash plus following white
    space deleted, white space collapsed. Returns (key, map key index -> char index)."""
    out, mp = [], []
    skip_ws = False
    for i, ch in enumerate(s):
        if ch in DELETE:
            continue
        nf = unicodedata.normalize("NFKC", ch).lower()
        if loose:
            nf = "".join(c for c in unicodedata.normalize("NFD", nf)
                         if unicodedata.category(c) != "Mn")
        for c in nf:
            if c.isspace():
                if skip_ws:
                    continue
                if out and out[-1] != " ":
                    out.append(" ")
                    mp.append(i)
            elif c in DASHES:
                skip_ws = True
                continue
            elif c.isalnum() or (not loose and unicodedata.category(c) == "Mn"):
                out.append(c)
                mp.append(i)
                skip_ws = False
            else:
                continue
    while out and out[-1] == " ":
        out.pop()
        mp.pop()
    return "".join(out), mp


def words_key(s):
    return " ".join(re.findall(r"\w+", strip_accents(s.lower())))


def strip_accents(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def myers_best(p, t):
    """Smallest semi-global edit distance of pattern p anywhere in t (Myers 1999, big ints)."""
    m = len(p)
    if m == 0:
        return 0
    peq = {}
    for i, c in enumerate(p):
        peq[c] = peq.get(c, 0) | (1 << i)
    full = (1 << m) - 1
    top = 1 << (m - 1)
    pv, mv, score, best = full, 0, m, m
    for c in t:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        if ph & top:
            score += 1
        elif mh & top:
            score -= 1
        ph = (ph << 1) & full
        mh = (mh << 1) & full
        pv = mh | (~(xv | ph) & full)
        mv = ph & xv
        if score < best:
            best = score
    return best


def best_score(quote, text):
    q, _ = key_with_map(quote, loose=False)
    t, _ = key_with_map(text, loose=False)
    if not q:
        return 0.0
    return 1 - myers_best(q, t) / len(q)


# ---------------------------------------------------------------- tokens

TOKEN = re.compile(r"\S+")


def tokens(text):
    """(core_start, core_end) of each white-space token whose core (edges stripped of
    non-alphanumerics) is non-empty, per line."""
    lines = []
    pos = 0
    for line in text.split("\n"):
        toks = []
        for m in TOKEN.finditer(line):
            a, b = m.start(), m.end()
            w = m.group()
            while a < b and not w[a - m.start()].isalnum():
                a += 1
            while b > a and not w[b - 1 - m.start()].isalnum():
                b -= 1
            if a < b:
                toks.append((pos + a, pos + b))
        if toks:
            lines.append(toks)
        pos += len(line) + 1
    return lines


def is_dutch(text):
    w = re.findall(r"\w+", text.lower())
    nl = sum(x in ("de", "het", "een", "van", "en", "niet") for x in w)
    en = sum(x in ("the", "and", "of", "to", "is", "not") for x in w)
    return nl > en


# ---------------------------------------------------------------- loading

def load_articles(truth_path):
    arts = []
    shared = json.loads(Path(truth_path).read_text(encoding="utf-8"))
    for k in sorted(shared):
        t = shared[k].get("articleBody") or ""
        n = len(TOKEN.findall(t))
        if n < 40 or len(t) / n > 9:  # too short, or CJK without spaces
            continue
        arts.append({"id": k, "url": shared[k].get("url", ""), "text": t, "set": "shared"})
    dutch = json.loads(DUTCH_TRUTH.read_text(encoding="utf-8"))
    for k in sorted(dutch):
        t = dutch[k].get("articleBody") or ""
        arts.append({"id": k, "url": dutch[k].get("url", ""), "text": t, "set": "dutch"})
    for a in arts:
        a["dutch"] = a["set"] == "dutch" or is_dutch(a["text"])
    return arts


# ---------------------------------------------------------------- split insertions

ATTR_NL = [
    "zegt Jan de Vries", "aldus wethouder Pieters", "zegt directeur Anne Jansen",
    "vertelt projectleider Van der Berg", "zo stelt burgemeester De Wit",
    "benadrukt hoogleraar Bakker",
]
ATTR_EN = [
    "says John Smith", "said the minister", "says director Anne Jansen",
    "said spokeswoman Maria Lopez",
]
OPEN_CLOSE = [("‘", "’"), ("“", "”"), ("„", "”")]


def plan_splits(rng, art, n_sites):
    """Choose split sites in an article: (tok_start, tok_end, split_tok, line) indices."""
    text = art["text"]
    lines = tokens(text)
    sites = []
    used = []
    tries = 0
    while len(sites) < n_sites and tries < 200:
        tries += 1
        li = rng.randrange(len(lines))
        toks = lines[li]
        if len(toks) < 10:
            continue
        n = rng.randint(10, min(32, len(toks)))
        i = rng.randrange(len(toks) - n + 1)
        j = i + n
        cands = [k for k in range(i + 4, j - 3)
                 if re.fullmatch(r"[,.;:]?[ \t]+", text[toks[k - 1][1]:toks[k][0]])]
        if not cands:
            continue
        k = rng.choice(cands)
        s, e = toks[i][0], toks[j - 1][1]
        if any(not (e + 40 < a or b + 40 < s) for a, b in used):
            continue
        # the characters next to the span must not be letters glued to a quote mark
        used.append((s, e))
        sites.append((s, e, toks[k - 1][1], toks[k][0]))
    return sorted(sites)


def apply_splits(rng, art, sites):
    """Insert the attributions; return new text, [(orig_quote, new_span, attribution)]."""
    text = art["text"]
    out = []
    pos = 0
    results = []
    for s, e, k_end, k_start in sites:
        o, c = rng.choice(OPEN_CLOSE)
        if art["dutch"] or rng.random() < 0.25:
            attr = rng.choice(ATTR_NL)
        else:
            attr = rng.choice(ATTR_EN)
        out.append(text[pos:s])
        new_start = sum(len(x) for x in out) + len(o)
        piece = o + text[s:k_end] + "," + c + " " + attr + ". " + o + text[k_start:e] + c
        out.append(piece)
        new_end = new_start + len(piece) - len(o) - len(c)
        results.append({"quote": text[s:e], "span": (new_start, new_end), "attr": attr,
                        "head": text[s:k_end], "tail": text[k_start:e]})
        pos = e
    out.append(text[pos:])
    new = "".join(out)
    for r in results:
        got = new[r["span"][0]:r["span"][1]]
        assert got.startswith(r["head"]) and got.endswith(r["tail"]), (got, r)
    return new, results


# ---------------------------------------------------------------- perturbations

WRAPS = [("“", "”"), ('"', '"'), ("„", "”"), ("‘", "’"), ("'", "'"), ("«", "»"), ("", "")]


def wrap(rng, q):
    o, c = rng.choice(WRAPS)
    return o + q + c


def typography(rng, q):
    ops = rng.sample(["marks", "apostrophe", "nbsp", "shy", "case", "ligature", "dquotes"],
                     rng.randint(2, 4))
    applied = []
    for op in ops:
        if op == "marks":
            q = wrap(rng, q)
        elif op == "apostrophe" and ("’" in q or "'" in q):
            q = q.replace("’", "\0").replace("'", "’").replace("\0", "'")
        elif op == "dquotes" and any(c in q for c in "“”\""):
            q = re.sub("[“”]", '"', q) if rng.random() < 0.5 else re.sub('"', "”", q)
        elif op == "nbsp" and " " in q:
            idx = [i for i, c in enumerate(q) if c == " "]
            for i in rng.sample(idx, max(1, len(idx) // 3)):
                q = q[:i] + rng.choice("\u00a0\u202f\u2009") + q[i + 1:]
        elif op == "shy":
            ms = [m for m in re.finditer(r"[^\W\d_]{7,}", q)]
            if not ms:
                continue
            for m in sorted(rng.sample(ms, min(len(ms), rng.randint(1, 3))),
                            key=lambda m: -m.start()):
                cut = m.start() + rng.randint(2, len(m.group()) - 2)
                q = q[:cut] + "\u00ad" + q[cut:]
        elif op == "case":
            mode = rng.choice(["lower", "upper", "title"])
            new = {"lower": q.lower(), "upper": q.upper(), "title": q.title()}[mode]
            if len(new) != len(q) or new.lower() != q.lower():
                continue
            q = new
            op = "case-" + mode
        elif op == "ligature" and re.search("fi|fl", q):
            q = q.replace("fi", "ﬁ").replace("fl", "ﬂ")
        else:
            continue
        applied.append(op)
    return q, applied


def linebreaks(rng, q):
    applied = []
    idx = [i for i, c in enumerate(q) if c == " "]
    mode = rng.choice(["both", "both", "hyphen", "newline"])
    if mode in ("both", "newline") and idx:
        for i in sorted(rng.sample(idx, min(len(idx), rng.randint(1, 3))), reverse=True):
            q = q[:i] + rng.choice(["\n", "\n", " \n", "\r\n"]) + q[i + 1:]
        applied.append("newline")
    ms = [m for m in re.finditer(r"(?<![\w-])[^\W\d_]{6,}(?![\w-])", q)]
    if mode in ("both", "hyphen") and ms:
        m = rng.choice(ms)
        cut = m.start() + rng.randint(2, len(m.group()) - 2)
        q = q[:cut] + rng.choice(["-\n", "- ", "-\r\n"]) + q[cut:]
        applied.append("hyphen-break")
    return q, applied


def similar_word(rng, vocab_by_len, word):
    lw = strip_accents(word.lower())
    for _ in range(50):
        L = max(2, len(word) + rng.randint(-2, 2))
        cands = vocab_by_len.get(L)
        if not cands:
            continue
        w = rng.choice(cands)
        if strip_accents(w.lower()) != lw:
            return w
    return None


def edit_quote(rng, text, toks, kind, n_edits, vocab_by_len):
    """Apply interior word edits to tokens[i..j); return the quote text and the edit list."""
    parts = []  # list of (core text, separator after)
    for t, (a, b) in enumerate(toks):
        sep = text[b:toks[t + 1][0]] if t + 1 < len(toks) else ""
        parts.append([text[a:b], sep])
    interior = list(range(1, len(parts) - 1))
    chosen = sorted(rng.sample(interior, n_edits), reverse=True)
    edits = []
    kinds = [kind] * n_edits if kind != "mixed" else [rng.choice(["changed", "dropped", "added"])
                                                      for _ in range(n_edits)]
    for pos, k in zip(chosen, kinds):
        if k == "changed":
            w = similar_word(rng, vocab_by_len, parts[pos][0])
            if w is None:
                return None
            edits.append(f"changed {parts[pos][0]!r}->{w!r}")
            parts[pos][0] = w
        elif k == "dropped":
            edits.append(f"dropped {parts[pos][0]!r}")
            parts[pos - 1][1] = parts[pos - 1][1] if parts[pos - 1][1].strip() else parts[pos][1]
            del parts[pos]
        else:
            w = similar_word(rng, vocab_by_len, "x" * rng.randint(3, 7))
            if w is None:
                return None
            edits.append(f"added {w!r}")
            parts.insert(pos, [w, " "])
    return "".join(a + b for a, b in parts), edits


# ---------------------------------------------------------------- main generation

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--truth", help="shared ground-truth.json (article bodies)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent))
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--scale", type=int, default=1000, help="texts in corpus1000.json")
    args = ap.parse_args()
    truth = Path(args.truth) if args.truth else next((p for p in BENCH_CANDIDATES if p.exists()),
                                                     None)
    if truth is None or not truth.exists():
        sys.exit("shared ground-truth.json not found; pass --truth")
    rng = random.Random(args.seed)
    arts = load_articles(truth)

    # Hold out articles (negatives from articles that are not in the corpus).
    shared = [a for a in arts if a["set"] == "shared"]
    dutch = [a for a in arts if a["set"] == "dutch"]
    held = set(a["id"] for a in rng.sample(shared, 18) + rng.sample(dutch, 2))
    corpus = [a for a in arts if a["id"] not in held]
    heldout = [a for a in arts if a["id"] in held]

    records = []

    def add(cls, detail, quote, source, span, verdict):
        records.append({"id": f"{cls}-{len(records):05d}", "class": cls, "detail": detail,
                        "quote": quote, "source": source, "span": list(span) if span else None,
                        "verdict": verdict})

    # 1. Split sites: modify copies of the corpus articles first.
    split_items = []
    for ci, a in enumerate(corpus):
        n = 3 if a["set"] == "dutch" else 2
        sites = plan_splits(rng, a, n)
        new, res = apply_splits(rng, a, sites)
        a["orig_text"] = a["text"]
        a["text"] = new
        a["splits"] = res
        for r in res:
            split_items.append((ci, r))
    texts = [a["text"] for a in corpus]
    protected = [[tuple(r["span"]) for r in a["splits"]] for a in corpus]

    # Uniqueness: the word sequence of every positive must occur once in the corpus.
    # Checked against the texts as modified and as they were, so that no quote is also
    # held, split by an inserted attribution, by another text.
    big = "\x00" + "\x00".join(" " + words_key(t) + " " for t in texts) + "\x00"
    big_orig = "\x00" + "\x00".join(" " + words_key(a["orig_text"]) + " " for a in corpus)

    def unique(q):
        k = " " + words_key(q) + " "
        return len(k) > 2 and big.count(k) == 1 and big_orig.count(k) == 1

    for ci, r in split_items:
        k = " " + words_key(r["quote"]) + " "
        if not (unique(r["head"]) and unique(r["tail"]) and big_orig.count(k) == 1):
            continue
        q = r["quote"]
        if rng.random() < 0.5:
            q = wrap(rng, q)
        add("split", r["attr"], q, ci, r["span"], "verified")

    lines_of = [tokens(t) for t in texts]
    vocab = {}
    for t in texts:
        for w in re.findall(r"[^\W\d_]{2,}", t):
            vocab[w.lower()] = vocab.get(w.lower(), 0) + 1
    # Replacement words come from the same article (same language and topic).
    art_vocab = []
    for t in texts:
        by_len = {}
        for w in sorted(set(x.lower() for x in re.findall(r"[^\W\d_]{2,}", t))):
            by_len.setdefault(len(w), []).append(w)
        art_vocab.append(by_len)

    def cut(ci, min_w, max_w, need=None):
        """A random token range [i, j) of a line of corpus text ci, clear of split sites."""
        for _ in range(100):
            lines = lines_of[ci]
            toks = rng.choice(lines)
            if len(toks) < min_w:
                continue
            n = rng.randint(min_w, min(max_w, len(toks)))
            i = rng.randrange(len(toks) - n + 1)
            sel = toks[i:i + n]
            s, e = sel[0][0], sel[-1][1]
            if any(not (e + 5 < a or b + 5 < s) for a, b in protected[ci]):
                continue
            if need and not need(texts[ci][s:e]):
                continue
            if not unique(texts[ci][s:e]):
                continue
            return sel, s, e
        return None

    def pick_source(dutch_share=0.35):
        if rng.random() < dutch_share:
            return rng.choice([i for i, a in enumerate(corpus) if a["set"] == "dutch"])
        return rng.randrange(len(corpus))

    # 2. Typography.
    while sum(r["class"] == "typography" for r in records) < 450:
        ci = pick_source()
        c = cut(ci, 5, 35)
        if not c:
            continue
        _, s, e = c
        q, ops = typography(rng, texts[ci][s:e])
        if not ops:
            continue
        add("typography", "+".join(ops), q, ci, (s, e), "verified")

    # 3. Line breaks.
    while sum(r["class"] == "linebreak" for r in records) < 300:
        ci = pick_source()
        c = cut(ci, 6, 35)
        if not c:
            continue
        _, s, e = c
        q, ops = linebreaks(rng, texts[ci][s:e])
        if not ops:
            continue
        if rng.random() < 0.3:
            q = wrap(rng, q)
        add("linebreak", "+".join(ops), q, ci, (s, e), "verified")

    # 4. Ellipsis.
    markers = [" … ", " ... ", " (…) ", " […] ", "… ", " (...) "]
    while sum(r["class"] == "ellipsis" for r in records) < 300:
        ci = pick_source()
        c = cut(ci, 12, 45)
        if not c:
            continue
        sel, s, e = c
        n = len(sel)
        a = rng.randint(4, n - 7)
        b = rng.randint(a + 3, n - 4)
        p1 = texts[ci][s:sel[a - 1][1]]
        p2 = texts[ci][sel[b][0]:e]
        if sel[b][0] - sel[a - 1][1] > 450:
            continue
        if not (unique(p1) and unique(p2)):
            continue
        mk = rng.choice(markers)
        q = p1 + mk + p2
        if rng.random() < 0.3:
            q = wrap(rng, q)
        add("ellipsis", f"{b - a} words skipped, marker {mk.strip()!r}", q, ci, (s, e), "verified")

    # 5. Word edits (<= 10% of the words, interior only).
    for kind, target in [("changed", 200), ("dropped", 200), ("added", 200), ("mixed", 150)]:
        cls = "edit_" + kind
        while sum(r["class"] == cls for r in records) < target:
            ci = pick_source()
            n_edits = rng.choice([1, 1, 2, 2, 3]) if kind != "mixed" else rng.choice([2, 3])
            c = cut(ci, 10 * n_edits, max(10 * n_edits + 10, 40))
            if not c:
                continue
            sel, s, e = c
            r = edit_quote(rng, texts[ci], sel, kind, n_edits, art_vocab[ci])
            if r is None:
                continue
            q, edits = r
            if rng.random() < 0.3:
                q = wrap(rng, q)
            sc = best_score(q, texts[ci][max(0, s - 50):e + 50])
            add(cls, f"{len(edits)}/{len(sel)} words: " + "; ".join(edits)
                + f"; key score {sc:.3f}", q, ci, (s, e), "approximate")

    # 6. Accents (only texts with accented letters).
    def has_accent(s):
        return any(unicodedata.normalize("NFD", ch) != ch and ch.isalpha()
                   and "LATIN" in unicodedata.name(ch, "") for ch in s)

    accent_srcs = [i for i, t in enumerate(texts) if has_accent(t)]
    tries = 0
    while sum(r["class"] == "accent" for r in records) < 150 and tries < 20000:
        tries += 1
        ci = rng.choice(accent_srcs)
        c = cut(ci, 6, 35, need=has_accent)
        if not c:
            continue
        _, s, e = c
        q = texts[ci][s:e]
        ws = [m for m in re.finditer(r"\w+", q) if has_accent(m.group())]
        chosen = rng.sample(ws, min(len(ws), rng.randint(1, 2)))
        for m in sorted(chosen, key=lambda m: -m.start()):
            q = q[:m.start()] + unicodedata.normalize("NFC", strip_accents(m.group())) + q[m.end():]
        if rng.random() < 0.3:
            q = wrap(rng, q)
        add("accent", "unaccented " + ", ".join(repr(m.group()) for m in chosen), q, ci, (s, e),
            "approximate")

    # 7. Negatives.
    def corpus_trigrams():
        tg = set()
        for t in texts:
            w = words_key(t).split()
            tg.update(zip(w, w[1:], w[2:]))
        return tg

    ctg = corpus_trigrams()
    while sum(r["class"] == "neg_nearmiss" for r in records) < 400:
        ci = pick_source()
        c = cut(ci, 10, 30)
        if not c:
            continue
        sel, s, e = c
        parts = []
        for t, (a, b) in enumerate(sel):
            sep = texts[ci][b:sel[t + 1][0]] if t + 1 < len(sel) else ""
            parts.append([texts[ci][a:b], sep])
        for pos in rng.sample(range(len(parts)), (len(parts) + 1) // 2):
            w = similar_word(rng, art_vocab[ci], parts[pos][0])
            if w:
                parts[pos][0] = w
        q = "".join(a + b for a, b in parts)
        sc = best_score(q, texts[ci])
        if sc > NEG_MAX_SCORE:
            continue
        add("neg_nearmiss", f"{(len(parts) + 1) // 2}/{len(parts)} words replaced; key score "
            f"{sc:.3f} vs its article {ci}", wrap(rng, q) if rng.random() < 0.3 else q,
            None, None, "not_found")

    held_lines = [(a, tokens(a["text"])) for a in heldout]
    while sum(r["class"] == "neg_heldout" for r in records) < 400:
        a, lines = rng.choice(held_lines)
        toks = rng.choice(lines)
        if len(toks) < 8:
            continue
        n = rng.randint(8, min(30, len(toks)))
        i = rng.randrange(len(toks) - n + 1)
        q = a["text"][toks[i][0]:toks[i + n - 1][1]]
        w = words_key(q).split()
        tg = list(zip(w, w[1:], w[2:]))
        shared_tg = sum(t in ctg for t in tg)
        if not tg or shared_tg / len(tg) > 0.2:
            continue
        add("neg_heldout", f"from held-out {a['id'][:16]}; {shared_tg}/{len(tg)} trigrams in "
            "corpus", wrap(rng, q) if rng.random() < 0.3 else q, None, None, "not_found")

    while sum(r["class"] == "neg_shuffled" for r in records) < 300:
        ci = pick_source()
        c = cut(ci, 10, 30)
        if not c:
            continue
        sel, s, e = c
        ws = [texts[ci][a:b] for a, b in sel]
        rng.shuffle(ws)
        q = " ".join(ws)
        sc = best_score(q, texts[ci])
        if sc > NEG_MAX_SCORE:
            continue
        add("neg_shuffled", f"{len(ws)} words shuffled; key score {sc:.3f} vs its article {ci}",
            q, None, None, "not_found")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # Sanity: every positive's span must hold its quote's words.
    for r in records:
        if r["source"] is not None:
            s, e = r["span"]
            src = texts[r["source"]][s:e]
            assert src[:1].isalnum() and src[-1:].isalnum(), r
    (out / "corpus.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    meta = [{"id": a["id"], "url": a["url"], "dutch": a["dutch"], "set": a["set"],
             "splits": [{"span": r["span"], "attr": r["attr"]} for r in a["splits"]]}
            for a in corpus]
    (out / "corpus_meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=0),
                                          encoding="utf-8")
    with open(out / "set.jsonl", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    # Scale corpus: the corpus, then copies with content words substituted by words of
    # similar frequency rank (stop words kept), so texts look real but do not repeat.
    ranked = sorted(vocab, key=lambda w: (-vocab[w], w))
    rank = {w: i for i, w in enumerate(ranked)}
    big_texts = list(texts)
    k = 0
    while len(big_texts) < args.scale:
        src = texts[k % len(texts)]
        salt = k + 1

        def sub(m, salt=salt):
            w = m.group()
            r = rank.get(w.lower())
            if r is None or r < 100:
                return w
            h = zlib.crc32(f"{salt}:{w.lower()}".encode())
            r2 = min(len(ranked) - 1, max(100, r + (h % 101) - 50))
            nw = ranked[r2]
            return nw.capitalize() if w[:1].isupper() else nw

        big_texts.append(re.sub(r"[^\W\d_]+", sub, src))
        k += 1
    (out / "corpus1000.json").write_text(json.dumps(big_texts, ensure_ascii=False),
                                         encoding="utf-8")
    sample = random.Random(args.seed + 1).sample(records, min(1000, len(records)))
    with open(out / "set1000.jsonl", "w", encoding="utf-8") as f:
        for r in sample:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    counts = {}
    for r in records:
        counts[r["class"]] = counts.get(r["class"], 0) + 1
    pos = sum(v for c, v in counts.items() if not c.startswith("neg_"))
    print(f"corpus {len(texts)} texts ({sum(map(len, texts))} chars), held out {len(heldout)}; "
          f"{len(records)} quotes: {pos} positive, {len(records) - pos} negative", file=sys.stderr)
    print("  " + ", ".join(f"{c} {n}" for c, n in counts.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
