#!/bin/bash
# The merge-rule check can fail: a key planted in a copy of the manifest writer
# (formats/manifest.c), with no row in the merge table, makes test_manifest_merge fail
# naming it. Three plantings: a key written only under a condition, a key of each
# shard entry, and a key written by a new helper function.
set -u
T=$PMP_TMP
CHECK=$PMP_BIN/../tests/test_manifest_merge
W=$PMP_SRC/formats/manifest.c
rm -rf "$T"; mkdir -p "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$CHECK" ] || fail "no $CHECK"

# unplanted: passes
PMP_MANIFEST_WRITER=$W "$CHECK" > "$T/clean.out" 2>&1 || fail "the unplanted writer fails: $(cat "$T/clean.out")"

plant() {   # NAME KEY SED-ARGS...
    local name=$1 key=$2
    shift 2
    sed "$@" "$W" > "$T/$name.c"
    ! cmp -s "$W" "$T/$name.c" || fail "$name: nothing was planted (the writer changed: update this test)"
    if PMP_MANIFEST_WRITER=$T/$name.c "$CHECK" > "$T/$name.out" 2>&1; then
        fail "$name: the check passed with \"$key\" planted"
    fi
    grep -F "manifest key \"$key\"" "$T/$name.out" | grep -q "has no merge rule" ||
        fail "$name: the failure does not name \"$key\": $(cat "$T/$name.out")"
    echo "ok: $name: \"$key\" caught"
}
plant conditional policy.planted \
    '/pmp_jobj_u64(&j, "zstd_level"/a\    if (p->zstd_level > 99) pmp_jobj_u64(\&j, "planted", 1);'
plant shard_entry 'shards[].planted' \
    '/pmp_jobj_u64(&j, "groups_without_pairs"/a\        pmp_jobj_u64(\&j, "planted", 0);'
plant helper input.planted_by_helper \
    -e '/^static uint64_t canonical_sum/i\static void put_more(pmp_jobj *j) { pmp_jobj_bool(j, "planted_by_helper", 1); }\n' \
    -e '/pmp_jobj_u64(&j, "cursor"/a\    put_more(\&j);'
