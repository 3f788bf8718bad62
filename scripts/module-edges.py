#!/usr/bin/env python3
"""Checks the dependency edges between navigli's top-level modules (`make lint`).

An edge `a -> b` is a reference to `crate::b` (a `use crate::b…` line or a `crate::b::…` path)
in the code of module `a` (src/a.rs or src/a/**). Comments, string literals and test code (from a
`#[cfg(test)]` line to the end of its file, where navigli keeps its test modules) do not count.

The allowed edges are the block between the `module-edges` markers of docs/architecture.md. The
check fails when the code has an edge that block does not allow, or when the allowed edges form
a cycle; it prints allowed edges the code no longer uses (not an error). `--print` writes the
code's edges in the block's format.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
DOC = ROOT / "docs" / "architecture.md"
BEGIN, END = "<!-- module-edges:begin -->", "<!-- module-edges:end -->"


def strip(code: str) -> str:
    """The code without comments, string and char literals (kept line for line)."""
    out, i, n = [], 0, len(code)
    while i < n:
        c = code[i]
        if code.startswith("//", i):
            j = code.find("\n", i)
            i = n if j < 0 else j
        elif code.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if code.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif code.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    out.append("\n" if code[i] == "\n" else "")
                    i += 1
        elif c == "r" and re.match(r'r#*"', code[i:i + 8]) and (i == 0 or not (code[i - 1].isalnum() or code[i - 1] == "_")):
            hashes = len(re.match(r'r(#*)"', code[i:]).group(1))
            end = code.find('"' + "#" * hashes, i + 2 + hashes)
            end = n if end < 0 else end + 1 + hashes
            out.append("\n" * code.count("\n", i, end))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and code[j] != '"':
                j += 2 if code[j] == "\\" else 1
            out.append("\n" * code.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", code[i:i + 12]) or (c == "'" and code.startswith("'\\u{", i)):
            j = code.find("'", i + 2)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def module_of(path: pathlib.Path) -> str | None:
    rel = path.relative_to(SRC)
    if len(rel.parts) == 1:
        return None if rel.stem in ("lib", "main") else rel.stem
    return rel.parts[0]


def code_edges() -> dict[tuple[str, str], str]:
    """Every edge of the code, with one place it comes from."""
    edges: dict[tuple[str, str], str] = {}
    for path in sorted(SRC.rglob("*.rs")):
        a = module_of(path)
        if a is None:
            continue
        text = path.read_text(encoding="utf-8")
        test = re.search(r"^\s*#\[cfg\(test\)\]", text, re.M)
        if test:
            text = text[: test.start()]
        code = strip(text)
        for m in re.finditer(r"\bcrate::([a-z_][a-z0-9_]*)", code):
            b = m.group(1)
            if b != a:
                line = code.count("\n", 0, m.start()) + 1
                edges.setdefault((a, b), f"{path.relative_to(ROOT)}:{line}")
        # `use crate::{a, b::c}` groups.
        for m in re.finditer(r"\bcrate::\{([^}]*)\}", code):
            for b in re.findall(r"(?:^|,)\s*([a-z_][a-z0-9_]*)", m.group(1)):
                if b != a:
                    line = code.count("\n", 0, m.start()) + 1
                    edges.setdefault((a, b), f"{path.relative_to(ROOT)}:{line}")
    return edges


def allowed_edges() -> set[tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        sys.exit(f"{DOC}: no {BEGIN} … {END} block")
    block = text.split(BEGIN, 1)[1].split(END, 1)[0]
    allowed = set()
    for line in block.splitlines():
        line = line.strip().strip("`")
        if not line or line.startswith("#") or "->" not in line:
            continue
        a, targets = (s.strip() for s in line.split("->", 1))
        for b in targets.replace(",", " ").split():
            allowed.add((a, b))
    return allowed


def find_cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, [])):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if state.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None


def main() -> int:
    edges = code_edges()
    if "--print" in sys.argv:
        by_source: dict[str, list[str]] = {}
        for a, b in sorted(edges):
            by_source.setdefault(a, []).append(b)
        for a, bs in sorted(by_source.items()):
            print(f"{a} -> {', '.join(bs)}")
        return 0
    allowed = allowed_edges()
    failed = False
    for (a, b), where in sorted(edges.items()):
        if (a, b) not in allowed:
            print(f"forbidden module edge {a} -> {b} ({where}); allowed edges: {DOC.relative_to(ROOT)}")
            failed = True
    cycle = find_cycle(allowed)
    if cycle:
        print(f"the allowed module edges have a cycle: {' -> '.join(cycle)}")
        failed = True
    for a, b in sorted(allowed - set(edges)):
        print(f"note: allowed edge {a} -> {b} is not used")
    if not failed:
        print(f"module edges: {len(edges)} edges between {len({m for e in edges for m in e})} modules, no forbidden edge, no cycle")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
