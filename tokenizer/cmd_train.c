/* cmd_train.c — pmp-bpe train: text lines (or group JSONL) -> tokenizer.json. */
#include <getopt.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "bpe_cli.h"
#include "pmp_bpe.h"
#include "pmp_group.h"
#include "pmp_input.h"

#define BATCH_BYTES (32u << 20)

enum { OPT_VOCAB = PMP_OPT_FIRST_FREE, OPT_MINFREQ, OPT_SPECIAL, OPT_GROUPS, OPT_THREADS };

static const char USAGE[] =
    "Usage: pmp-bpe train --vocab-size N -o tokenizer.json [OPTIONS] [FILE ... | -]\n"
    "Learns a byte-level BPE vocabulary from text and writes a Hugging Face\n"
    "tokenizer.json. Input: one text per line (plain, .zst, .bz2, .gz), or with\n"
    "--groups comparison groups (JSONL), whose contexts and responses are the texts.\n\n"
    "  -n, --vocab-size N     total size: 256 bytes + merges + special tokens\n"
    "  -o, --output PATH      tokenizer.json to write (atomically; - for stdout)\n"
    "  -p, --pattern P        gpt2 | cl100k | o200k | a PCRE2 regex (default gpt2)\n"
    "      --min-frequency F  stop when the best pair occurs fewer than F times (default 2)\n"
    "      --special TOKEN    add a special token (repeatable), e.g. '<|endoftext|>'\n"
    "      --groups           inputs are group JSONL (docs/records.md)\n"
    "      --threads N        counting threads (default: all cores); the result is the\n"
    "                         same for any N\n"
    "  -q, --quiet  --json  --help  --version\n\n"
    "Merges: the pair with the highest count wins; ties go to the smaller left id,\n"
    "then the smaller right id (ids: bytes 0-255 by value, then merges in order).\n\n"
    "Example:\n"
    "  pmp-bpe train -n 30000 --special '<|endoftext|>' -o tok.json corpus.txt.zst\n";

static const struct option OPTS[] = {
    {"vocab-size", required_argument, NULL, 'n'},
    {"output", required_argument, NULL, 'o'},
    {"pattern", required_argument, NULL, 'p'},
    {"min-frequency", required_argument, NULL, OPT_MINFREQ},
    {"special", required_argument, NULL, OPT_SPECIAL},
    {"groups", no_argument, NULL, OPT_GROUPS},
    {"threads", required_argument, NULL, OPT_THREADS},
    PMP_CLI_LONGOPTS,
    {NULL, 0, NULL, 0}};

typedef struct texts {
    pmp_buf data;
    size_t *off, *len;
    const char **ptr;
    size_t n, cap;
    uint64_t total_bytes, total_texts;
} texts;

static void texts_add(texts *t, const char *s, size_t len)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4096;
        t->off = pmp_xrealloc(t->off, t->cap * sizeof *t->off);
        t->len = pmp_xrealloc(t->len, t->cap * sizeof *t->len);
        t->ptr = pmp_xrealloc(t->ptr, t->cap * sizeof *t->ptr);
    }
    t->off[t->n] = t->data.len;
    t->len[t->n++] = len;
    pmp_buf_append(&t->data, s, len);
    t->total_bytes += len;
    t->total_texts++;
}

static int texts_flush(texts *t, pmp_bpe_trainer *tr, pmp_err *err)
{
    for (size_t i = 0; i < t->n; i++) t->ptr[i] = t->data.data + t->off[i];
    int rc = t->n ? pmp_bpe_trainer_add(tr, t->ptr, t->len, t->n, err) : 0;
    t->n = 0;
    pmp_buf_clear(&t->data);
    return rc;
}

static int read_lines(const char *path, texts *t, pmp_bpe_trainer *tr, pmp_cli *cli, pmp_err *err)
{
    pmp_input *in;
    if (pmp_input_open(&in, path, err) < 0) return -1;
    const char *line;
    size_t len;
    int r;
    while ((r = pmp_input_line(in, &line, &len, err)) == 1) {
        texts_add(t, line, len);
        if (t->data.len >= BATCH_BYTES && texts_flush(t, tr, err) < 0) {
            pmp_err_prefix(err, "%s:%llu", path, (unsigned long long)pmp_input_line_number(in));
            r = -1;
            break;
        }
        pmp_cli_progress(cli, t->total_bytes, t->total_texts, "texts");
    }
    pmp_input_close(in);
    return r < 0 ? -1 : 0;
}

