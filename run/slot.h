/*
 * slot.h -- one simulation's result between running it and combining it,
 * and its exchange between the ranks of an MPI job.  Private to run/:
 * results.c fills and reads slots; slot.c turns them into bytes and back.
 *
 * A slot is written by the one simulation it belongs to (results.c says
 * why that keeps the output independent of threads and ranks).  Under
 * MPI each rank fills only the slots of its share (run_dist_count), and
 * run__slots_exchange then gives every rank every slot, exactly: usage
 * meters and the bill's money are fixed-point integers and go as they
 * are, the waits' doubles go as their bytes, strings with their lengths,
 * and a bill line's borrowed catalog pointers as the place of their item
 * in the catalog, which every rank loaded from the same file.  So a slot
 * received reads back identical to the one its owner computed, and the
 * results are the same bytes as one process gives.
 */
#ifndef RUN_SLOT_H
#define RUN_SLOT_H

#include "base/buf.h"
#include "base/diag.h"
#include "pricing/catalog.h"
#include "pricing/price.h"
#include "run/dist.h"
#include "run/stochastic.h"

typedef struct run_slot {
    int rc;
    sim_usage u;
    price_bill bill;
    sim_diag diag;              /* what the engine and the bill said */
    sim_waits waits;
} run_slot;

/*
 * Appends slot `sl` to `b` as bytes.  SIM_OK; SIM_ENOMEM (b->nomem);
 * SIM_EINVAL when a bill line names no item of `cat` (a programmer
 * error: every line is made from a catalog item, pricing/price.c).
 */
int run__slot_pack(sim_buf *b, const run_slot *sl, const price_catalog *cat);

/*
 * Reads one slot that run__slot_pack wrote, from *p (at most up to
 * `end`), into `sl` (initialised, empty: its diag and bill have no
 * entries), and moves *p past it.  SIM_OK, SIM_ENOMEM, or SIM_EINVAL
 * when the bytes do not read as a slot of this catalog.
 */
int run__slot_unpack(const unsigned char **p, const unsigned char *end,
                     const price_catalog *cat, run_slot *sl);

/*
 * Gives every rank every slot of a window of `n`: each rank has filled
 * its share (run_dist_count, run_dist_piece), and the others' slots,
 * still empty, are filled from their owners' bytes.  Collective; nothing
 * to do in one process.  On failure on any rank (out of memory there,
 * bytes that do not read back: ranks of different builds) every rank
 * returns SIM_ENOMEM, so all stop alike.
 */
int run__slots_exchange(run_dist *d, run_slot *slots, size_t n,
                        const price_catalog *cat);

#endif
