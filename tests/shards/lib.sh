# lib.sh — helpers for the shard tests (sourced). Needs PMP_BIN and PMP_TMP.
set -u
BIN=$PMP_BIN
SHARED=${PMP_SHARED:-/nonexistent}
mkdir -p "$PMP_TMP"

fail() { echo "FAIL: $*" >&2; exit 1; }

# A small byte-level BPE in tiktoken format, written here so the tests need no
# downloaded tokenizer: the 256 bytes, then a few merges of common English pairs
# (each merge's two halves are earlier tokens, as tiktoken requires).
make_tokenizer() {
    local out=$1 i
    : > "$out"
    for i in $(seq 0 255); do
        printf "%s %d\n" "$(printf "\\$(printf %03o "$i")" | base64)" "$i" >> "$out"
    done
    i=256
    for t in "th" "he" "in" "er" "an" " t" " a" "the" " the" "ing" "re" "on" " s" "nd" "ou"; do
        printf "%s %d\n" "$(printf "%s" "$t" | base64)" "$i" >> "$out"
        i=$((i + 1))
    done
}

# sha256 of every file under a directory, with relative names (for comparing runs).
tree_sums() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum); }

# N synthetic comparison groups (docs/records.md) with 2..5 responses, integer
# scores with ties, created_utc on some responses, optional ids and meta, text
# with multi-byte UTF-8 and escapes. Deterministic (an LCG seeded by $2).
gen_groups() {
    awk -v n="$1" -v seed="${2:-1}" 'BEGIN {
        s = seed;
        split("alpha beta gamma delta naïve café – “quoted” the then ing and on thé 日本語 tab\\there new\\nline", w, " ");
        nw = 0; for (k in w) nw++;
        for (g = 1; g <= n; g++) {
            ctx = ""; m = 3 + rnd(20);
            for (k = 0; k < m; k++) ctx = ctx (k ? " " : "") w[1 + rnd(nw)];
            printf "{\"source\":\"synth%d\",\"id\":\"synth/%d\",\"context\":\"%s\",\"responses\":[", g % 3, g, ctx;
            nr = 2 + rnd(4);
            for (r = 0; r < nr; r++) {
                txt = ""; m = 1 + rnd(30);
                for (k = 0; k < m; k++) txt = txt (k ? " " : "") w[1 + rnd(nw)];
                printf "%s{", r ? "," : "";
                if (rnd(3)) printf "\"id\":\"r%d\",", r;
                printf "\"text\":\"%s\",\"score\":%d", txt, rnd(12) - 2;
                if (g % 2) printf ",\"created_utc\":%d", 1500000000 + rnd(1000);
                printf "}";
            }
            printf "]";
            if (g % 4 == 0) printf ",\"meta\":{\"n\":%d,\"tag\":\"x%d\"}", g, rnd(9);
            printf "}\n";
        }
    }
    function rnd(k) { s = (s * 69069 + 1) % 4294967296; return int(s / 65536) % k; }'
}
