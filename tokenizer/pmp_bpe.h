/* pmp_bpe.h — byte-level BPE as in GPT-2 and tiktoken (docs/tokenizer.md).
 *
 * Text is split into pieces by the pattern (gpt2, cl100k, o200k: hand-written
 * matchers exact against PCRE2; a custom regex: PCRE2, JIT, UTF + UCP), each piece
 * is turned into tokens by merging adjacent byte strings in rank order (lowest
 * rank first, leftmost on ties), exactly as tiktoken does. Special tokens are found
 * only when the caller allows them; otherwise their text is ordinary text.
 *
 * Threads: a pmp_bpe is read-only after loading, so any number of threads may
 * encode and decode with it at once, provided each thread passes its OWN
 * pmp_bpe_scratch (the PCRE2 match data, merge buffers, and the piece caches,
 * about 4 MiB once used: keep a scratch for many texts rather than one per
 * text). A scratch is never shared between threads at the same time. Typical OpenMP use:
 *
 *   #pragma omp parallel
 *   { pmp_bpe_scratch *s = pmp_bpe_scratch_new(bpe);
 *     #pragma omp for
 *     for (i...) pmp_bpe_encode(bpe, s, text[i], len[i], 0, &ids[i], NULL);
 *     pmp_bpe_scratch_free(s); }
 */
#ifndef PMP_BPE_H
#define PMP_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"

typedef struct pmp_bpe pmp_bpe;
typedef struct pmp_bpe_scratch pmp_bpe_scratch;

/* A growable array of token ids. Initialise with PMP_IDS_INIT; encode appends. */
typedef struct pmp_ids {
    uint32_t *data;
    size_t len;
    size_t cap;
} pmp_ids;
#define PMP_IDS_INIT {NULL, 0, 0}
void pmp_ids_push(pmp_ids *ids, uint32_t id);
void pmp_ids_clear(pmp_ids *ids);   /* len = 0, keeps memory */
void pmp_ids_free(pmp_ids *ids);

/* ---- loading and saving ---- */

/* path: a Hugging Face tokenizer.json, a tiktoken rank file (*.tiktoken), or a
 * directory holding GPT-2's encoder.json + vocab.bpe. The kind is detected from
 * the contents. pattern: NULL (use the file's own pattern, or infer it from a
 * known file name: gpt2/r50k -> gpt2, cl100k_base -> cl100k, o200k_base -> o200k),
 * a name ("gpt2", "cl100k", "o200k"), or a PCRE2 regex. Known encodings get their
 * special tokens (e.g. <|endoftext|>) from the built-in table. */
int pmp_bpe_load(pmp_bpe **out, const char *path, const char *pattern, pmp_err *err);
void pmp_bpe_free(pmp_bpe *bpe);

/* Loads the tokenizer a shard directory's manifest names (the one loader for
 * pmp-shard, pmp-tokenize --resume and pmp-train): the file at `path`, or when NULL
 * the path the manifest recorded; with the manifest's pre-tokenisation pattern, or
 * `pattern` when not NULL (a pattern recorded as "custom" must be given this way).
 * The result must have the manifest's identity, else an error with code
 * PMP_E_MISMATCH naming both identities. */
struct pmp_manifest;
int pmp_bpe_load_for_manifest(pmp_bpe **out, const struct pmp_manifest *m, const char *path,
                              const char *pattern, pmp_err *err);

/* Writes a tokenizer.json that Hugging Face tokenizers loads (BPE model,
 * Split(pattern) + ByteLevel pre-tokenizer, ByteLevel decoder). Written to a
 * temporary file and renamed, so a failed save leaves no partial file. */
int pmp_bpe_save_json(const pmp_bpe *bpe, const char *path, pmp_err *err);

/* What a reward model's tokenizer.json adds (pmp-train export to a directory): n
 * special tokens past the vocabulary (ids ascending, >= pmp_bpe_vocab_size; e.g. a
 * padding token), and, when append_id >= 0, a TemplateProcessing post-processor
 * that appends that special token (one of the tokenizer's or of these) to a single
 * text ($A) and to a pair ($A $B), the way pmp-train reads a reward. The file no
 * longer loads back as the same tokenizer identity when n > 0. */
typedef struct pmp_bpe_json_extra {
    const char *const *texts;
    const uint32_t *ids;
    size_t n;
    int64_t append_id;
} pmp_bpe_json_extra;
int pmp_bpe_save_json_extra(const pmp_bpe *bpe, const pmp_bpe_json_extra *x, const char *path,
                            pmp_err *err);

