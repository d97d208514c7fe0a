/* test_wikitext.c — wikitext -> text (pmp_wikitext) on small fixtures and on
 * every revision of the shared histories, and the region diff (pmp_wiki_diff). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "pmp_input.h"
#include "pmp_wikipedia.h"
#include "wikitext.h"
#include "test_util.h"

static pmp_wikitext *wt;

static char *clean(const char *src)
{
    pmp_buf out = PMP_BUF_INIT;
    pmp_wikitext_clean(wt, src, strlen(src), &out);
    return pmp_buf_detach(&out);
}

static void check(const char *src, const char *want)
{
    char *got = clean(src);
    if (strcmp(got, want) != 0) {
        print_error("clean(%s)\n  got  [%s]\n  want [%s]\n", src, got, want);
        free(got);
        fail();
    }
    free(got);
}

static void test_links(void **state)
{
    (void)state;
    check("[[a|b]] and [[c]]s", "b and cs");
    check("[[lens (optics)|lenses]] [[ Paris ]]", "lenses Paris");
    check("[[File:x.jpg|thumb|a [[b]] c]]after", "after");
    check("[[Image:x.png]][[Category:X]][[de:Y]][[zh-min-nan:Z]]text", "text");
    check("[[:Category:Z|see]] [[:Category:W]]", "see Category:W");
    check("[[wikt:word|word]] [[Foo|]]", "word Foo");
    check("unclosed [[link and [[ok]]", "unclosed [[link and ok");
    check("[http://x.org label here] [https://y.org] [//z.org z]", "label here z");
}

static void test_templates_tables(void **state)
{
    (void)state;
    check("{{a|{{b}}}} x", "x");
    check("{{a|{{{1}}}}}y", "y");
    check("x {{unclosed and {{t}} y", "x {{unclosed and y");
    check("x\n{|\n| a || b\n|-\n| {{c}} || d\n|}\ny", "x\n\ny");
    check("a }} b", "a }} b");
    check("{{Infobox\n| name = X\n\n| image = y.jpg\n}}\nLead.", "Lead.");
}

static void test_refs_comments_tags(void **state)
{
    (void)state;
    check("x<ref name=\"a\">{{cite|y}}</ref> z<ref name=b/>.", "x z.");
    check("a<REF>b</ref>c<ref name=\"a/b\" />d", "acd");
    check("<!-- hidden -->shown<!--x\ny-->", "shown");
    check("a <!-- unclosed", "a");
    check("a<br/>b<span style=\"x\">c</span><references />", "a\nbc");
    check("<gallery>\nFile:a.jpg|cap\n</gallery>after", "after");
    check("x <ref>never closed", "x never closed");
}

static void test_formatting(void **state)
{
    (void)state;
    check("'''bold''' and ''it'' and '''''both'''''", "bold and it and both");
    check("== Head ==\ntext\n=== Sub===\nmore", "Head\ntext\nSub\nmore");
    check("* item\n# num\n: indent\n;term", "item\nnum\nindent\nterm");
    check("__NOTOC__text\n----\nend", "text\n\nend");
    check("a\n\n\n\nb  c \n\n", "a\n\nb c");
    check("   \n\n lead  \t text", "lead text");
    check("a &amp; b&nbsp;c &eacute;&#233;&#x263A; &bogus; &#0; &#xD800; &", "a & b c éé☺ &bogus; &#0; &#xD800; &");
    check("&lt;ref&gt;kept&lt;/ref&gt;", "<ref>kept</ref>");
}

/* ---- real wikitext: every revision of the shared histories ---- */

typedef struct texts {
    char **v;
    size_t n, cap;
} texts;

static void on_rev(void *ud, const pmp_wiki_page *p, const pmp_wiki_rev *r)
{
    (void)p;
    texts *t = ud;
    if (r->text_deleted) return;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->v = pmp_xrealloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = pmp_xstrndup(r->text->data ? r->text->data : "", r->text->len);
}

static int only_articles(void *ud, const pmp_wiki_page *p)
{
    (void)ud;
    return p->ns == 0 && !p->redirect;
}

