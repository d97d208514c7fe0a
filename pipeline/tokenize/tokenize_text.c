/* tokenize_text.c — pmp-tokenize --text: the distinct texts of the input's groups as
 * documents for language-model pre-training (tokenize_internal.h, docs/tokenize.md).
 *
 * A text is the context or one response of a group. The first occurrence of each
 * distinct text (by its bytes) is kept, in input order, and every later one is
 * dropped: a StackExchange question asked with five answers is one document, not
 * five. The set of texts seen is a pure function of the input prefix, so --resume
 * rebuilds it by reading the groups before the cursor again (without encoding them)
 * and writes the same bytes as an uninterrupted run. */
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "tokenize_internal.h"

/* Open addressing over 128-bit XXH3 hashes (two texts with one hash are one text:
 * about n^2 / 2^129, never in practice); kept under half full. 16 bytes a slot: a
 * billion distinct texts take 32-64 GB, the one memory cost that grows with the
 * input in this mode (docs/tokenize.md). */
struct pmp_text_set {
    XXH128_hash_t *slot;
    size_t mask, used;
};

static int slot_empty(XXH128_hash_t h) { return h.low64 == 0 && h.high64 == 0; }

pmp_text_set *pmp_text_set_new(void)
{
    pmp_text_set *s = pmp_xcalloc(1, sizeof *s);
    s->mask = 1023;
    s->slot = pmp_xcalloc(s->mask + 1, sizeof *s->slot);
    return s;
}

void pmp_text_set_free(pmp_text_set *s)
{
    if (!s) return;
    free(s->slot);
    free(s);
}

static size_t probe(const pmp_text_set *s, XXH128_hash_t h)
{
    size_t i = (size_t)h.low64 & s->mask;
    while (!slot_empty(s->slot[i]) && !XXH128_isEqual(s->slot[i], h)) i = (i + 1) & s->mask;
    return i;
}

/* 1 if the text was new (now added), 0 if seen before. */
int pmp_text_set_add(pmp_text_set *s, const char *text, size_t len)
{
    XXH128_hash_t h = XXH3_128bits(text, len);
    if (slot_empty(h)) h.low64 = 1;   /* zero marks an empty slot */
    size_t i = probe(s, h);
    if (!slot_empty(s->slot[i])) return 0;
    s->slot[i] = h;
    if (++s->used * 2 > s->mask + 1) {
        pmp_text_set old = *s;
        s->mask = s->mask * 2 + 1;
        s->slot = pmp_xcalloc(s->mask + 1, sizeof *s->slot);
        for (size_t j = 0; j <= old.mask; j++)
            if (!slot_empty(old.slot[j])) s->slot[probe(s, old.slot[j])] = old.slot[j];
        free(old.slot);
    }
    return 1;
}

int pmp_text_set_has(const pmp_text_set *s, const char *text, size_t len)
{
    XXH128_hash_t h = XXH3_128bits(text, len);
    if (slot_empty(h)) h.low64 = 1;
    return !slot_empty(s->slot[probe(s, h)]);
}

size_t pmp_text_set_size(const pmp_text_set *s) { return s->used; }

int pmp_text_set_mark(pmp_text_set *s, const pmp_group *g, unsigned char *keep,
                      pmp_text_counts *c)
{
    int any = 0;
    for (size_t i = 0; i <= g->n_responses; i++) {
        const char *t = i == 0 ? g->context : g->responses[i - 1].text;
        size_t n = i == 0 ? g->context_len : g->responses[i - 1].text_len;
        keep[i] = 0;
        if (n == 0) continue;   /* an empty context: nothing to learn from */
        c->texts++;
        if (pmp_text_set_add(s, t, n)) {
            keep[i] = 1;
            any = 1;
        } else {
            c->duplicates++;
        }
    }
    return any;
}
