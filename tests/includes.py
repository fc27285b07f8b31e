#!/usr/bin/env python3
"""includes.py: the include graph of the C sources, as modules, and its cycles.

A module is a source file's name without .c or .h: twh_store.c and twh_store.h are the module
twh_store, and a private header NAME_internal.h belongs to the module NAME.  Module A depends on
module B when a file of A includes a header of B.
Prints TAP: one assertion that the graph has no cycle (each cycle found is named), and one
that every quoted include names a file of the tree (or config.h).
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules(dirs):
    files = {}
    for d in dirs:
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                files[os.path.join(d, name)] = module_of(name)
    return files


def module_of(name):
    stem = name[:-2]
    return stem[:-len("_internal")] if stem.endswith("_internal") else stem


def graph(files):
    known = set(files.values())
    edges, unknown = {}, []
    for path, mod in files.items():
        with open(path, encoding="utf-8") as f:
            for inc in INCLUDE.findall(f.read()):
                target = module_of(os.path.basename(inc)) if inc.endswith(".h") else None
                if target in known:
                    if target != mod:
                        edges.setdefault(mod, set()).add(target)
                elif inc != "config.h":
                    unknown.append("%s: %s" % (path, inc))
    return edges, unknown


def cycles(edges):
    """Each strongly connected component of more than one module (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def main():
    dirs = sys.argv[1:]
    files = modules(dirs)
    edges, unknown = graph(files)
    found = cycles(edges)
    n = 0
    for ok, what, detail in (
            (not found, "the include graph of %s has no cycle between modules (%d modules)"
             % (" ".join(os.path.basename(d.rstrip("/")) for d in dirs), len(set(files.values()))),
             ["cycle: " + " <-> ".join(c) + ": " + "; ".join(
                 "%s -> %s" % (a, b) for a in c for b in sorted(edges.get(a, ())) if b in c)
              for c in found]),
            (not unknown, "every quoted #include names a header of the tree", unknown)):
        n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
        for line in detail:
            print("# " + line)
    print("1..%d" % n)


if __name__ == "__main__":
    main()
