/*
 * slot.c -- slots as bytes, and their exchange between ranks (slot.h).
 *
 * The bytes are for processes of one build on machines of one kind: a
 * window's results cross from rank to rank within a run, never to a file
 * or another version.  So integers and doubles go in the byte order and
 * layout of the machine, which is exact and costs a memcpy; what a run
 * across different builds or machines would break is caught by a header
 * (a byte-order mark and the sizes of the meter and wait records and of
 * a fixed-point value) rather
 * than translated.  A portable encoding (XDR, or text) was rejected: it
 * would cost more than the simulation of a fluid unit, and the doubles
 * would have to survive it bit for bit anyway.
 */
#include "run/slot.h"

#include <stdint.h>
#include <string.h>

#include "base/alloc.h"

/* 'CSM1' as this machine writes it; read back swapped on another order. */
#define SLOT_MAGIC 0x43534d31u

static void put(sim_buf *b, const void *v, size_t n)
{
    sim_buf_put(b, v, n);
}

static void put_u64(sim_buf *b, uint64_t v)
{
    put(b, &v, sizeof v);
}

static void put_i64(sim_buf *b, int64_t v)
{
    put(b, &v, sizeof v);
}

/* Money and meters: all 128 bits of the fixed-point value. */
static void put_fx(sim_buf *b, sim_fx v)
{
    put(b, &v, sizeof v);
}

/* A string with its length; UINT64_MAX stands for NULL. */
static void put_str(sim_buf *b, const char *s)
{
    uint64_t n = s ? strlen(s) : UINT64_MAX;
    put_u64(b, n);
    if (s)
        put(b, s, (size_t)n);
}

/* The place of item `id` (a borrowed pointer into `cat`) in the catalog. */
static int item_place(const price_catalog *cat, const char *id,
                      uint64_t *prov, uint64_t *item)
{
    for (size_t p = 0; p < cat->nproviders; p++)
        for (size_t i = 0; i < cat->providers[p].nitems; i++)
            if (cat->providers[p].items[i].id == id) {
                *prov = p;
                *item = i;
                return SIM_OK;
            }
    return SIM_EINVAL;
}

static int pack_line(sim_buf *b, const price_line *l,
                     const price_catalog *cat)
{
    uint64_t p, i;
    if (item_place(cat, l->item, &p, &i) != SIM_OK)
        return SIM_EINVAL;
    const price_item *it = &cat->providers[p].items[i];
    /* price.c names a line by the item's `what`, or its id without one. */
    uint64_t what = l->what == it->what ? 0 : l->what == it->id ? 1 : 2;
    if (what == 2 || l->unit != it->unit)
        return SIM_EINVAL;
    put_u64(b, p);
    put_u64(b, i);
    put_u64(b, what);
    put_fx(b, l->quantity);
    put_fx(b, l->rate);
    put_fx(b, l->included);
    put_fx(b, l->usd);
    return SIM_OK;
}

int run__slot_pack(sim_buf *b, const run_slot *sl, const price_catalog *cat)
{
    put_i64(b, sl->rc);
    put(b, &sl->u, sizeof sl->u);
    put(b, &sl->waits, sizeof sl->waits);
    put_fx(b, sl->bill.total);
    put_i64(b, sl->bill.nomem);
    put_u64(b, sl->bill.n);
    for (size_t k = 0; k < sl->bill.n; k++)
        if (pack_line(b, &sl->bill.v[k], cat) != SIM_OK)
            return SIM_EINVAL;
    put_u64(b, sl->diag.errors);
    put_u64(b, sl->diag.dropped);
    put_u64(b, sl->diag.n);
    for (size_t k = 0; k < sl->diag.n; k++) {
        const sim_diag_entry *e = &sl->diag.v[k];
        put_i64(b, e->level);
        put_i64(b, e->line);
        put_i64(b, e->col);
        put_str(b, e->file);
        put_str(b, e->message);
        put_str(b, e->source);
    }
    return b->nomem ? SIM_ENOMEM : SIM_OK;
}

/* A bounded reader: a read past the end sets `bad` and reads zeros. */
typedef struct reader {
    const unsigned char *p, *end;
    int bad;
} reader;

static void get(reader *r, void *v, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        memset(v, 0, n);
        return;
    }
    memcpy(v, r->p, n);
    r->p += n;
}

static uint64_t get_u64(reader *r)
{
    uint64_t v;
    get(r, &v, sizeof v);
    return v;
}

static int64_t get_i64(reader *r)
{
    int64_t v;
    get(r, &v, sizeof v);
    return v;
}

static sim_fx get_fx(reader *r)
{
    sim_fx v;
    get(r, &v, sizeof v);
    return v;
}

/* A string put_str wrote: *out NULL or a copy.  SIM_ENOMEM or SIM_OK
 * (a short read sets r->bad). */
static int get_str(reader *r, char **out)
{
    uint64_t n = get_u64(r);
    *out = NULL;
    if (r->bad || n == UINT64_MAX)
        return SIM_OK;
    if (n > (uint64_t)(r->end - r->p)) {
        r->bad = 1;
        return SIM_OK;
    }
    if (!(*out = sim_alloc((size_t)n + 1)))
        return SIM_ENOMEM;
    get(r, *out, (size_t)n);
    (*out)[n] = '\0';
    return SIM_OK;
}