/* ---- encoding and decoding ---- */

pmp_bpe_scratch *pmp_bpe_scratch_new(const pmp_bpe *bpe);
void pmp_bpe_scratch_free(pmp_bpe_scratch *s);

/* Appends the ids of text[0..len) to out. Any bytes are accepted: invalid UTF-8
 * is never rejected (each maximal invalid run is its own piece, and the pattern
 * runs on the valid stretches between them), so decode(encode(x)) == x always.
 * allow_special: recognise every special token's text as that token.
 * Returns 0, or -1 if the regex engine fails or the text holds a byte the
 * vocabulary has no token for (possible only for a tokenizer.json trained
 * without all 256 bytes); then nothing is appended. err may be NULL. */
int pmp_bpe_encode(const pmp_bpe *bpe, pmp_bpe_scratch *s, const char *text, size_t len,
                   int allow_special, pmp_ids *out, pmp_err *err);

/* Appends the bytes of ids to out. An id outside the vocabulary is an error. */
int pmp_bpe_decode(const pmp_bpe *bpe, const uint32_t *ids, size_t n, pmp_buf *out,
                   pmp_err *err);

/* ---- inspection ---- */

/* One past the largest id (ordinary or special): the embedding table's size. */
uint32_t pmp_bpe_vocab_size(const pmp_bpe *bpe);
/* Number of ordinary (mergeable) tokens. */
uint32_t pmp_bpe_n_tokens(const pmp_bpe *bpe);
/* The id of a special token given its text, or -1. */
int64_t pmp_bpe_special_id(const pmp_bpe *bpe, const char *text);
size_t pmp_bpe_n_specials(const pmp_bpe *bpe);
/* i-th special token (in id order): its text and id. */
const char *pmp_bpe_special(const pmp_bpe *bpe, size_t i, uint32_t *id);
/* The bytes of an ordinary or special token, or NULL for an unused id. */
const char *pmp_bpe_token(const pmp_bpe *bpe, uint32_t id, size_t *len);
/* The pre-tokenisation regex in use, and its name ("gpt2", "cl100k", "o200k",
 * or "custom"). */
const char *pmp_bpe_pattern(const pmp_bpe *bpe);
const char *pmp_bpe_pattern_name(const pmp_bpe *bpe);
/* "bpe1:" + 32 hex digits: XXH3-128 of the canonical content (pattern, every
 * token's id and bytes, the merge order, the special tokens). Independent of
 * the file kind it was loaded from: GPT-2's directory, r50k_base.tiktoken and a
 * tokenizer.json saved from either have the same identity. */
const char *pmp_bpe_identity(const pmp_bpe *bpe);
/* The kind that was loaded: "tiktoken", "gpt2-dir", "tokenizer.json", "trained". */
const char *pmp_bpe_kind(const pmp_bpe *bpe);

/* The regex text for a pattern name, or NULL if the name is not known. */
const char *pmp_bpe_named_pattern(const char *name);

/* ---- training ---- */

typedef struct pmp_bpe_train_opts {
    uint32_t vocab_size;        /* total, including the 256 bytes and the specials */
    uint64_t min_frequency;     /* stop when the best pair occurs fewer times (0 = 2) */
    const char *pattern;        /* name or regex; NULL = "gpt2" */
    const char *const *specials;/* special token texts, ids after the merges */
    size_t n_specials;
    int threads;                /* 0 = OpenMP default */
} pmp_bpe_train_opts;

typedef struct pmp_bpe_trainer pmp_bpe_trainer;

int pmp_bpe_trainer_new(pmp_bpe_trainer **out, const pmp_bpe_train_opts *opts, pmp_err *err);
/* Counts the pieces of n texts (in parallel, OpenMP, opts->threads threads).
 * May be called many times; call it from one thread at a time (it runs its own
 * parallel region and must not be called from inside one). */
int pmp_bpe_trainer_add(pmp_bpe_trainer *t, const char *const *texts, const size_t *lens,
                        size_t n, pmp_err *err);
/* Learns the merges and builds the tokenizer. Merge choice: the pair with the
 * highest count; ties go to the pair whose left id is smaller, then whose right
 * id is smaller. The result does not depend on the thread count.
 * stats (may be NULL): [0] distinct pieces, [1] merges learned. */
int pmp_bpe_trainer_finish(pmp_bpe_trainer *t, pmp_bpe **out, uint64_t stats[2],
                           pmp_err *err);
void pmp_bpe_trainer_free(pmp_bpe_trainer *t);

#endif
