/* run_plot.c — `pmp-train plot`: a run's log.jsonl as two panels, the training loss
 * by step, and each evaluation's accuracy beside the two longer-wins baselines. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "pmp_experiments.h"

static int num(json_object *o, const char *key, double *v)
{
    json_object *x;
    if (!json_object_object_get_ex(o, key, &x)) return 0;
    *v = json_object_get_double(x);
    return 1;
}

int pmp_run_plot(const char *run_dir, const char *out, pmp_err *err)
{
    pmp_buf path = PMP_BUF_INIT, dir = PMP_BUF_INIT, loss = PMP_BUF_INIT, eval = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/log.jsonl", run_dir);
    pmp_buf_printf(&dir, "%s/plot", run_dir);
    FILE *f = fopen(path.data, "r");
    int rc = 0;
    if (!f) rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: %s", path.data, strerror(errno));
    char line[8192];
    long no = 0, n_loss = 0, n_eval = 0;
    double max_step = 1;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        no++;
        json_object *o = json_tokener_parse(line);
        if (!o || !json_object_is_type(o, json_type_object)) {
            if (o) json_object_put(o);
            rc = pmp_err_setc(err, PMP_E_INPUT, "%s:%ld: not a JSON object", path.data, no);
            break;
        }
        double step, v, a, lw, lwv;
        json_object *ev;
        int is_eval = json_object_object_get_ex(o, "eval", &ev) && json_object_get_boolean(ev);
        if (num(o, "step", &step)) {
            if (is_eval && num(o, "accuracy", &a)) {
                if (!num(o, "longer_wins", &lw)) lw = NAN;
                if (!num(o, "longer_wins_visible", &lwv)) lwv = NAN;   /* logs before 2026-12 */
                pmp_buf_printf(&eval, "%.0f %.6f %.6f %.6f\n", step, a, lw, lwv);
                n_eval++;
            } else if (!is_eval && num(o, "loss", &v)) {
                pmp_buf_printf(&loss, "%.0f %.6f\n", step, v);
                if (step > max_step) max_step = step;
                n_loss++;
            }
        }
        json_object_put(o);
    }
    if (f) fclose(f);
    if (rc == 0 && n_loss == 0) rc = pmp_err_setc(err, PMP_E_INPUT, "%s: no training steps logged", path.data);
    if (rc == 0) rc = pmp_mkdir_p(dir.data, err);
    pmp_buf p2 = PMP_BUF_INIT, gp = PMP_BUF_INIT;
    if (rc == 0) {
        pmp_buf_printf(&p2, "%s/loss.dat", dir.data);
        rc = pmp_write_file_durable(p2.data, loss.data, loss.len, err);
    }
    if (rc == 0) {
        pmp_buf_clear(&p2);
        pmp_buf_printf(&p2, "%s/eval.dat", dir.data);
        rc = pmp_write_file_durable(p2.data, eval.data ? eval.data : "", eval.len, err);
    }
    if (rc == 0) {
        pmp_buf title = PMP_BUF_INIT, lossf = PMP_BUF_INIT, evalf = PMP_BUF_INIT;
        pmp_buf_printf(&title, "pmp-train run %s", run_dir);
        pmp_buf_printf(&lossf, "%s/loss.dat", dir.data);
        pmp_buf_printf(&evalf, "%s/eval.dat", dir.data);
        pmp_buf_printf(&gp, "set multiplot layout %d,1 title ", n_eval ? 2 : 1);
        pmp_gnuplot_quote(&gp, title.data);
        pmp_buf_printf(&gp,
            " noenhanced\nset grid\nset xrange [0:%.0f]\nset xlabel 'step'\nset ylabel 'training loss'\nset key top right\n"
            "plot ", max_step);
        pmp_gnuplot_quote(&gp, lossf.data);
        pmp_buf_appends(&gp, " using 1:2 with lines lc rgb '#0072b2' title 'loss'\n");
        if (n_eval) {
            pmp_buf_appends(&gp, "set ylabel 'eval accuracy'\nset yrange [0:1]\nset key bottom right\nplot ");
            pmp_gnuplot_quote(&gp, evalf.data);
            pmp_buf_appends(&gp,
                " using 1:2 with linespoints pt 7 lc rgb '#d55e00' title 'accuracy', "
                "'' using 1:3 with linespoints pt 4 dt 4 lc rgb '#666666' title 'longer wins (raw text)', "
                "'' using 1:4 with linespoints pt 6 dt 3 lw 2 lc rgb '#999900' title 'longer wins (visible tokens)', "
                "0.5 dt 2 lc rgb '#888888' title 'chance'\n");
        }
        pmp_buf_free(&title);
        pmp_buf_free(&lossf);
        pmp_buf_free(&evalf);
        pmp_buf_appends(&gp, "unset multiplot\n");
        pmp_buf_clear(&p2);
        pmp_buf_printf(&p2, "%s/run.gp", dir.data);
        rc = pmp_write_file_durable(p2.data, gp.data, gp.len, err);
    }
    if (rc == 0) rc = pmp_gnuplot_present() ? (pmp_gnuplot_render(p2.data, out, err) < 0 ? -1 : 1) : 0;
    pmp_buf_free(&path);
    pmp_buf_free(&dir);
    pmp_buf_free(&loss);
    pmp_buf_free(&eval);
    pmp_buf_free(&p2);
    pmp_buf_free(&gp);
    return rc;
}
