/*
 * rng.c -- SplitMix64 streams.
 */
#include "sim/rng.h"

#define PHI 0x9E3779B97F4A7C15ULL

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void sim_rng_seed(sim_rng *r, uint64_t seed, uint64_t replication,
                  uint64_t entity, enum sim_stream purpose)
{
    /* Replications get disjoint master seeds; replication 0 is the plain
     * seed so a one-replication run matches the CSB-1 recipe. */
    uint64_t s = seed + replication * 0xD1B54A32D192ED03ULL;
    r->x = mix(s + PHI * (2 * entity + (uint64_t)purpose + 1));
}

uint64_t sim_rng_next(sim_rng *r)
{
    r->x += PHI;
    return mix(r->x);
}

double sim_rng_uniform(sim_rng *r)
{
    return ((double)(sim_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

static void gsl_set(void *state, unsigned long seed)
{
    ((sim_rng *)state)->x = (uint64_t)seed;
}

static unsigned long gsl_get(void *state)
{
    return (unsigned long)(sim_rng_next(state) >> 32);
}

static double gsl_get_double(void *state)
{
    return sim_rng_uniform(state);
}

static const gsl_rng_type splitmix_type = {
    "capsim-splitmix64", 0xffffffffUL, 0, sizeof(sim_rng), gsl_set, gsl_get,
    gsl_get_double
};

const gsl_rng_type *sim_rng_gsl_type = &splitmix_type;
