#!/usr/bin/python3
"""What a full dump costs, from the growth table (bench/scale/run.sh's TSV).

usage: sizing.py GROWTH.tsv [SOURCE=GB ...]
       sizing.py --table GROWTH.tsv   (the growth table as docs/scaling.md shows it)
       (default: reddit=30 stackexchange=100: a 30 GB Reddit month, a 100 GB
       Stack Overflow Posts.xml + Votes.xml)

For each source it takes the largest measured row (the rates there include the
group-by's extra merge passes, which the small rows do not have) and scales by
the dump's size: extract CPU-hours, the groups written (bytes per input byte),
tokenize CPU-hours, temporary disk for the spill (its peak per input byte), and
the peak memory measured there (which does not grow with the input: see the table);
pmp-dedup's CPU-hours, peak memory and spill from its largest row likewise.
"""
import csv
import sys


def table(path):
    rows = list(csv.DictReader(open(path), delimiter="\t"))
    rows.sort(key=lambda r: (r["source"], int(r["input_bytes"]) if r["stage"] == "extract" else 0))
    order = {}
    for r in rows:
        if r["stage"] == "extract":
            order.setdefault((r["source"], r["x"]), int(r["input_bytes"]))
    stage_order = {"extract": 0, "dedup": 1, "tokenize": 2}
    rows.sort(key=lambda r: (r["source"], order.get((r["source"], r["x"]), 0), stage_order[r["stage"]]))
    print("| source | input GB | stage | stage input MB | CPU s | MB per CPU-s | wall s | peak RSS MB | "
          "spill MB written (most on disk) | output MB | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        mb, cpu = int(r["input_bytes"]) / 1e6, float(r["cpu_s"])
        sp = "%.0f (%.0f)" % (float(r["spill_bytes"]) / 1e6, float(r["spill_peak_bytes"]) / 1e6) \
            if r["stage"] in ("extract", "dedup") and float(r["spill_bytes"]) > 0 else "–"
        gb = order.get((r["source"], r["x"]), 0) / 1e9
        print("| %s | %.2f | %s | %.0f | %.1f | %.1f | %.0f | %s | %s | %.0f | %s |" % (
            r["source"], gb, r["stage"], mb, cpu, mb / cpu, float(r["wall_s"]), r["peak_rss_mb"], sp,
            int(r["output_bytes"]) / 1e6, r.get("load1") or "–"))


def main():
    if sys.argv[1] == "--table":
        table(sys.argv[2])
        return 0
    rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
    want = dict(a.split("=") for a in sys.argv[2:]) or {"reddit": "30", "stackexchange": "100"}
    print("| dump | measured at | extract CPU-h | peak RSS extract | spill on disk | groups | "
          "dedup CPU-h | peak RSS dedup | dedup spill on disk | tokenize CPU-h | peak RSS tokenize | shards |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for src, gb in want.items():
        ex = [r for r in rows if r["source"] == src and r["stage"] == "extract"]
        if not ex:
            continue
        e = max(ex, key=lambda r: int(r["input_bytes"]))
        t = next(r for r in rows if r["source"] == src and r["stage"] == "tokenize" and r["x"] == e["x"])
        inb, gbytes = int(e["input_bytes"]), int(e["output_bytes"])
        k = float(gb) * 1e9 / inb
        dd = [r for r in rows if r["source"] == src and r["stage"] == "dedup"]
        dcol = "– | – | –"
        if dd:
            # scaled by the source input of its row (the extract row of the same size)
            d = max(dd, key=lambda r: int(r["input_bytes"]))
            din = next(int(r["input_bytes"]) for r in rows
                       if r["source"] == src and r["stage"] == "extract" and r["x"] == d["x"])
            kd = float(gb) * 1e9 / din
            dcol = "%.2f | %s MB | %.0f GB" % (float(d["cpu_s"]) * kd / 3600, d["peak_rss_mb"],
                                               float(d["spill_peak_bytes"]) * kd / 1e9)
        print("| %s, %s GB | %.1f GB | %.2f | %s MB | %.0f GB | %.0f GB | %s | %.2f | %s MB | %.0f GB |" % (
            src, gb, inb / 1e9, float(e["cpu_s"]) * k / 3600, e["peak_rss_mb"],
            float(e["spill_peak_bytes"]) * k / 1e9, gbytes * k / 1e9, dcol,
            float(t["cpu_s"]) * k / 3600, t["peak_rss_mb"], int(t["output_bytes"]) * k / 1e9))
    return 0


if __name__ == "__main__":
    sys.exit(main())
