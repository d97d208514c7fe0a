/* pattern.c — the pre-tokenisation patterns, and their translation from the
 * Rust-regex flavour tiktoken uses to PCRE2.
 *
 * The one difference that changes ids: in Rust's regex `\s` is the Unicode
 * White_Space property, while PCRE2 with UCP takes `\s` as [\p{Z}\h\v], which
 * adds U+180E (MONGOLIAN VOWEL SEPARATOR) and treats some other code points
 * differently. We therefore replace every `\s` (and `\S` outside a class) by the
 * explicit White_Space set before compiling. The reference-id tests hold cases
 * for each code point of the set and for U+180E. */
#include "bpe_internal.h"

#include <string.h>

/* Patterns as tiktoken defines them (written here from the published regexes). */
static const char PAT_GPT2[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
static const char PAT_CL100K[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
    " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char PAT_O200K[] =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* Unicode White_Space, as Rust's \s (without the brackets, to sit inside a class). */
static const char WHITE_SPACE[] =
    "\\x{09}-\\x{0D}\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}"
    "\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";

const char *pmp_bpe_named_pattern(const char *name)
{
    if (!name) return NULL;
    if (!strcmp(name, "gpt2") || !strcmp(name, "r50k") || !strcmp(name, "r50k_base"))
        return PAT_GPT2;
    if (!strcmp(name, "cl100k") || !strcmp(name, "cl100k_base")) return PAT_CL100K;
    if (!strcmp(name, "o200k") || !strcmp(name, "o200k_base")) return PAT_O200K;
    return NULL;
}

const char *pmp_bpe_resolve_pattern(const char *spec, const char **name)
{
    if (!spec) spec = "gpt2";
    const char *p = pmp_bpe_named_pattern(spec);
    if (!p) {
        /* A regex that equals a named one keeps the name. */
        if (!strcmp(spec, PAT_GPT2)) p = PAT_GPT2;
        else if (!strcmp(spec, PAT_CL100K)) p = PAT_CL100K;
        else if (!strcmp(spec, PAT_O200K)) p = PAT_O200K;
    }
    if (p == PAT_GPT2) *name = "gpt2";
    else if (p == PAT_CL100K) *name = "cl100k";
    else if (p == PAT_O200K) *name = "o200k";
    else {
        *name = "custom";
        p = spec;
    }
    return p;
}

/* Rewrites \s and \S into explicit White_Space classes. Tracks whether we are
 * inside a character class, where \s expands without brackets; \cX and \Q...\E are
 * copied whole (their '[' or ']' is no bracket). \S inside a class
 * has no bracket-free form and is left to PCRE2 (none of the named patterns
 * uses it). */
static void rewrite_space(pmp_buf *out, const char *p)
{
    int in_class = 0;
    for (size_t i = 0; p[i]; i++) {
        char c = p[i];
        if (c == '\\' && p[i + 1]) {
            char e = p[i + 1];
            i++;
            if (e == 's') {
                if (in_class) pmp_buf_appends(out, WHITE_SPACE);
                else pmp_buf_printf(out, "[%s]", WHITE_SPACE);
            } else if (e == 'S' && !in_class) {
                pmp_buf_printf(out, "[^%s]", WHITE_SPACE);
            } else if (e == 'c' && p[i + 1]) {
                /* \cX, a control character: X is taken as is, even '[' or ']' */
                pmp_buf_appendc(out, '\\');
                pmp_buf_appendc(out, 'c');
                pmp_buf_appendc(out, p[++i]);
            } else if (e == 'Q') {
                /* \Q...\E quotes: nothing inside is syntax */
                const char *end = strstr(p + i + 1, "\\E");
                size_t n = end ? (size_t)(end + 2 - (p + i - 1)) : strlen(p + i - 1);
                pmp_buf_append(out, p + i - 1, n);
                i += n - 2;
            } else {
                pmp_buf_appendc(out, '\\');
                pmp_buf_appendc(out, e);
            }
            continue;
        }
        if (!in_class && c == '[') {
            in_class = 1;
            pmp_buf_appendc(out, c);
            /* A ']' right after '[' or '[^' is a literal. */
            if (p[i + 1] == '^') pmp_buf_appendc(out, p[++i]);
            if (p[i + 1] == ']') pmp_buf_appendc(out, p[++i]);
            continue;
        }
        if (in_class && c == '[' && p[i + 1] == ':') {
            /* POSIX class [:name:] inside a class: copy through. PCRE2's rule for what
             * counts as one: the ":]" must come before any ']' or "[:" ("[:][:]" is
             * the literals '[' ':' and the end of the class). */
            const char *end = NULL;
            for (const char *q = p + i + 2; *q; q++) {
                if (*q == '\\' && (q[1] == ']' || q[1] == '\\')) q++;
                else if (*q == ']' || (*q == '[' && q[1] == ':')) break;
                else if (*q == ':' && q[1] == ']') {
                    end = q;
                    break;
                }
            }
            if (end) {
                size_t n = (size_t)(end + 2 - (p + i));
                pmp_buf_append(out, p + i, n);
                i += n - 1;
                continue;
            }
        }
        if (in_class && c == ']') in_class = 0;
        pmp_buf_appendc(out, c);
    }
}

/* \C (one code unit) is refused: a match ending inside a character would make the
 * next match start there, which PCRE2_NO_UTF_CHECK does not allow. */
pcre2_code *pmp_bpe_compile_pattern(const char *pattern, int *jit, pmp_err *err)
{
    pmp_buf fixed = PMP_BUF_INIT;
    rewrite_space(&fixed, pattern);
    int ec;
    PCRE2_SIZE eo;
    /* An empty pattern leaves the buffer unallocated; PCRE2 takes NULL as an error. */
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)(fixed.data ? fixed.data : ""), fixed.len,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C, &ec, &eo,
                                   NULL);
    pmp_buf_free(&fixed);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        /* The offset is in the rewritten text; name the pattern as given. */
        pmp_err_setc(err, PMP_E_INPUT, "pattern does not compile: %s (pattern: %s)", (const char *)msg,
                    pattern);
        return NULL;
    }
    *jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
    return re;
}

static const bpe_known_special SP_GPT2[] = {{"<|endoftext|>", 50256}};
static const bpe_known_special SP_CL100K[] = {
    {"<|endoftext|>", 100257}, {"<|fim_prefix|>", 100258}, {"<|fim_middle|>", 100259},
    {"<|fim_suffix|>", 100260}, {"<|endofprompt|>", 100276}};
static const bpe_known_special SP_O200K[] = {{"<|endoftext|>", 199999},
                                             {"<|endofprompt|>", 200018}};

size_t pmp_bpe_known_specials(const char *enc, const bpe_known_special **out)
{
    if (!strcmp(enc, "gpt2")) { *out = SP_GPT2; return 1; }
    if (!strcmp(enc, "cl100k")) { *out = SP_CL100K; return 5; }
    if (!strcmp(enc, "o200k")) { *out = SP_O200K; return 2; }
    *out = NULL;
    return 0;
}
