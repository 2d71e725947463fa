#!/bin/sh
# Command-line behaviour: exit codes of shared/spec.md, outputs written
# whole or not at all, byte-identical results for the same input.
capsim=$1
root=$2
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() {   # expect CODE DESCRIPTION -- ARGS...
    want=$1 what=$2
    shift 3
    "$capsim" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" = "$want" ]; then pass=$((pass + 1))
    else fail=$((fail + 1)); echo "FAIL: $what: exit $got, expected $want"; cat "$tmp/err"; fi
}
check() {    # check DESCRIPTION COMMAND...
    what=$1
    shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi
}

scn=$root/scenarios/default.yaml
expect 0 "version" -- --version
check "version text" grep -q '^capsim [0-9]' "$tmp/out"
expect 0 "help" -- help
expect 0 "help run" -- help run
expect 0 "run --help" -- run --help
expect 2 "no command" --
expect 2 "unknown command" -- frobnicate
expect 2 "unknown option" -- run "$scn" --bogus
expect 2 "bad format" -- run "$scn" --format xml
expect 2 "bad seed" -- run "$scn" --seed -3
expect 2 "run without a file" -- run
expect 3 "missing scenario file" -- run "$tmp/nope.yaml"
check "missing file message" grep -q "nope.yaml: error: cannot read file" "$tmp/err"
expect 0 "run default" -- run "$scn"
check "table has a header" grep -q "USD/agent" "$tmp/out"
expect 0 "run json" -- run "$scn" --format json
cp "$tmp/out" "$tmp/a.json"
expect 0 "run json again" -- run "$scn" --format json
check "same input, byte-identical JSON" cmp -s "$tmp/out" "$tmp/a.json"
check "json has the results keys" grep -q '"per_agent_month_usd"' "$tmp/a.json"
expect 0 "run csv" -- run "$scn" --format csv
check "csv header" grep -q '^scenario,deployment,provider,architecture,plan,item' "$tmp/out"
expect 0 "run md" -- run "$scn" --format md
check "markdown table" grep -q '^| deployment |' "$tmp/out"
expect 0 "run seed-docs catalog" -- run "$scn" --pricing seed-docs
expect 3 "unknown catalog" -- run "$scn" --pricing "$tmp/none.yaml"

expect 0 "run --out" -- run "$scn" --out "$tmp/out1" --quiet
for f in results.json costs.csv report.md; do
    check "--out wrote $f" test -s "$tmp/out1/$f"
done
check "results.json equals --format json" cmp -s "$tmp/out1/results.json" "$tmp/a.json"

# A scenario that fails leaves nothing behind.
printf 'capsim: 1\nworkload: {tenants: 1, active_fraction: 0.1}\ndeployments:\n  - {provider: render, plan: starter, scaling: {mode: scale-to-zero}}\n' >"$tmp/bad.yaml"
expect 3 "provider cannot run it" -- run "$tmp/bad.yaml" --out "$tmp/out2"
check "failed run wrote no results" test ! -e "$tmp/out2/results.json"
check "reason given" grep -q "never sleep" "$tmp/err"

expect 0 "validate good files" -- validate "$scn" "$root/data/pricing/2025-11.yaml"
expect 3 "validate bad file" -- validate "$tmp/bad.yaml"
expect 0 "pricing list" -- pricing list
check "pricing list names providers" grep -q "aws-fargate" "$tmp/out"
expect 0 "pricing show" -- pricing show railway
check "pricing show has sources" grep -q "docs.railway.com" "$tmp/out"
expect 2 "pricing show unknown" -- pricing show nosuch
expect 2 "pricing show without provider" -- pricing show

