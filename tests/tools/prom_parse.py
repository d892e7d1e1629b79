#!/usr/bin/python3
"""prom_parse.py - a strict reader of the Prometheus text format 0.0.4.

  prom_parse.py FILE                 check the file; print "ok N samples"
  prom_parse.py FILE 'name{a="b"}'   print that sample's value (exit 1 when
                                     absent)
  prom_parse.py FILE --count NAME    print how many samples NAME has
  prom_parse.py FILE --sum 'name{a="b"}'
                                     print the sum of NAME's samples whose
                                     labels include those given (0 when
                                     none)

Checks: every sample belongs to a family declared by # TYPE before it,
names and labels are well formed, label values escaped, no sample twice,
counters end in _total, histogram buckets are cumulative, end in +Inf and
match _count.
"""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
SAMPLE = re.compile(r"^(%s)(\{(.*)\})? (\S+)$" % NAME)
LABEL_PAIR = re.compile(r'(%s)="((?:[^"\\\n]|\\[\\"n])*)"' % LABEL)


def fail(lineno, msg):
    sys.exit("line %d: %s" % (lineno, msg))


def parse_labels(text, lineno):
    labels, pos = [], 0
    while pos < len(text):
        m = LABEL_PAIR.match(text, pos)
        if not m:
            fail(lineno, "bad label set {%s}" % text)
        labels.append((m.group(1), m.group(2)))
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                fail(lineno, "expected ',' in {%s}" % text)
            pos += 1
    names = [k for k, _ in labels]
    if len(set(names)) != len(names):
        fail(lineno, "repeated label name in {%s}" % text)
    return tuple(labels)


def value(text, lineno):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf"))
    try:
        return float(text)
    except ValueError:
        fail(lineno, "bad value %r" % text)


def family_of(name, types):
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base and types.get(base) == "histogram":
            return base
    return None


def check_histograms(hist):
    for (fam, labels), h in hist.items():
        les = h["buckets"]
        if not les or les[-1][0] != math.inf:
            sys.exit("%s%s: buckets do not end with +Inf" % (fam, labels))
        counts = [c for _, c in les]
        if counts != sorted(counts):
            sys.exit("%s%s: buckets not cumulative" % (fam, labels))
        if h.get("count") != counts[-1]:
            sys.exit("%s%s: _count differs from +Inf bucket" % (fam, labels))
        if "sum" not in h:
            sys.exit("%s%s: no _sum" % (fam, labels))


def parse(path):
    types, helps, samples, hist = {}, {}, {}, {}
    for lineno, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            if len(parts) < 4 or not re.fullmatch(NAME, parts[2]):
                fail(lineno, "bad comment %r" % line)
            kind, name = parts[1], parts[2]
            table = types if kind == "TYPE" else helps
            if name in table:
                fail(lineno, "second %s for %s" % (kind, name))
            if kind == "TYPE":
                if parts[3] not in ("counter", "gauge", "histogram",
                                    "summary", "untyped"):
                    fail(lineno, "bad type %r" % parts[3])
                if parts[3] == "counter" and not name.endswith("_total"):
                    fail(lineno, "counter %s does not end in _total" % name)
            table[name] = parts[3]
            continue
        if line.startswith("#") or line == "":
            fail(lineno, "unexpected line %r" % line)
        m = SAMPLE.match(line)
        if not m:
            fail(lineno, "bad sample %r" % line)
        name, labels = m.group(1), parse_labels(m.group(3) or "", lineno)
        fam = family_of(name, types)
        if fam is None:
            fail(lineno, "%s has no # TYPE before it" % name)
        v = value(m.group(4), lineno)
        key = (name, labels)
        if key in samples:
            fail(lineno, "sample %s%s appears twice" % key)
        samples[key] = v
        if types[fam] == "histogram":
            rest = tuple(kv for kv in labels if kv[0] != "le")
            h = hist.setdefault((fam, rest), {"buckets": []})
            if name.endswith("_bucket"):
                le = dict(labels).get("le")
                if le is None:
                    fail(lineno, "bucket without le")
                h["buckets"].append((value(le, lineno), v))
            else:
                h[name.rsplit("_", 1)[1]] = v
    check_histograms(hist)
    return samples


def selector(text):
    m = re.fullmatch(r"(%s)(\{(.*)\})?" % NAME, text)
    return (m.group(1), parse_labels(m.group(3) or "", 0))


def main():
    samples = parse(sys.argv[1])
    if len(sys.argv) == 2:
        print("ok %d samples" % len(samples))
    elif sys.argv[2] == "--count":
        print(sum(1 for n, _ in samples if n == sys.argv[3]))
    elif sys.argv[2] == "--sum":
        name, labels = selector(sys.argv[3])
        print("%.15g" % sum(v for (n, ls), v in samples.items()
                         if n == name and set(labels) <= set(ls)))
    else:
        name, labels = selector(sys.argv[2])
        for (n, ls), v in samples.items():
            if n == name and sorted(ls) == sorted(labels):
                print("%.15g" % v)
                return
        sys.exit("no sample %s" % sys.argv[2])


main()
