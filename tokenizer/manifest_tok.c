/* manifest_tok.c — the tokenizer a shard directory was made with (pmp_bpe.h,
 * pmp_bpe_load_for_manifest). One implementation, so that every program agrees on
 * which pattern a manifest's tokenizer is loaded with: two diverging copies once made
 * pmp-train refuse shards that pmp-shard read, those made with --pattern. */
#include <string.h>

#include "bpe_internal.h"
#include "pmp_shard.h"

int pmp_bpe_load_for_manifest(pmp_bpe **out, const pmp_manifest *m, const char *path,
                              const char *pattern, pmp_err *err)
{
    *out = NULL;
    char *recorded = path ? NULL : pmp_manifest_tokenizer_file(m);
    if (!path) path = recorded;
    if (!path)
        return pmp_err_setc(err, PMP_E_USAGE, "the manifest names no tokenizer path; use --tokenizer");
    if (!pattern && m->tok_pattern && strcmp(m->tok_pattern, "custom") != 0) pattern = m->tok_pattern;
    pmp_bpe *bpe;
    if (pmp_bpe_load(&bpe, path, pattern, err) < 0) {
        free(recorded);
        return -1;
    }
    if (strcmp(pmp_bpe_identity(bpe), m->tok_identity) != 0) {
        pmp_err_setc(err, PMP_E_MISMATCH,
                     "tokenizer %s (%s%s%s) is not the one the shards were made with (%s)", path,
                     pmp_bpe_identity(bpe), pattern ? ", pattern " : "", pattern ? pattern : "",
                     m->tok_identity);
        pmp_bpe_free(bpe);
        free(recorded);
        return -1;
    }
    free(recorded);
    *out = bpe;
    return 0;
}