# Reports: run --out and report RESULTS.json give the same files.
expect 0 "run --out" -- run "$scn" --out "$tmp/rep1" --quiet
check "html written" test -s "$tmp/rep1/report.html"
check "html is self-contained" sh -c "! grep -q -E '(src|href)=\"(https?:)?//' '$tmp/rep1/report.html'"
expect 0 "report re-renders" -- report "$tmp/rep1/results.json" --out "$tmp/rep2"
check "same report.md" cmp -s "$tmp/rep1/report.md" "$tmp/rep2/report.md"
check "same costs.csv" cmp -s "$tmp/rep1/costs.csv" "$tmp/rep2/costs.csv"
check "same report.html" cmp -s "$tmp/rep1/report.html" "$tmp/rep2/report.html"
expect 2 "report needs --out" -- report "$tmp/rep1/results.json"
printf '{"deployments": [\n  {"name": }\n' >"$tmp/broken.json"
expect 3 "report of broken JSON" -- report "$tmp/broken.json" --out "$tmp/rep3"
check "broken JSON position" grep -q "broken.json:2:" "$tmp/err"
printf '{"scenario": "x"}\n' >"$tmp/notres.json"
expect 3 "report of a non-results document" -- report "$tmp/notres.json" --out "$tmp/rep3"
mkdir -p "$tmp/nobin"
if command -v gnuplot >/dev/null 2>&1; then
    PATH_SAVE=$PATH
    PATH="$tmp/nobin"
    expect 4 "charts asked for without gnuplot" -- report "$tmp/rep1/results.json" --out "$tmp/rep4" --charts
    expect 0 "no gnuplot, charts not asked for" -- report "$tmp/rep1/results.json" --out "$tmp/rep5"
    PATH=$PATH_SAVE
    check "tables still written" test -s "$tmp/rep5/report.md"
fi

# A fluid run into a directory that held a stochastic one leaves no stale
# stochastic-only charts behind.
if command -v gnuplot >/dev/null 2>&1; then
    expect 0 "stochastic run --out" -- run "$root/tests/scenarios/stochastic-mix.yaml" --out "$tmp/rep6" --quiet
    check "instances chart drawn" test -s "$tmp/rep6/charts/instances.svg"
    expect 0 "fluid run into the same directory" -- run "$scn" --out "$tmp/rep6" --quiet
    check "stale instances chart removed" test ! -e "$tmp/rep6/charts/instances.svg"
fi

# The published pricing table: Fly's 512 MB machine is $3.19 per 30 days,
# which is also the most it costs in a month, per agent at every scale; a Worker costs Workers
# Paid's $5 over 100 agents (100,000 requests are inside the included 10 M).
expect 0 "pricing table" -- report --pricing-table --scales 10,100 --out "$tmp/pt" --quiet
check "pricing table fly row" grep -q '^| fly-per-agent | fly | per-agent | shared-cpu-1x-512mb | 3.1900 | 3.1900 |$' "$tmp/pt/pricing-table.md"
check "pricing table worker at 100" grep -q '^cloudflare-worker,cloudflare,per-request,workers-paid,100,0.05,2025-11,2025-11-30,no$' "$tmp/pt/pricing-table.csv"
# The table's agents hold 0.5 GB: a Worker (128 MB) cannot run them, and
# the table says so beside the figure and why below it.
check "pricing table marks the infeasible" grep -q '^| cloudflare-worker | cloudflare | per-request | workers-paid | 0.5000 (infeasible) | 0.0500 (infeasible) |$' "$tmp/pt/pricing-table.md"
check "pricing table says why" grep -q '^- cloudflare-worker, from 10 tenants: agents need 512 MB; a Worker has 128 MB.$' "$tmp/pt/pricing-table.md"
check "pricing table feasible rows" grep -q '^fly-per-agent,fly,per-agent,shared-cpu-1x-512mb,10,3.19,2025-11,2025-11-30,yes$' "$tmp/pt/pricing-table.csv"
check "pricing table sources" grep -q 'https://fly.io' "$tmp/pt/pricing-table.md"
expect 2 "bad scales" -- report --pricing-table --scales 10,x

# A budget the run breaks fails `run` too (exit 1), outputs written all
# the same; an infeasible deployment is marked in the table, the report
# and every chart.  Fly's 512 MB machine is $3.2343 per agent-month, over
# a $1 budget; a Durable Object cannot hold a 0.5 GB agent.
cat >"$tmp/budget.yaml" <<'YAML'
capsim: 1
name: budget and feasibility
profile: {active_vcpu: 0.25, active_memory_gb: 0.5}
workload: {tenants: 4, transport: sse, active_fraction: 0.1, messages_per_agent_month: 10}
deployments:
  - {name: fly, provider: fly, plan: shared-cpu-1x-512mb, architecture: per-agent}
  - {name: do, provider: cloudflare, architecture: per-agent}
budgets:
  - {metric: per_agent_month_usd, max: 1, deployment: fly}
