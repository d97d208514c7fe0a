/* test_html_text.c — HTML -> text on fragments written here (exact expected
 * text: the rules of html_text.h) and on real post bodies read at test time
 * from the shared StackExchange dumps (code blocks, nested lists, tables,
 * blockquotes, unbalanced tags: properties every conversion must have), plus the
 * small StackExchange rules: site names, scores, dates, tags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_text.h"
#include "pmp_stackexchange.h"
#include "test_util.h"

static char *convert(const char *html)
{
    pmp_html_text *h = pmp_html_text_new();
    assert_non_null(h);
    pmp_buf out = PMP_BUF_INIT;
    pmp_err err;
    assert_int_equal(pmp_html_text_convert(h, &out, html, strlen(html), &err), 0);
    pmp_html_text_free(h);
    return pmp_buf_detach(&out);
}

static void expect(const char *html, const char *text)
{
    char *got = convert(html);
    if (strcmp(got, text)) {
        print_error("HTML:     %s\nexpected: [%s]\ngot:      [%s]\n", html, text, got);
        fail();
    }
    free(got);
}

static void test_fixtures(void **state)
{
    (void)state;
    expect("", "");
    expect("  \n ", "");
    expect("<p>Hello   <b>world</b>\n and&nbsp;more</p>", "Hello world and more");
    expect("<p>one</p><p>two</p>\n\n<p>three</p>", "one\n\ntwo\n\nthree");
    expect("<p>a &amp; b &lt;c&gt; &mdash; &#233;&#x20AC;</p>", "a & b <c> \xe2\x80\x94 \xc3\xa9\xe2\x82\xac");
    expect("<p>see <a href=\"http://x\">the docs</a>.</p>", "see the docs.");
    expect("<p>pic: <img src=\"a.png\" alt=\"alt text\"> done</p>", "pic: done");
    expect("<p>call <code>f(x,  y)</code> now</p>", "call `f(x, y)` now");
    expect("<ul><li>a</li><li>b<ul><li>b1</li><li>b2</li></ul></li><li>c</li></ul>",
           "- a\n- b\n  - b1\n  - b2\n- c");
    expect("<ol><li>first</li><li>second</li></ol>", "- first\n- second");
    expect("<p>intro</p><pre><code>int main() {\n    return 0;\n}\n</code></pre><p>after</p>",
           "intro\n\n```\nint main() {\n    return 0;\n}\n```\n\nafter");
    expect("<pre>a &lt; b\n\n  c</pre>", "```\na < b\n\n  c\n```");
    expect("<blockquote><p>q1</p><p>q2</p></blockquote><p>x</p>", "> q1\n>\n> q2\n\nx");
    expect("<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>",
           "A | B\n1 | 2");
    expect("<p>line<br>break<br/>again</p>", "line\nbreak\nagain");
    expect("<h2>Title</h2>text<hr>more", "Title\n\ntext\n\nmore");
    expect("<script>alert(1)</script><style>p{}</style><p>visible</p>", "visible");
    /* Broken HTML: unclosed and stray tags are repaired, text kept. */
    expect("<p>unclosed <b>bold <i>both", "unclosed bold both");
    expect("</div>stray</span> close", "stray close");
    expect("a < b and c > d", "a < b and c > d");
    /* Deep nesting keeps its text up to libxml2's limit (256 levels); beyond it the
     * parser gives up on the rest, and nothing breaks. */
    pmp_buf deep = PMP_BUF_INIT;
    for (int i = 0; i < 120; i++) pmp_buf_appends(&deep, "<li><blockquote>");
    pmp_buf_appends(&deep, "deep");
    char *got = convert(deep.data);
    assert_non_null(strstr(got, "deep"));
    free(got);
    pmp_buf_clear(&deep);
    for (int i = 0; i < 20000; i++) pmp_buf_appends(&deep, "<div><span>");
    free(convert(deep.data));
    pmp_buf_free(&deep);
}

/* ---- real bodies ---- */

typedef struct bodies {
    pmp_buf scratch;
    char **v;
    size_t n, cap;
} bodies;

static int collect(void *ctx, const pmp_se_row *row, pmp_err *err)
{
    (void)err;
    bodies *b = ctx;
    size_t len;
    const char *body = pmp_se_row_text(row, "Body", &b->scratch, &len);
    if (!body) return 0;
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 1024;
        b->v = realloc(b->v, b->cap * sizeof *b->v);
    }
    b->v[b->n++] = pmp_xstrndup(body, len);
    return 0;
}