static int read_groups(const char *path, texts *t, pmp_bpe_trainer *tr, pmp_cli *cli, pmp_err *err)
{
    pmp_group_reader *r;
    if (pmp_group_reader_open(&r, path, 0, err) < 0) return -1;
    pmp_group g;
    pmp_group_init(&g);
    int rc;
    while ((rc = pmp_group_reader_next(r, &g, err)) == 1) {
        texts_add(t, g.context, g.context_len);
        for (size_t i = 0; i < g.n_responses; i++)
            texts_add(t, g.responses[i].text, g.responses[i].text_len);
        if (t->data.len >= BATCH_BYTES && texts_flush(t, tr, err) < 0) {
            rc = -1;
            break;
        }
        pmp_cli_progress(cli, t->total_bytes, t->total_texts, "texts");
    }
    pmp_group_clear(&g);
    pmp_group_reader_close(r);
    return rc < 0 ? -1 : 0;
}

int pmp_bpe_cmd_train(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-bpe train", USAGE);
    pmp_bpe_train_opts o = {0};
    const char *output = NULL;
    const char **specials = NULL;
    size_t n_specials = 0;
    int groups = 0, opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "n:o:p:" PMP_CLI_SHORTOPTS, OPTS, NULL)) != -1) {
        int rc_exit, rc = pmp_cli_option(&cli, opt, &rc_exit);
        if (rc == PMP_CLI_EXIT) {
            free(specials);
            return rc_exit;
        }
        if (rc == PMP_CLI_HANDLED) continue;
        uint64_t v;
        long long threads;
        switch (opt) {
        case 'n':
            if (pmp_parse_size(optarg, &v) < 0 || v < 256 || v > UINT32_MAX - 1) {
                free(specials);
                return pmp_cli_usage_error(&cli, "--vocab-size needs a number >= 256");
            }
            o.vocab_size = (uint32_t)v;
            break;
        case 'o': output = optarg; break;
        case 'p': o.pattern = optarg; break;
        case OPT_MINFREQ:
            if (pmp_parse_size(optarg, &v) < 0 || v < 1) {
                free(specials);
                return pmp_cli_usage_error(&cli, "--min-frequency needs a number >= 1");
            }
            o.min_frequency = v;
            break;
        case OPT_SPECIAL:
            specials = pmp_xrealloc(specials, (n_specials + 1) * sizeof *specials);
            specials[n_specials++] = optarg;
            break;
        case OPT_GROUPS: groups = 1; break;
        case OPT_THREADS:
            if (pmp_parse_int(optarg, 1, 1024, &threads) < 0) {
                free(specials);
                return pmp_cli_usage_error(&cli, "--threads needs a number in 1..1024");
            }
            o.threads = (int)threads;
            omp_set_num_threads(o.threads);
            break;
        default: free(specials); return pmp_cli_usage_error(&cli, "unexpected option");
        }
    }
    if (!o.vocab_size || !output) {
        free(specials);
        return pmp_cli_usage_error(&cli, "--vocab-size and --output are required");
    }
    o.specials = specials;
    o.n_specials = n_specials;
    pmp_err err;
    pmp_bpe_trainer *tr;
    if (pmp_bpe_trainer_new(&tr, &o, &err) < 0) {
        free(specials);
        return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    }
    texts t = {0};
    int rc = PMP_EXIT_OK;
    double t0 = pmp_now();
    int nin = optind < argc ? argc - optind : 1;
    for (int i = 0; i < nin && rc == PMP_EXIT_OK; i++) {
        const char *path = optind < argc ? argv[optind + i] : "-";
        int r = groups ? read_groups(path, &t, tr, &cli, &err) : read_lines(path, &t, tr, &cli, &err);
        if (r < 0) rc = pmp_cli_fail_err(&cli, &err);
    }
    if (rc == PMP_EXIT_OK && texts_flush(&t, tr, &err) < 0) rc = pmp_cli_fail_err(&cli, &err);
    double t1 = pmp_now();
    pmp_bpe *bpe = NULL;
    uint64_t stats[2] = {0, 0};
    if (rc == PMP_EXIT_OK && pmp_bpe_trainer_finish(tr, &bpe, stats, &err) < 0)
        rc = pmp_cli_fail_err(&cli, &err);
    double t2 = pmp_now();
    if (rc == PMP_EXIT_OK && pmp_bpe_save_json(bpe, output, &err) < 0)
        rc = pmp_cli_fail_err(&cli, &err);
    pmp_cli_stat_num(&cli, "texts", (double)t.total_texts);
    pmp_cli_stat_num(&cli, "bytes", (double)t.total_bytes);
    pmp_cli_stat_num(&cli, "distinct_pieces", (double)stats[0]);
    pmp_cli_stat_num(&cli, "merges", (double)stats[1]);
    if (bpe) {
        pmp_cli_stat_num(&cli, "vocab_size", pmp_bpe_vocab_size(bpe));
        pmp_cli_stat_str(&cli, "identity", pmp_bpe_identity(bpe));
    }
    pmp_cli_stat_num(&cli, "threads", omp_get_max_threads());
    pmp_cli_stat_num(&cli, "count_seconds", t1 - t0);
    pmp_cli_stat_num(&cli, "merge_seconds", t2 - t1);
    if (rc == PMP_EXIT_OK && bpe && pmp_bpe_vocab_size(bpe) < o.vocab_size)
        pmp_cli_warn(&cli, "only %u tokens: no pair occurs %llu times or more", pmp_bpe_vocab_size(bpe),
                     (unsigned long long)(o.min_frequency ? o.min_frequency : 2));
    pmp_bpe_free(bpe);
    pmp_bpe_trainer_free(tr);
    pmp_buf_free(&t.data);
    free(t.off);
    free(t.len);
    free(t.ptr);
    free(specials);
    return pmp_cli_finish(&cli, rc);
}