YAML
expect 1 "run with a failing budget" -- run "$tmp/budget.yaml" --out "$tmp/bud"
check "budget FAIL in the table" grep -q '^  FAIL fly per_agent_month_usd' "$tmp/out"
check "run says why it exits 1" grep -q 'a budget failed' "$tmp/err"
check "outputs written on a failed budget" test -s "$tmp/bud/results.json"
check "SLO column" grep -q '^do .* FAIL *$' "$tmp/out"
check "infeasible reason in the table" grep -q '^  infeasible: do: agents need 512 MB; a Durable Object has 128 MB$' "$tmp/out"
check "infeasible in report.md" grep -q '^- do is infeasible: agents need 512 MB' "$tmp/bud/report.md"
check "infeasible in report.html" grep -q 'do is infeasible' "$tmp/bud/report.html"
check "infeasible in costs.csv" grep -q ',do,cloudflare,per-agent,workers-paid,total,.*,no$' "$tmp/bud/costs.csv"
check "infeasible on the chart" grep -q 'do (infeasible)' "$tmp/bud/charts/per_agent_cost.gp"
sed 's/max: 1,/max: 5,/' "$tmp/budget.yaml" >"$tmp/budget-ok.yaml"
expect 0 "run with budgets met" -- run "$tmp/budget-ok.yaml"
# A region list in an error longer than its buffer: forty 64-character
# region names in a custom catalog once overflowed the message's stack
# buffer; now the list is cut and the error is positioned, exit 3.
{
    printf 'capsim_catalog: 1\nname: many-regions\nas_of: "2026-11-01"\nproviders:\n  fly:\n    default_region: r00\n    regions:\n'
    i=10
    while [ $i -lt 50 ]; do
        printf '      r%s-a-region-name-long-enough-to-fill-a-message-buffer-quickly: {markup: 1}\n' $i
        i=$((i + 1))
    done
    printf '      r00: {markup: 1}\n    items:\n      m: {rate: 1.94, unit: machine-30d, per: 30d, source: "test"}\n    plans:\n      small: {price: m, vcpu: 1, memory_gb: 0.25}\n'
} >"$tmp/regions.yaml"
printf 'capsim: 1\npricing: regions.yaml\nworkload: {tenants: 1, active_fraction: 0.1}\ndeployments:\n  - {name: f, provider: fly, plan: small, region: nowhere, scaling: {instances: 1}}\n' >"$tmp/regions-scn.yaml"
expect 3 "unknown region among many long ones" -- run "$tmp/regions-scn.yaml"
check "unknown region positioned" grep -q "regions-scn.yaml:5:51: error: catalog 'many-regions' has no fly prices for region 'nowhere'" "$tmp/err"

# A railway default plan (hobby) without `subscription` passed validate
# and crashed run; both now stop at the plan in the catalog, exit 3.
printf 'capsim_catalog: 1\nname: nosub\nas_of: "2026-11-01"\nproviders:\n  railway:\n    items:\n' >"$tmp/nosub.yaml"
for it in "vcpu_second: {rate: 0.00000772, unit: vCPU-s, per: 1s" \
          "memory_gb_second: {rate: 0.00000386, unit: GB-s, per: 1s" \
          "egress_gb: {rate: 0.05, unit: GB, per: 1" \
          "volume_gb_minute: {rate: 0.000003472222, unit: GB-min, per: 1m"; do
    printf '      %s, source: "test"}\n' "$it" >>"$tmp/nosub.yaml"
done
printf '    plans:\n      hobby: {max_vcpu: 8, max_memory_gb: 8}\n' >>"$tmp/nosub.yaml"
printf 'capsim: 1\npricing: nosub.yaml\nworkload: {tenants: 1, active_fraction: 0.1}\ndeployments:\n  - {name: r, provider: railway, instance: {vcpu: 1, memory_gb: 1}}\n' >"$tmp/nosub-scn.yaml"
expect 3 "validate: default plan without subscription" -- validate "$tmp/nosub.yaml"
check "validate names the plan's line" grep -q "nosub.yaml:12:14: error: plan 'hobby' of provider 'railway' needs 'subscription'" "$tmp/err"
expect 3 "run: default plan without subscription" -- run "$tmp/nosub-scn.yaml"
check "run names the plan's line" grep -q "nosub.yaml:12:14: error: plan 'hobby' of provider 'railway' needs 'subscription'" "$tmp/err"