static void load(const char *rel, texts *t)
{
    pmp_err err;
    pmp_input *in;
    assert_int_equal(pmp_input_open(&in, tu_shared(rel), &err), 0);
    pmp_wiki_xml_cb cb = {only_articles, on_rev, NULL, t};
    pmp_wiki_xml *x = pmp_wiki_xml_new(rel, &cb);
    char buf[65536];
    ssize_t n;
    do {
        n = pmp_input_read(in, buf, sizeof buf, &err);
        assert_true(n >= 0);
        if (pmp_wiki_xml_feed(x, buf, (size_t)n, n == 0, &err) < 0) fail_msg("%s", err.msg);
    } while (n > 0);
    pmp_wiki_xml_free(x);
    pmp_input_close(in);
}

/* Collapses white space runs to one space (for containment checks). */
static char *words(const char *s)
{
    pmp_buf b = PMP_BUF_INIT;
    int sp = 0;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\n' || *s == '\t') {
            sp = 1;
            continue;
        }
        if (sp && b.len) pmp_buf_appendc(&b, ' ');
        sp = 0;
        pmp_buf_appendc(&b, *s);
    }
    return pmp_buf_detach(&b);
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

/* A line of plain prose (no markup characters at all) must come through
 * unchanged; so must the label of every simple [[target|label]] link. */
static void check_real(const char *src, const char *out)
{
    assert_int_equal(pmp_utf8_check(out, strlen(out)), strlen(out));
    char *w = words(out);
    const char *line = src;
    while (*line) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > 30 && line[0] != ' ' && !memchr(line, '\r', len)) {
            int plain = 1;
            for (size_t i = 0; i < len && plain; i++)
                if (strchr("[]{}<>'&|=*#:;_~\t", line[i])) plain = 0;
            if (plain) {
                char *l = pmp_xstrndup(line, len), *lw = words(l);
                if (!strstr(w, lw)) fail_msg("prose line lost: [%s]", lw);
                free(l);
                free(lw);
            }
        }
        line += len + (eol ? 1 : 0);
    }
    for (const char *p = src; (p = strstr(p, "[[")) != NULL; p += 2) {
        const char *bar = strchr(p, '|'), *end = strstr(p, "]]");
        if (!bar || !end || bar > end) continue;
        int simple = end - bar > 1;
        for (const char *q = p + 2; q < end && simple; q++)
            if (strchr("[]{}<>'&:=#\n", *q)) simple = 0;
        /* only links standing alone on prose lines (not inside templates, tags,
         * tables or comments, which are dropped as a whole) */
        const char *ls = p;
        while (ls > src && ls[-1] != '\n') ls--;
        if (*ls == '{' || *ls == '|' || *ls == '!' || *ls == '<' || *ls == ' ') simple = 0;
        for (const char *q = ls; q < p && simple; q++)
            if (*q == '{' || *q == '}' || *q == '<' || *q == '>') simple = 0;
        if (!simple) continue;
        char *label = pmp_xstrndup(bar + 1, (size_t)(end - bar - 1)), *lw = words(label);
        if (*lw && !strstr(w, lw)) fail_msg("link label lost: [%s]", lw);
        free(label);
        free(lw);
    }
    /* with balanced braces and no tables, no template survives */
    if (count(src, "{{") == count(src, "}}") && !strstr(src, "{|") && !strstr(src, "<nowiki"))
        assert_null(strstr(out, "{{"));
    free(w);
}

static void run_history(const char *rel, size_t min_revs)
{
    if (!tu_have_shared()) skip();
    texts t = {0};
    load(rel, &t);
    assert_true(t.n >= min_revs);
    for (size_t i = 0; i < t.n; i++) {
        char *a = clean(t.v[i]), *b = clean(t.v[i]);
        assert_string_equal(a, b);   /* deterministic, no state leaks between calls */
        check_real(t.v[i], a);
        free(a);
        free(b);
    }
    /* the latest revision is well-formed: no markup may remain */
    char *last = clean(t.v[t.n - 1]);
    const char *marks[] = {"{{", "}}", "[[", "]]", "<ref", "<!--", "''", "{|", "&amp;", "&nbsp;"};
    for (size_t k = 0; k < sizeof marks / sizeof marks[0]; k++)
        if (strstr(last, marks[k])) fail_msg("%s: markup %s left in the last revision", rel, marks[k]);
    free(last);
    for (size_t i = 0; i < t.n; i++) free(t.v[i]);
    free(t.v);
}

