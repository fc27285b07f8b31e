#!/usr/bin/env python3
"""prometheus_text.py: checks that standard input is Prometheus's text exposition format 0.0.4,
then prints its samples as JSON lines: {"name": ..., "labels": {...}, "value": ...}.

It is the parser of console.test (Debian has no promtool without the whole Prometheus server).
What it holds the text to:
- each line is a comment, "# HELP NAME TEXT", "# TYPE NAME TYPE" (counter, gauge, histogram,
  summary or untyped), or a sample: NAME{LABEL="VALUE",...} VALUE, with names of
  [a-zA-Z_:][a-zA-Z0-9_:]*, label values escaped (\\, \", \n only) and a float value;
- a family has at most one HELP and one TYPE, the TYPE before its first sample, and its
  samples are together;
- a counter's value is not negative; a histogram's buckets are cumulative (never smaller for a
  bigger le), end with le="+Inf", whose count equals _count, and it has a _sum.
Exit status 1, with the first fault on standard error, when the text breaks any of these.
"""
import json
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(" + NAME + r")(\{(.*)\})? (\S+)( -?\d+)?$")
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"\s*(,|$)')


def fail(n, why):
    sys.stderr.write("line %d: %s\n" % (n, why))
    sys.exit(1)


def labels_of(text, n):
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        if not m:
            fail(n, "bad labels: " + text)
        if m.group(1) in labels:
            fail(n, "label %s twice" % m.group(1))
        labels[m.group(1)] = m.group(2).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        pos = m.end()
    return labels


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            return base
    return name


def main():
    types, helps, samples, finished, current = {}, set(), [], set(), None
    for n, line in enumerate(sys.stdin.read().split("\n"), 1):
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                if not re.fullmatch(NAME, parts[2]):
                    fail(n, "bad name " + parts[2])
                if parts[1] == "HELP":
                    if parts[2] in helps:
                        fail(n, "second HELP for " + parts[2])
                    helps.add(parts[2])
                else:
                    if parts[2] in types:
                        fail(n, "second TYPE for " + parts[2])
                    if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                        fail(n, "bad TYPE line")
                    if any(family_of(s["name"], types) == parts[2] for s in samples):
                        fail(n, "TYPE after samples of " + parts[2])
                    types[parts[2]] = parts[3]
            continue
        m = SAMPLE.match(line)
        if not m:
            fail(n, "not a sample: " + line)
        name, value = m.group(1), m.group(4)
        try:
            v = float(value)
        except ValueError:
            fail(n, "bad value " + value)
        family = family_of(name, types)
        if family != current:
            if family in finished:
                fail(n, "samples of %s are not together" % family)
            if current is not None:
                finished.add(current)
            current = family
        if types.get(family) == "counter" and (v < 0 or math.isnan(v)):
            fail(n, "negative counter")
        samples.append({"name": name, "labels": labels_of(m.group(3) or "", n), "value": v, "line": n})
    # Histograms: cumulative buckets per label set, +Inf last and equal to _count, a _sum.
    for family, kind in types.items():
        if kind != "histogram":
            continue
        series = {}
        for s in samples:
            if s["name"] == family + "_bucket":
                key = tuple(sorted((k, v) for k, v in s["labels"].items() if k != "le"))
                series.setdefault(key, []).append(s)
        for key, buckets in series.items():
            les = [float(b["labels"]["le"]) for b in buckets]
            if les != sorted(les) or les[-1] != math.inf:
                fail(buckets[-1]["line"], "%s%s: le not increasing to +Inf" % (family, key))
            counts = [b["value"] for b in buckets]
            if counts != sorted(counts):
                fail(buckets[-1]["line"], "%s%s: buckets not cumulative" % (family, key))
            count = [s["value"] for s in samples if s["name"] == family + "_count"
                     and tuple(sorted(s["labels"].items())) == key]
            total = [s for s in samples if s["name"] == family + "_sum"
                     and tuple(sorted(s["labels"].items())) == key]
            if count != [counts[-1]] or len(total) != 1:
                fail(buckets[-1]["line"], "%s%s: no _count equal to +Inf, or no _sum" % (family, key))
    for s in samples:
        del s["line"]
        print(json.dumps(s, sort_keys=True))


main()
