/*
 * dist.c -- one run spread over the processes of an MPI job (dist.h).
 *
 * The work is shared out statically: piece k of a window goes to rank
 * k mod N, decided by every rank alone with no message, and the window's
 * results are exchanged in one all-gather at its end.
 *
 * Rejected:
 *  - A master handing out pieces as ranks ask (dynamic balance, as the
 *    thread pool does inside a process).  Pieces last milliseconds to
 *    seconds; a request and a reply per piece across a network costs as
 *    much as the short ones, rank 0 would sit serving instead of
 *    simulating, and who ran what would then depend on timing -- which
 *    cannot change a result here, but makes a run harder to replay.  The
 *    price of the static share is imbalance: a window of one long
 *    simulation beside short ones waits for the long one on one rank.
 *  - Blocks (rank r runs pieces r*n/N .. (r+1)*n/N - 1).  Pieces are
 *    ordered deployment by deployment, so a block would give one rank
 *    every replication of the heaviest deployment; going round the ranks
 *    spreads each deployment's replications over all of them.
 *  - Gathering on rank 0 only.  Every rank then would have to be told
 *    where the run goes next (a deployment that failed stops its
 *    replications; a sweep moves to its next point); with every slot on
 *    every rank, every rank takes the same path with no further message,
 *    for the price of N - 1 copies of a window's results (a few MB).
 *  - Spreading a sweep's grid points, or a check's scenarios, over the
 *    ranks.  Each point already spreads its simulations here, and its
 *    diagnostics must print where one process prints them; a grid of
 *    points of one replication each still spreads, one deployment per
 *    piece.
 *
 * MPI's own failures (a lost node, a broken link) keep MPI's default
 * handler, which names the failure and ends the job: the one place where
 * the library does not return a status.  A rank that left an exchange
 * half-way cannot be waited for, so returning SIM_EIO would only end the
 * job one step later (run_dist_abort) with less said about why.  Every
 * failure of our own -- an allocation on any rank -- is agreed on first,
 * so every rank returns the same status and stays in step.
 */
#include "run/dist.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fixed.h"

#ifdef SIM_MPI
#include <mpi.h>
#endif

struct run_dist {
    unsigned rank, size;
#ifdef SIM_MPI
    MPI_Comm comm;
#endif
};

unsigned run_dist_rank(const run_dist *d)
{
    return d ? d->rank : 0;
}

unsigned run_dist_size(const run_dist *d)
{
    return d ? d->size : 1;
}

size_t run_dist_count(const run_dist *d, unsigned rank, size_t n)
{
    size_t size = run_dist_size(d);
    return rank < n ? (n - rank + size - 1) / size : 0;
}

size_t run_dist_piece(const run_dist *d, unsigned rank, size_t i)
{
    return rank + i * run_dist_size(d);
}

/* One process: its own bytes, copied, as the exchange would give them. */
static int gather_one(const void *mine, size_t len, int ok,
                      unsigned char **all, size_t *offs, size_t *lens)
{
    if (!ok)
        return SIM_ENOMEM;
    if (!(*all = sim_alloc(len ? len : 1)))
        return SIM_ENOMEM;
    if (len)
        memcpy(*all, mine, len);
    offs[0] = 0;
    lens[0] = len;
    return SIM_OK;
}

#ifdef SIM_MPI

/* Started by mpirun (or a launcher speaking PMIx, as srun can): only then
 * is MPI initialised, so a process run by hand never starts Open MPI's
 * singleton machinery. */
static int launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL ||
           getenv("PMIX_RANK") != NULL;
}

int run_dist_new(run_dist **out)
{
    int provided = MPI_THREAD_SINGLE, rank = 0, size = 1;
    *out = NULL;
    if (!launched())
        return SIM_OK;
    run_dist *d = sim_calloc(1, sizeof *d);
    if (!d)
        return SIM_ENOMEM;
    /* Only the thread that called this talks to MPI: the pool's threads
     * simulate, and the exchanges run on the caller between windows. */
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) !=
        MPI_SUCCESS) {
        sim_free(d);
        return SIM_EIO;
    }
    if (provided < MPI_THREAD_FUNNELED ||
        MPI_Comm_dup(MPI_COMM_WORLD, &d->comm) != MPI_SUCCESS ||
        MPI_Comm_rank(d->comm, &rank) != MPI_SUCCESS ||
        MPI_Comm_size(d->comm, &size) != MPI_SUCCESS || size < 1) {
        MPI_Finalize();
        sim_free(d);
        return SIM_EIO;
    }
    d->rank = (unsigned)rank;
    d->size = (unsigned)size;
    *out = d;
    return SIM_OK;
}

