/* jansson side of json_libs.c. */
#include <jansson.h>
#include <stddef.h>

size_t parse_all(const char *data, const size_t *ends, size_t nlines)
{
    size_t sink = 0;
    for (size_t i = 0, start = 0; i < nlines; start = ends[i++]) {
        json_error_t je;
        json_t *o = json_loadb(data + start, ends[i] - start, 0, &je);
        if (!o) return (size_t)-1;
        const char *key;
        json_t *val;
        json_object_foreach(o, key, val) {
            if (json_is_string(val)) sink += json_string_length(val);
        }
        json_decref(o);
    }
    return sink;
}
