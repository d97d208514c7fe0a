/* bench_bpe — encode throughput of pmp_tokenizer on texts held in memory (the
 * same texts the npm peers encode in bench_peers.mjs), so that reading and
 * parsing are not timed.
 *   bench_bpe TOKENIZER TEXTS.jsonl REPS THREADS...   batch encode, median MB/s
 *   bench_bpe --line TOKENIZER TEXTS.jsonl MB...       one line of MB megabytes
 *   bench_bpe --run TOKENIZER MB                       one piece of MB megabytes of 'a'
 *   bench_bpe --split TOKENIZER TEXTS.jsonl REPS       pre-tokenisation alone: the
 *                         tokenizer's pattern by PCRE2 and by the hand-written splitter
 *   bench_bpe --prime OTHER.jsonl TOKENIZER TEXTS.jsonl REPS THREADS...
 *                         as the first form, but every pass's scratches have first
 *                         encoded OTHER (untimed): the state of a long run that has
 *                         seen other text of the kind, not the text being timed
 * Prints one JSON object per measurement. */
#include <json-c/json.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpe_internal.h"
#include "pmp_bpe.h"
#include "pmp_input.h"

static char **texts;
static size_t *lens, n_texts, total_bytes;

static void load_texts(const char *path)
{
    pmp_input *in;
    pmp_err err;
    if (pmp_input_open(&in, path, &err) < 0) { fprintf(stderr, "%s\n", err.msg); exit(1); }
    const char *line;
    size_t len, cap = 0;
    while (pmp_input_line(in, &line, &len, &err) == 1) {
        json_tokener *tok = json_tokener_new();   /* lines are not NUL-terminated */
        json_object *o = json_tokener_parse_ex(tok, line, (int)len);
        json_tokener_free(tok);
        if (!o) continue;
        if (n_texts == cap) {
            cap = cap ? cap * 2 : 1024;
            texts = realloc(texts, cap * sizeof *texts);
            lens = realloc(lens, cap * sizeof *lens);
        }
        lens[n_texts] = (size_t)json_object_get_string_len(o);
        texts[n_texts] = malloc(lens[n_texts] + 1);
        memcpy(texts[n_texts], json_object_get_string(o), lens[n_texts] + 1);
        total_bytes += lens[n_texts++];
        json_object_put(o);
    }
    pmp_input_close(in);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Returns wall seconds; *cpu gets the CPU seconds of all threads. On a shared
 * machine CPU time is the steadier figure (waiting for a core is not counted). */
/* --prime: the texts every pass's scratches encode before the timed part */
static char **prime_texts;
static size_t *prime_lens, n_prime, prime_bytes;

static double encode_all(const pmp_bpe *b, int threads, uint64_t *tokens, double *cpu)
{
    uint64_t tok = 0;
    pmp_bpe_scratch **scr = malloc((size_t)threads * sizeof *scr);
    for (int k = 0; k < threads; k++) {
        scr[k] = pmp_bpe_scratch_new(b);
        pmp_ids ids = PMP_IDS_INIT;
        for (size_t i = 0; i < n_prime; i++) {
            pmp_ids_clear(&ids);
            pmp_bpe_encode(b, scr[k], prime_texts[i], prime_lens[i], 0, &ids, NULL);
        }
        pmp_ids_free(&ids);
    }
    double c0 = cpu_now();
    double t0 = pmp_now();
#pragma omp parallel num_threads(threads) reduction(+ : tok)
    {
        pmp_bpe_scratch *s = scr[omp_get_thread_num()];
        pmp_ids ids = PMP_IDS_INIT;
#pragma omp for schedule(dynamic, 16)
        for (size_t i = 0; i < n_texts; i++) {
            pmp_ids_clear(&ids);
            pmp_bpe_encode(b, s, texts[i], lens[i], 0, &ids, NULL);
            tok += ids.len;
        }
        pmp_ids_free(&ids);
    }
    *tokens = tok;
    double dt = pmp_now() - t0;
    *cpu = cpu_now() - c0;
    for (int k = 0; k < threads; k++) pmp_bpe_scratch_free(scr[k]);
    free(scr);
    return dt;
}

static pmp_bpe *load(const char *path)
{
    pmp_bpe *b;
    pmp_err err;
    if (pmp_bpe_load(&b, path, NULL, &err) < 0) { fprintf(stderr, "%s\n", err.msg); exit(1); }
    return b;
}

static void one_text(const pmp_bpe *b, const char *t, size_t len, const char *what, double mb)
{
    pmp_bpe_scratch *s = pmp_bpe_scratch_new(b);
    pmp_ids ids = PMP_IDS_INIT;
    double t0 = pmp_now();
    pmp_bpe_encode(b, s, t, len, 0, &ids, NULL);
    double dt = pmp_now() - t0;
    printf("{\"what\":\"%s\",\"mb\":%.0f,\"seconds\":%.3f,\"mb_s\":%.2f,\"tokens\":%zu,"
           "\"peak_rss_mb\":%llu}\n", what, mb, dt, (double)len / 1e6 / dt, ids.len,
           (unsigned long long)(pmp_peak_rss() >> 20));
    fflush(stdout);
    pmp_ids_free(&ids);
    pmp_bpe_scratch_free(s);
}

static void count_piece(void *ctx, const unsigned char *p, size_t len)
{
    (void)p;
    (void)len;
    ++*(size_t *)ctx;
}

/* Pre-tokenisation alone, one thread: best CPU time of reps passes over the texts. */
static void split_speed(const pmp_bpe *b, int reps)
{
    bpe_matcher m;
    pmp_bpe_matcher_init(&m, b->re, b->jit);
    for (int way = 0; way < 2; way++) {
        if (way == 1 && !b->pretok) break;
        double best = 1e30;
        size_t pieces = 0;
        for (int r = 0; r <= reps; r++) {
            pieces = 0;
            double c0 = cpu_now();
            for (size_t i = 0; i < n_texts; i++) {
                const unsigned char *t = (const unsigned char *)texts[i];
                if (way == 0) pmp_bpe_split(b->re, &m, t, lens[i], count_piece, &pieces, NULL);
                else pmp_bpe_split_pretok(b->pretok, t, lens[i], count_piece, &pieces);
            }
            double c = cpu_now() - c0;
            if (r > 0 && c < best) best = c;   /* pass 0 warms up */
        }
        printf("{\"what\":\"split\",\"pattern\":\"%s\",\"splitter\":\"%s\",\"pieces\":%zu,"
               "\"bytes\":%zu,\"best_cpu_seconds\":%.4f,\"cpu_mb_s\":%.1f}\n",
               pmp_bpe_pattern_name(b), way ? "pretok" : "pcre2-jit", pieces, total_bytes, best,
               (double)total_bytes / 1e6 / best);
    }
    pmp_bpe_matcher_free(&m);
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "--split")) {
        pmp_bpe *b = load(argv[2]);
        load_texts(argv[3]);
        split_speed(b, atoi(argv[4]));
        pmp_bpe_free(b);
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "--line")) {
        pmp_bpe *b = load(argv[2]);
        load_texts(argv[3]);
        for (int a = 4; a < argc; a++) {
            size_t want = (size_t)(atof(argv[a]) * 1e6);
            char *t = malloc(want + 1);
            size_t len = 0;
            /* The texts joined by spaces, newlines turned into spaces: one line. */
            for (size_t i = 0; len < want; i = (i + 1) % n_texts) {
                for (size_t k = 0; k < lens[i] && len < want; k++)
                    t[len++] = texts[i][k] == '\n' ? ' ' : texts[i][k];
                if (len < want) t[len++] = ' ';
            }
            one_text(b, t, len, "single_line", atof(argv[a]));
            free(t);
        }
        pmp_bpe_free(b);
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "--run")) {
        pmp_bpe *b = load(argv[2]);
        for (int a = 3; a < argc; a++) {
            size_t len = (size_t)(atof(argv[a]) * 1e6);
            char *t = malloc(len);
            memset(t, 'a', len);
            one_text(b, t, len, "one_piece_of_a", atof(argv[a]));
            free(t);
        }
        pmp_bpe_free(b);
        return 0;
    }
    const char *prime = NULL;
    if (argc >= 3 && !strcmp(argv[1], "--prime")) {
        prime = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc < 5) {
        fprintf(stderr, "usage: bench_bpe [--prime OTHER.jsonl] TOKENIZER TEXTS.jsonl REPS THREADS...\n");
        return 2;
    }
    if (prime) {
        load_texts(prime);
        prime_texts = texts;
        prime_lens = lens;
        n_prime = n_texts;
        prime_bytes = total_bytes;
        texts = NULL;
        lens = NULL;
        n_texts = total_bytes = 0;
    }
    pmp_bpe *b = load(argv[1]);
    load_texts(argv[2]);
    int reps = atoi(argv[3]);
    if (reps < 1) reps = 1;
    /* FNV-1a (32-bit, one step per id) of every id of every text in order: the
     * same digest bench_peers.mjs prints, so the peers' ids are checked equal. */
    uint32_t digest = 0x811c9dc5u;
    {
        pmp_bpe_scratch *s = pmp_bpe_scratch_new(b);
        pmp_ids ids = PMP_IDS_INIT;
        for (size_t i = 0; i < n_texts; i++) {
            pmp_ids_clear(&ids);
            pmp_bpe_encode(b, s, texts[i], lens[i], 0, &ids, NULL);
            for (size_t k = 0; k < ids.len; k++) digest = (digest ^ ids.data[k]) * 16777619u;
        }
        pmp_ids_free(&ids);
        pmp_bpe_scratch_free(s);
    }
    double *t = calloc((size_t)reps, sizeof *t), *c = calloc((size_t)reps, sizeof *c);
    for (int a = 4; a < argc; a++) {
        int th = atoi(argv[a]);
        uint64_t tokens = 0;
        double cpu;
        encode_all(b, th, &tokens, &cpu);   /* warm-up */
        for (int r = 0; r < reps; r++) t[r] = encode_all(b, th, &tokens, &c[r]);
        qsort(t, (size_t)reps, sizeof *t, cmp_d);
        qsort(c, (size_t)reps, sizeof *c, cmp_d);
        /* Best of reps: on a shared machine the least disturbed pass (the peers are
         * timed the same way). Every pass starts with new scratches, so the piece
         * caches start empty each time. */
        double best = t[0], cbest = c[0];
        printf("{\"impl\":\"pmp\",\"primed_bytes\":%zu,\"threads\":%d,\"texts\":%zu,\"bytes\":%zu,\"tokens\":%llu,"
               "\"digest\":\"%08x\",\"best_seconds\":%.4f,\"mb_s\":%.2f,\"best_cpu_seconds\":%.4f,"
               "\"cpu_mb_s\":%.2f,\"median_cpu_mb_s\":%.2f,\"peak_rss_mb\":%llu}\n", prime_bytes, th, n_texts,
               total_bytes, (unsigned long long)tokens, digest, best, (double)total_bytes / 1e6 / best,
               cbest, (double)total_bytes / 1e6 / cbest, (double)total_bytes / 1e6 / c[reps / 2],
               (unsigned long long)(pmp_peak_rss() >> 20));
        fflush(stdout);
    }
    free(t);
    free(c);
    pmp_bpe_free(b);
    return 0;
}
