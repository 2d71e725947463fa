/*
 * test_slot.c -- a slot turned into bytes and back is the same slot
 * (run/slot.c), which is what makes an MPI run's results the same bytes
 * as one process's.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "base/alloc.h"
#include "run/slot.h"

static price_catalog *cat;

static void load(void)
{
    sim_diag d;
    sim_diag_init(&d);
    cr_assert_eq(price_catalog_load(TEST_DIR "/../data/pricing/2025-11.yaml",
                                    &d, &cat), SIM_OK);
    sim_diag_fini(&d);
}

static void unload(void)
{
    price_catalog_free(cat);
}

/* A slot with something in every field: money past 64 bits, doubles that
 * are not round in binary, lines of two providers, a diag with an entry
 * of each kind and NULL strings. */
static void fill(run_slot *sl)
{
    memset(sl, 0, sizeof *sl);
    sim_diag_init(&sl->diag);
    price_bill_init(&sl->bill);
    sl->rc = SIM_EINVAL;
    sl->u.alloc_vcpu_seconds = sim_fx_from_int(131400000);
    sl->u.messages = sim_fx_from_int(-7) / 3;
    sl->waits.p95 = 0.1;
    sl->waits.queue_p99 = 1.0 / 3.0;
    for (int i = 0; i < SIM_TIMELINE; i++)
        sl->waits.timeline[i] = i * 0.7;
    sl->waits.pool = 1;
    sl->waits.cap.slots = 3;
    sl->waits.cap.resident_gb = 0.3;
    const price_item *a = &cat->providers[0].items[0];
    const price_item *b = &cat->providers[cat->nproviders - 1].items[1];
    cr_assert_eq(price_bill_fixed(&sl->bill, a, SIM_FX_ONE,
                                  sim_fx_from_int(1) << 70), SIM_OK);
    cr_assert_eq(price_bill_fixed(&sl->bill, b, 2 * SIM_FX_ONE, -5), SIM_OK);
    sim_diag_add(&sl->diag, SIM_DIAG_WARNING, "s.yaml", "a: 1\nb: 2\n", 2, 4,
                 "deployment '%s': %s", "x", "careful");
    sim_diag_add(&sl->diag, SIM_DIAG_ERROR, NULL, NULL, 0, 0, "no file");
    sl->diag.dropped = 3;
}

static void clear(run_slot *sl)
{
    price_bill_fini(&sl->bill);
    sim_diag_fini(&sl->diag);
}

static void empty(run_slot *sl)
{
    memset(sl, 0, sizeof *sl);
    sim_diag_init(&sl->diag);
    price_bill_init(&sl->bill);
}

static void same_str(const char *a, const char *b)
{
    if (!a || !b)
        cr_assert_eq(a, b);
    else
        cr_assert_str_eq(a, b);
}

static void same(const run_slot *x, const run_slot *y)
{
    cr_assert_eq(x->rc, y->rc);
    cr_assert_eq(memcmp(&x->u, &y->u, sizeof x->u), 0);
    cr_assert_eq(memcmp(&x->waits.timeline, &y->waits.timeline,
                        sizeof x->waits.timeline), 0);
    cr_assert_eq(x->waits.p95, y->waits.p95);
    cr_assert_eq(x->waits.queue_p99, y->waits.queue_p99);
    cr_assert_eq(x->waits.cap.resident_gb, y->waits.cap.resident_gb);
    cr_assert(x->bill.total == y->bill.total);
    cr_assert_eq(x->bill.n, y->bill.n);
    for (size_t k = 0; k < x->bill.n; k++) {
        const price_line *l = &x->bill.v[k], *m = &y->bill.v[k];
        /* The very catalog pointers: lines are merged by them. */
        cr_assert_eq(l->item, m->item);
        cr_assert_eq(l->what, m->what);
        cr_assert_eq(l->unit, m->unit);
        cr_assert(l->quantity == m->quantity && l->rate == m->rate &&
                  l->included == m->included && l->usd == m->usd);
    }
    cr_assert_eq(x->diag.n, y->diag.n);
    cr_assert_eq(x->diag.errors, y->diag.errors);
    cr_assert_eq(x->diag.dropped, y->diag.dropped);
    for (size_t k = 0; k < x->diag.n; k++) {
        const sim_diag_entry *e = &x->diag.v[k], *f = &y->diag.v[k];
        cr_assert_eq(e->level, f->level);
        cr_assert_eq(e->line, f->line);
        cr_assert_eq(e->col, f->col);
        same_str(e->file, f->file);
        same_str(e->message, f->message);
        same_str(e->source, f->source);
    }
}

Test(slot, bytes_read_back_as_the_same_slots, .init = load, .fini = unload)
{
    run_slot a, b, got[2];
    sim_buf buf = {0};
    fill(&a);
    empty(&b);
    b.waits.p50 = 2.5;
    cr_assert_eq(run__slot_pack(&buf, &a, cat), SIM_OK);
    cr_assert_eq(run__slot_pack(&buf, &b, cat), SIM_OK);
    const unsigned char *p = (const unsigned char *)buf.s;
    const unsigned char *end = p + buf.n;
    for (int i = 0; i < 2; i++) {
        empty(&got[i]);
        cr_assert_eq(run__slot_unpack(&p, end, cat, &got[i]), SIM_OK);
    }
    cr_assert_eq(p, end);
    same(&a, &got[0]);
    same(&b, &got[1]);
    for (int i = 0; i < 2; i++)
        clear(&got[i]);
    clear(&a);
    clear(&b);
    sim_free(buf.s);
}

Test(slot, cut_bytes_are_refused_without_a_leak, .init = load,
     .fini = unload)
{
    run_slot a;
    sim_buf buf = {0};
    fill(&a);
    cr_assert_eq(run__slot_pack(&buf, &a, cat), SIM_OK);
    /* Every length short of the whole is refused, never read past. */
    for (size_t n = 0; n < buf.n; n++) {
        run_slot got;
        const unsigned char *p = (const unsigned char *)buf.s;
        empty(&got);
        cr_assert_eq(run__slot_unpack(&p, p + n, cat, &got), SIM_EINVAL,
                     "%zu of %zu bytes", n, buf.n);
        clear(&got);
    }
    clear(&a);
    sim_free(buf.s);
}

Test(slot, a_line_outside_the_catalog_is_refused, .init = load,
     .fini = unload)
{
    run_slot a;
    sim_buf buf = {0};
    price_item stray = cat->providers[0].items[0];
    fill(&a);
    stray.id = "stray";
    cr_assert_eq(price_bill_fixed(&a.bill, &stray, SIM_FX_ONE, 1), SIM_OK);
    cr_assert_eq(run__slot_pack(&buf, &a, cat), SIM_EINVAL);
    clear(&a);
    sim_free(buf.s);
}

Test(slot, one_process_exchanges_nothing, .init = load, .fini = unload)
{
    run_slot a;
    fill(&a);
    cr_assert_eq(run__slots_exchange(NULL, &a, 1, cat), SIM_OK);
    cr_assert_eq(a.bill.n, 2);
    clear(&a);
}
