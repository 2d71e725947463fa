/*
 * rng.h -- deterministic random streams, one per (entity, purpose).
 *
 * A stream is SplitMix64 seeded from (master seed, replication, entity,
 * purpose) by the golden-ratio recipe of the CSB-1 benchmark, so an
 * entity's draws do not depend on how many other entities there are or in
 * which order they run: common random numbers across deployments, and
 * shards that reproduce the same trajectories.  The generator is also
 * registered as a GSL generator type (sim_rng_gsl_type) so GSL's
 * distributions can draw from it.  Never seeded from time or environment.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

typedef struct sim_rng {
    uint64_t x;
} sim_rng;

enum sim_stream { SIM_STREAM_ARRIVALS = 0, SIM_STREAM_SERVICE = 1 };

/* Seeds a stream for `entity` and `purpose` within one replication. */
void sim_rng_seed(sim_rng *r, uint64_t seed, uint64_t replication,
                  uint64_t entity, enum sim_stream purpose);

uint64_t sim_rng_next(sim_rng *r);

/* Uniform on (0, 1), never 0 or 1: ((x >> 11) + 0.5) * 2^-53. */
double sim_rng_uniform(sim_rng *r);

/* The SplitMix64 generator as a GSL type (state: one uint64_t). */
extern const gsl_rng_type *sim_rng_gsl_type;

#endif
