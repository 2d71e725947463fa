/*
 * test_billing_aws.c -- AWS us-east-1: Fargate billed on the requested task
 * size per hour (only valid task sizes), the ALB (hours, LCUs on the busiest
 * dimension, its nodes' IPv4), public IPv4 per task, egress with 100 GB free;
 * EC2 instance types, EBS gp3 and IPv4.  Month = 730 h.
 */
#include <criterion/criterion.h>

#include "support.h"

#define HEAD "capsim: 1\n"
#define WL "workload: {tenants: 10, agents_per_tenant: 2, active_fraction: 0.1, transport: sse}\n"

Test(billing_aws, fargate_bills_the_requested_task_size_per_hour)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: f, provider: aws-fargate, plan: linux-x86, "
                  "architecture: shared, instance: {vcpu: 1, memory_gb: 2}, "
                  "scaling: {mode: fixed, instances: 2}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "f");
    /* 2 tasks x 1 vCPU x 730 h x $0.04048 = $59.1008 */
    assert_usd(test_item_usd(d, "x86_vcpu_hour"), "59.1008", "vcpu");
    /* 2 tasks x 2 GB x 730 h x $0.004445 = $12.9794 */
    assert_usd(test_item_usd(d, "x86_gb_hour"), "12.9794", "memory");
    /* $59.1008 + $12.9794 = $72.0802 (2 x $36.0401) */
    assert_usd(d->month_usd, "72.0802", "total");
    test_run_free(&t);
}

Test(billing_aws, fargate_arm_and_smallest_task)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: arm, provider: aws-fargate, plan: linux-arm, "
                  "architecture: shared, instance: {vcpu: 0.25, memory_gb: 0.5}, "
                  "scaling: {mode: fixed, instances: 1}}\n"
                  "  - {name: x86, provider: aws-fargate, plan: linux-x86, "
                  "architecture: shared, instance: {vcpu: 0.25, memory_gb: 0.5}, "
                  "scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    /* 730 h x (0.25 x $0.03238 + 0.5 x $0.00356) = 730 x $0.009875
     * = $7.20875 */
    assert_usd(test_deploy(&t, "arm")->month_usd, "7.20875", "arm");
    /* 730 h x (0.25 x $0.04048 + 0.5 x $0.004445) = 730 x $0.0123425
     * = $9.010025 */
    assert_usd(test_deploy(&t, "x86")->month_usd, "9.010025", "x86");
    test_run_free(&t);
}

Test(billing_aws, fargate_pool_is_sized_from_demand)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "workload: {tenants: 100, agents_per_tenant: 10, "
                  "active_fraction: 0.1, transport: sse}\n"
                  "deployments:\n"
                  "  - {name: f, provider: aws-fargate, plan: linux-x86, "
                  "architecture: shared, instance: {vcpu: 1, memory_gb: 2}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "f");
    /* 1,000 agents x 0.1 = 100 active: 25 vCPU / 1 = 25 tasks, 50 GB / 2
     * = 25 tasks -> 25 tasks x $36.0401 = $901.0025 */
    assert_usd(d->month_usd, "901.0025", "total");
    test_run_free(&t);
}

Test(billing_aws, fargate_invalid_task_size_is_rejected)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: f, provider: aws-fargate, plan: linux-x86, "
                  "architecture: shared, instance: {vcpu: 1, memory_gb: 1}, "
                  "scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "Fargate has no task size of 1 vCPU with 1 GB"));
    test_run_free(&t);

    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: f, provider: aws-fargate, plan: linux-x86, "
                  "architecture: shared, instance: {vcpu: 3, memory_gb: 6}, "
                  "scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "Fargate has no task size of 3 vCPU"));
    test_run_free(&t);
}

/* Fargate allows only 0.5, 1 or 2 GB with 0.25 vCPU: no 1.5 GB. */
Test(billing_aws, fargate_quarter_vcpu_with_1_5_gb_is_rejected)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: f, provider: aws-fargate, plan: linux-x86, "
                  "architecture: shared, instance: {vcpu: 0.25, memory_gb: 1.5}, "
                  "scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "Fargate has no task size"));
    test_run_free(&t);
}

