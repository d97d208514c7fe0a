/* cmd_codec.c — pmp-bpe encode / decode / info.
 * Lines are read in batches and encoded in parallel (OpenMP, one scratch per
 * thread); output keeps the input order. A bad line stops the run with its
 * file and line number after the lines before it have been written whole. */
#include <getopt.h>
#include <json-c/json.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "bpe_cli.h"
#include "pmp_bpe.h"
#include "pmp_input.h"

#define BATCH_BYTES (8u << 20)
#define BATCH_LINES 65536

enum { OPT_TOKENIZER = PMP_OPT_FIRST_FREE, OPT_PATTERN, OPT_JSONL, OPT_SPECIAL, OPT_THREADS };

typedef struct batch {
    pmp_buf text;            /* the raw lines, concatenated */
    size_t *off, *len;
    uint64_t first_line;     /* line number of line 0 */
    size_t n, cap;
} batch;

static void batch_add(batch *b, const char *line, size_t len)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        b->off = pmp_xrealloc(b->off, b->cap * sizeof *b->off);
        b->len = pmp_xrealloc(b->len, b->cap * sizeof *b->len);
    }
    b->off[b->n] = b->text.len;
    b->len[b->n] = len;
    pmp_buf_append(&b->text, line, len);
    b->n++;
}

static void batch_free(batch *b)
{
    pmp_buf_free(&b->text);
    free(b->off);
    free(b->len);
}

/* Decodes one JSON string line into out. Returns 0 or -1 (err without location). */
static int json_string_line(json_tokener *tok, const char *line, size_t len, pmp_buf *out,
                            pmp_err *err)
{
    json_tokener_reset(tok);
    json_object *o = json_tokener_parse_ex(tok, line, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    int rc = 0;
    if (je == json_tokener_continue)
        rc = pmp_err_setc(err, PMP_E_INPUT, "not a JSON value (it ends early)");
    else if (!o || je != json_tokener_success)
        rc = pmp_err_setc(err, PMP_E_INPUT, "not a JSON value (%s)", json_tokener_error_desc(je));
    else if (json_tokener_get_parse_end(tok) < len &&
             strspn(line + json_tokener_get_parse_end(tok), " \t\r") !=
                 len - json_tokener_get_parse_end(tok))
        rc = pmp_err_setc(err, PMP_E_INPUT, "text after the JSON string");
    else if (!json_object_is_type(o, json_type_string))
        rc = pmp_err_setc(err, PMP_E_INPUT, "expected a JSON string");
    else
        pmp_buf_append(out, json_object_get_string(o), (size_t)json_object_get_string_len(o));
    json_object_put(o);
    return rc;
}

static void put_u32(pmp_buf *out, uint32_t v)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    pmp_buf_reserve(out, (size_t)n);
    while (n) out->data[out->len++] = tmp[--n];
    out->data[out->len] = 0;
}

typedef struct encode_job {
    const pmp_bpe *bpe;
    int jsonl, allow_special;
    pmp_ids *ids;            /* per line of the batch */
    size_t cap_ids;
    /* per OpenMP thread, kept from batch to batch: their caches (hot table, piece
     * cache) stay warm and are allocated once, not once per batch */
    pmp_bpe_scratch **scratch;
    int n_scratch;
    double encode_seconds;
    uint64_t tokens, bytes;
} encode_job;

