#!/usr/bin/env python3
"""Prints the crate's module graph and its import cycles.

Every `crate::a::b` path (in `use` lines and inline) and every `super::x` path in a file
under src/ is an edge from that file's module to the module the path names. Test modules
(`#[cfg(test)] mod tests { ... }` at the end of a file) are skipped: a test may reach
anywhere. Modules are compared at the depth given by --depth (1: `http`, 2: `http::fetch`).

    python3 scripts/module_graph.py            # cycles at depth 2, then depth 1
    python3 scripts/module_graph.py --edges    # also every edge

Exit status 1 when a cycle exists at depth 2 (a file-level cycle).
"""

import argparse
import pathlib
import re
import sys

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"
PATH = re.compile(r"\b(crate|super)((?:::[a-z_][a-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super)::\{([^}]*)\}")


def module_of(file: pathlib.Path) -> list[str]:
    parts = list(file.relative_to(SRC).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return parts


def known_modules() -> set[tuple[str, ...]]:
    mods = set()
    for file in SRC.rglob("*.rs"):
        parts = module_of(file)
        for i in range(1, len(parts) + 1):
            mods.add(tuple(parts[:i]))
    return mods


def strip_tests(text: str) -> str:
    cut = re.search(r"^#\[cfg\(test\)\]\s*\n\s*(?:pub(?:\(crate\))? )?mod \w+\s*\{", text, re.M)
    if cut is None:
        cut = re.search(r"^#\[cfg\(test\)\]\s*\n\s*mod \w+;", text, re.M)
    return text[: cut.start()] if cut else text


def strip_comments(text: str) -> str:
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def targets(text: str, here: list[str], mods: set) -> set:
    out = set()
    # Paths inside `use crate::{a::X, b::Y}` groups.
    expanded = []
    for m in GROUP.finditer(text):
        for item in m.group(2).split(","):
            item = item.strip()
            if item:
                expanded.append(f"{m.group(1)}::{item}")
    for path in [m.group(0) for m in PATH.finditer(text)] + expanded:
        segs = path.split("::")
        # `super` is the parent of this file's module (for `a/mod.rs` too: its module is `a`).
        base = [] if segs[0] == "crate" else here[:-1]
        rest = segs[1:]
        # Longest prefix that is a known module.
        best = None
        for i in range(len(rest), 0, -1):
            cand = tuple(base + rest[:i])
            if cand in mods:
                best = cand
                break
        if best is not None:
            out.add(best)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edges", action="store_true")
    args = ap.parse_args()
    mods = known_modules()
    edges: dict[tuple, set] = {}
    for file in sorted(SRC.rglob("*.rs")):
        if file.name in ("main.rs",) and file.parent == SRC:
            continue
        here = module_of(file)
        text = strip_comments(strip_tests(file.read_text(encoding="utf-8")))
        for t in targets(text, here, mods):
            src = tuple(here)
            if t != src and not src[: len(t)] == t and not t[: len(src)] == src:
                edges.setdefault(src, set()).add(t)
    status = 0
    for depth in (2, 1):
        graph: dict[str, set] = {}
        for s, ts in edges.items():
            a = "::".join(s[:depth])
            for t in ts:
                b = "::".join(t[:depth])
                if a != b:
                    graph.setdefault(a, set()).add(b)
        cycles = [c for c in sccs(graph) if len(c) > 1]
        print(f"depth {depth}: {sum(len(v) for v in graph.values())} edges, "
              f"{len(cycles)} cycle(s)")
        for c in cycles:
            print("  cycle: " + " <-> ".join(sorted(c)))
            for a in sorted(c):
                for b in sorted(graph.get(a, ())):
                    if b in c:
                        print(f"    {a} -> {b}")
        if depth == 2 and cycles:
            status = 1
        if args.edges:
            for a in sorted(graph):
                print(f"  {a} -> {', '.join(sorted(graph[a]))}")
    return status


def sccs(graph: dict[str, set]) -> list[set]:
    """Tarjan's strongly connected components."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    nodes = set(graph) | {t for ts in graph.values() for t in ts}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main())