int run_dist_agree(run_dist *d, int code)
{
    if (d && d->size > 1)
        MPI_Bcast(&code, 1, MPI_INT, 0, d->comm);
    return code;
}

void run_dist_abort(run_dist *d, int code)
{
    if (d)
        MPI_Abort(d->comm, code);
}

void run_dist_free(run_dist *d)
{
    if (!d)
        return;
    MPI_Comm_free(&d->comm);
    MPI_Finalize();
    sim_free(d);
}

int run_dist_all_ok(run_dist *d, int ok)
{
    int all = ok != 0;
    if (!d || d->size == 1)
        return all;
    if (MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_MIN, d->comm) !=
        MPI_SUCCESS)
        return 0;
    return all;
}

/*
 * Three steps, each of which every rank takes: agree that every rank has
 * its bytes and room for the lengths; gather the lengths; agree that
 * every rank has room for all the bytes; gather the bytes.  A rank that
 * cannot go on says so in an agreement instead of leaving the others in
 * a gather it never joins.
 */
int run_dist_allgather(run_dist *d, const void *mine, size_t len, int ok,
                       unsigned char **all, size_t *offs, size_t *lens)
{
    *all = NULL;
    if (!d || d->size == 1)
        return gather_one(mine, len, ok, all, offs, lens);
    unsigned n = d->size;
    long long my = (long long)len, *got = sim_calloc(n, sizeof *got);
    int *counts = sim_calloc(n, sizeof *counts);
    int *displs = sim_calloc(n, sizeof *displs);
    int rc = SIM_OK;
    if (!run_dist_all_ok(d, ok && got && counts && displs)) {
        rc = SIM_ENOMEM;
        goto done;
    }
    if (MPI_Allgather(&my, 1, MPI_LONG_LONG, got, 1, MPI_LONG_LONG,
                      d->comm) != MPI_SUCCESS) {
        rc = SIM_EIO;
        goto done;
    }
    /* Every rank sees the same lengths, so every rank decides alike. */
    long long total = 0;
    for (unsigned r = 0; r < n; r++) {
        displs[r] = (int)total;
        total += got[r];
        if (total > INT_MAX) {
            rc = SIM_ERANGE;
            goto done;
        }
        counts[r] = (int)got[r];
        offs[r] = (size_t)displs[r];
        lens[r] = (size_t)got[r];
    }
    *all = sim_alloc(total ? (size_t)total : 1);
    if (!run_dist_all_ok(d, *all != NULL)) {
        rc = SIM_ENOMEM;
        goto done;
    }
    if (MPI_Allgatherv(mine, (int)len, MPI_BYTE, *all, counts, displs,
                       MPI_BYTE, d->comm) != MPI_SUCCESS)
        rc = SIM_EIO;
done:
    if (rc != SIM_OK) {
        sim_free(*all);
        *all = NULL;
    }
    sim_free(got);
    sim_free(counts);
    sim_free(displs);
    return rc;
}

#else /* no MPI in this build: one process, always */

int run_dist_new(run_dist **out)
{
    *out = NULL;
    return SIM_OK;
}

int run_dist_agree(run_dist *d, int code)
{
    (void)d;
    return code;
}

void run_dist_abort(run_dist *d, int code)
{
    (void)d;
    (void)code;
}

void run_dist_free(run_dist *d)
{
    sim_free(d);
}

int run_dist_all_ok(run_dist *d, int ok)
{
    (void)d;
    return ok != 0;
}

int run_dist_allgather(run_dist *d, const void *mine, size_t len, int ok,
                       unsigned char **all, size_t *offs, size_t *lens)
{
    (void)d;
    *all = NULL;
    return gather_one(mine, len, ok, all, offs, lens);
}

#endif
