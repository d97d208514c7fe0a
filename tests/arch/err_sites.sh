#!/bin/bash
# Counts the error sites of the libraries by the code they give (issue 28): every
# pmp_err_set (the unclassified PMP_E_FAIL), pmp_err_setc (its code, or "computed"
# when the code is a variable) and pmp_err_errno (errno decides: io or nospace).
# Usage: err_sites.sh [SRC_DIR] [--files | --check]
#   --files: the remaining PMP_E_FAIL sites; --check: fail if a library site uses
#   pmp_err_set (unclassified) or PMP_E_FAIL outside the places where the kind is
#   unknown by construction (another MPI rank or a curve cell failed).
SRC="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$SRC" || exit 1
files=$(find common formats tokenizer pipeline trainer -name '*.c' | sort)
if [ "${2:-}" = --check ]; then
  bad=$(grep -n 'pmp_err_set *(\|PMP_E_FAIL' $files | grep -v '^common/err.c' |
        grep -v 'another MPI rank failed\|the loss is not finite\|"cell %s\|gnuplot failed')
  [ -z "$bad" ] && { echo "err_sites: every library error site is classified"; exit 0; }
  echo "err_sites: unclassified error sites (use pmp_err_setc with a code, docs/architecture.md):"
  echo "$bad"
  exit 1
fi
if [ "${2:-}" = --files ]; then
  grep -n 'pmp_err_set *(\|PMP_E_FAIL' $files | grep -v '^common/err.c'
  exit 0
fi
perl -0777 -ne '
  while (/\bpmp_err_set\s*\(/g)            { $n{"PMP_E_FAIL (pmp_err_set)"}++ }
  while (/\bpmp_err_setc\s*\(\s*[^,]+,\s*([^,]+?)\s*,/g) {
      my $c = $1; $c = "errno (io/nospace)" if $c =~ /^pmp_errcode_from_errno/;
      $c = "computed" unless $c =~ /^PMP_E_\w+$|^errno/; $n{$c}++ }
  while (/\bpmp_err_errno\s*\(/g)          { $n{"errno (io/nospace)"}++ }
  END { my $t = 0; for (sort keys %n) { printf "%5d %s\n", $n{$_}, $_; $t += $n{$_} }
        printf "%5d total\n", $t }' $(echo "$files" | grep -v '^common/err.c')
