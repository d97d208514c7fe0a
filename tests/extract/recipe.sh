#!/bin/bash
# docs/sources.md's recipe for a new source, proven: copies the source tree, applies
# exactly the steps the recipe marks (<!-- recipe: file PATH --> writes the code block
# after it to PATH, <!-- recipe: append PATH --> appends it; @TAB@ is a tab), builds
# pmp-extract in the copy, and checks `pmp-extract toy` against this script's own
# reading of the input (Python): every line one group with the right id, context,
# responses and scores; --help lists the source; a bad line fails naming FILE:LINE;
# the layer check accepts the new room. Nothing else of the tree is edited.
set -euo pipefail
SRC="$PMP_SRC"; T="$PMP_TMP"
PY=/usr/bin/python3
[ -x $PY ] || { echo "skip: no /usr/bin/python3"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$T"; mkdir -p "$T/tree"
# the tree without .git and build directories (nor this test's own directory)
self=$(realpath --relative-to="$SRC" "$T")
tar -C "$SRC" --exclude=./.git --exclude='./build*' --exclude="./$self" -cf - . | tar -C "$T/tree" -xf -

# 1. the recipe, applied from the doc alone
$PY - "$T/tree" <<'PYEOF'
import os, re, sys
root = sys.argv[1]
doc = open(os.path.join(root, "docs/sources.md")).read()
steps = re.findall(r"<!-- recipe: (file|append) (\S+) -->\n```[a-z]*\n(.*?)```", doc, flags=re.S)
if len(steps) < 6:
    sys.exit("recipe: found %d marked steps in docs/sources.md, want >= 6" % len(steps))
for kind, path, body in steps:
    full = os.path.join(root, path)
    if kind == "file" and os.path.exists(full):
        sys.exit("recipe: %s already exists" % path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "a" if kind == "append" else "w") as f:
        f.write(body.replace("@TAB@", "\t"))
    print("recipe: %s %s" % (kind, path))
PYEOF

# 2. the build of pmp-extract in the copy (ccache when there is one)
launcher=(); command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S "$T/tree" -B "$T/build" -DCMAKE_BUILD_TYPE=Release -DPMP_WERROR=ON "${launcher[@]}" \
  > "$T/configure.log" 2>&1 || { tail -20 "$T/configure.log"; fail "configure"; }
cmake --build "$T/build" --target pmp-extract -j2 > "$T/build.log" 2>&1 ||
  { grep -E 'error|warning' -A3 "$T/build.log" | head -40; fail "build"; }
X="$T/build/bin/pmp-extract"

# 3. the new source at work
"$X" --help | grep -q '^  toy  ' || fail "pmp-extract --help does not list toy"
"$X" toy --help | grep -q 'pmp-extract toy pairs.tsv' || fail "pmp-extract toy --help"
printf 'caf\xc3\xa9 \xe2\x98\x95?\tyes\tno\n\nlast\t"quoted"\t\\back\n' > "$T/more.tsv"
gzip -c "$T/more.tsv" > "$T/more.tsv.gz"
"$X" toy --json "$T/tree/samples/toy/pairs.tsv" "$T/more.tsv.gz" > "$T/out.jsonl" 2> "$T/stats.json"
$PY - "$T/out.jsonl" "$T/stats.json" "$T/tree/samples/toy/pairs.tsv" "$T/more.tsv" <<'PYEOF'
import json, sys
out, stats, inputs = sys.argv[1], sys.argv[2], sys.argv[3:]
want = []
for path, name in zip(inputs, ["pairs.tsv", "more.tsv.gz"]):
    for n, line in enumerate(open(path, encoding="utf-8").read().split("\n")[:-1], 1):
        if not line:
            continue
        p, b, w = line.split("\t")
        want.append({"source": "toy", "id": "toy/%s/%d" % (name, n), "context": p,
                     "responses": [("better", b, 1), ("worse", w, 0)]})
got = []
for line in open(out, encoding="utf-8"):
    g = json.loads(line)
    got.append({"source": g["source"], "id": g["id"], "context": g["context"],
                "responses": [(r["id"], r["text"], r["score"]) for r in g["responses"]]})
if got != want:
    sys.exit("groups differ:\n got %r\nwant %r" % (got, want))
st = json.loads(open(stats).read().strip().splitlines()[-1])
if st.get("groups") != len(want) or st.get("lines") != 5:
    sys.exit("stats: %r (want groups %d, lines 5)" % (st, len(want)))
print("recipe: %d groups as read independently; stats %s" % (len(want), {k: st[k] for k in ("lines", "groups")}))
PYEOF
printf 'one\ttwo\n' > "$T/bad.tsv"
set +e; "$X" toy -q "$T/bad.tsv" > "$T/bad.out" 2> "$T/bad.err"; rc=$?; set -e
[ $rc = 1 ] || fail "a bad line: exit $rc, want 1"
grep -q "bad.tsv:1: expected prompt TAB better TAB worse" "$T/bad.err" || fail "bad line message: $(cat "$T/bad.err")"
tail -1 "$T/bad.out" | grep -q '"pmp_error"' || fail "a failed run does not end in a pmp_error line"
"$X" toy -q --skip-bad "$T/bad.tsv" > /dev/null || fail "--skip-bad"

# 4. the room is where the layer rules want it
bash "$T/tree/tests/arch/layers.sh" "$T/tree" || fail "layers.sh refuses the new room"
echo "recipe: ok (docs/sources.md adds a source that builds, runs and passes the layer check)"
