/* stackexchange_util.c — the small pure rules of the StackExchange extractor:
 * site names, the PMP score, dump dates, tags. */
#include "pmp_stackexchange.h"

#include <math.h>
#include <string.h>

static const char *const k_skip_names[PMP_SE_SKIP_REASONS] = {
    "none", "other_type", "bad_row", "orphan", "few_answers", "duplicate", "empty_text",
};

const char *pmp_se_skip_name(pmp_se_skip s)
{
    return (unsigned)s < PMP_SE_SKIP_REASONS ? k_skip_names[s] : "unknown";
}

double pmp_se_score(int64_t upvotes, int accepted)
{
    if (upvotes < 0) return -1;
    return round(log2(1.0 + (double)upvotes)) + (accepted ? 1 : 0);
}

/* A host name as the dumps spell sites: letters, digits, '.' and '-', with a dot
 * inside (so "Posts.xml" alone, or "2020", is not one). */
static int looks_like_site(const char *s, size_t n)
{
    if (n < 3 || s[0] == '.' || s[n - 1] == '.') return 0;
    int dot = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') dot = 1;
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return dot;
}

/* The site at the start of one path component: the host name before a '-'
 * ("beer.stackexchange.com-2020-Posts.xml"), or with whole (a directory name) the
 * whole component. A file name alone never counts whole: "posts.xml" is no site. */
static char *site_in_component(const char *s, size_t n, int whole)
{
    /* Candidate ends: each '-' (site names have no '-' after their last dot, and
     * the dump names put '-' right after the site) and the component's end. */
    for (size_t end = 0; end <= n; end++) {
        if (end < n ? s[end] != '-' : !whole) continue;
        if (!looks_like_site(s, end)) continue;
        /* "cooking.stackexchange.com" must end with a letter label (a TLD). */
        size_t dot = end;
        while (dot > 0 && s[dot - 1] != '.') dot--;
        int alpha = dot < end;
        for (size_t i = dot; i < end; i++)
            if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) alpha = 0;
        if (alpha) return pmp_xstrndup(s, end);
    }
    return NULL;
}

char *pmp_se_site_from_path(const char *path)
{
    if (!path || !strcmp(path, "-")) return NULL;
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    size_t b = len;
    while (b > 0 && path[b - 1] != '/') b--;
    const char *base = path + b;
    size_t blen = len - b;
    /* ".../cooking.stackexchange.com-Posts.xml[.zst]" */
    char *site = NULL;
    if (!(blen >= 5 && !strncmp(base, "Posts", 5)))
        site = site_in_component(base, blen, 0);
    if (site) return site;
    /* ".../cooking.stackexchange.com/Posts.xml": the directory names the site. */
    if (b >= 2) {
        size_t d_end = b - 1, d = d_end;
        while (d > 0 && path[d - 1] != '/') d--;
        site = site_in_component(path + d, d_end - d, 1);
    }
    return site;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's days-from-civil: proleptic Gregorian, no time zone. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

double pmp_se_parse_date(const char *s, size_t len)
{
    /* YYYY-MM-DDTHH:MM:SS, optionally followed by .fff */
    unsigned y, mo, d, h, mi, se;
    if (!s || len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return NAN;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
        return NAN;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return NAN;
    return (double)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se);
}

void pmp_se_tags_json(pmp_buf *out, const char *tags, size_t len)
{
    pmp_buf_appendc(out, '[');
    int first = 1;
    size_t i = 0;
    while (i < len) {
        /* Both spellings reduce to: tags are runs between '<', '>' and '|'. */
        while (i < len && (tags[i] == '<' || tags[i] == '>' || tags[i] == '|')) i++;
        size_t j = i;
        while (j < len && tags[j] != '<' && tags[j] != '>' && tags[j] != '|') j++;
        if (j > i) {
            if (!first) pmp_buf_appendc(out, ',');
            first = 0;
            pmp_json_put_string(out, tags + i, j - i);
        }
        i = j;
    }
    pmp_buf_appendc(out, ']');
}
