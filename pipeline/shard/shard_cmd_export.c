/* shard_cmd_export.c — pmp-shard export: a shard directory's pairs decoded back to text
 * in the layouts other preference-model tools read (docs/tokenize.md, "export"):
 *   trl  one line a pair: {"prompt", "chosen", "rejected", "score_chosen", "score_rejected",
 *        "source", "group", "chosen_id", "rejected_id"} (TRL / Hugging Face preference data)
 *   shp  one line a pair, Stanford SHP's columns: post_id, domain, history, c_root_id_A/B,
 *        human_ref_A/B, labels (1: A is preferred), score_A/B, score_ratio
 *   h4   one line a group, the H4 stack-exchange-preferences layout: qid, question,
 *        answers [{answer_id, text, pm_score, selected}]
 * The texts are the tokens as stored, so they are exactly what pmp-train trains on (after
 * --max-context-tokens / --max-response-tokens cuts); the pairs are the stored ones. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard_cmd.h"

typedef enum { FMT_TRL, FMT_SHP, FMT_H4 } export_format;

typedef struct export_ctx {
    const pmp_bpe *bpe;
    export_format fmt;
    FILE *out;
    const char *out_name;    /* the file out writes, for errors ("<stdout>") */
    pmp_buf line, scratch, ctx;
    pmp_buf *resp;           /* decoded responses of the current group */
    size_t resp_cap;
    uint64_t repaired, pairs, groups;
} export_ctx;

static void put_id(pmp_jobj *j, const char *key, const pmp_shard_resp *r)
{
    if (r->id) pmp_jobj_strn(j, key, r->id, r->id_len);
    else pmp_jobj_null(j, key);
}

/* The accepted answer of a StackExchange group (meta "accepted"), or NULL. */
static char *accepted_of(const pmp_shard_group *g)
{
    if (!g->meta || !g->meta_len) return NULL;
    char *text = pmp_xstrndup(g->meta, g->meta_len);
    json_object *m = json_tokener_parse(text);
    free(text);
    char *acc = NULL;
    json_object *v;
    if (m && json_object_object_get_ex(m, "accepted", &v) && json_object_is_type(v, json_type_string))
        acc = pmp_xstrdup(json_object_get_string(v));
    if (m) json_object_put(m);
    return acc;
}

