#!/usr/bin/python3
"""`pmp-extract stackexchange` on files written here: the sample dump against the
independent reference of check_dumps.py (with and without votes, rows shuffled,
with and without BOM, tiny --mem), the three dump schemas, and the safety and
error cases: external entities, entity-expansion bombs, external DTDs, undeclared
entities, malformed and truncated XML (file:line, non-zero exit, whole lines),
bad rows with and without --strict, a bad --tmp, bad flags.

Usage: check_xml.py PMP_BIN SRC TMP
"""
import gzip
import json
import os
import random
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_dumps import reference  # noqa: E402

BOM = b"\xef\xbb\xbf"
FAIL = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAIL.append(what)


def run(pmp, args, timeout=60):
    t = time.time()
    p = subprocess.run([pmp, "stackexchange", "--json"] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace"), time.time() - t


def no_groups(out):
    """Nothing but, at most, the failure marker a failed extractor ends with."""
    lines = out.decode().splitlines()
    return all(l.startswith('{"pmp_error":') for l in lines)


def whole_lines(out):
    if out and not out.endswith(b"\n"):
        return False
    try:
        for line in out.decode().splitlines():
            json.loads(line)
    except ValueError:
        return False
    return True


def row(**a):
    return "  <row " + " ".join(f'{k}="{v}"' for k, v in a.items()) + " />\n"


def posts(rows, bom=True, root="posts", prolog=""):
    head = '<?xml version="1.0" encoding="utf-8"?>\n' + prolog + f"<{root}>\n"
    return (BOM if bom else b"") + (head + "".join(rows) + f"</{root}>\n").encode()


def write(tmp, name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def sample_checks(pmp, src, tmp):
    d = os.path.join(src, "samples", "stackexchange", "cooking.example.com")
    p, v = os.path.join(d, "Posts.xml"), os.path.join(d, "Votes.xml")
    for votes in (None, v):
        rc, out, err, _ = run(pmp, (["--votes", votes] if votes else []) + [p])
        check(rc == 0, f"sample{' --votes' if votes else ''}: exit 0 ({err.strip()[:200]})")
        groups, orphans = reference(p, votes)
        got = [json.loads(l) for l in out.decode().splitlines()]
        check([g["id"] for g in got] == [f"cooking.example.com/q/{q}" for q in sorted(groups)],
              "sample: which questions (site from the directory name)")
        check(all([(r["id"], r["score"]) for r in g["responses"]] ==
                  [(r["id"], r["score"]) for r in groups[int(g["meta"]["question_id"])][1]]
                  for g in got), "sample: which answers, which scores")
        st = json.loads(err.strip().splitlines()[-1])
        check(st["orphans"] == orphans == 1 and st["skipped_other_type"] == 1,
              "sample: 1 orphan answer, 1 tag-wiki row skipped")
    # Same bytes whatever the row order, BOM, budget.
    rc, ref, _, _ = run(pmp, [p])
    with open(p, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    head, rows, tail = lines[:3], [l for l in lines[3:] if l.strip().startswith(b"<row")], b"</posts>\n"
    random.Random(7).shuffle(rows)
    shuffled = write(tmp, "cooking.example.com-Posts.xml", b"\n".join(head + rows) + b"\n" + tail)
    check(run(pmp, [shuffled])[1] == ref, "sample: rows shuffled -> same output")
    nobom = write(tmp, "cooking.example.com-nobom-Posts.xml", data[len(BOM):])
    check(run(pmp, [nobom])[1] == ref, "sample: without BOM -> same output")
    rc, out, err, _ = run(pmp, ["--mem", "1", "--tmp", tmp, shuffled])
    st = json.loads(err.strip().splitlines()[-1])
    check(out == ref and st["runs"] >= 10, f"sample: --mem 1 ({st['runs']} runs) -> same output")
    gz = os.path.join(tmp, "cooking.example.com-Posts.xml.gz")
    with gzip.open(gz, "wb") as f:
        f.write(data)
    check(run(pmp, [gz])[1] == ref, "sample: gzip -> same output")


def schema_checks(pmp, tmp):
    body = "&lt;p&gt;Body of %s&lt;/p&gt;"
    outs = {}
    for year, tags, lic in (("2015", "&lt;tea&gt;&lt;green-tea&gt;", None),
                            ("2021", "&lt;tea&gt;&lt;green-tea&gt;", "CC BY-SA 4.0"),
                            ("2024", "|tea|green-tea|", "CC BY-SA 4.0")):
        extra = {"ContentLicense": lic} if lic else {}
        rows = [row(Id=1, PostTypeId=1, AcceptedAnswerId=3, CreationDate="2015-01-01T00:00:00.000",
                    Score=3, Body=body % "q", Title="Steeping time?", Tags=tags, **extra),
                row(Id=2, PostTypeId=2, ParentId=1, CreationDate="2015-01-01T01:00:00.000",
                    Score=1, Body=body % "a2", **extra),
                row(Id=3, PostTypeId=2, ParentId=1, CreationDate="2015-01-01T02:00:00.000",
                    Score=6, Body=body % "a3", **extra)]
        path = write(tmp, f"tea.example.com-{year}-Posts.xml", posts(rows))
        rc, out, err, _ = run(pmp, [path])
        g = json.loads(out)
        check(rc == 0 and g["meta"]["tags"] == ["tea", "green-tea"],
              f"schema {year}: tags parsed")
        check([(r["id"], r["score"]) for r in g["responses"]] == [("2", 1), ("3", 4)],
              f"schema {year}: scores (1 -> 1; 6 -> 3 + accepted)")
        outs[year] = out
    check(len(set(outs.values())) == 1, "schemas 2015/2021/2024: identical groups")


def error_checks(pmp, tmp):
    good = [row(Id=1, PostTypeId=1, Body="&lt;p&gt;q&lt;/p&gt;", Title="T",
                CreationDate="2020-01-01T00:00:00.000", Score=1),
            row(Id=2, PostTypeId=2, ParentId=1, Body="&lt;p&gt;a&lt;/p&gt;", Score=1,
                CreationDate="2020-01-01T00:00:00.000"),
            row(Id=3, PostTypeId=2, ParentId=1, Body="&lt;p&gt;b&lt;/p&gt;", Score=2,
                CreationDate="2020-01-01T00:00:00.000")]
    secret = write(tmp, "secret.txt", b"TOP-SECRET-MARKER\n")

    # External entity (XXE): refused, the file's content never appears.
    xxe = posts([row(Id=1, PostTypeId=1, Body="&xxe;", Title="&xxe;"),
                 row(Id=2, PostTypeId=2, ParentId=1, Body="&xxe;"),
                 row(Id=3, PostTypeId=2, ParentId=1, Body="&xxe;")],
                prolog=f'<!DOCTYPE posts [<!ENTITY xxe SYSTEM "file://{secret}">]>\n')
    rc, out, err, _ = run(pmp, [write(tmp, "xxe-Posts.xml", xxe)])
    check(rc == 1 and b"TOP-SECRET" not in out and "TOP-SECRET" not in err
          and "DOCTYPE" in err, f"XXE refused: {err.strip()[:160]}")

    # Billion laughs: refused at once, small memory.
    ents = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    bomb = posts([row(Id=1, PostTypeId=1, Body="&lol9;", Title="t")],
                 prolog=f"<!DOCTYPE posts [{ents}]>\n")
    rc, out, err, secs = run(pmp, [write(tmp, "bomb-Posts.xml", bomb)], timeout=30)
    check(rc == 1 and secs < 5 and no_groups(out), f"billion laughs refused in {secs:.2f}s")
    rss = [json.loads(l) for l in err.splitlines() if l.startswith("{")]
    check(rss and rss[-1].get("peak_rss_mb", 999) < 100, "billion laughs: peak RSS < 100 MB")

    # External DTD over the network: refused before any fetch.
    ext = posts(good, prolog='<!DOCTYPE posts SYSTEM "http://192.0.2.1/posts.dtd">\n')
    rc, out, err, secs = run(pmp, [write(tmp, "extdtd-Posts.xml", ext)], timeout=30)
    check(rc == 1 and secs < 5 and "DOCTYPE" in err, "external DTD refused, no fetch")

    # Undeclared entity in an attribute: malformed, with file:line.
    bad = posts(good[:2] + [row(Id=3, PostTypeId=2, ParentId=1, Body="&nope;", Score=1)])
    path = write(tmp, "undeclared-Posts.xml", bad)
    rc, out, err, _ = run(pmp, [path])
    check(rc == 1 and f"{path}:5:" in err, f"undeclared entity: file:line ({err.strip()[:160]})")

    # Malformed row in the middle: error names the line; output is whole lines.
    rows = good + [row(Id=10 + i, PostTypeId=2, ParentId=1, Body="x", Score=0,
                       CreationDate="2020-01-01T00:00:00.000") for i in range(5)]
    rows.insert(5, '  <row Id="99" PostTypeId="2" Body="unterminated />\n')
    rows.append("  <row Id=\"100\" PostTypeId=\"1\" Title=\"t\" Body=\"x\" />\n")
    path = write(tmp, "malformed-Posts.xml", posts(rows))
    rc, out, err, _ = run(pmp, [path])
    check(rc == 1 and f"{path}:" in err and "malformed" in err and whole_lines(out),
          f"malformed XML: exit 1, file:line, whole lines ({err.strip()[:160]})")
    # Mismatched tags: the reported line is the offending one.
    mism = posts(good).replace(b"</posts>", b"</post>")
    path = write(tmp, "mismatch-Posts.xml", mism)
    rc, out, err, _ = run(pmp, [path])
    check(rc == 1 and f"{path}:6:" in err, f"mismatched end tag at line 6 ({err.strip()[:160]})")

    # Truncated file (and truncated inside gzip).
    full = posts(good)
    path = write(tmp, "truncated-Posts.xml", full[: len(full) // 2])
    rc, out, err, _ = run(pmp, [path])
    check(rc == 1 and whole_lines(out), f"truncated XML: exit 1 ({err.strip()[:160]})")
    gz = os.path.join(tmp, "truncated-Posts.xml.gz")
    with gzip.open(gz, "wb") as f:
        f.write(full[: len(full) - 20])
    rc, out, err, _ = run(pmp, [gz])
    check(rc == 1, "truncated XML inside gzip: exit 1")

    # Bad rows: skipped and counted, or fatal with --strict.
    rows = good + [row(PostTypeId=1, Body="no id", Title="t"),
                   row(Id=7, PostTypeId=2, Body="no parent")]
    path = write(tmp, "badrows-Posts.xml", posts(rows))
    rc, out, err, _ = run(pmp, [path])
    st = json.loads(err.strip().splitlines()[-1])
    check(rc == 0 and st["skipped_bad_row"] == 2 and st["groups"] == 1, "bad rows counted")
    rc, out, err, _ = run(pmp, ["--strict", path])
    check(rc == 1 and f"{path}:6:" in err, f"--strict: first bad row fails ({err.strip()[:120]})")

    # Empty input is an error that says so; a root with no rows is no groups.
    rc, out, err, _ = run(pmp, [write(tmp, "empty-Posts.xml", BOM)])
    check(rc == 1 and "empty input" in err, "empty input: exit 1, says so")
    rc, out, err, _ = run(pmp, [write(tmp, "norows-Posts.xml", posts([]))])
    check(rc == 0 and out == b"", "a dump without rows: exit 0, no groups")

    # Environment and usage errors.
    path = write(tmp, "ok-Posts.xml", posts(good))
    rc, out, err, _ = run(pmp, ["--tmp", "/nonexistent/pmp-se", path])
    check(rc == 1 and "/nonexistent/pmp-se" in err, "bad --tmp: exit 1 naming it")
    check(run(pmp, ["--mem", "lots", path])[0] == 2, "bad --mem: exit 2")
    check(run(pmp, ["-", "-"])[0] == 2, "standard input twice: exit 2")
    check(run(pmp, ["--votes", path, path, path])[0] == 2, "--votes with two inputs: exit 2")
    check(run(pmp, [os.path.join(tmp, "missing.xml")])[0] == 1, "missing file: exit 1")
    rc, out, err, _ = run(pmp, ["--votes", os.path.join(tmp, "missing-votes.xml"), path])
    check(rc == 1 and no_groups(out), "missing votes file: exit 1, no groups written")
    rc, out, _, _ = run(pmp, ["--help"])
    check(rc == 0 and b"Example" in out, "--help")


def main():
    pmp = os.path.join(sys.argv[1], "pmp-extract")
    src, tmp = sys.argv[2], sys.argv[3]
    os.makedirs(tmp, exist_ok=True)
    sample_checks(pmp, src, tmp)
    schema_checks(pmp, tmp)
    error_checks(pmp, tmp)
    print(f"{len(FAIL)} failed")
    return 1 if FAIL else 0


if __name__ == "__main__":
    sys.exit(main())