static void test_real_rio_grande(void **state)
{
    (void)state;
    run_history("wikipedia/enwiki-Rio_Grande-history-2007.xml", 247);
}

static void test_real_amen(void **state)
{
    (void)state;
    run_history("wikipedia/itwiki-Amen-history.xml.gz", 49);
}

static void test_real_frwiki(void **state)
{
    (void)state;
    run_history("wikipedia/frwiki-20220101-2pages-history.xml", 83);
}

/* ---- the region diff ---- */

static void expect_regions(const char *good, const char *bad, size_t n, const char *const *want)
{
    pmp_wiki_region *r = NULL;
    size_t got = pmp_wiki_diff(good, strlen(good), bad, strlen(bad), &r);
    if (got != n) fail_msg("diff: %zu regions, want %zu", got, n);
    for (size_t i = 0; i < n; i++) {
        char *g = pmp_xstrndup(good + r[i].g_start, r[i].g_end - r[i].g_start);
        char *b = pmp_xstrndup(bad + r[i].b_start, r[i].b_end - r[i].b_start);
        assert_string_equal(g, want[2 * i]);
        assert_string_equal(b, want[2 * i + 1]);
        assert_int_equal(r[i].blank, !*g || !*b);
        free(g);
        free(b);
    }
    free(r);
}

static void test_diff(void **state)
{
    (void)state;
    expect_regions("A. B. C.\n\nD.", "A. B. C.\n\nD.", 0, NULL);
    /* a changed sentence inside a paragraph */
    expect_regions("A. B. C.\n\nD.", "A. X. C.\n\nD.", 1, (const char *const[]){"B.", "X."});
    /* an inserted sentence is anchored by the one before it */
    expect_regions("A. B.\n\nC.", "A. B. JUNK!\n\nC.", 1, (const char *const[]){"B.", "B. JUNK!"});
    /* a deleted first sentence is anchored by the one after it */
    expect_regions("A. B.\n\nC.", "B.\n\nC.", 1, (const char *const[]){"A. B.", "B."});
    /* an inserted paragraph: the last sentence of the paragraph before */
    expect_regions("P1. Q1.\n\nP2.", "P1. Q1.\n\nJUNK\n\nP2.", 1,
                   (const char *const[]){"Q1.", "Q1.\n\nJUNK"});
    /* a paragraph inserted at the top: the first sentence after it */
    expect_regions("P1. Q1.", "JUNK\n\nP1. Q1.", 1, (const char *const[]){"P1.", "JUNK\n\nP1."});
    /* two separate changes are two regions */
    expect_regions("A. B. C. D. E.\n\nF. G.", "A. b. C. D. E.\n\nF. g.", 2,
                   (const char *const[]){"B.", "b.", "G.", "g."});
    /* blanking: nothing to anchor on */
    expect_regions("A. B.", "", 1, (const char *const[]){"A. B.", ""});
    expect_regions("", "spam", 1, (const char *const[]){"", "spam"});
    /* lines are sentences too (lists) */
    expect_regions("Intro.\nitem one\nitem two", "Intro.\nitem one\nitem 2", 1,
                   (const char *const[]){"item two", "item 2"});
}

/* Unclosed openers: each used to make the <ref> pattern rescan the rest of the
 * page, and the external link pattern the rest of its line (quadratic: 15 s for
 * 260 KB of "<ref>", 4 s for a 260 KB line of "[http://x a"; found with
 * tests/fuzz/fuzz_wikitext). 1 MB of them now takes milliseconds; the bound is
 * loose so that a loaded machine does not fail it. */