static int unpack_bill(reader *r, const price_catalog *cat, price_bill *b)
{
    b->total = get_fx(r);
    b->nomem = (int)get_i64(r);
    uint64_t n = get_u64(r);
    /* A line is three words and four fixed-point values: a count past
     * what is left cannot be ours. */
    size_t least = 3 * sizeof(uint64_t) + 4 * sizeof(sim_fx);
    if (r->bad || n > (uint64_t)(r->end - r->p) / least)
        return SIM_EINVAL;
    if (n && !(b->v = sim_calloc((size_t)n, sizeof *b->v)))
        return SIM_ENOMEM;
    b->cap = (size_t)n;
    for (size_t k = 0; k < n; k++) {
        uint64_t p = get_u64(r), i = get_u64(r), what = get_u64(r);
        if (r->bad || p >= cat->nproviders ||
            i >= cat->providers[p].nitems || what > 1)
            return SIM_EINVAL;
        const price_item *it = &cat->providers[p].items[i];
        price_line *l = &b->v[b->n++];
        l->item = it->id;
        l->what = what ? it->id : it->what;
        l->unit = it->unit;
        l->quantity = get_fx(r);
        l->rate = get_fx(r);
        l->included = get_fx(r);
        l->usd = get_fx(r);
    }
    return r->bad ? SIM_EINVAL : SIM_OK;
}

static int unpack_diag(reader *r, sim_diag *d)
{
    d->errors = (size_t)get_u64(r);
    d->dropped = (size_t)get_u64(r);
    uint64_t n = get_u64(r);
    /* Three words and three string lengths at least per entry. */
    if (r->bad || n > (uint64_t)(r->end - r->p) / 48)
        return SIM_EINVAL;
    if (n && !(d->v = sim_calloc((size_t)n, sizeof *d->v)))
        return SIM_ENOMEM;
    d->cap = (size_t)n;
    for (size_t k = 0; k < n; k++) {
        sim_diag_entry *e = &d->v[d->n++];
        e->level = get_i64(r) == SIM_DIAG_WARNING ? SIM_DIAG_WARNING
                                                   : SIM_DIAG_ERROR;
        e->line = (int)get_i64(r);
        e->col = (int)get_i64(r);
        if (get_str(r, &e->file) != SIM_OK ||
            get_str(r, &e->message) != SIM_OK ||
            get_str(r, &e->source) != SIM_OK)
            return SIM_ENOMEM;
    }
    return r->bad ? SIM_EINVAL : SIM_OK;
}

int run__slot_unpack(const unsigned char **p, const unsigned char *end,
                     const price_catalog *cat, run_slot *sl)
{
    reader r = {*p, end, 0};
    sl->rc = (int)get_i64(&r);
    get(&r, &sl->u, sizeof sl->u);
    get(&r, &sl->waits, sizeof sl->waits);
    int rc = r.bad ? SIM_EINVAL : unpack_bill(&r, cat, &sl->bill);
    if (rc == SIM_OK)
        rc = unpack_diag(&r, &sl->diag);
    *p = r.p;
    return rc;
}

/* The header of a rank's bytes: what must agree for them to read back. */
static void put_header(sim_buf *b, size_t count)
{
    uint32_t h[4] = {SLOT_MAGIC, (uint32_t)sizeof(sim_usage),
                     (uint32_t)sizeof(sim_waits), (uint32_t)sizeof(sim_fx)};
    put(b, h, sizeof h);
    put_u64(b, count);
}

static int header_ok(reader *r, size_t count)
{
    uint32_t h[4];
    get(r, h, sizeof h);
    uint64_t c = get_u64(r);
    return !r->bad && h[0] == SLOT_MAGIC && h[1] == sizeof(sim_usage) &&
           h[2] == sizeof(sim_waits) && h[3] == sizeof(sim_fx) && c == count;
}

/* Rank `from`'s slots of the window, read from its bytes. */
static int unpack_rank(run_dist *d, unsigned from, const unsigned char *p,
                       size_t len, run_slot *slots, size_t n,
                       const price_catalog *cat)
{
    size_t count = run_dist_count(d, from, n);
    reader r = {p, p + len, 0};
    if (!header_ok(&r, count))
        return SIM_EINVAL;
    for (size_t i = 0; i < count; i++) {
        int rc = run__slot_unpack(&r.p, r.end, cat,
                                  &slots[run_dist_piece(d, from, i)]);
        if (rc != SIM_OK)
            return rc;
    }
    return r.p == r.end ? SIM_OK : SIM_EINVAL;
}

int run__slots_exchange(run_dist *d, run_slot *slots, size_t n,
                        const price_catalog *cat)
{
    unsigned size = run_dist_size(d), me = run_dist_rank(d);
    if (size == 1)
        return SIM_OK;
    sim_buf b = {0};
    size_t count = run_dist_count(d, me, n);
    size_t *offs = sim_calloc(size, sizeof *offs);
    size_t *lens = sim_calloc(size, sizeof *lens);
    unsigned char *all = NULL;
    int rc = offs && lens ? SIM_OK : SIM_ENOMEM;
    if (rc == SIM_OK)
        put_header(&b, count);
    for (size_t i = 0; i < count && rc == SIM_OK; i++)
        rc = run__slot_pack(&b, &slots[run_dist_piece(d, me, i)], cat);
    if (rc == SIM_OK && b.nomem)
        rc = SIM_ENOMEM;
    /* Every rank takes part in the gather, failed or not: a rank that
     * stayed away would leave the others waiting in it. */
    if (run_dist_allgather(d, b.s, rc == SIM_OK ? b.n : 0, rc == SIM_OK,
                           &all, offs, lens) != SIM_OK)
        rc = SIM_ENOMEM;
    for (unsigned r = 0; r < size && rc == SIM_OK; r++)
        if (r != me)
            rc = unpack_rank(d, r, all + offs[r], lens[r], slots, n, cat);
    if (!run_dist_all_ok(d, rc == SIM_OK))
        rc = SIM_ENOMEM;
    sim_free(all);
    sim_free(b.s);
    sim_free(offs);
    sim_free(lens);
    return rc;
}
