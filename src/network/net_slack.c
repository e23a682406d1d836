/* The slack CSR layout (net_slack.h): rows with spare slots, edited in place. */
#include "somnus/network/net_slack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sm_net_slack_destroy(sm_net_slack *sl)
{
    if (!sl) return;
    free(sl->start);
    free(sl->cap);
    free(sl->len);
    free(sl->post);
    free(sl->w);
    free(sl);
}

/* Lays the rows out again with fresh capacities from their current lengths; the slots
 * come from `src` rows of (post, w) given by row_start (the current layout or the
 * network's compact arrays). */
static sm_status layout(sm_net_slack *sl, const int64_t *row_start, const int32_t *src_post,
                        const float *src_w, sm_error *err)
{
    int64_t total = 0;
    for (int g = 0; g < sl->n_total; g++)
        total += sl->len[g] + (int64_t)ceil(sl->slack * (double)sl->len[g]) + 1;
    int32_t *post = malloc(((size_t)total + 1) * sizeof *post);
    float *w = malloc(((size_t)total + 1) * sizeof *w);
    if (!post || !w) {
        free(post);
        free(w);
        return sm_error_set(err, SM_ENOMEM, "struct: out of memory for the slack layout");
    }
    int64_t at = 0;
    for (int g = 0; g < sl->n_total; g++) {
        const int64_t n = sl->len[g];
        memcpy(post + at, src_post + row_start[g], (size_t)n * sizeof *post);
        memcpy(w + at, src_w + row_start[g], (size_t)n * sizeof *w);
        sl->start[g] = at;
        sl->cap[g] = n + (int64_t)ceil(sl->slack * (double)n) + 1;
        at += sl->cap[g];
    }
    free(sl->post);
    free(sl->w);
    sl->post = post;
    sl->w = w;
    sl->n_slots = total;
    return SM_OK;
}

sm_net_slack *sm_net_slack_create(const sm_net *net, double slack, sm_error *err)
{
    sm_net_slack *sl = calloc(1, sizeof *sl);
    const size_t n = (size_t)net->n_total + 1;
    if (sl) {
        sl->slack = slack;
        sl->n_total = net->n_total;
        sl->n_in = net->n_in;
        sl->start = malloc(n * sizeof *sl->start);
        sl->cap = malloc(n * sizeof *sl->cap);
        sl->len = malloc(n * sizeof *sl->len);
    }
    if (!sl || !sl->start || !sl->cap || !sl->len) {
        sm_net_slack_destroy(sl);
        sm_error_set(err, SM_ENOMEM, "struct: out of memory for the slack layout");
        return NULL;
    }
    for (int g = 0; g < net->n_total; g++)
        sl->len[g] = net->row[g + 1] - net->row[g];
    if (layout(sl, net->row, net->post, net->w, err) != SM_OK) {
        sm_net_slack_destroy(sl);
        return NULL;
    }
    return sl;
}

/* Current weights from the network; a network whose rows no longer match (restored from
 * a checkpoint) is laid out again from its arrays. */
static sm_status sync(sm_net_slack *sl, const sm_net *net, sm_error *err)
{
    for (int g = 0; g < sl->n_total; g++)
        if (sl->len[g] != net->row[g + 1] - net->row[g]) {
            for (int h = 0; h < sl->n_total; h++)
                sl->len[h] = net->row[h + 1] - net->row[h];
            sl->relayouts++;
            return layout(sl, net->row, net->post, net->w, err);
        }
    for (int g = 0; g < sl->n_total; g++) {
        memcpy(sl->post + sl->start[g], net->post + net->row[g],
               (size_t)sl->len[g] * sizeof *sl->post);
        memcpy(sl->w + sl->start[g], net->w + net->row[g], (size_t)sl->len[g] * sizeof *sl->w);
    }
    return SM_OK;
}

/* Removals: each row keeps its survivors in order. */
static void remove_dropped(sm_net_slack *sl, const sm_net *net, const uint8_t *keep)
{
    for (int g = 0; g < sl->n_total; g++) {
        int32_t *p = sl->post + sl->start[g];
        float *w = sl->w + sl->start[g];
        int64_t j = 0;
        for (int64_t k = 0; k < sl->len[g]; k++)
            if (keep[net->row[g] + k]) {
                p[j] = p[k];
                w[j++] = w[k];
            }
        sl->len[g] = j;
    }
}

/* Inserts one synapse at its sorted place in row g (laying out again if the row is full). */
static sm_status insert(sm_net_slack *sl, int g, int32_t post, float w, sm_error *err)
{
    if (sl->len[g] == sl->cap[g]) {
        sm_status st = layout(sl, sl->start, sl->post, sl->w, err);
        if (st != SM_OK) return st;
        sl->relayouts++;
    }
    int32_t *p = sl->post + sl->start[g];
    float *ww = sl->w + sl->start[g];
    int64_t lo = 0, hi = sl->len[g];
    while (lo < hi) { /* first target > post */
        const int64_t mid = lo + (hi - lo) / 2;
        if (p[mid] < post)
            lo = mid + 1;
        else
            hi = mid;
    }
    const size_t tail = (size_t)(sl->len[g] - lo);
    memmove(p + lo + 1, p + lo, tail * sizeof *p);
    memmove(ww + lo + 1, ww + lo, tail * sizeof *ww);
    p[lo] = post;
    ww[lo] = w;
    sl->len[g]++;
    return SM_OK;
}

/* The rows as the network's compact arrays. */
static sm_status publish(const sm_net_slack *sl, sm_net *net, sm_error *err)
{
    int64_t *row = malloc(((size_t)sl->n_total + 1) * sizeof *row);
    row[0] = 0;
    for (int g = 0; row && g < sl->n_total; g++)
        row[g + 1] = row[g] + sl->len[g];
    const size_t n = row ? (size_t)row[sl->n_total] + 1 : 1;
    int32_t *post = malloc(n * sizeof *post);
    float *w = malloc(n * sizeof *w);
    if (!row || !post || !w) {
        free(row);
        free(post);
        free(w);
        return sm_error_set(err, SM_ENOMEM, "struct: out of memory for the slack layout");
    }
    for (int g = 0; g < sl->n_total; g++) {
        memcpy(post + row[g], sl->post + sl->start[g], (size_t)sl->len[g] * sizeof *post);
        memcpy(w + row[g], sl->w + sl->start[g], (size_t)sl->len[g] * sizeof *w);
    }
    return sm_net_adopt(net, row, post, w, err);
}

sm_status sm_net_slack_apply(sm_net_slack *sl, sm_net *net, const uint8_t *keep, int64_t n_new,
                             const int32_t *pre, const int32_t *post, const float *w, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_status st = sync(sl, net, err);
    if (st != SM_OK) return st;
    remove_dropped(sl, net, keep);
    for (int64_t e = 0; e < n_new && st == SM_OK; e++)
        st = insert(sl, pre[e], post[e] - sl->n_in, w[e], err);
    return st == SM_OK ? publish(sl, net, err) : st;
}