static void test_unclosed_blocks(void **state)
{
    (void)state;
    for (int closed = 0; closed < 2; closed++) {
        pmp_buf src = PMP_BUF_INIT, out = PMP_BUF_INIT;
        for (int i = 0; i < 200000; i++) pmp_buf_appends(&src, i % 2 ? "<ref>" : "<REF name=a>");
        pmp_buf_appends(&src, closed ? "</ref >tail" : "tail");
        clock_t t0 = clock();
        pmp_wikitext_clean(wt, src.data, src.len, &out);
        double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
        assert_string_equal(out.data, "tail");
        if (secs > 10) fail_msg("cleaning %zu bytes of unclosed <ref> took %.1f s", src.len, secs);
        pmp_buf_free(&src);
        pmp_buf_free(&out);
    }
    /* the same with external links: a long line of unclosed "[http..." */
    pmp_buf src = PMP_BUF_INIT, out = PMP_BUF_INIT;
    for (int i = 0; i < 100000; i++) pmp_buf_appends(&src, "[http://x a");
    pmp_buf_appends(&src, "\n]");
    clock_t t0 = clock();
    pmp_wikitext_clean(wt, src.data, src.len, &out);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_int_equal(out.len, src.len);
    assert_memory_equal(out.data, src.data, src.len);
    if (secs > 10) fail_msg("cleaning %zu bytes of unclosed [http took %.1f s", src.len, secs);
    pmp_buf_free(&src);
    pmp_buf_free(&out);
    check("a [http://x.org cap] b [http://y] c\n[http://z d\n e]", "a cap b c\n[http://z d\ne]");
    check("a<ref>b</ref>c<ref name=x/>d<references>e</REFERENCES\t>f", "acdf");
    check("a<ref>b<ref>c</ref>d", "ad");
    check("x<refs>y</refs>z<ce>1</ce>w", "xyzw");
}

/* A DOCTYPE with entity declarations: nothing is expanded or loaded, the
 * revision still arrives, and freeing the parser frees the document libxml2
 * builds for the declarations (regression: it leaked, found by
 * tests/fuzz/fuzz_wikipedia_xml; LeakSanitizer sees it in sanitizer builds). */
static void on_rev_text(void *ud, const pmp_wiki_page *p, const pmp_wiki_rev *r)
{
    (void)p;
    pmp_buf *b = ud;
    pmp_buf_append(b, r->text->data, r->text->len);
}