/* Encodes the batch; on a bad line returns its index (>= 0) with err filled, or -1. */
static long encode_batch(encode_job *job, batch *b, pmp_err *err)
{
    if (b->n > job->cap_ids) {
        job->ids = pmp_xrealloc(job->ids, b->n * sizeof *job->ids);
        for (size_t i = job->cap_ids; i < b->n; i++) job->ids[i] = (pmp_ids)PMP_IDS_INIT;
        job->cap_ids = b->n;
    }
    long bad = -1;
    double t0 = pmp_now();
    uint64_t bytes = 0;
    if (!job->scratch) {
        job->n_scratch = omp_get_max_threads();
        job->scratch = pmp_xcalloc((size_t)job->n_scratch, sizeof *job->scratch);
    }
#pragma omp parallel reduction(+ : bytes) num_threads(job->n_scratch)
    {
        int tid = omp_get_thread_num();
        if (!job->scratch[tid]) job->scratch[tid] = pmp_bpe_scratch_new(job->bpe);
        pmp_bpe_scratch *s = job->scratch[tid];
        json_tokener *tok = job->jsonl ? json_tokener_new_ex(8) : NULL;
        pmp_buf text = PMP_BUF_INIT;
        pmp_err e;
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < b->n; i++) {
            pmp_ids_clear(&job->ids[i]);
            const char *t = b->text.data + b->off[i];
            size_t len = b->len[i];
            int rc = 0;
            if (job->jsonl) {
                pmp_buf_clear(&text);
                rc = json_string_line(tok, t, len, &text, &e);
                t = text.data ? text.data : "";
                len = text.len;
            }
            if (rc == 0)
                rc = pmp_bpe_encode(job->bpe, s, t, len, job->allow_special, &job->ids[i], &e);
            bytes += len;
            if (rc < 0) {
#pragma omp critical
                if (bad < 0 || (long)i < bad) {
                    bad = (long)i;
                    *err = e;
                }
            }
        }
        pmp_buf_free(&text);
        if (tok) json_tokener_free(tok);
    }
    job->encode_seconds += pmp_now() - t0;
    job->bytes += bytes;
    return bad;
}

static int write_ids(encode_job *job, size_t n, pmp_buf *out, FILE *f)
{
    for (size_t i = 0; i < n; i++) {
        pmp_ids *ids = &job->ids[i];
        for (size_t k = 0; k < ids->len; k++) {
            if (k) pmp_buf_appendc(out, ' ');
            put_u32(out, ids->data[k]);
        }
        pmp_buf_appendc(out, '\n');
        job->tokens += ids->len;
        if (out->len > (1u << 20)) {
            if (fwrite(out->data, 1, out->len, f) != out->len) return -1;
            pmp_buf_clear(out);
        }
    }
    if (out->len && fwrite(out->data, 1, out->len, f) != out->len) return -1;
    pmp_buf_clear(out);
    return 0;
}

static const char ENCODE_USAGE[] =
    "Usage: pmp-bpe encode -t TOKENIZER [OPTIONS] [FILE|-]\n"
    "Encodes each input line (without its newline) to one output line of token ids\n"
    "separated by single spaces. FILE may be plain, .zst, .bz2 or .gz.\n\n"
    "  -t, --tokenizer T   tokenizer.json, a .tiktoken rank file, or a GPT-2 directory\n"
    "                      (encoder.json + vocab.bpe)\n"
    "  -p, --pattern P     gpt2 | cl100k | o200k | a PCRE2 regex (default: the file's\n"
    "                      own pattern, or inferred from a known file name)\n"
    "      --jsonl         each input line is one JSON string (texts with newlines)\n"
    "      --allow-special recognise special tokens such as <|endoftext|> in the text\n"
    "      --threads N     encoding threads (default: all cores)\n"
    "  -q, --quiet  --json  --help  --version\n\n"
    "Example:\n"
    "  echo 'Hello world' | pmp-bpe encode -t cl100k_base.tiktoken\n"
    "  9906 1917\n";

static const struct option CODEC_OPTS[] = {
    {"tokenizer", required_argument, NULL, 't'},
    {"pattern", required_argument, NULL, 'p'},
    {"jsonl", no_argument, NULL, OPT_JSONL},
    {"allow-special", no_argument, NULL, OPT_SPECIAL},
    {"threads", required_argument, NULL, OPT_THREADS},
    PMP_CLI_LONGOPTS,
    {NULL, 0, NULL, 0}};

typedef struct codec_args {
    const char *tokenizer, *pattern, *input;
    int jsonl, allow_special, threads;
} codec_args;