static int export_one(void *p, const pmp_shard_group *g, pmp_err *err)
{
    export_ctx *c = p;
    if (g->n_resp > c->resp_cap) {
        c->resp = pmp_xrealloc(c->resp, g->n_resp * sizeof *c->resp);
        for (size_t i = c->resp_cap; i < g->n_resp; i++) c->resp[i] = (pmp_buf)PMP_BUF_INIT;
        c->resp_cap = g->n_resp;
    }
    if (pmp_shard_cmd_decode(c->bpe, g->ctx, g->n_ctx, &c->ctx, &c->scratch, &c->repaired, err) < 0) return -1;
    for (uint32_t i = 0; i < g->n_resp; i++)
        if (pmp_shard_cmd_decode(c->bpe, g->resp[i].tokens, g->resp[i].n_tokens, &c->resp[i], &c->scratch,
                                 &c->repaired, err) < 0)
            return -1;
    c->groups++;
    pmp_buf_clear(&c->line);
    pmp_jobj j;
    if (c->fmt == FMT_H4) {
        char *acc = accepted_of(g);
        pmp_jobj_begin(&j, &c->line);
        pmp_jobj_strn(&j, "qid", g->id, g->id_len);
        pmp_jobj_strn(&j, "source", g->source, g->source_len);
        pmp_jobj_strn(&j, "question", c->ctx.data, c->ctx.len);
        pmp_jobj_array(&j, "answers");
        for (uint32_t i = 0; i < g->n_resp; i++) {
            const pmp_shard_resp *r = &g->resp[i];
            pmp_jobj_object(&j, NULL);
            put_id(&j, "answer_id", r);
            pmp_jobj_strn(&j, "text", c->resp[i].data, c->resp[i].len);
            pmp_jobj_num(&j, "pm_score", r->score);
            pmp_jobj_bool(&j, "selected", acc && r->id && strlen(acc) == r->id_len &&
                                              memcmp(acc, r->id, r->id_len) == 0);
            pmp_jobj_close(&j);
        }
        pmp_jobj_end(&j);
        pmp_buf_appendc(&c->line, '\n');
        free(acc);
    }
    for (uint32_t k = 0; c->fmt != FMT_H4 && k < g->n_pairs; k++) {
        uint32_t bi = g->pairs[2 * k], wi = g->pairs[2 * k + 1];
        const pmp_shard_resp *b = &g->resp[bi], *w = &g->resp[wi];
        pmp_jobj_begin(&j, &c->line);
        if (c->fmt == FMT_TRL) {
            pmp_jobj_strn(&j, "prompt", c->ctx.data, c->ctx.len);
            pmp_jobj_strn(&j, "chosen", c->resp[bi].data, c->resp[bi].len);
            pmp_jobj_strn(&j, "rejected", c->resp[wi].data, c->resp[wi].len);
            pmp_jobj_num(&j, "score_chosen", b->score);
            pmp_jobj_num(&j, "score_rejected", w->score);
            pmp_jobj_strn(&j, "source", g->source, g->source_len);
            pmp_jobj_strn(&j, "group", g->id, g->id_len);
            put_id(&j, "chosen_id", b);
            put_id(&j, "rejected_id", w);
        } else {
            /* A is the response that comes first in the group, so the label is not
             * always 1 (SHP's own A/B are in no preferred order either) */
            uint32_t ai = bi < wi ? bi : wi, zi = bi < wi ? wi : bi;
            const pmp_shard_resp *A = &g->resp[ai], *B = &g->resp[zi];
            pmp_jobj_strn(&j, "post_id", g->id, g->id_len);
            pmp_jobj_strn(&j, "domain", g->source, g->source_len);
            pmp_jobj_strn(&j, "history", c->ctx.data, c->ctx.len);
            put_id(&j, "c_root_id_A", A);
            put_id(&j, "c_root_id_B", B);
            pmp_jobj_strn(&j, "human_ref_A", c->resp[ai].data, c->resp[ai].len);
            pmp_jobj_strn(&j, "human_ref_B", c->resp[zi].data, c->resp[zi].len);
            pmp_jobj_int(&j, "labels", ai == bi);
            pmp_jobj_num(&j, "score_A", A->score);
            pmp_jobj_num(&j, "score_B", B->score);
            /* preferred over dispreferred, as SHP defines it; undefined unless both > 0 */
            if (b->score > 0 && w->score > 0) pmp_jobj_num(&j, "score_ratio", b->score / w->score);
            else pmp_jobj_null(&j, "score_ratio");
        }
        pmp_jobj_end(&j);
        pmp_buf_appendc(&c->line, '\n');
        c->pairs++;
    }
    if (c->line.len && fwrite(c->line.data, 1, c->line.len, c->out) != c->line.len)
        return pmp_err_errno(err, errno, "%s: write error", c->out_name);
    return 0;
}

static const char export_usage[] =
    "Usage: pmp-shard export --format trl|shp|h4 [-o FILE] [-t TOKENIZER] DIR...\n"
    "Writes the pairs of DIR's shards as text, in the layout another tool reads:\n"
    "  trl  one JSON line a pair: prompt, chosen, rejected, score_chosen, score_rejected,\n"
    "       source, group, chosen_id, rejected_id (TRL / Hugging Face preference data)\n"
    "  shp  one JSON line a pair, Stanford SHP's columns: post_id, domain, history,\n"
    "       c_root_id_A/B, human_ref_A/B, labels (1: A preferred), score_A/B, score_ratio\n"
    "  h4   one JSON line a group, H4 stack-exchange-preferences: qid, question,\n"
    "       answers [{answer_id, text, pm_score, selected}]\n"
    "The texts are the stored tokens decoded, so exactly what pmp-train trains on.\n"
    "-o FILE is written as FILE.tmp and renamed when complete (default: stdout).\n\n"
    "Example:\n  pmp-shard export --format trl -o pairs.jsonl shards/\n";