static void test_xml_entity_declarations(void **state)
{
    (void)state;
    static const char doc[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE mediawiki [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">"
        "<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n"
        "<mediawiki><page><title>T</title><ns>0</ns><id>1</id><revision><id>1</id>"
        "<text>x&b;&xxe;y</text></revision></page></mediawiki>\n";
    pmp_buf text = PMP_BUF_INIT;
    pmp_wiki_xml_cb cb = {NULL, on_rev_text, NULL, &text};
    for (int round = 0; round < 2; round++) {
        pmp_buf_clear(&text);
        pmp_wiki_xml *x = pmp_wiki_xml_new("doctype.xml", &cb);
        pmp_err err;
        int rc = pmp_wiki_xml_feed(x, doc, sizeof doc - 1, 1, &err);
        /* undeclared for the parser (no entity handler): an error, or dropped */
        if (rc == 0) {
            assert_int_equal(text.len, 2);
            assert_memory_equal(text.data, "xy", 2);
        }
        pmp_wiki_xml_free(x);
    }
    pmp_buf_free(&text);
}

/* The 32-byte fast paths (pmp_wikitext_skip, clean lines copied whole) must
 * agree with the byte rule at every position around a block boundary. */
static void test_block_boundaries(void **state)
{
    (void)state;
    const char *const spaces[] = {"  ", "\t", " \t ", "\xc2\xa0", " \xc2\xa0"};
    char line[256], want[256];
    for (size_t k = 0; k < sizeof spaces / sizeof spaces[0]; k++) {
        for (int pos = 0; pos < 80; pos++) {
            int n = 0, w = 0;
            for (int i = 0; i < pos; i++) line[n++] = 'x', want[w++] = 'x';
            n += sprintf(line + n, "%s", spaces[k]);
            if (pos > 0) want[w++] = ' ';
            for (int i = 0; i < 40; i++) line[n++] = 'y', want[w++] = 'y';
            line[n] = want[w] = '\0';
            pmp_buf out = PMP_BUF_INIT;
            pmp_wikitext_squeeze_space(line, (size_t)n, &out);
            assert_string_equal(out.data, want);
            /* the same line with a trailing space */
            line[n] = ' ';
            pmp_buf_clear(&out);
            pmp_wikitext_squeeze_space(line, (size_t)n + 1, &out);
            assert_string_equal(out.data, want);
            pmp_buf_free(&out);
        }
    }
    char s[200];
    memset(s, 'a', sizeof s);
    for (size_t pos = 0; pos < sizeof s; pos++) {
        s[pos] = '|';
        assert_int_equal(pmp_wikitext_skip(s, 0, sizeof s, '{', '}', '|'), pos);
        assert_int_equal(pmp_wikitext_skip(s, pos + 1, sizeof s, '{', '}', '|'), sizeof s);
        s[pos] = 'a';
    }
}

/* Random soups of markup fragments (unbalanced on purpose): cleaning must stay
 * valid UTF-8 and deterministic, and the diff's spans must lie inside both
 * texts, with no region only when the texts have the same words. Under ASan
 * this is a small fuzz. */
static void test_markup_soup(void **state)
{
    (void)state;
    static const char *const frag[] = {
        "{{", "}}", "{{{", "}}}", "[[", "]]", "[", "]", "\n{|", "\n|}", "\n", "\n\n",
        "<ref>", "</ref>", "<ref name=x/>", "<!--", "-->", "'''", "''", "\n== ", " ==",
        "&amp;", "&#x1F600;", "&nbsp;", "&", ";", "\xc3\xa9", "[http://x.org y]", "|", "\n* ",
        " ", "a", "Word", ". ", "! ", "[[File:", "[[de:", ":", "<br>", "<span>", "__TOC__",
        "\xc2\xa0", "----",
    };
    const size_t nf = sizeof frag / sizeof frag[0];
    uint64_t rng = 42;
    pmp_buf a = PMP_BUF_INIT, b = PMP_BUF_INIT;
    for (int round = 0; round < 3000; round++) {
        pmp_buf_clear(&a);
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        int len = (int)((rng >> 33) % 60);
        for (int k = 0; k < len; k++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            pmp_buf_appends(&a, frag[(rng >> 33) % nf]);
        }
        const char *src = a.data ? a.data : "";
        char *c1 = clean(src), *c2 = clean(src);
        size_t n1 = strlen(c1);
        assert_int_equal(pmp_utf8_check(c1, n1), n1);
        assert_string_equal(c1, c2);
        pmp_wiki_region *r = NULL;
        size_t nr = pmp_wiki_diff(c1, n1, b.data ? b.data : "", b.len, &r);
        for (size_t i = 0; i < nr; i++) {
            assert_true(r[i].g_start <= r[i].g_end && r[i].g_end <= n1);
            assert_true(r[i].b_start <= r[i].b_end && r[i].b_end <= b.len);
        }
        if (nr == 0) {
            char *w1 = words(c1), *w2 = words(b.data ? b.data : "");
            assert_string_equal(w1, w2);
            free(w1);
            free(w2);
        }
        free(r);
        pmp_buf_clear(&b);
        pmp_buf_append(&b, c1, n1);
        free(c1);
        free(c2);
    }
    pmp_buf_free(&a);
    pmp_buf_free(&b);
}

static int setup(void **state)
{
    (void)state;
    pmp_err err;
    return pmp_wikitext_new(&wt, &err);
}

static int teardown(void **state)
{
    (void)state;
    pmp_wikitext_free(wt);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_templates_tables),
        cmocka_unit_test(test_refs_comments_tags),
        cmocka_unit_test(test_formatting),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_unclosed_blocks),
        cmocka_unit_test(test_xml_entity_declarations),
        cmocka_unit_test(test_markup_soup),
        cmocka_unit_test(test_block_boundaries),
        cmocka_unit_test(test_real_rio_grande),
        cmocka_unit_test(test_real_amen),
        cmocka_unit_test(test_real_frwiki),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
