/* json_speed — why pmp-extract reddit has its own field extractor: MB/s of
 * pulling the fields it needs out of real pushshift lines with json-c (the
 * project's JSON library) and pmp_ndjson / pmp_reddit_parse, on the
 * same in-memory input in the same run (medians of repeated passes, 1 thread).
 * MB/s is per CPU-second of this process (the machine is shared, so wall time
 * mostly measures the neighbours); wall-clock MB/s is printed next to it.
 *
 *   reddit-json-speed FILE.ndjson [MIN_MB=256] [REPS=5]
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pmp_common.h"
#include "pmp_ndjson.h"
#include "pmp_reddit.h"

static const char *const keys[] = {"id", "parent_id", "link_id", "body", "score",
                                   "created_utc", "author", "subreddit", "stickied",
                                   "distinguished"};
enum { NK = sizeof keys / sizeof keys[0] };

typedef struct lines {
    const char *buf;
    size_t len;
} lines;

/* Each pass walks the lines and touches the same fields; returns a checksum so the
 * work cannot be optimised away. */
static double pass_jsonc(lines in)
{
    double sum = 0;
    json_tokener *tok = json_tokener_new();
    for (const char *p = in.buf, *end = in.buf + in.len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)(nl - p);
        json_tokener_reset(tok);
        json_object *o = json_tokener_parse_ex(tok, p, (int)n);
        if (!o) { fprintf(stderr, "json-c: parse error\n"); exit(1); }
        for (int k = 0; k < NK; k++) {
            json_object *v;
            if (!json_object_object_get_ex(o, keys[k], &v)) continue;
            if (json_object_is_type(v, json_type_string)) sum += json_object_get_string_len(v);
            else if (json_object_is_type(v, json_type_int)) sum += (double)json_object_get_int64(v);
        }
        json_object_put(o);
        p = nl + 1;
    }
    json_tokener_free(tok);
    return sum;
}

static double pass_ndjson(lines in)
{
    double sum = 0;
    pmp_ndjson *x = pmp_ndjson_new(keys, NK);
    pmp_jfield f[NK];
    pmp_err err;
    for (const char *p = in.buf, *end = in.buf + in.len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (pmp_ndjson_extract(x, p, (size_t)(nl - p), f, &err)) {
            fprintf(stderr, "pmp_ndjson: %s\n", err.msg);
            exit(1);
        }
        for (int k = 0; k < NK; k++) {
            double d;
            if (f[k].type == PMP_JV_STRING) sum += (double)f[k].len;
            else if (f[k].type == PMP_JV_NUMBER && !pmp_jfield_number(&f[k], &d)) sum += d;
        }
        p = nl + 1;
    }
    pmp_ndjson_free(x);
    return sum;
}

static double pass_reddit(lines in)
{
    double sum = 0;
    pmp_reddit_parser *rp = pmp_reddit_parser_new();
    pmp_reddit_item it;
    pmp_err err;
    for (const char *p = in.buf, *end = in.buf + in.len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (pmp_reddit_parse(rp, p, (size_t)(nl - p), 0, &it, &err) < 0) {
            fprintf(stderr, "pmp_reddit_parse: %s\n", err.msg);
            exit(1);
        }
        sum += (double)it.body_len + it.score;
        p = nl + 1;
    }
    pmp_reddit_parser_free(rp);
    return sum;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: reddit-json-speed FILE.ndjson [MIN_MB=256] [REPS=5]\n");
        return 2;
    }
    double min_mb = argc > 2 ? atof(argv[2]) : 256;
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    pmp_buf one = PMP_BUF_INIT, all = PMP_BUF_INIT;
    char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) pmp_buf_append(&one, chunk, n);
    fclose(f);
    if (!one.len || one.data[one.len - 1] != '\n') pmp_buf_appendc(&one, '\n');
    while ((double)all.len < min_mb * 1048576.0) pmp_buf_append(&all, one.data, one.len);
    lines in = {all.data, all.len};

    static const struct {
        const char *name;
        double (*run)(lines);
    } m[] = {{"json-c", pass_jsonc}, {"pmp_ndjson", pass_ndjson}, {"pmp_reddit_parse", pass_reddit}};
    enum { NM = sizeof m / sizeof m[0] };
    double *t = calloc((size_t)reps * NM, sizeof *t), *w = calloc((size_t)reps * NM, sizeof *w);
    double sums[NM];
    /* Interleaved passes, so machine noise hits every method alike. */
    for (int r = 0; r < reps; r++)
        for (int k = 0; k < NM; k++) {
            double t0 = cpu_now(), w0 = pmp_now();
            sums[k] = m[k].run(in);
            t[k * reps + r] = cpu_now() - t0;
            w[k * reps + r] = pmp_now() - w0;
        }
    double mb = (double)in.len / 1e6, med[NM], wmed[NM];
    printf("input: %.1f MB of NDJSON (%s replicated), %d passes each, 1 thread\n", mb, argv[1],
           reps);
    for (int k = 0; k < NM; k++) {
        qsort(t + k * reps, (size_t)reps, sizeof *t, cmp_double);
        med[k] = t[k * reps + reps / 2];
        qsort(w + k * reps, (size_t)reps, sizeof *w, cmp_double);
        wmed[k] = w[k * reps + reps / 2];
    }
    for (int k = 0; k < NM; k++)
        printf("%-18s median %7.3f cpu-s %8.1f MB/s (%.2fx json-c) | wall %7.3f s %8.1f MB/s"
               "  checksum %.0f\n", m[k].name, med[k], mb / med[k], med[0] / med[k], wmed[k],
               mb / wmed[k], sums[k]);
    free(t);
    free(w);
    pmp_buf_free(&one);
    pmp_buf_free(&all);
    return 0;
}