int pmp_shard_cmd_export(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-shard export", export_usage);
    enum { OPT_FORMAT = PMP_OPT_FIRST_FREE };
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"tokenizer", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    const char *fmt = NULL, *out = NULL, *tokenizer = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS "o:t:", longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        if (c == OPT_FORMAT) fmt = optarg;
        else if (c == 'o') out = optarg;
        else if (c == 't') tokenizer = optarg;
        else return pmp_cli_usage_error(&cli, "unexpected option");
    }
    export_ctx x;
    memset(&x, 0, sizeof x);
    if (!fmt) return pmp_cli_usage_error(&cli, "--format is required (trl, shp or h4)");
    if (!strcmp(fmt, "trl")) x.fmt = FMT_TRL;
    else if (!strcmp(fmt, "shp")) x.fmt = FMT_SHP;
    else if (!strcmp(fmt, "h4")) x.fmt = FMT_H4;
    else return pmp_cli_bad_value(&cli, longopts, OPT_FORMAT, fmt);
    if (optind >= argc) return pmp_cli_usage_error(&cli, "expected a shard directory");
    pmp_buf tmp = PMP_BUF_INIT;
    if (out && strcmp(out, "-") != 0) {
        pmp_buf_printf(&tmp, "%s.tmp", out);
        x.out = fopen(tmp.data, "wb");
        if (!x.out) {
            int e = errno;
            pmp_buf_free(&tmp);
            return pmp_cli_fail(&cli, "%s.tmp: %s", out, strerror(e));
        }
        x.out_name = tmp.data;
    } else {
        x.out = stdout;
        x.out_name = "<stdout>";
    }
    pmp_err err;
    int rc = 0;
    for (int i = optind; i < argc && rc == 0; i++) {
        pmp_manifest m;
        pmp_manifest_init(&m);
        if (pmp_shard_dir_open(&m, argv[i], 0, &err) <= 0) rc = -1;
        if (rc == 0 && m.policy.text_chunk_tokens)
            rc = pmp_err_setc(&err, PMP_E_USAGE, "%s holds text documents (pmp-tokenize --text), not pairs",
                              argv[i]);
        pmp_bpe *bpe = NULL;
        if (rc == 0 && pmp_bpe_load_for_manifest(&bpe, &m, tokenizer, NULL, &err) < 0) rc = -1;
        x.bpe = bpe;
        if (rc == 0) rc = pmp_shard_cmd_each(&m, export_one, &x, &err);
        pmp_bpe_free(bpe);
        pmp_manifest_free(&m);
    }
    if (x.out != stdout) {
        /* complete or nothing: the final name appears only after a whole, flushed write */
        int cerr = fclose(x.out) != 0 ? errno : 0;
        if (rc == 0 && cerr) rc = pmp_err_setc(&err, pmp_errcode_from_errno(cerr), "%s: %s", tmp.data, strerror(cerr));
        if (rc == 0 && rename(tmp.data, out) != 0) rc = pmp_err_setc(&err, pmp_errcode_from_errno(errno), "%s: %s", out, strerror(errno));
        if (rc != 0) unlink(tmp.data);
    }
    pmp_buf_free(&tmp);
    pmp_buf_free(&x.line);
    pmp_buf_free(&x.scratch);
    pmp_buf_free(&x.ctx);
    for (size_t i = 0; i < x.resp_cap; i++) pmp_buf_free(&x.resp[i]);
    free(x.resp);
    if (x.repaired)
        pmp_cli_warn(&cli, "%llu truncated texts ended inside a UTF-8 character (replaced by U+FFFD)",
                     (unsigned long long)x.repaired);
    if (rc < 0) return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    pmp_cli_stat_num(&cli, "groups", (double)x.groups);
    pmp_cli_stat_num(&cli, "pairs", (double)x.pairs);
    return pmp_cli_finish(&cli, PMP_EXIT_OK);
}