# The pricing table's CSV quotes a name with a comma and defuses one a
# spreadsheet would run, as costs.csv does.  Each Worker is Workers Paid's
# $5 over 100 agents (100,000 requests, inside the included 10 M): 0.05.
printf 'capsim: 1\nprofile: {requests_per_message: 1, cpu_ms_per_request: 5}\nworkload: {tenants: 100, agents_per_tenant: 1, transport: sse, active_fraction: 0.1, messages_per_agent_month: 1000}\ndeployments:\n  - {name: "worker, paid", provider: cloudflare, plan: workers-paid, architecture: per-request}\n  - {name: "=1+1", provider: cloudflare, plan: workers-paid, architecture: per-request}\n' >"$tmp/pt-names.yaml"
expect 0 "pricing table of awkward names" -- report --pricing-table --scales 100 --scenario "$tmp/pt-names.yaml" --out "$tmp/pt2" --quiet
check "pricing table quotes a comma" grep -qx '"worker, paid",cloudflare,per-request,workers-paid,100,0.05,2025-11,2025-11-30,no' "$tmp/pt2/pricing-table.csv"
check "pricing table defuses a formula" grep -qx "'=1+1,cloudflare,per-request,workers-paid,100,0.05,2025-11,2025-11-30,no" "$tmp/pt2/pricing-table.csv"

# A granularity capsim would not apply is refused where it is written:
# "      v: {rate: 0.15, unit: GB-30d, per: 30d, " is 46 characters.
printf 'capsim_catalog: 1\nname: gran\nas_of: "2026-11-01"\nproviders:\n  fly:\n    items:\n      v: {rate: 0.15, unit: GB-30d, per: 30d, granularity: 1h, source: t}\n' >"$tmp/gran.yaml"
expect 3 "validate: granularity on an unmetered item" -- validate "$tmp/gran.yaml"
check "granularity error positioned" grep -q "gran.yaml:7:47: error: item 'v' of provider 'fly' has a granularity or minimum" "$tmp/err"

# The stale-catalog warning: once per command, however many scenarios or
# grid points load the catalog.  A copy of the shipped catalog dated
# 2000-01-01 is over a year old on any day these tests run.
sed 's/^as_of: .*/as_of: "2000-01-01"/' "$root/data/pricing/2025-11.yaml" >"$tmp/old.yaml"
for k in 1 2; do
    printf 'capsim: 1\nname: old%s\npricing: old.yaml\nworkload: {tenants: %s, active_fraction: 0.1}\ndeployments:\n  - {name: e, provider: aws-ec2, plan: t3.nano, scaling: {instances: 1}}\n' $k $k >"$tmp/old$k.yaml"
done
expect 0 "run with an old catalog" -- run "$tmp/old1.yaml"
check "run warns once" test "$(grep -c "price catalog '2025-11' is from 2000-01-01" "$tmp/err")" = 1
expect 0 "check two scenarios with an old catalog" -- check "$tmp/old1.yaml" "$tmp/old2.yaml"
check "check warns once" test "$(grep -c "price catalog '2025-11' is from 2000-01-01" "$tmp/err")" = 1
expect 0 "sweep over an old catalog" -- sweep "$tmp/old1.yaml" --vary workload.tenants=1,2,3
check "sweep warns once" test "$(grep -c "price catalog '2025-11' is from 2000-01-01" "$tmp/err")" = 1
expect 0 "pricing table over an old catalog" -- report --pricing-table --pricing "$tmp/old.yaml" --scales 1,2
check "pricing table warns once" test "$(grep -c "price catalog '2025-11' is from 2000-01-01" "$tmp/err")" = 1
expect 0 "quiet check" -- check "$tmp/old1.yaml" "$tmp/old2.yaml" --quiet
check "quiet check does not warn" test "$(grep -c "is from 2000-01-01" "$tmp/err")" = 0

# --profile: a measured profile in place of the scenario's, and a bad one
# named at its line and column.
expect 0 "run --profile" -- run "$scn" --profile "$root/data/profiles/agent-core.json" --format json
check "results name the profile" grep -q '"source":	"'"$root"'/data/profiles/agent-core.json"' "$tmp/out"
check "results carry its figures" grep -q '"active_vcpu":	0.02679,' "$tmp/out"
printf '{"capsim_profile": 1,\n "active_vcpu": "x"}\n' >"$tmp/bad-profile.json"
expect 3 "run --profile with a bad profile" -- run "$scn" --profile "$tmp/bad-profile.json"
check "bad profile position" grep -q "bad-profile.json:2:17: error: expected 'active_vcpu' as a number" "$tmp/err"

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
