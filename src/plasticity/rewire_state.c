/* Checkpoint state of structural plasticity (spec structural.md 4.1, "Checkpoints"): the
 * traces, scores, ever-active flags, the last event's made/pruned keys, counters and the
 * event log, in one flat blob. The synapses themselves are saved by the simulation. */
#include "somnus/plasticity/rewire.h"

#include <stdlib.h>
#include <string.h>

/* A cursor over the blob: with buf NULL only counts bytes; a load never reads past cap
 * (bad is set instead). */
typedef struct cursor {
    unsigned char *buf;
    size_t off, cap;
    int save, bad;
} cursor;

static void io(cursor *c, void *p, size_t bytes)
{
    if (c->buf && !c->save && (c->bad || bytes > c->cap - c->off)) {
        c->bad = 1;
        return;
    }
    if (c->buf && bytes) {
        if (c->save)
            memcpy(c->buf + c->off, p, bytes);
        else
            memcpy(p, c->buf + c->off, bytes);
    }
    c->off += bytes;
}

/* A key array whose length is read first (allocated on load). */
static int io_keys(cursor *c, int64_t **keys, int64_t *n)
{
    io(c, n, sizeof *n);
    if (c->bad || *n < 0 || (c->buf && !c->save && (size_t)*n > (c->cap - c->off) / sizeof **keys))
        return c->bad = 1, 0;
    if (c->buf && !c->save) {
        free(*keys);
        *keys = *n > 0 ? malloc((size_t)*n * sizeof **keys) : NULL;
        if (*n > 0 && !*keys) return -1;
    }
    io(c, *keys, (size_t)*n * sizeof **keys);
    return 0;
}

/* The log grows to n rows on load. */
static int io_log(cursor *c, sm_rewire *rw)
{
    io(c, &rw->events, sizeof rw->events);
    if (c->bad || rw->events < 0 ||
        (c->buf && !c->save && (size_t)rw->events > (c->cap - c->off) / sizeof *rw->log))
        return c->bad = 1, 0;
    if (c->buf && !c->save && rw->events > rw->log_cap) {
        sm_rewire_record *l = realloc(rw->log, (size_t)rw->events * sizeof *l);
        if (!l) return -1;
        rw->log = l;
        rw->log_cap = rw->events;
    }
    io(c, rw->log, (size_t)rw->events * sizeof *rw->log);
    return 0;
}

static int walk(sm_rewire *rw, cursor *c, double sleep_w0[2 + SM_N_PATHS])
{
    io(c, &rw->horizon, sizeof rw->horizon);
    io(c, &rw->have_w0, sizeof rw->have_w0);
    io(c, rw->w0_block0, sizeof rw->w0_block0);
    io(c, rw->w0_path0, sizeof rw->w0_path0);
    io(c, sleep_w0, (2 + SM_N_PATHS) * sizeof *sleep_w0);
    io(c, rw->x, (size_t)rw->n_total * sizeof *rw->x);
    for (int p = 0; p < SM_N_PATHS; p++) {
        sm_rewire_path *pp = &rw->path[p];
        if (!pp->on) continue;
        const size_t n = (size_t)pp->n_pre * (size_t)pp->n_post;
        io(c, &pp->pruned_total, sizeof pp->pruned_total);
        io(c, &pp->regrown_total, sizeof pp->regrown_total);
        io(c, pp->g, n * sizeof *pp->g);
        io(c, pp->h, n * sizeof *pp->h);
        io(c, pp->ever, n);
        if (io_keys(c, &pp->made, &pp->n_made) || io_keys(c, &pp->pruned, &pp->n_pruned)) return -1;
    }
    return io_log(c, rw);
}

size_t sm_rewire_state_size(const sm_rewire *rw)
{
    cursor c = {NULL, 0, 0, 1, 0};
    double w0[2 + SM_N_PATHS];
    walk((sm_rewire *)rw, &c, w0); /* counts only: nothing is read or written */
    return c.off;
}

void sm_rewire_state_save(const sm_rewire *rw, const double sleep_w0[2 + SM_N_PATHS], void *buf)
{
    cursor c = {buf, 0, 0, 1, 0};
    double w0[2 + SM_N_PATHS];
    memcpy(w0, sleep_w0, sizeof w0);
    walk((sm_rewire *)rw, &c, w0); /* saving only reads rw */
}

sm_status sm_rewire_state_load(sm_rewire *rw, const void *buf, size_t len,
                               double sleep_w0[2 + SM_N_PATHS], sm_error *err)
{
    cursor c = {(unsigned char *)buf, 0, len, 0, 0};
    if (walk(rw, &c, sleep_w0))
        return sm_error_set(err, SM_ENOMEM, "checkpoint: out of memory for structural state");
    if (c.bad || c.off != len)
        return sm_error_set(err, SM_EFORMAT,
                            "checkpoint: the structural state does not match this network "
                            "(%zu bytes)",
                            len);
    return SM_OK;
}