static int count_of(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* A line that starts (after list indentation and markers) with "> ". */
static int has_quote_line(const char *text)
{
    for (const char *line = text; line;) {
        const char *t = line;
        while (*t == ' ' || *t == '-') t++;
        if (*t == '>') return 1;
        line = strchr(line, '\n');
        if (line) line++;
    }
    return 0;
}

/* Fragments with no visible text leave an empty buffer untouched: no output,
 * data still NULL (regression: "\0<br>" computed NULL + 0 when checking the
 * output's UTF-8, undefined behaviour found by tests/fuzz/fuzz_html_text). */
static void test_no_text(void **state)
{
    (void)state;
    static const char *const frags[] = {"\0<br>", "<br>", "<img src=x>", "\0", "<p></p>"};
    static const size_t lens[] = {5, 4, 11, 1, 7};
    pmp_html_text *h = pmp_html_text_new();
    assert_non_null(h);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        pmp_buf out = PMP_BUF_INIT;
        pmp_err err;
        assert_int_equal(pmp_html_text_convert(h, &out, frags[i], lens[i], &err), 0);
        assert_int_equal(out.len, 0);
        assert_null(out.data);
    }
    pmp_html_text_free(h);
}

/* Properties of any conversion: valid UTF-8, no tag syntax from the body's
 * markup, no blank-line runs, no trailing spaces outside code fences, no
 * leading/trailing whitespace, same result from a fresh converter. */
static void check_text(const char *html, const char *text, pmp_html_text *fresh)
{
    size_t n = strlen(text);
    assert_int_equal(pmp_utf8_check(text, n), n);
    if (n) {
        assert_false(text[0] == ' ' || text[0] == '\n');
        assert_false(text[n - 1] == ' ' || text[n - 1] == '\n');
    }
    assert_null(strstr(text, "<p>"));
    assert_null(strstr(text, "</p>"));
    int in_code = 0, blank = 0;
    for (const char *line = text; line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        const char *t = line;
        while (t < line + len && (*t == '>' || *t == ' ' || *t == '-')) t++;
        if ((size_t)(line + len - t) == 3 && !strncmp(t, "```", 3)) in_code = !in_code;
        if (!in_code && len) assert_true(line[len - 1] != ' ');
        /* Outside code, at most one blank line in a row. */
        blank = (len == 0) ? blank + 1 : 0;
        if (!in_code) assert_true(blank <= 1);
        line = nl ? nl + 1 : NULL;
    }
    pmp_buf again = PMP_BUF_INIT;
    pmp_err err;
    assert_int_equal(pmp_html_text_convert(fresh, &again, html, strlen(html), &err), 0);
    assert_string_equal(again.data ? again.data : "", text);
    pmp_buf_free(&again);
}

static void test_real_bodies(void **state)
{
    (void)state;
    if (!tu_have_shared()) skip();
    glob_t gl;
    if (glob(tu_shared("stackexchange/*-Posts.xml"), 0, NULL, &gl) != 0) skip();
    bodies b = {0};
    pmp_err err;
    for (size_t i = 0; i < gl.gl_pathc; i++)
        assert_int_equal(pmp_se_read_rows(gl.gl_pathv[i], collect, &b, NULL, NULL, &err), 0);
    globfree(&gl);
    assert_true(b.n > 10000);

    pmp_html_text *h = pmp_html_text_new(), *fresh = pmp_html_text_new();
    int n_pre = 0, n_nested = 0, n_table = 0, n_quote = 0, n_broken = 0;
    pmp_buf out = PMP_BUF_INIT;
    for (size_t i = 0; i < b.n; i++) {
        const char *html = b.v[i];
        pmp_buf_clear(&out);
        assert_int_equal(pmp_html_text_convert(h, &out, html, strlen(html), &err), 0);
        const char *text = out.data ? out.data : "";
        check_text(html, text, fresh);
        if (strstr(html, "<pre")) {
            /* Every code block gets its fences (blocks inside lists or quotes
             * carry a prefix, hence counting the fence text only). */
            assert_true(count_of(text, "```") >= 2 * count_of(html, "<pre"));
            n_pre++;
        }
        const char *li = strstr(html, "<li>");
        if (li && strstr(li, "<ul>") && strstr(html, "</ul>\n</li>")) {
            assert_non_null(strstr(text, "  - "));   /* an indented item */
            n_nested++;
        }
        if (strstr(html, "<table") && strstr(html, "<td")) {
            assert_non_null(strstr(text, " | "));
            n_table++;
        }
        const char *bq = strstr(html, "<blockquote");
        const char *bq_end = bq ? strstr(bq, "</blockquote>") : NULL;
        const char *img = bq ? strstr(bq, "<img") : NULL;
        if (bq_end && !(img && img < bq_end)) {   /* a quote of an image prints nothing */
            assert_true(has_quote_line(text));
            n_quote++;
        }
        if (count_of(html, "<p>") != count_of(html, "</p>")) n_broken++;
        free(b.v[i]);
    }
    pmp_buf_free(&out);
    pmp_buf_free(&b.scratch);
    free(b.v);
    pmp_html_text_free(h);
    pmp_html_text_free(fresh);
    print_message("real bodies: %zu, with <pre> %d, nested lists %d, tables %d, "
                  "blockquotes %d, unbalanced <p> %d\n",
                  b.n, n_pre, n_nested, n_table, n_quote, n_broken);
    assert_true(n_pre > 100 && n_nested > 5 && n_table > 0 && n_quote > 100);
}

