/* plot.c — pictures through gnuplot (an optional runtime tool, never a build
 * dependency): the one place that knows the terminals and how gnuplot is run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_trainer.h"

int pmp_gnuplot_present(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

int pmp_gnuplot_render(const char *script, const char *out, pmp_err *err)
{
    size_t n = strlen(out);
    const char *term;
    if (n > 4 && !strcmp(out + n - 4, ".svg")) term = "svg size 800,600 dynamic background rgb 'white'";
    else if (n > 4 && !strcmp(out + n - 4, ".png")) term = "pngcairo size 800,600";
    else return pmp_err_setc(err, PMP_E_USAGE, "%s: the picture's name must end in .svg or .png", out);
    if (strchr(out, '\'') || strchr(script, '\'') || strchr(out, '"') || strchr(script, '"'))
        return pmp_err_setc(err, PMP_E_USAGE, "%s: quotes in a picture's path are not supported", out);
    pmp_buf cmd = PMP_BUF_INIT;
    pmp_buf_printf(&cmd, "gnuplot -e \"set terminal %s; set output '%s'\" '%s'", term, out, script);
    int rc = system(cmd.data) == 0 ? 0
             : pmp_err_setc(err, PMP_E_FAIL, "gnuplot failed on %s (drawing %s)", script, out);
    pmp_buf_free(&cmd);
    return rc;
}
