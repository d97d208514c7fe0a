/* tokenize_dir.c — preparing a shard directory: the non-empty check (the clean-up
 * --resume and --force do is formats/'s, pmp_shard_dir_clean). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmp_shard.h"
#include "pmp_tokenize.h"

int pmp_tokenize_dir_nonempty(const char *dir, pmp_err *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return 0;
        return pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: %s", dir, strerror(errno));
    }
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, PMP_TOKENIZE_LOCK_NAME)) {
            found = 1;
            break;
        }
    closedir(d);
    return found;
}
