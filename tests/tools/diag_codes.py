#!/usr/bin/env python3
"""diag_codes.py - the diagnostic codes a policy check can report, read
from three places so a test can hold them equal:

  diag_codes.py source DIR    codes passed to the loader's reporting calls
                              in DIR/*.c (nsf_lerr, nsf_lwarn, yerr,
                              nsf_diags_add)
  diag_codes.py markdown FILE codes in the "| `code` | error |" table rows
  diag_codes.py man FILE      codes of the man page's "Diagnostic codes"

Prints one "code severity" a line (severity "-" where the source is not
plain), sorted."""
import glob
import re
import sys

# Which argument of each reporting call is the code (0-based).
CODE_ARG = {"nsf_lerr": 2, "nsf_lwarn": 2, "yerr": 3, "nsf_diags_add": 5}
SEVERITY = {"nsf_lerr": "error", "yerr": "error", "nsf_lwarn": "warning"}


def call_args(src, start):
    """The top-level arguments of the call whose '(' ends at start."""
    args, cur, depth, quote, i = [], "", 1, None, start
    while depth:
        ch = src[i]
        if quote:
            cur += ch
            if ch == "\\":
                cur += src[i + 1]
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
            cur += ch
        elif ch in "([":
            depth += 1
            cur += ch
        elif ch in ")]":
            depth -= 1
            if depth:
                cur += ch
        elif ch == "," and depth == 1:
            args.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    args.append(cur)
    return args


def from_source(folder):
    found = {}
    pat = re.compile(r"\b(%s)\s*\(" % "|".join(CODE_ARG))
    for path in sorted(glob.glob(folder + "/*.c")):
        src = open(path, encoding="utf-8").read()
        for m in pat.finditer(src):
            fn = m.group(1)
            args = call_args(src, m.end())
            if len(args) <= CODE_ARG[fn] or "const char" in args[0]:
                continue        # a prototype or a definition
            arg = args[CODE_ARG[fn]]
            # strcmp(what, "provider") ? "a" : "b": only "a" and "b"
            while re.search(r"\([^()]*\)", arg):
                arg = re.sub(r"\([^()]*\)", "", arg)
            sev = SEVERITY.get(fn)
            if fn == "nsf_diags_add":
                sev = {"NSF_DIAG_ERROR": "error",
                       "NSF_DIAG_WARNING": "warning"}.get(args[1].strip())
            for code in re.findall(r'"([a-z0-9-]+)"', arg):
                found[code] = sev or "-"
    return found


def from_markdown(path):
    text = open(path, encoding="utf-8").read()
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (error|warning) \|", text,
                      re.M)
    return dict(rows)


def from_man(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"^\.SS Diagnostic codes\n(.*?)^\.S[HS] ", text,
                  re.M | re.S)
    if not m:
        return {}
    part = m.group(1)
    head, _, body = part.partition(".PD 0")
    warn = {w.replace("\\-", "-")
            for w in re.findall(r"^\.BR? ([a-z\\-]+)", head, re.M)}
    codes = re.findall(r"^\.TP[^\n]*\n\.B ([a-z0-9\\-]+)$", body, re.M)
    return {c.replace("\\-", "-"): "warning"
            if c.replace("\\-", "-") in warn else "error" for c in codes}


def main():
    kind, where = sys.argv[1], sys.argv[2]
    codes = {"source": from_source, "markdown": from_markdown,
             "man": from_man}[kind](where)
    for code in sorted(codes):
        print(code, codes[code])
    return 0 if codes else 1


if __name__ == "__main__":
    sys.exit(main())
