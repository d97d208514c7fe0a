/* libFuzzer target: BPE encode and decode (tokenizer/encode.c) for two small
 * byte-level tokenizers trained once, in memory, with the project's trainer
 * (gpt2 pattern; cl100k pattern with more merges, including long runs of one
 * letter so that pieces over 256 bytes take the heap merge). The first input
 * byte picks the tokenizer; the rest is the text, encoded with special tokens
 * allowed and not (overlapping specials "<|end" and "<|endoftext|>").
 * Oracles: decode(encode(x)) == x; without specials allowed no special id
 * appears; for texts up to 600 bytes (past the 256 of the heap
 * merge) the ids equal those of a naive reference
 * (split with the same pattern, whole-piece lookup, then the lowest-rank
 * leftmost pair merged until none is left; specials: earliest, then longest). */
#include "fuzz_bpe_check.h"

static pmp_bpe *toks[2];
static pmp_bpe_scratch *scratch[2];
static bpe_matcher matcher[2];

static const char *const SPECIALS[] = {"<|endoftext|>", "<|end", "<|fim|>"};

static const char CORPUS[] =
    "The quick brown fox jumps over the lazy dog. It's the dog's day, isn't it? "
    "We'll see: 1234567890 and 3.14159; e-mail me@example.com!\n\n"
    "Human: How do I bake bread?\n\nAssistant: Mix flour, water, salt and yeast.\r\n"
    "caf\xC3\xA9 na\xC3\xAFve \xC3\xBC\xC3\xB6\xC3\xA4 \xE4\xB8\xAD\xE6\x96\x87\xE4\xB8\xAD\xE6\x96\x87 "
    "\xF0\x9F\x98\x80\xF0\x9F\x98\x80 \xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82   \t\t  "
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
    "abababababababababababababababab ------------------------------ ";

static void train(int k, const char *pattern, uint32_t vocab)
{
    pmp_bpe_train_opts o = {0};
    o.vocab_size = vocab;
    o.min_frequency = 1;
    o.pattern = pattern;
    o.specials = SPECIALS;
    o.n_specials = sizeof SPECIALS / sizeof SPECIALS[0];
    o.threads = 1;
    pmp_bpe_trainer *t;
    pmp_err err;
    const char *texts[1] = {CORPUS};
    size_t lens[1] = {sizeof CORPUS - 1};
    if (pmp_bpe_trainer_new(&t, &o, &err) < 0 || pmp_bpe_trainer_add(t, texts, lens, 1, &err) < 0 ||
        pmp_bpe_trainer_finish(t, &toks[k], NULL, &err) < 0) {
        fprintf(stderr, "training the fuzz tokenizer: %s\n", err.msg);
        abort();
    }
    pmp_bpe_trainer_free(t);
    scratch[k] = pmp_bpe_scratch_new(toks[k]);
    pmp_bpe_matcher_init(&matcher[k], toks[k]->re, toks[k]->jit);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    train(0, "gpt2", 300);
    train(1, "cl100k", 420);
    return 0;
}

/* ---- the reference ---- */

typedef struct ref_ctx {
    const pmp_bpe *b;
    pmp_ids *out;
} ref_ctx;

static uint32_t rank_of(const pmp_bpe *b, const unsigned char *p, size_t n)
{
    const bpe_slot *s = bpe_find(b, p, n);
    return s ? s->rank : BPE_NO_RANK;
}

static void ref_piece(void *ctx, const unsigned char *p, size_t len)
{
    ref_ctx *c = ctx;
    const pmp_bpe *b = c->b;
    const bpe_slot *whole = bpe_find(b, p, len);
    if (whole) {
        pmp_ids_push(c->out, whole->id);
        return;
    }
    size_t *start = pmp_xmalloc((len + 1) * sizeof *start), m = len;
    for (size_t i = 0; i <= len; i++) start[i] = i;
    for (;;) {
        uint32_t best = BPE_NO_RANK;
        size_t bi = 0;
        for (size_t i = 0; i + 1 < m; i++) {
            uint32_t r = rank_of(b, p + start[i], start[i + 2] - start[i]);
            if (r < best) { best = r; bi = i; }
        }
        if (best == BPE_NO_RANK) break;
        memmove(start + bi + 1, start + bi + 2, (m - bi - 1) * sizeof *start);
        m--;
    }
    for (size_t i = 0; i < m; i++) {
        const bpe_slot *s = bpe_find(b, p + start[i], start[i + 1] - start[i]);
        FUZZ_CHECK(s);
        pmp_ids_push(c->out, s->id);
    }
    free(start);
}

static void ref_encode(int k, const unsigned char *t, size_t len, int allow, pmp_ids *out)
{
    const pmp_bpe *b = toks[k];
    ref_ctx c = {b, out};
    pmp_err err;
    size_t pos = 0;
    while (pos < len) {
        size_t at = len, which = 0, best = 0;
        for (size_t i = pos; allow && i < len && at == len; i++)
            for (size_t s = 0; s < b->n_specials; s++)
                if (b->sp_len[s] <= len - i && !memcmp(t + i, b->sp_text[s], b->sp_len[s]) &&
                    b->sp_len[s] > best) {
                    at = i;
                    which = s;
                    best = b->sp_len[s];
                }
        FUZZ_CHECK(pmp_bpe_split(b->re, &matcher[k], t + pos, at - pos, ref_piece, &c, &err) == 0);
        if (at == len) break;
        pmp_ids_push(out, b->sp_id[which]);
        pos = at + b->sp_len[which];
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int k = data[0] & 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    fuzz_roundtrip(toks[k], scratch[k], text, len);
    if (len <= 600) {
        for (int allow = 0; allow < 2; allow++) {
            pmp_ids got = PMP_IDS_INIT, want = PMP_IDS_INIT;
            pmp_err err;
            FUZZ_CHECK(pmp_bpe_encode(toks[k], scratch[k], text, len, allow, &got, &err) == 0);
            ref_encode(k, (const unsigned char *)text, len, allow, &want);
            if (got.len != want.len || (got.len && memcmp(got.data, want.data, got.len * 4) != 0)) {
                fprintf(stderr, "ids differ from the reference (allow_special=%d): %zu vs %zu ids\n",
                        allow, got.len, want.len);
                abort();
            }
            pmp_ids_free(&got);
            pmp_ids_free(&want);
        }
    }
    return 0;
}