/* Returns -1 to go on, else an exit code. */
/* positional_tok: the tokenizer may be given as the only argument (info). */
static int parse_codec(pmp_cli *cli, int argc, char **argv, codec_args *a, int positional_tok)
{
    memset(a, 0, sizeof *a);
    int opt;
    long long v;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "t:p:" PMP_CLI_SHORTOPTS, CODEC_OPTS, NULL)) != -1) {
        int rc_exit, rc = pmp_cli_option(cli, opt, &rc_exit);
        if (rc == PMP_CLI_EXIT) return rc_exit;
        if (rc == PMP_CLI_HANDLED) continue;
        switch (opt) {
        case 't': a->tokenizer = optarg; break;
        case 'p': a->pattern = optarg; break;
        case OPT_JSONL: a->jsonl = 1; break;
        case OPT_SPECIAL: a->allow_special = 1; break;
        case OPT_THREADS:
            if (pmp_parse_int(optarg, 1, 1024, &v) < 0)
                return pmp_cli_usage_error(cli, "--threads needs a number in 1..1024");
            a->threads = (int)v;
            break;
        default: return pmp_cli_usage_error(cli, "unexpected option");
        }
    }
    if (!a->tokenizer && positional_tok && optind < argc) a->tokenizer = argv[optind++];
    if (!a->tokenizer) return pmp_cli_usage_error(cli, "--tokenizer is required");
    if (optind + 1 < argc || (positional_tok && optind < argc))
        return pmp_cli_usage_error(cli, "too many arguments");
    a->input = optind < argc ? argv[optind] : "-";
    if (a->threads) omp_set_num_threads(a->threads);
    return -1;
}

/* Loads the tokenizer and opens the input of encode/decode. Returns -1 when
 * both are open, else the exit code (after reporting). */
static int open_codec(pmp_cli *cli, const codec_args *a, pmp_bpe **bpe, pmp_input **in)
{
    pmp_err err;
    if (pmp_bpe_load(bpe, a->tokenizer, a->pattern, &err) < 0)
        return pmp_cli_finish(cli, pmp_cli_fail_err(cli, &err));
    if (pmp_input_open(in, a->input, &err) < 0) {
        pmp_bpe_free(*bpe);
        return pmp_cli_finish(cli, pmp_cli_fail_err(cli, &err));
    }
    return -1;
}

int pmp_bpe_cmd_encode(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-bpe encode", ENCODE_USAGE);
    codec_args a;
    int rc = parse_codec(&cli, argc, argv, &a, 0);
    if (rc >= 0) return rc;
    pmp_err err;
    pmp_bpe *bpe;
    pmp_input *in;
    if ((rc = open_codec(&cli, &a, &bpe, &in)) >= 0) return rc;
    batch b = {0};
    encode_job job = {.bpe = bpe, .jsonl = a.jsonl, .allow_special = a.allow_special};
    pmp_buf out = PMP_BUF_INIT;
    uint64_t lines = 0;
    rc = PMP_EXIT_OK;
    for (int done = 0; !done && rc == PMP_EXIT_OK;) {
        b.n = 0;
        pmp_buf_clear(&b.text);
        b.first_line = lines + 1;
        while (b.n < BATCH_LINES && b.text.len < BATCH_BYTES) {
            const char *line;
            size_t len;
            int r = pmp_input_line(in, &line, &len, &err);
            if (r < 0) { rc = pmp_cli_fail_err(&cli, &err); break; }
            if (r == 0) { done = 1; break; }
            batch_add(&b, line, len);
            lines++;
        }
        long bad = b.n ? encode_batch(&job, &b, &err) : -1;
        size_t ok = bad < 0 ? b.n : (size_t)bad;
        if (write_ids(&job, ok, &out, stdout) < 0) rc = pmp_cli_fail(&cli, "writing: %m");
        if (bad >= 0 && rc == PMP_EXIT_OK)
            rc = pmp_cli_fail(&cli, "%s:%llu: %s", pmp_input_name(in),
                              (unsigned long long)(b.first_line + (uint64_t)bad), err.msg);
        pmp_cli_progress(&cli, pmp_input_offset(in), lines, "lines");
    }
    if (fflush(stdout) != 0 && rc == PMP_EXIT_OK) rc = pmp_cli_fail(&cli, "writing: %m");
    pmp_cli_stat_num(&cli, "lines", (double)lines);
    pmp_cli_stat_num(&cli, "bytes", (double)job.bytes);
    pmp_cli_stat_num(&cli, "tokens", (double)job.tokens);
    pmp_cli_stat_num(&cli, "threads", omp_get_max_threads());
    pmp_cli_stat_num(&cli, "encode_seconds", job.encode_seconds);
    if (job.encode_seconds > 0)
        pmp_cli_stat_num(&cli, "encode_mb_s", (double)job.bytes / 1e6 / job.encode_seconds);
    for (size_t i = 0; i < job.cap_ids; i++) pmp_ids_free(&job.ids[i]);
    free(job.ids);
    for (int i = 0; i < job.n_scratch; i++) pmp_bpe_scratch_free(job.scratch[i]);
    free(job.scratch);
    batch_free(&b);
    pmp_buf_free(&out);
    pmp_input_close(in);
    pmp_bpe_free(bpe);
    return pmp_cli_finish(&cli, rc);
}