Test(billing_aws, alb_hours_lcu_on_active_connections_and_ipv4)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "workload: {tenants: 3000, agents_per_tenant: 2, "
                  "active_fraction: 0.01, transport: websocket, "
                  "connected: always}\n"
                  "deployments:\n"
                  "  - {name: f, provider: aws-fargate, plan: linux-x86, "
                  "architecture: shared, instance: {vcpu: 1, memory_gb: 2}, "
                  "scaling: {mode: fixed, instances: 2}, "
                  "extras: {load_balancer: alb, ipv4: 1}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "f");
    /* 730 ALB-hours x $0.0225 = $16.425 */
    assert_usd(test_item_usd(d, "alb_hour"), "16.425", "alb hours");
    /* 6,000 sockets always open / 3,000 active connections per LCU = 2 LCU
     * (new connections and bytes are far below); 2 x 730 h x $0.008
     * = $11.68 */
    assert_usd(test_item_usd(d, "alb_lcu_hour"), "11.68", "lcu");
    /* ALB nodes' addresses: 730 h x $0.01 = $7.30 */
    assert_usd(test_item_usd(d, "alb_ipv4_hour"), "7.30", "alb ipv4");
    /* one public IPv4 per task: 2 x 730 h x $0.005 = $7.30 */
    assert_usd(test_item_usd(d, "public_ipv4_hour"), "7.30", "task ipv4");
    /* $72.0802 + $16.425 + $11.68 + $7.30 + $7.30 = $114.7852 */
    assert_usd(d->month_usd, "114.7852", "total");
    test_run_free(&t);
}

Test(billing_aws, alb_lcu_on_processed_bytes_and_egress_beyond_100_gb)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "profile: {egress_kb_per_message: 1048576}\n"
                  "workload: {tenants: 10, agents_per_tenant: 1, "
                  "active_fraction: 0.01, transport: sse, "
                  "messages_per_agent_month: 146}\n"
                  "deployments:\n"
                  "  - {name: f, provider: aws-fargate, plan: linux-x86, "
                  "architecture: shared, instance: {vcpu: 0.25, memory_gb: 0.5}, "
                  "scaling: {mode: fixed, instances: 1}, "
                  "extras: {load_balancer: alb}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "f");
    /* 10 agents x 146 messages x 1 GB = 1,460 GB = 2 GB an hour -> 2 LCU
     * (busiest dimension); 2 x 730 h x $0.008 = $11.68 */
    assert_usd(test_item_usd(d, "alb_lcu_hour"), "11.68", "lcu");
    /* (1,460 - 100 free) GB x $0.09 = $122.40 */
    assert_usd(test_item_usd(d, "egress_gb"), "122.40", "egress");
    /* $9.010025 + $16.425 + $11.68 + $7.30 + $122.40 = $166.815025 */
    assert_usd(d->month_usd, "166.815025", "total");
    test_run_free(&t);
}

Test(billing_aws, egress_within_the_free_100_gb_costs_nothing)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "profile: {egress_kb_per_message: 1048576}\n"
                  "workload: {tenants: 10, agents_per_tenant: 1, "
                  "active_fraction: 0.01, transport: sse, "
                  "messages_per_agent_month: 9}\n"
                  "deployments:\n"
                  "  - {name: f, provider: aws-fargate, plan: linux-x86, "
                  "architecture: shared, instance: {vcpu: 0.25, memory_gb: 0.5}, "
                  "scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "f");
    /* 90 GB <= 100 GB free: $0; total is the task alone, $9.010025 */
    assert_usd(test_item_usd(d, "egress_gb"), "0", "egress");
    assert_usd(d->month_usd, "9.010025", "total");
    test_run_free(&t);
}

Test(billing_aws, ec2_instance_ebs_and_ipv4)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: e, provider: aws-ec2, plan: t3.small, "
                  "architecture: shared, scaling: {mode: fixed, instances: 2}, "
                  "extras: {storage_gb: 20, ipv4: 1}}\n"
                  "  - {name: nano, provider: aws-ec2, plan: t3.nano, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "e");
    /* 2 x 730 h x $0.0208 = $30.368 */
    assert_usd(test_item_usd(d, "t3_small"), "30.368", "instances");
    /* 2 x 20 GB-month x $0.08 = $3.20 */
    assert_usd(test_item_usd(d, "ebs_gp3_gb_month"), "3.20", "ebs");
    /* 2 x 730 h x $0.005 = $7.30 */
    assert_usd(test_item_usd(d, "public_ipv4_hour"), "7.30", "ipv4");
    /* $30.368 + $3.20 + $7.30 = $40.868 */
    assert_usd(d->month_usd, "40.868", "total");
    /* 730 h x $0.0052 = $3.796 */
    assert_usd(test_deploy(&t, "nano")->month_usd, "3.796", "nano");
    test_run_free(&t);
}

Test(billing_aws, measured_basis_is_rejected)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: e, provider: aws-ec2, plan: t3.small, "
                  "architecture: shared, billing_basis: measured, "
                  "scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "aws-ec2 bills the size of a running "
                            "instance"));
    test_run_free(&t);
}
