/* manifest.json's totals against its shards: a manifest edited and saved again (so its
 * checksum is right) is still refused by the full verify when a total no longer adds
 * up from the shards; a manifest without a checksum loads but does not verify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pmp_shard.h"
#include "test_util.h"

static const char *make_dir(void)
{
    const char *dir = tu_tmp("shards");
    assert_int_equal(tu_sh("cd %s && %s/pmp-extract hh -q %s/samples/hh/sample.jsonl.gz > g.jsonl && "
                           "%s/pmp-bpe train -q --vocab-size 300 --groups -o tok.json g.jsonl && "
                           "rm -rf shards && %s/pmp-tokenize -q -t tok.json -o shards g.jsonl",
                           tu_tmpdir(), PMP_BIN_DIR, PMP_SOURCE_DIR, PMP_BIN_DIR, PMP_BIN_DIR), 0);
    return dir;
}

static void test_consistent_lie_is_caught(void **state)
{
    (void)state;
    const char *dir = make_dir();
    pmp_manifest m;
    pmp_err err;
    assert_int_equal(pmp_manifest_load(&m, dir, &err), 1);
    assert_true(m.has_checksum);
    assert_int_equal(pmp_manifest_verify(&m, dir, 1, &err), 0);
    uint64_t *fields[] = {&m.stats.pairs, &m.stats.groups, &m.stats.tokens};
    const char *names[] = {"stats.pairs", "stats.groups", "stats.tokens"};
    for (int k = 0; k < 3; k++) {
        *fields[k] += 1;
        assert_int_equal(pmp_manifest_save(&m, dir, &err), 0);
        pmp_manifest again;
        assert_int_equal(pmp_manifest_load(&again, dir, &err), 1);   /* checksum right */
        assert_int_equal(pmp_manifest_verify(&again, dir, 0, &err), 0);   /* files unchanged */
        assert_int_equal(pmp_manifest_verify(&again, dir, 1, &err), -1);
        assert_non_null(strstr(err.msg, names[k]));
        pmp_manifest_free(&again);
        *fields[k] -= 1;
    }
    pmp_manifest_free(&m);
}

static void test_no_checksum_loads_but_does_not_verify(void **state)
{
    (void)state;
    const char *dir = make_dir();
    assert_int_equal(tu_sh("cd %s && python3 -c 'import json; d = json.load(open(\"manifest.json\")); "
                           "del d[\"manifest_xxh64\"]; json.dump(d, open(\"manifest.json\", \"w\"), indent=2)'",
                           dir), 0);
    pmp_manifest m;
    pmp_err err;
    assert_int_equal(pmp_manifest_load(&m, dir, &err), 1);
    assert_false(m.has_checksum);
    assert_int_equal(pmp_manifest_verify(&m, dir, 1, &err), -1);
    assert_non_null(strstr(err.msg, "manifest_xxh64"));
    pmp_manifest_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consistent_lie_is_caught),
        cmocka_unit_test(test_no_checksum_loads_but_does_not_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