static const char DECODE_USAGE[] =
    "Usage: pmp-bpe decode -t TOKENIZER [OPTIONS] [FILE|-]\n"
    "The inverse of encode: each input line of space-separated ids becomes one line\n"
    "of text (raw bytes), or with --jsonl one JSON string (invalid UTF-8 replaced by\n"
    "U+FFFD, counted in the stats).\n\n"
    "  -t, --tokenizer T   tokenizer.json, a .tiktoken rank file, or a GPT-2 directory\n"
    "      --jsonl         write JSON strings\n"
    "  -q, --quiet  --json  --help  --version\n\n"
    "Example:\n"
    "  echo '9906 1917' | pmp-bpe decode -t cl100k_base.tiktoken\n"
    "  Hello world\n";

int pmp_bpe_cmd_decode(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-bpe decode", DECODE_USAGE);
    codec_args a;
    int rc = parse_codec(&cli, argc, argv, &a, 0);
    if (rc >= 0) return rc;
    pmp_err err;
    pmp_bpe *bpe;
    pmp_input *in;
    if ((rc = open_codec(&cli, &a, &bpe, &in)) >= 0) return rc;
    pmp_ids ids = PMP_IDS_INIT;
    pmp_buf text = PMP_BUF_INIT, out = PMP_BUF_INIT;
    uint64_t lines = 0, replaced = 0;
    rc = PMP_EXIT_OK;
    const char *line;
    size_t len;
    int r;
    while (rc == PMP_EXIT_OK && (r = pmp_input_line(in, &line, &len, &err)) == 1) {
        lines++;
        pmp_ids_clear(&ids);
        size_t i = 0;
        while (i < len) {
            while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
            if (i >= len) break;
            uint64_t v = 0;
            size_t start = i;
            while (i < len && line[i] >= '0' && line[i] <= '9' && v <= UINT32_MAX)
                v = v * 10 + (uint64_t)(line[i++] - '0');
            if (i == start || v >= UINT32_MAX || (i < len && line[i] != ' ' && line[i] != '\t' &&
                                                  line[i] != '\r')) {
                rc = pmp_cli_fail(&cli, "%s:%llu: column %zu: expected a token id",
                                  pmp_input_name(in), (unsigned long long)lines, start + 1);
                break;
            }
            pmp_ids_push(&ids, (uint32_t)v);
        }
        if (rc != PMP_EXIT_OK) break;
        pmp_buf_clear(&text);
        if (pmp_bpe_decode(bpe, ids.data, ids.len, &text, &err) < 0) {
            rc = pmp_cli_fail(&cli, "%s:%llu: %s", pmp_input_name(in), (unsigned long long)lines,
                              err.msg);
            break;
        }
        if (a.jsonl) {
            pmp_buf clean = PMP_BUF_INIT;
            replaced += pmp_utf8_sanitize(&clean, text.data ? text.data : "", text.len);
            pmp_json_put_string(&out, clean.data ? clean.data : "", clean.len);
            pmp_buf_free(&clean);
        } else {
            pmp_buf_append(&out, text.data ? text.data : "", text.len);
        }
        pmp_buf_appendc(&out, '\n');
        if (out.len > (1u << 20)) {
            if (fwrite(out.data, 1, out.len, stdout) != out.len) rc = pmp_cli_fail(&cli, "writing: %m");
            pmp_buf_clear(&out);
        }
    }
    if (rc == PMP_EXIT_OK && r < 0) rc = pmp_cli_fail_err(&cli, &err);
    if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len && rc == PMP_EXIT_OK)
        rc = pmp_cli_fail(&cli, "writing: %m");
    if (fflush(stdout) != 0 && rc == PMP_EXIT_OK) rc = pmp_cli_fail(&cli, "writing: %m");
    pmp_cli_stat_num(&cli, "lines", (double)lines);
    if (a.jsonl) pmp_cli_stat_num(&cli, "replaced_invalid_utf8", (double)replaced);
    pmp_ids_free(&ids);
    pmp_buf_free(&text);
    pmp_buf_free(&out);
    pmp_input_close(in);
    pmp_bpe_free(bpe);
    return pmp_cli_finish(&cli, rc);
}

