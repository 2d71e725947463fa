/*
 * common.h -- small helpers shared by the provider modules (internal).
 */
#ifndef PRICE_COMMON_H
#define PRICE_COMMON_H

#include "pricing/price.h"

#define PRICE_MONTH ((sim_fx)SIM_MONTH_SECONDS * SIM_FX_ONE)

/* Rejects architectures outside `allowed` (a bit per enum scn_arch). */
int price__check_arch(const price_ctx *ctx, const price_deploy *pd,
                      unsigned allowed, const char *why);

/* Rejects billing_basis: measured for providers that bill the size. */
int price__allocated_only(const price_ctx *ctx, const price_deploy *pd);

/* Takes capacity from the plan's vcpu and memory_gb attributes. */
void price__plan_capacity(price_deploy *pd);

/* Bills `qty` of item `id` at its catalog rate. */
int price__bill(price_bill *b, const price_deploy *pd, const char *id,
                sim_fx qty);

/* Bills `qty` instance-seconds of the plan's price item at the rate of
 * the deployment's region. */
int price__bill_instance(price_bill *b, const price_deploy *pd, sim_fx qty);

/* x * y with overflow reported as SIM_ERANGE through *rc. */
sim_fx price__mul(sim_fx x, sim_fx y, int *rc);

#define ARCH_BIT(a) (1u << (a))
#define ARCH_INSTANCES (ARCH_BIT(SCN_ARCH_SHARED) | \
                        ARCH_BIT(SCN_ARCH_PER_TENANT) | \
                        ARCH_BIT(SCN_ARCH_PER_AGENT) | \
                        ARCH_BIT(SCN_ARCH_POOLED))

#endif