/* ---- small rules ---- */

static void site_is(const char *path, const char *site)
{
    char *s = pmp_se_site_from_path(path);
    if (!site) {
        assert_null(s);
    } else {
        assert_non_null(s);
        assert_string_equal(s, site);
    }
    free(s);
}

static void test_site_names(void **state)
{
    (void)state;
    site_is("cooking.stackexchange.com-Posts.xml", "cooking.stackexchange.com");
    site_is("/d/cooking.stackexchange.com-Posts.xml.zst", "cooking.stackexchange.com");
    site_is("data/beer.stackexchange.com-2020-Posts.xml", "beer.stackexchange.com");
    site_is("cooking.stackexchange.com/Posts.xml", "cooking.stackexchange.com");
    site_is("/dumps/stackoverflow.com/Posts.xml.bz2", "stackoverflow.com");
    site_is("3dprinting.stackexchange.com-Posts.7z", "3dprinting.stackexchange.com");
    site_is("Posts.xml", NULL);
    site_is("/tmp/x/Posts.xml", NULL);
    site_is("posts.xml", NULL);
    site_is("my-Posts.xml", NULL);
    site_is("-", NULL);
}

static void test_scores(void **state)
{
    (void)state;
    /* round(log2(1 + u)) (+1 accepted); -1 for negative u, accepted or not. */
    assert_true(pmp_se_score(0, 0) == 0);
    assert_true(pmp_se_score(0, 1) == 1);
    assert_true(pmp_se_score(1, 0) == 1);
    assert_true(pmp_se_score(2, 0) == 2);    /* log2 3 = 1.58 */
    assert_true(pmp_se_score(4, 0) == 2);    /* log2 5 = 2.32 */
    assert_true(pmp_se_score(5, 0) == 3);    /* log2 6 = 2.58 */
    assert_true(pmp_se_score(1023, 1) == 11);
    assert_true(pmp_se_score(-1, 0) == -1);
    assert_true(pmp_se_score(-7, 1) == -1);
}

static void test_dates_tags(void **state)
{
    (void)state;
    assert_true(pmp_se_parse_date("1970-01-01T00:00:00.000", 23) == 0);
    assert_true(pmp_se_parse_date("2014-05-14T08:11:02.157", 23) == 1400055062);
    assert_true(pmp_se_parse_date("2000-02-29T23:59:59", 19) == 951868799);
    assert_true(isnan(pmp_se_parse_date("2014-05-14", 10)));
    assert_true(isnan(pmp_se_parse_date("yesterday at noon ok", 20)));
    pmp_buf b = PMP_BUF_INIT;
    pmp_se_tags_json(&b, "<a><c++><b-c>", 13);
    assert_string_equal(b.data, "[\"a\",\"c++\",\"b-c\"]");
    pmp_buf_clear(&b);
    pmp_se_tags_json(&b, "|feature-request|status-completed|", 34);
    assert_string_equal(b.data, "[\"feature-request\",\"status-completed\"]");
    pmp_buf_clear(&b);
    pmp_se_tags_json(&b, "", 0);
    assert_string_equal(b.data, "[]");
    pmp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_no_text),
        cmocka_unit_test(test_real_bodies),
        cmocka_unit_test(test_site_names),
        cmocka_unit_test(test_scores),
        cmocka_unit_test(test_dates_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
