#!/usr/bin/env python3
"""Table of bench_encode.sh's results.jsonl: per corpus and encoding, each
contender's MB/s per core (input bytes / CPU seconds of its process, best pass of
every round, best over rounds; each round's best beside it, since on a shared host
they differ by more than most changes do) and wall MB/s, the ratio to pmp one
thread, whether its ids equal pmp's (digest of all ids), and a native peer's no-op
call share; then pre-tokenisation alone, the whole pmp-bpe encode command, and the
long-input checks. Usage: bench_report.py results.jsonl"""
import json
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
enc_rows = [r for r in rows if "impl" in r]
keys = list(dict.fromkeys((r["corpus"], r["enc"], r["impl"], r["threads"]) for r in enc_rows))


def best(group, field):
    return max(r[field] for r in group)


print("encode, MB/s per core = input bytes / CPU s (best pass over all rounds; each round's best "
      "in round order beside it); wall MB/s beside")
print(f"{'corpus':6} {'enc':7} {'impl':14} {'thr':>3} {'MB/s/core':>10} {'each round':>17} "
      f"{'wall MB/s':>10} {'x pmp-1':>8} {'tokens':>9} {'ids':>5} {'no-op share':>11}")
for corpus in dict.fromkeys(k[0] for k in keys):
    for enc in dict.fromkeys(k[1] for k in keys if k[0] == corpus):
        sel = [k for k in keys if k[0] == corpus and k[1] == enc]
        pmp1 = [r for r in enc_rows if (r["corpus"], r["enc"], r["impl"], r["threads"]) == (corpus, enc, "pmp", 1)]
        ref = best(pmp1, "cpu_mb_s") if pmp1 else None
        ref_digest = pmp1[0]["digest"] if pmp1 else None
        for k in sel:
            g = [r for r in enc_rows if (r["corpus"], r["enc"], r["impl"], r["threads"]) == k]
            cpu = best(g, "cpu_mb_s")
            wall = best(g, "mb_s")
            same = all(r["digest"] == ref_digest for r in g) if ref_digest else None
            share = ""
            if "noop_share" in g[0]:
                share = f"{min(r['noop_share'] for r in g) * 100:.1f}%"
            ratio = f"{ref / cpu:.1f}" if ref and k[2] != "pmp" else ""
            mark = "-" if same is None else "same" if same else "DIFF"
            rounds = "/".join(f"{r['cpu_mb_s']:.0f}" if r["cpu_mb_s"] >= 100 else
                              f"{r['cpu_mb_s']:.1f}" for r in g)
            print(f"{corpus:6} {enc:7} {k[2]:14} {k[3]:>3} {cpu:>10.2f} {rounds:>17} {wall:>10.2f} "
                  f"{ratio:>8} {g[0]['tokens']:>9} {mark:>5} {share:>11}")
print("x pmp-1: how many times pmp with one thread is faster per core than the peer")
print("no-op share: CPU time of one native call on the empty string per text / the encode's CPU time")
print("published (other machines, their corpora): toktok / gigatoken ~240-250 MB/s per core median,")
print("native tiktoken 27-37 MB/s, bpe-openai ~36 MB/s")

split = [r for r in rows if r.get("what") == "split"]
if split:
    print("\npre-tokenisation alone, one thread, MB/s per core (best pass)")
    for k in dict.fromkeys((r["corpus"], r["enc"]) for r in split):
        g = [r for r in split if (r["corpus"], r["enc"]) == k]
        by = {s: max(r["cpu_mb_s"] for r in g if r["splitter"] == s) for s in {r["splitter"] for r in g}}
        pieces = {r["splitter"]: r["pieces"] for r in g}
        print(f"  {k[0]:6} {k[1]:7} PCRE2 JIT {by.get('pcre2-jit', 0):7.1f}  hand-written "
              f"{by.get('pretok', 0):7.1f}  ({by.get('pretok', 0) / by.get('pcre2-jit', 1):.1f}x; "
              f"pieces {'equal' if len(set(pieces.values())) == 1 else 'DIFFER'})")

cmd = [r for r in rows if r.get("what") == "command"]
if cmd:
    print("\nthe whole command, pmp-bpe encode --jsonl --threads 1 (load, read, parse, encode, write)")
    for k in dict.fromkeys((r["corpus"], r["enc"]) for r in cmd):
        g = [r for r in cmd if (r["corpus"], r["enc"]) == k]
        b = g[0]["bytes"]
        print(f"  {k[0]:6} {k[1]:7} {b / 1e6 / min(r['cpu'] for r in g):7.1f} MB/s per core "
              f"(CPU s incl. loading the vocabulary), encode step alone "
              f"{max(r['encode_mb_s'] for r in g):7.1f} MB/s wall")

line = [r for r in rows if r.get("what") == "single_line"]
if len(line) == 2:
    a, b = line
    print(f"\none line: {a['mb']:.0f} MB in {a['seconds']:.2f} s, {b['mb']:.0f} MB in {b['seconds']:.2f} s: "
          f"time ratio {b['seconds'] / a['seconds']:.2f} for size ratio {b['mb'] / a['mb']:.0f} "
          f"(peak RSS {b['peak_rss_mb']} MB)")
run = [r for r in rows if r.get("what") == "one_piece_of_a"]
if len(run) == 2:
    a, b = run
    print(f"one piece of letters: {a['mb']:.0f} MB in {a['seconds']:.2f} s, {b['mb']:.0f} MB in "
          f"{b['seconds']:.2f} s: time ratio {b['seconds'] / a['seconds']:.2f} for size ratio "
          f"{b['mb'] / a['mb']:.0f}")
