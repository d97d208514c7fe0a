/* libFuzzer target: MediaWiki export XML (wikipedia_xml.c), and the whole
 * Wikipedia source on top of it (wikipedia.c: reverts, cleaning, diff, groups).
 * Inputs that start like a compressed stream are skipped (pmp_input's business).
 *  1. The events of pmp_wiki_xml_feed, with the input fed whole and then in
 *     small chunks (1..64 bytes, from the first byte): a revision is reported
 *     only inside a page whose page callback wanted it (it declines every third
 *     page), page_end closes every announced page, all strings are valid UTF-8,
 *     and when both feeds succeed they report the same events.
 *  2. pmp_wiki_open/next over the input in a file in this process's scratch
 *     directory under /tmp (fuzz_dir), keeping every revert in every
 *     namespace, blanking included, with a small radius and small context:
 *     every group is valid, from the "wikipedia" source, two responses scored
 *     1 and 0.
 * For both: libxml2's external entity loader is replaced by one that aborts
 * (fuzz_xml.h), so loading any DTD or external entity (XXE) is a crash; entity
 * declarations are never expanded (no entityDecl handler), which the seeds with
 * a DOCTYPE and an entity bomb exercise. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "fuzz_xml.h"
#include "pmp_wikipedia.h"

static char in_path[320];

/* ---- 1. events ---- */

typedef struct events {
    pmp_buf log;
    uint64_t pages;
    int in_page, want;
} events;

static void log_str(events *e, char tag, const char *s, size_t n)
{
    FUZZ_CHECK(pmp_utf8_check(s, n) == n);
    pmp_buf_printf(&e->log, "%c%zu:", tag, n);
    pmp_buf_append(&e->log, s, n);
}

static int ev_page(void *ud, const pmp_wiki_page *p)
{
    events *e = ud;
    FUZZ_CHECK(!e->in_page);
    e->in_page = 1;
    e->want = e->pages++ % 3 != 2;
    log_str(e, 'P', p->title, strlen(p->title));
    log_str(e, 'i', p->id, strlen(p->id));
    pmp_buf_printf(&e->log, "n%d r%d", p->ns, p->redirect);
    return e->want;
}

static void ev_rev(void *ud, const pmp_wiki_page *p, const pmp_wiki_rev *r)
{
    events *e = ud;
    (void)p;
    FUZZ_CHECK(e->in_page && e->want);
    log_str(e, 'R', r->id, strlen(r->id));
    log_str(e, 't', r->timestamp, strlen(r->timestamp));
    log_str(e, 'u', r->user, strlen(r->user));
    log_str(e, 'c', r->comment, strlen(r->comment));
    log_str(e, 's', r->sha1, strlen(r->sha1));
    FUZZ_CHECK(r->text && r->text->data);
    log_str(e, 'x', r->text->data, r->text->len);
    pmp_buf_printf(&e->log, "d%d", r->text_deleted);
    /* the callback may take the text: do it, as wikipedia.c does */
    pmp_buf_clear(r->text);
}

static void ev_end(void *ud, const pmp_wiki_page *p)
{
    events *e = ud;
    (void)p;
    FUZZ_CHECK(e->in_page);
    e->in_page = 0;
    pmp_buf_appends(&e->log, "E");
}

static int feed(const char *s, size_t n, size_t step, events *e)
{
    memset(e, 0, sizeof *e);
    pmp_wiki_xml_cb cb = {ev_page, ev_rev, ev_end, e};
    pmp_wiki_xml *x = pmp_wiki_xml_new("fuzz.xml", &cb);
    pmp_err err;
    int rc = 0;
    for (size_t at = 0; rc == 0;) {
        size_t k = n - at < step ? n - at : step;
        rc = pmp_wiki_xml_feed(x, s + at, k, at + k == n, &err);
        at += k;
        if (at == n) break;
    }
    if (rc != 0) FUZZ_CHECK(err.msg[0]);
    pmp_wiki_xml_free(x);
    return rc;
}

/* ---- 2. the source ---- */

static void source(const uint8_t *data, size_t size)
{
    fuzz_write(in_path, data, size);
    pmp_wiki_options o;
    pmp_wiki_options_init(&o);
    o.radius = 3;
    o.any_revert = 1;
    o.all_ns = 1;
    o.keep_blanking = 1;
    o.context_chars = 40;
    o.max_change_chars = 400;
    pmp_wiki *w;
    pmp_err err;
    FUZZ_CHECK(pmp_wiki_open(&w, in_path, &o, &err) == 0);
    pmp_group g;
    pmp_group_init(&g);
    int rc;
    uint64_t n = 0;
    while ((rc = pmp_wiki_next(w, &g, &err)) == 1) {
        n++;
        if (pmp_group_validate(&g, &err) != 0) {
            fprintf(stderr, "fuzz_wikipedia_xml: invalid group: %s\n", err.msg);
            abort();
        }
        FUZZ_CHECK(strcmp(g.source, "wikipedia") == 0 && g.n_responses == 2);
        FUZZ_CHECK(g.responses[0].score == 1 && g.responses[1].score == 0);
    }
    FUZZ_CHECK(rc == 0 || err.msg[0]);
    if (rc == 0) FUZZ_CHECK(n == pmp_wiki_get_stats(w)->groups);
    pmp_group_clear(&g);
    pmp_wiki_close(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!in_path[0]) {
        snprintf(in_path, sizeof in_path, "%s/pages.xml", fuzz_dir("wikipedia_xml"));
        fuzz_block_external_entities("fuzz_wikipedia_xml");
    }
    if (fuzz_is_compressed(data, size)) return 0;
    char *s = malloc(size ? size : 1);
    if (size) memcpy(s, data, size);
    events whole, parts;
    int rw = feed(s, size, size ? size : 1, &whole);
    int rp = feed(s, size, size ? 1 + data[0] % 64 : 1, &parts);
    if (rw == 0 && rp == 0) {
        FUZZ_CHECK(whole.log.len == parts.log.len &&
                   (whole.log.len == 0 || memcmp(whole.log.data, parts.log.data, whole.log.len) == 0));
    }
    pmp_buf_free(&whole.log);
    pmp_buf_free(&parts.log);
    free(s);
    source(data, size);
    return 0;
}