static const char INFO_USAGE[] =
    "Usage: pmp-bpe info [-p PATTERN] [--json] TOKENIZER\n"
    "Prints the kind, vocabulary size, pattern, special tokens and identity (the\n"
    "content hash that shard manifests record) of a tokenizer; --json: as one JSON\n"
    "object on stdout.\n\n"
    "Example:\n"
    "  pmp-bpe info gpt2/\n";

int pmp_bpe_cmd_info(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-bpe info", INFO_USAGE);
    codec_args a;
    int rc = parse_codec(&cli, argc, argv, &a, 1);
    if (rc >= 0) return rc;
    pmp_err err;
    pmp_bpe *bpe;
    if (pmp_bpe_load(&bpe, a.tokenizer, a.pattern, &err) < 0)
        return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    if (cli.json) {   /* the same facts, one JSON object on stdout */
        pmp_buf out = PMP_BUF_INIT;
        pmp_jobj j;
        pmp_jobj_begin(&j, &out);
        pmp_jobj_str(&j, "tokenizer", a.tokenizer);
        pmp_jobj_str(&j, "kind", pmp_bpe_kind(bpe));
        pmp_jobj_u64(&j, "vocab_size", pmp_bpe_vocab_size(bpe));
        pmp_jobj_u64(&j, "ordinary_tokens", pmp_bpe_n_tokens(bpe));
        pmp_jobj_array(&j, "special_tokens");
        for (size_t i = 0; i < pmp_bpe_n_specials(bpe); i++) {
            uint32_t id;
            const char *t = pmp_bpe_special(bpe, i, &id);
            pmp_jobj_object(&j, NULL);
            pmp_jobj_u64(&j, "id", id);
            pmp_jobj_str(&j, "text", t);
            pmp_jobj_close(&j);
        }
        pmp_jobj_close(&j);
        pmp_jobj_str(&j, "pattern_name", pmp_bpe_pattern_name(bpe));
        pmp_jobj_str(&j, "pattern", pmp_bpe_pattern(bpe));
        pmp_jobj_str(&j, "identity", pmp_bpe_identity(bpe));
        pmp_jobj_end(&j);
        printf("%s\n", out.data);
        pmp_buf_free(&out);
        pmp_bpe_free(bpe);
        return PMP_EXIT_OK;
    }
    printf("kind: %s\nvocab_size: %u\nordinary_tokens: %u\nspecial_tokens: %zu\n",
           pmp_bpe_kind(bpe), pmp_bpe_vocab_size(bpe), pmp_bpe_n_tokens(bpe),
           pmp_bpe_n_specials(bpe));
    for (size_t i = 0; i < pmp_bpe_n_specials(bpe); i++) {
        uint32_t id;
        const char *t = pmp_bpe_special(bpe, i, &id);
        printf("special: %u %s\n", id, t);
    }
    printf("pattern_name: %s\npattern: %s\nidentity: %s\n", pmp_bpe_pattern_name(bpe),
           pmp_bpe_pattern(bpe), pmp_bpe_identity(bpe));
    pmp_bpe_free(bpe);
    return PMP_EXIT_OK;
}
