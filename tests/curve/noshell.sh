#!/bin/sh
# No shell sees a picture path or a name (issue 28): pmp-train plot and pmp-curve plot
# with $(…), backquotes, quotes, spaces, @ and newlines in the output directory, the
# picture's path and the init names inside curve.csv. Nothing may run (no file
# "pwned*" appears anywhere), each picture is drawn where asked or refused with a
# clear message. gnuplot failing, or exiting 0 with an empty picture, is an error
# that leaves no picture (issue 29).
set -eu
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "no gnuplot: skipped"; exit 77; }
NL='
'
# a run's log as pmp-train writes it
mkrun() {
  mkdir -p "$1"
  for s in 1 2 3 4; do echo "{\"step\":$s,\"loss\":0.$((9 - s))}"; done > "$1/log.jsonl"
  echo '{"step":4,"eval":true,"accuracy":0.6,"longer_wins":0.5,"longer_wins_visible":0.55}' >> "$1/log.jsonl"
}
# a curve directory; init names from the file are data, never code
mkcurve() {
  mkdir -p "$1"
  printf '%s\n' "$2" > "$1/baseline"
  echo 'target,init,size,seed,pairs,groups,steps,accuracy,accuracy_se,margin,loss,longer_wins,longer_wins_visible,seconds,recipe' > "$1/curve.csv"
  for init in "$2" "$3"; do for size in 0 4 16; do for seed in 0 1; do
    echo "t\$(touch pwned-t),$init,$size,$seed,$size,$size,4,0.5$seed$size,0.01,0.1,0.69,0.5,0.52,1.0,0123456789abcdef"
  done; done; done >> "$1/curve.csv"
}
for k in 1 2 3 4 5; do
  case $k in
    1) d="d\$(touch pwned1)";; 2) d="d\`touch pwned2\`";; 3) d="d 'q' \"dq\"";;
    4) d="d@x;\$HOME&&touch pwned4";; 5) d="d${NL}nl\$(touch pwned5)";;
  esac
  mkrun "$d/run"
  "$B/pmp-train" plot "$d/run" -o "$d/run \$(touch pwned6) '\`x\`.svg" -q || fail "pmp-train plot in [$d]"
  [ -s "$d/run \$(touch pwned6) '\`x\`.svg" ] || fail "no picture in [$d]"
  grep -q '<svg' "$d/run \$(touch pwned6) '\`x\`.svg" || fail "not an SVG in [$d]"
  mkcurve "$d/c" "a\$(touch pwned7)" "b\`touch pwned8\`'\"@x"
  "$B/pmp-curve" plot "$d/c" -q || fail "pmp-curve plot in [$d]"
  [ -s "$d/c/curve.svg" ] && [ -s "$d/c/curve.png" ] || fail "no curve pictures in [$d]"
  [ "$(head -c 4 "$d/c/curve.png" | tail -c 3)" = PNG ] || fail "curve.png in [$d] is not a PNG"
  # the names come back as text in the picture, quotes and all
  grep -q 'touch pwned7' "$d/c/curve.svg" || fail "the init name is not in the legend in [$d]"
done
[ -z "$(find . -name 'pwned*')" ] || fail "a shell ran: $(find . -name 'pwned*')"
[ ! -e "$HOME/pwned4" ] || fail "a shell ran in \$HOME"

# init names on the command line are refused before anything runs
if "$B/pmp-curve" --train x --eval y --init "a\$(touch pwned9)=scratch" --sizes 0 -o o 2> e.txt; then
  fail "a bad init name must be refused"; fi
grep -q -- "--init" e.txt || fail "the refusal names --init: $(cat e.txt)"
[ ! -e pwned9 ] && [ ! -e o ] || fail "a refused command did something"

# gnuplot failing: an error naming the picture, exit 1, no picture, no drawn=1
mkdir -p fake
printf '#!/bin/sh\necho "line 3: undefined variable: boom" >&2\nexit 1\n' > fake/gnuplot
chmod +x fake/gnuplot
mkrun r; mkcurve c a b
if PATH="$T/fake:$PATH" "$B/pmp-train" plot r -o r.svg 2> e.txt; then fail "gnuplot failed: must exit non-zero"; fi
grep -q "gnuplot failed" e.txt && grep -q "r.svg" e.txt && grep -q "boom" e.txt || fail "message: $(cat e.txt)"
[ ! -e r.svg ] && [ ! -e r.svg.partial ] || fail "a failed drawing left a picture"
if PATH="$T/fake:$PATH" "$B/pmp-curve" plot c --json 2> e.txt; then fail "pmp-curve plot: gnuplot failed, exit 0"; fi
grep -q '"drawn":1' e.txt && fail "drawn=1 after gnuplot failed: $(cat e.txt)"
grep -q "gnuplot failed" e.txt || fail "pmp-curve message: $(cat e.txt)"
[ ! -e c/curve.svg ] && [ ! -e c/curve.png ] || fail "pmp-curve left a picture after gnuplot failed"
# gnuplot exiting 0 with an empty picture
printf '#!/bin/sh\ncat > /dev/null\nexit 0\n' > fake/gnuplot
if PATH="$T/fake:$PATH" "$B/pmp-curve" plot c --json 2> e.txt; then fail "an empty picture must be an error"; fi
grep -q '"drawn":1' e.txt && fail "drawn=1 with an empty picture"
grep -q "drew .*nowhere\|empty" e.txt || fail "empty-picture message: $(cat e.txt)"
# and the real one draws
"$B/pmp-curve" plot c --json -q 2> j.txt || fail "pmp-curve plot c"
grep -q '"drawn":1' j.txt && [ -s c/curve.svg ] || fail "drawn: $(cat j.txt)"
echo "noshell ok"
