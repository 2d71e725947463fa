#!/bin/sh
# `capsim sweep`: the grid, the crossover and the files, against a case
# worked by hand.  A Cloudflare Worker (Workers Paid) costs its $5
# subscription at any of these scales; a Fly shared-cpu-1x 256 MB machine
# per tenant costs $1.94 per 30 days, which is also the most it costs in a
# 730-hour month (Fly's cap).  They cross at 5 / 1.94 = 2.577320 tenants;
# two machines bill 2 machine-30d x $1.94 = $3.88.
capsim=$1
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; cat "$tmp/out" "$tmp/err" 2>/dev/null; }

cat >"$tmp/s.yaml" <<YAML
capsim: 1
name: sweep-test
profile: {active_vcpu: 0.25, active_memory_gb: 0.1}
workload: {tenants: 10, transport: sse, active_fraction: 0.1, messages_per_agent_month: 100}
deployments:
  - {name: worker, provider: cloudflare, plan: workers-paid, architecture: per-request}
  - {name: fly-tenant, provider: fly, plan: shared-cpu-1x-256mb, architecture: per-tenant}
YAML
"$capsim" sweep "$tmp/s.yaml" --vary workload.tenants=1,2,3,10 --out "$tmp/o" >"$tmp/out" 2>"$tmp/err"
[ $? = 0 ] && ok || bad "sweep exits 0"
grep -q "fly-tenant is cheapest below workload.tenants = 2.57732 and worker above it (the costs cross between 2 and 3)." "$tmp/out" && ok || bad "crossover stated"
grep -q '^3 *5.00 *5.82 *worker$' "$tmp/out" && ok || bad "table row at 3 tenants"
grep -q '^2,fly-tenant,3.88,3.88,3.88,1.94,1.94,yes$' "$tmp/o/sweep.csv" && ok || bad "csv row"
grep -q '"at":	2.5773195876' "$tmp/o/sweep.json" && ok || bad "json crossover"
[ "$(grep -c '"cheapest":' "$tmp/o/sweep.json")" = 4 ] && ok || bad "four points"
if command -v gnuplot >/dev/null 2>&1; then
    [ -s "$tmp/o/charts/sweep.svg" ] && ok || bad "sweep chart drawn"
    grep -q "set arrow 1 from 2.57732, graph 0" "$tmp/o/charts/sweep.gp" && ok || bad "crossover marked on the chart"
fi
"$capsim" sweep "$tmp/s.yaml" --vary workload.tenants=1,2,3,10 >"$tmp/again" 2>/dev/null
cmp -s "$tmp/out" "$tmp/again" && ok || bad "deterministic"
"$capsim" sweep "$tmp/s.yaml" --vary workload.tenantz=1,2 >"$tmp/out" 2>"$tmp/err"
[ $? = 3 ] && ok || bad "unknown path is an input error"
grep -q "did you mean 'tenants'" "$tmp/err" && ok || bad "unknown path suggests"
"$capsim" sweep "$tmp/s.yaml" --vary workload.tenants >"$tmp/out" 2>"$tmp/err"
[ $? = 2 ] && ok || bad "--vary without values is a usage error"
"$capsim" sweep "$tmp/s.yaml" >"$tmp/out" 2>"$tmp/err"
[ $? = 2 ] && ok || bad "no --vary is a usage error"
"$capsim" run "$tmp/s.yaml" --set workload.tenants=2 --format csv >"$tmp/out" 2>"$tmp/err"
grep -q "3.88" "$tmp/out" && ok || bad "run --set"
# Rate overrides have dotted names; --set reaches them, and small values
# keep their digits in sweep.json.
sed 's/^workload:/rates: {}\nworkload:/' "$tmp/s.yaml" >"$tmp/r.yaml"
"$capsim" run "$tmp/r.yaml" --set rates.fly.shared_cpu_1x_256mb=3.88 --format csv >"$tmp/out" 2>"$tmp/err"
grep -q "^sweep-test,fly-tenant,fly,per-tenant,shared-cpu-1x-256mb,shared_cpu_1x_256mb,.*,3.88,0,38.8," "$tmp/out" && ok || bad "run --set on a rate"
"$capsim" sweep "$tmp/s.yaml" --vary workload.active_fraction=0.0000001,0.0000002 --out "$tmp/o2" >"$tmp/out" 2>"$tmp/err"
grep -q '"workload.active_fraction":	1e-07' "$tmp/o2/sweep.json" && ok || bad "small values keep their digits"
# Agents of 0.3 GB fit neither a Worker (128 MB) nor a Fly 256 MB machine,
# so that point names no cheapest; at 0.1 GB both fit.
"$capsim" sweep "$tmp/s.yaml" --vary profile.active_memory_gb=0.1,0.3 --out "$tmp/o3" >"$tmp/out" 2>"$tmp/err"
grep -q '^0.3 .* none feasible$' "$tmp/out" && ok || bad "an infeasible point names no cheapest"
grep -q '"feasible":	false' "$tmp/o3/sweep.json" && ok || bad "sweep.json marks infeasible deployments"
grep -q '"cheapest":	null' "$tmp/o3/sweep.json" && ok || bad "sweep.json cheapest is null where none is feasible"
echo "sweep: $pass passed, $fail failed"
[ "$fail" = 0 ]
