#!/bin/sh
# Every init of a sweep is drawn, whatever sizes it has: a sweep without size 0 (the
# validation sweeps of pmp_curves.sh) once drew empty figures, because each init's data
# file began with an empty size-0 block that gnuplot does not count as a block, so the
# curve's "index 1" named nothing and gnuplot skipped it with a warning, exit 0.
# Checked by running gnuplot itself on the generated scripts (dumb terminal): no
# "no valid points" warning, and every init's name in the legend of the SVG.
set -eu
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "no gnuplot: skipped"; exit 77; }
# a curve directory in the earlier format (no margins): SIZES for init a, SIZES_B for b
mkcurve() {
  mkdir -p "$1"; echo a > "$1/baseline"
  echo 'target,init,size,seed,pairs,groups,steps,accuracy,accuracy_se,margin,loss,longer_wins,longer_wins_visible,seconds,recipe' > "$1/curve.csv"
  for size in $2; do for seed in 0 1 2; do
    echo "t,a,$size,$seed,$size,$size,4,0.5$seed,0.01,0.1,0.69,0.45,0.44,1.0,0123456789abcdef"; done; done >> "$1/curve.csv"
  for size in $3; do for seed in 0 1 2; do
    echo "t,pmp-b,$size,$seed,$size,$size,4,0.6$seed,0.01,0.1,0.69,0.45,0.44,1.0,0123456789abcdef"; done; done >> "$1/curve.csv"
}
mkcurve no0 "16 64 256" "16 64 256"      # no size 0 at all
mkcurve some0 "0 16 64" "16 64"          # size 0 for one init only
mkcurve only0 "0" "0"                    # size 0 alone
for d in no0 some0 only0; do
  "$B/pmp-curve" plot "$d" -q || fail "pmp-curve plot $d"
  for fig in curve diff; do
    [ -s "$d/$fig.svg" ] || fail "$d/$fig.svg not drawn"
    (cd "$d/.." && printf 'set terminal dumb\nset output "/dev/null"\nload "%s"\n' "$d/$fig.gp" | gnuplot) 2> warn.txt ||
      fail "gnuplot on $d/$fig.gp: $(cat warn.txt)"
    if grep -i 'no valid points\|warning' warn.txt; then fail "$d/$fig.gp draws a series without data"; fi
    grep -q 'pmp-b' "$d/$fig.svg" || fail "$d/$fig.svg: init pmp-b is not drawn"
  done
  grep -q '>a<\|>a ' "$d/curve.svg" || grep -q 'title.*a' "$d/curve.gp" || fail "$d/curve.svg: init a is not drawn"
done
echo "ok: every init drawn with and without size 0"
