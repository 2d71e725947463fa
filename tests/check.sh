#!/bin/sh
# `capsim check`: budgets, baselines and the exit codes of shared/spec.md
# (0 passed, 1 a check failed, 2 usage, 3 invalid input).
capsim=$1
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() {   # expect CODE DESCRIPTION -- ARGS...
    want=$1 what=$2
    shift 3
    "$capsim" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" = "$want" ]; then pass=$((pass + 1))
    else fail=$((fail + 1)); echo "FAIL: $what: exit $got, expected $want"; cat "$tmp/out" "$tmp/err"; fi
}
has() {      # has DESCRIPTION PATTERN FILE
    if grep -q -- "$2" "$3"; then pass=$((pass + 1))
    else fail=$((fail + 1)); echo "FAIL: $1: no '$2' in $3"; cat "$3"; fi
}

# A fluid scenario: Railway Pro, one shared 1 vCPU / 1 GB service for 10
# agents at 10% activity.  Measured use is 1 agent's 0.25 vCPU and 0.5 GB
# all month: 0.25 x 2,628,000 x $0.00000772 + 0.5 x 2,628,000 x
# $0.00000386 = $5.0718 + $5.0718 = $10.1436, below the $20 Pro minimum,
# so the month costs $20 -- $2 a tenant.
fluid() {    # fluid FILE BUDGET_PER_TENANT [RATES]
    cat >"$1" <<EOF
capsim: 1
name: gate
${3:-}
workload: {tenants: 10, transport: sse, active_fraction: 0.1}
deployments:
  - {name: shared, provider: railway, plan: pro, architecture: shared, instance: {vcpu: 1, memory_gb: 1}}
budgets:
  - {metric: per_tenant_month_usd, max: $2}
EOF
}
fluid "$tmp/ok.yaml" 2.00
fluid "$tmp/over.yaml" 1.99
expect 0 "budget met" -- check "$tmp/ok.yaml"
has "summary says passed" "## capsim check: passed" "$tmp/out"
has "budget row" "| gate | shared | per_tenant_month_usd | mean | 2.00 | 2.00 | ok |" "$tmp/out"
expect 1 "budget breached by a cent" -- check "$tmp/over.yaml"
has "summary says failed" "## capsim check: FAILED (1 budget over, 0 regressions)" "$tmp/out"
has "breach marked" "over budget" "$tmp/out"

# Baselines.  Pro's $20 minimum hides small rate changes, so the gate
# scenario is priced above it: 40 agents use 4 x $10.14408 = $40.57632.
fluid "$tmp/base.yaml" 100 "rates: {railway.vcpu_second: 0.00000772}"
sed -i 's/tenants: 10,/tenants: 40,/' "$tmp/base.yaml"
expect 0 "write a baseline" -- check "$tmp/base.yaml" --write-baseline "$tmp/baseline.json"
has "baseline bundle" '"capsim_baseline"' "$tmp/baseline.json"
expect 0 "unchanged against its baseline" -- check "$tmp/base.yaml" --baseline "$tmp/baseline.json" --tolerance 0
has "row ok" "| gate | shared | 40.58 | 40.58 | +0.00% |" "$tmp/out"

# vCPU 2.5% dearer: +$0.507204 of $40.57632 (half of it vCPU) = +1.25%.
sed 's/0.00000772}/0.000007913}/' "$tmp/base.yaml" >"$tmp/up.yaml"
expect 1 "a 1.25% rise fails at 1% tolerance" -- check "$tmp/up.yaml" --baseline "$tmp/baseline.json"
has "regression marked" "| gate | shared | 41.08 | 40.58 | +1.25% | \[41.08, 41.08\] | \*\*regressed\*\* |" "$tmp/out"
expect 0 "the same rise passes at 2%" -- check "$tmp/up.yaml" --baseline "$tmp/baseline.json" --tolerance 2
sed 's/0.00000772}/0.000007527}/' "$tmp/base.yaml" >"$tmp/down.yaml"
expect 0 "a fall is not a regression" -- check "$tmp/down.yaml" --baseline "$tmp/baseline.json"
has "fall noted" "cheaper" "$tmp/out"
expect 1 "a fall fails with --both-directions" -- check "$tmp/down.yaml" --baseline "$tmp/baseline.json" --both-directions

# A plain results document works as a baseline too.
"$capsim" run "$tmp/base.yaml" --format json >"$tmp/results.json" 2>/dev/null
expect 1 "results.json as the baseline" -- check "$tmp/up.yaml" --baseline "$tmp/results.json"

# Stochastic: another seed moves the mean, but inside the noise; a real
# rise of 20% on every awake second is outside it.
cat >"$tmp/stz.yaml" <<EOF
capsim: 1
name: stz
seed: 1
replications: 6
workload: {tenants: 200, transport: sse, messages_per_agent_month: 300, busy_per_message: {dist: exponential, mean: 60s}}
deployments:
  - {name: per-agent, provider: aws-fargate, architecture: per-agent, instance: {vcpu: 0.25, memory_gb: 0.5}, scaling: {mode: scale-to-zero, idle_timeout: 10m}}
EOF
expect 0 "stochastic baseline" -- check "$tmp/stz.yaml" --write-baseline "$tmp/stz-base.json"
expect 0 "another seed is noise, not a regression" -- check "$tmp/stz.yaml" --seed 2 --baseline "$tmp/stz-base.json" --tolerance 0
sed 's/idle_timeout: 10m/idle_timeout: 20m/' "$tmp/stz.yaml" >"$tmp/stz-up.yaml"
expect 1 "a longer idle timeout is a real rise" -- check "$tmp/stz-up.yaml" --seed 2 --baseline "$tmp/stz-base.json"
has "stochastic regression marked" "regressed" "$tmp/out"

# Bad input and usage.
printf '{"results": [\n  {"scenario": "x",\n   "deployments": [}\n' >"$tmp/broken.json"
expect 3 "broken baseline" -- check "$tmp/ok.yaml" --baseline "$tmp/broken.json"
has "baseline error position" "broken.json:3:" "$tmp/err"
expect 3 "missing baseline" -- check "$tmp/ok.yaml" --baseline "$tmp/nope.json"
printf 'capsim: 1\nworkload: {tenants: 0}\n' >"$tmp/bad.yaml"
expect 3 "invalid scenario" -- check "$tmp/ok.yaml" "$tmp/bad.yaml"
has "invalid scenario named" "could not run" "$tmp/out"
expect 2 "no scenario" -- check
expect 2 "bad tolerance" -- check "$tmp/ok.yaml" --tolerance -1
expect 2 "unknown option" -- check "$tmp/ok.yaml" --bogus
expect 0 "check --help" -- check --help
# Infeasible deployments are reported, not failed on: a Worker cannot hold
# a 0.5 GB agent.
cat >"$tmp/inf.yaml" <<'YAML'
capsim: 1
name: inf
profile: {active_vcpu: 0.25, active_memory_gb: 0.5}
workload: {tenants: 2, transport: sse, active_fraction: 0.1, messages_per_agent_month: 10}
deployments:
  - {name: w, provider: cloudflare, architecture: per-request}
YAML
expect 0 "check passes with an infeasible deployment" -- check "$tmp/inf.yaml"
has "SLO column" "| result | SLO |" "$tmp/out"
has "infeasible row" "| infeasible |" "$tmp/out"
has "infeasible reason" "- inf / w: agents need 512 MB; a Worker has 128 MB" "$tmp/out"

echo "check: $pass passed, $fail failed"
[ "$fail" = 0 ]
