/* json-c side of json_libs.c (the two libraries' headers clash in one file). */
#include <json-c/json.h>
#include <stddef.h>

/* Parses lines [ends[i-1], ends[i]) of data; returns total string bytes, or
 * (size_t)-1 when a line does not parse. */
size_t parse_all(const char *data, const size_t *ends, size_t nlines)
{
    size_t sink = 0;
    json_tokener *tok = json_tokener_new();
    for (size_t i = 0, start = 0; i < nlines; start = ends[i++]) {
        json_tokener_reset(tok);
        json_object *o = json_tokener_parse_ex(tok, data + start, (int)(ends[i] - start));
        if (!o) { sink = (size_t)-1; break; }
        json_object_object_foreach(o, key, val) {
            (void)key;
            if (json_object_is_type(val, json_type_string))
                sink += (size_t)json_object_get_string_len(val);
        }
        json_object_put(o);
    }
    json_tokener_free(tok);
    return sink;
}
