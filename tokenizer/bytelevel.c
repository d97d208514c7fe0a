/* bytelevel.c — GPT-2's spelling of bytes as printable characters, used by
 * encoder.json, vocab.bpe and tokenizer.json: bytes 0x21-0x7E, 0xA1-0xAC and
 * 0xAE-0xFF stand for themselves; the other 68 bytes, in increasing order, are
 * spelled U+0100, U+0101, ... (so a space is U+0120). */
#include "bpe_internal.h"

#include <pthread.h>

static int printable(unsigned c)
{
    return (c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE);
}

static uint32_t byte_cp[256];
static int16_t cp_byte[256 + 68];

static void build_tables(void)
{
    uint32_t extra = 256;
    for (unsigned c = 0; c < 256; c++) byte_cp[c] = printable(c) ? c : extra++;
    for (unsigned i = 0; i < 256 + 68; i++) cp_byte[i] = -1;
    for (unsigned c = 0; c < 256; c++) cp_byte[byte_cp[c]] = (int16_t)c;
}

static void init_tables(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, build_tables);
}

void pmp_bpe_bytes_to_unicode(pmp_buf *out, const void *bytes, size_t len)
{
    init_tables();
    const unsigned char *p = bytes;
    for (size_t i = 0; i < len; i++) pmp_utf8_put(out, byte_cp[p[i]]);
}

int pmp_bpe_unicode_to_bytes(pmp_buf *out, const char *str, size_t len)
{
    init_tables();
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        if (s[i] < 0x80) cp = s[i++];
        else if ((s[i] & 0xE0) == 0xC0 && i + 1 < len && (s[i + 1] & 0xC0) == 0x80 &&
                 s[i] >= 0xC2) {
            /* Only the one well-formed spelling: an invalid or overlong sequence
             * would be a second name of the same byte. */
            cp = ((uint32_t)(s[i] & 0x1F) << 6) | (s[i + 1] & 0x3F);
            i += 2;
        } else {
            return -1;   /* every symbol of the alphabet is below U+0800 */
        }
        if (cp >= 256 + 68 || cp_byte[cp] < 0) return -1;
        pmp_buf_appendc(out, (char)cp_byte[cp]);
    }
    return 0;
}
