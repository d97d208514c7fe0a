/* shard_cmd_stats.c — pmp-shard stats: length, score-gap and pairs-per-group
 * histograms over the stored (post-truncation) data. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shard_cmd.h"

#define NB 40
#define PPG 17   /* pairs per group 0..15, then 16+ */

typedef struct hist {
    uint64_t n[NB];
    uint64_t count, max;
    double sum;
} hist;

/* Bucket 0: value 0; bucket b >= 1: [2^(b-1), 2^b). */
static void hist_add(hist *h, uint64_t v)
{
    int b = 0;
    while (b < NB - 1 && v >= (1ull << b)) b++;
    h->n[b]++;
    h->count++;
    h->sum += (double)v;
    if (v > h->max) h->max = v;
}

typedef struct stats_ctx {
    hist ctx, resp, gap;   /* gap: bucket of ceil(gap) */
    uint64_t ppg[PPG];
    uint64_t gap_fraction;  /* gaps below 1 */
} stats_ctx;

static int stats_one(void *p, const pmp_shard_group *g, pmp_err *err)
{
    (void)err;
    stats_ctx *s = p;
    hist_add(&s->ctx, g->n_ctx);
    for (uint32_t i = 0; i < g->n_resp; i++) hist_add(&s->resp, g->resp[i].n_tokens);
    s->ppg[g->n_pairs < PPG - 1 ? g->n_pairs : PPG - 1]++;
    for (uint32_t k = 0; k < g->n_pairs; k++) {
        double d = g->resp[g->pairs[2 * k]].score - g->resp[g->pairs[2 * k + 1]].score;
        if (d < 1) s->gap_fraction++;
        hist_add(&s->gap, d >= 1 ? (uint64_t)floor(d) : 0);
    }
    return 0;
}

static void print_hist(const char *title, const hist *h, const char *zero_label)
{
    printf("%s: n=%" PRIu64 " mean=%.2f max=%" PRIu64 "\n", title, h->count,
           h->count ? h->sum / (double)h->count : 0.0, h->max);
    for (int b = 0; b < NB; b++) {
        if (!h->n[b]) continue;
        char label[64];
        if (b == 0) snprintf(label, sizeof label, "%s", zero_label);
        else snprintf(label, sizeof label, "[%llu, %llu)", 1ull << (b - 1), 1ull << b);
        printf("  %-24s %12" PRIu64 "  %6.2f%%\n", label, h->n[b],
               100.0 * (double)h->n[b] / (double)h->count);
    }
}

/* --json: {"count","mean","max","buckets":[{"lo","hi","n"}]}; bucket 0 is [0, 1). */
static void json_hist(pmp_jobj *j, const char *key, const hist *h)
{
    pmp_jobj_object(j, key);
    pmp_jobj_u64(j, "count", h->count);
    pmp_jobj_num(j, "mean", h->count ? h->sum / (double)h->count : 0.0);
    pmp_jobj_u64(j, "max", h->max);
    pmp_jobj_array(j, "buckets");
    for (int b = 0; b < NB; b++) {
        if (!h->n[b]) continue;
        pmp_jobj_object(j, NULL);
        pmp_jobj_u64(j, "lo", b ? 1ull << (b - 1) : 0);
        pmp_jobj_u64(j, "hi", 1ull << b);
        pmp_jobj_u64(j, "n", h->n[b]);
        pmp_jobj_close(j);
    }
    pmp_jobj_close(j);
    pmp_jobj_close(j);
}

static void print_json(const stats_ctx *s)
{
    pmp_buf out = PMP_BUF_INIT;
    pmp_jobj j;
    pmp_jobj_begin(&j, &out);
    json_hist(&j, "context_tokens", &s->ctx);
    json_hist(&j, "response_tokens", &s->resp);
    json_hist(&j, "score_gap", &s->gap);
    pmp_jobj_array(&j, "pairs_per_group");   /* index k: groups with k pairs; the last: 16+ */
    for (int k = 0; k < PPG; k++) pmp_jobj_u64(&j, NULL, s->ppg[k]);
    pmp_jobj_end(&j);
    printf("%s\n", out.data);
    pmp_buf_free(&out);
}

static const char stats_usage[] =
    "Usage: pmp-shard stats [--json] DIR...\n"
    "Histograms over the stored groups: context and response lengths in tokens (after\n"
    "truncation; power-of-two buckets), score gaps of the pairs (better - worse), and\n"
    "pairs per group. --json: one JSON object on stdout (each histogram's count, mean,\n"
    "max and buckets {lo, hi, n}; pairs_per_group[k] groups with k pairs, the last 16+).\n\n"
    "Example:\n  pmp-shard stats shards/\n";

int pmp_shard_cmd_stats(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-shard stats", stats_usage);
    static const struct option longopts[] = {PMP_CLI_LONGOPTS, {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_NOT_OURS) return pmp_cli_usage_error(&cli, "unexpected option");
    }
    if (optind >= argc) return pmp_cli_usage_error(&cli, "expected a shard directory");
    stats_ctx *s = pmp_xcalloc(1, sizeof *s);
    pmp_err err;
    for (int i = optind; i < argc; i++) {
        pmp_manifest m;
        int got = pmp_shard_dir_open(&m, argv[i], 0, &err);
        if (got <= 0 || pmp_shard_cmd_each(&m, stats_one, s, &err) < 0) {
            if (got > 0) pmp_manifest_free(&m);
            free(s);
            return pmp_cli_fail_err(&cli, &err);
        }
        pmp_manifest_free(&m);
    }
    if (cli.json) {
        print_json(s);
        free(s);
        return PMP_EXIT_OK;
    }
    print_hist("context tokens", &s->ctx, "0");
    print_hist("response tokens", &s->resp, "0");
    print_hist("score gap (better - worse), floor", &s->gap, "(0, 1)");
    uint64_t groups = 0;
    for (int k = 0; k < PPG; k++) groups += s->ppg[k];
    printf("pairs per group: groups=%" PRIu64 "\n", groups);
    for (int k = 0; k < PPG; k++) {
        if (!s->ppg[k]) continue;
        char label[32];
        snprintf(label, sizeof label, k == PPG - 1 ? "%d+" : "%d", k);
        printf("  %-24s %12" PRIu64 "  %6.2f%%\n", label, s->ppg[k],
               100.0 * (double)s->ppg[k] / (double)groups);
    }
    free(s);
    return PMP_EXIT_OK;
}