static const char CONVERT_USAGE[] =
    "Usage: pmp-bpe convert -t TOKENIZER [-p PATTERN] -o tokenizer.json\n"
    "Writes any tokenizer pmp-bpe loads (a .tiktoken rank file, a GPT-2 directory,\n"
    "a tokenizer.json) as a Hugging Face tokenizer.json with the same ids.\n\n"
    "Example:\n"
    "  pmp-bpe convert -t cl100k_base.tiktoken -o cl100k.json\n";

int pmp_bpe_cmd_convert(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-bpe convert", CONVERT_USAGE);
    static const struct option opts[] = {
        {"tokenizer", required_argument, NULL, 't'},
        {"pattern", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        PMP_CLI_LONGOPTS,
        {NULL, 0, NULL, 0}};
    const char *tok = NULL, *pat = NULL, *output = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "t:p:o:" PMP_CLI_SHORTOPTS, opts, NULL)) != -1) {
        int rc_exit, rc = pmp_cli_option(&cli, opt, &rc_exit);
        if (rc == PMP_CLI_EXIT) return rc_exit;
        if (rc == PMP_CLI_HANDLED) continue;
        switch (opt) {
        case 't': tok = optarg; break;
        case 'p': pat = optarg; break;
        case 'o': output = optarg; break;
        default: return pmp_cli_usage_error(&cli, "unexpected option");
        }
    }
    if (!tok || !output || optind != argc)
        return pmp_cli_usage_error(&cli, "--tokenizer and --output are required (no other arguments)");
    pmp_err err;
    pmp_bpe *b;
    if (pmp_bpe_load(&b, tok, pat, &err) < 0) return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    int rc = PMP_EXIT_OK;
    if (pmp_bpe_save_json(b, output, &err) < 0) rc = pmp_cli_fail_err(&cli, &err);
    pmp_cli_stat_num(&cli, "vocab_size", pmp_bpe_vocab_size(b));
    pmp_cli_stat_str(&cli, "identity", pmp_bpe_identity(b));
    pmp_bpe_free(b);
    return pmp_cli_finish(&cli, rc);
}
