#!/bin/bash
# The example of every --help (each program and each subcommand) runs as written, in
# one directory, in the order a user meets them: the file names mapped to ../shared/data,
# the step counts cut, and an example's printed output (a line under it that is not a
# command) compared with what the command prints. A renamed flag or a stale example
# fails here.
set -euo pipefail
D="${PMP_SHARED:-/nonexistent}"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T/w"
PY=/usr/bin/python3
[ -d "$D/reddit" ] || { echo "no shared data: skip"; exit 77; }
[ -x $PY ] || { echo "skip: no /usr/bin/python3"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
B="$PMP_BIN"
# programs and subcommands in the order of the pipeline
LIST="pmp-extract: pmp-extract:hh pmp-extract:stackexchange pmp-extract:reddit pmp-extract:wikipedia pmp-dedup:
pmp-bpe: pmp-bpe:encode pmp-bpe:decode pmp-bpe:info pmp-bpe:train pmp-bpe:convert
pmp-tokenize: pmp-shard: pmp-shard:info pmp-shard:verify pmp-shard:cat pmp-shard:head
pmp-shard:stats pmp-shard:leaks pmp-shard:pair pmp-shard:merge pmp-shard:export pmp-train: pmp-train:export pmp-train:score
pmp-train:plot pmp-curve:"
: > "$T/help.txt"
for ps in $LIST; do
  p=${ps%%:*}; s=${ps#*:}
  echo "#== $p $s" >> "$T/help.txt"
  "$B/$p" $s --help >> "$T/help.txt" 2>&1 || fail "$p $s --help"
done
# every subcommand a program lists (pmp-extract: every source of sources.list) must be in LIST
for p in pmp-extract pmp-bpe pmp-shard; do
  for s in $("$B/$p" --help | awk '/^(Commands|Sources):/{c=1; next} c && /^  [a-z]/{print $1} c && /^$/{c=0}'); do
    case " $(echo $LIST) " in *" $p:$s "*) ;; *) fail "$p $s has an example not run here: add it to LIST" ;; esac
  done
done
$PY - "$T/help.txt" "$T/examples.sh" <<'PYEOF'
import re, sys
out, seen, n = [], set(), 0
blocks = re.split(r"^#== .*$", open(sys.argv[1]).read(), flags=re.M)
for block in blocks:
    m = re.search(r"^Example:\n((?:  .*\n?)+)", block, flags=re.M)
    if not m:
        continue
    lines, cmd = [], ""
    for raw in m.group(1).splitlines():
        l = raw[2:]
        if cmd:                       # a continued command
            cmd += "\n" + l
        elif re.match(r"(pmp-|echo |zstd |set -o)", l.lstrip()):
            cmd = l.strip()
        else:                         # printed output of the command before it
            lines.append(("out", l.strip()))
            continue
        if not cmd.endswith("\\"):
            lines.append(("cmd", cmd))
            cmd = ""
    for kind, text in lines:
        if kind == "cmd" and text in seen:
            continue
        if kind == "cmd":
            seen.add(text)
            n += 1
            # `| head` ends its writer with SIGPIPE (exit 141), as it does zcat's
            off = "set +o pipefail; " if "| head" in text else ""
            on = "; set -o pipefail" if off else ""
            to = "" if re.search(r"(^|\s)>\s", text) else " > last.out"   # its own output file stays
            out.append(f"echo '+ {n}' >&2\n: > last.out\n{off}{text}{to}{on}\ncat last.out")
        else:
            out.append(f"grep -qxF {text!r} last.out || {{ echo 'expected output: {text}' >&2; exit 1; }}")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PYEOF
n=$(grep -c "^echo '+ " "$T/examples.sh")
[ "$n" -ge 20 ] || fail "expected at least 20 examples, found $n"
# the names in the examples -> files here; long runs -> a few steps
HH="$D/hhh/hh-rlhf-harmless-base-test.jsonl.gz"
sed -i -e "s#harmless-base/test.jsonl.gz#$HH#g; s#train.jsonl.gz#$HH#g" \
    -e "s#RC_2019-04.zst#$D/reddit/RC_2006-01.zst#g; s#RS_2019-04.zst#rs.ndjson#g" \
    -e "s#AskHistorians_\\(submissions\\|comments\\).zst#$PMP_SRC/samples/reddit/AskGardening_\\1.zst#g" \
    -e "s#cooking.stackexchange.com/Votes.xml#$D/stackexchange/beer.stackexchange.com-2020-Votes.xml#g" \
    -e "s#cooking.stackexchange.com/Posts.xml#$D/stackexchange/beer.stackexchange.com-2020-Posts.xml#g" \
    -e "s#enwiki-latest-pages-meta-history1.xml.bz2#$D/wikipedia/enwiki-Rio_Grande-history-2007.xml#g" \
    -e "s#cl100k_base.tiktoken#$D/bpe/cl100k_base.tiktoken#g; s#gpt2/#$D/bpe/gpt2#g" \
    -e "s#-n 30000#-n 600#g; s#--steps 2000#--steps 2 --eval-pairs 8 --context 64#g; s#--steps 3000#--steps 3#g" \
    -e "s#merge shards-a/ shards-b/ -o shards/#merge shards-a/ shards-b/ -o merged/#g" \
    -e "s#hh-pool/#shards/#g; s#hh-eval/#shards/eval#g; s#pair shards/ 0 12345#pair shards/ 0 12#g" \
    -e "s#--sizes 0,32,128,512 --seeds 5#--sizes 0,4 --seeds 1 --context 64 --min-steps 2 --eval-pairs 16#g; s#--text groups.jsonl#--text few.jsonl#g" \
    -e "s#\(^\|[ |&;]\)pmp-\(extract\|dedup\|bpe\|tokenize\|shard\|train\|curve\)\b#\1\"\$B\"/pmp-\2#g" "$T/examples.sh"
# what the examples take as given: a corpus, a groups file, two shard directories to merge,
# the submissions file of the Reddit example
cd "$T/w"
"$B/pmp-extract" hh -q "$HH" > groups.jsonl
head -n 20 groups.jsonl > few.jsonl
"$PY" -c 'import json,sys; [print(json.loads(l)["context"]) for l in open("groups.jsonl")]' | zstd -q > corpus.txt.zst
head -n 300 groups.jsonl | "$B/pmp-tokenize" -q -t "$D/bpe/gpt2" -o shards-a/
tail -n 300 groups.jsonl | "$B/pmp-tokenize" -q -t "$D/bpe/gpt2" -o shards-b/
: > rs.ndjson
B="$B" bash -e -o pipefail "$T/examples.sh" > "$T/log" 2>&1 || { tail -20 "$T/log"; fail "a --help example failed"; }
[ -s pm/model.safetensors ] && [ -s rewards.jsonl ] && [ -s merged/manifest.json ] || fail "examples' outputs missing"
echo "ok: $n --help examples ran"
