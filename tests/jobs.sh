#!/bin/sh
# --jobs: run, sweep and check give the same bytes on stdout, on stderr and
# in every file whatever the number of threads; the progress line shows on
# a terminal only; --jobs takes a whole number from 1 up.
#
# Run under ThreadSanitizer by `make test-tsan`, so the threads of every
# run below are checked for races too.
capsim=$1
root=$2
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

# Same stdout, stderr, exit code and files as with --jobs 1.
same() {
    what=$1 n=$2
    cmp -s "$tmp/1.out" "$tmp/$n.out" && ok || bad "$what --jobs $n: stdout differs"
    cmp -s "$tmp/1.err" "$tmp/$n.err" && ok || bad "$what --jobs $n: stderr differs"
    [ "$(cat "$tmp/1.code")" = "$(cat "$tmp/$n.code")" ] && ok || bad "$what --jobs $n: exit code differs"
    if [ -e "$tmp/o1" ]; then
        diff -r "$tmp/o1" "$tmp/o$n" >/dev/null && ok || bad "$what --jobs $n: output files differ"
    fi
}

# A stochastic run with three replications of three deployments; one
# whose deployments share draws (two fixed pools; containers per agent and
# Durable Objects), so threads wait on each other's sets; and the fluid
# default scenario with thirteen deployments.
for scn in "$root/tests/scenarios/stochastic-mix.yaml" \
           "$root/tests/torture/stochastic.yaml" "$root/scenarios/default.yaml"; do
    rm -rf "$tmp"/o*
    for n in 1 2 5; do
        "$capsim" run "$scn" --format json --jobs "$n" --out "$tmp/o$n" \
            >"$tmp/$n.out" 2>"$tmp/$n.err"
        echo $? >"$tmp/$n.code"
    done
    [ -s "$tmp/1.out" ] && [ -s "$tmp/o1/results.json" ] && ok || bad "run $scn wrote its outputs"
    same "run $(basename "$scn")" 2
    same "run $(basename "$scn")" 5
    # Nothing on stderr but what --jobs 1 says: no progress off a terminal.
    grep -q "simulations" "$tmp/5.err" && bad "run $(basename "$scn"): a progress line on a pipe" || ok
done
rm -rf "$tmp"/o*

# sweep: every point's simulations on the pool.
for n in 1 2 5; do
    "$capsim" sweep "$root/tests/scenarios/stochastic-mix.yaml" --vary seed=7,8 \
        --vary workload.classes.0.tenants=10,30 --jobs "$n" --out "$tmp/o$n" \
        >"$tmp/$n.out" 2>"$tmp/$n.err"
    echo $? >"$tmp/$n.code"
done
[ -s "$tmp/o1/sweep.json" ] && ok || bad "sweep wrote sweep.json"
grep -q "simulations" "$tmp/5.err" && bad "sweep: a progress line on a pipe" || ok
same sweep 2
same sweep 5
rm -rf "$tmp"/o*

# check: the summary and the baseline bundle it writes.
for n in 1 2 5; do
    mkdir -p "$tmp/o$n"
    "$capsim" check "$root/tests/scenarios/stochastic-mix.yaml" \
        "$root/scenarios/default.yaml" "$root/scenarios/doc001-fly.yaml" \
        --jobs "$n" --write-baseline "$tmp/o$n/baseline.json" \
        >"$tmp/$n.out" 2>"$tmp/$n.err"
    echo $? >"$tmp/$n.code"
done
[ -s "$tmp/o1/baseline.json" ] && ok || bad "check wrote the baseline"
grep -q "simulations" "$tmp/5.err" && bad "check: a progress line on a pipe" || ok
same check 2
same check 5
rm -rf "$tmp"/o*

# Diagnostics from every stage -- resolving a deployment (Render), its
# simulation (the fluid form cannot time scale-to-zero) and a warning --
# come out in deployment order, as one thread gives them, with the
# simulations running side by side.
cat >"$tmp/diag.yaml" <<YAML
capsim: 1
name: diag-order
workload: {tenants: 10, transport: websocket, active_fraction: 0.1}
deployments:
  - {name: fly-sleeps, provider: fly, plan: shared-cpu-1x-256mb, architecture: per-tenant, scaling: {mode: scale-to-zero}}
  - {name: render-sleeps, provider: render, plan: starter, scaling: {mode: scale-to-zero}}
  - {name: objects, provider: cloudflare, plan: workers-paid, architecture: per-session}
  - {name: railway-region, provider: railway, plan: pro, architecture: shared, instance: {vcpu: 2, memory_gb: 2}, region: nowhere}
  - {name: fly-sleeps-too, provider: fly, plan: shared-cpu-1x-512mb, architecture: per-tenant, scaling: {mode: scale-to-zero}}
YAML
for n in 1 3; do
    "$capsim" run "$tmp/diag.yaml" --jobs "$n" >"$tmp/$n.out" 2>"$tmp/$n.err"
    echo $? >"$tmp/$n.code"
done
[ "$(cat "$tmp/1.code")" = 3 ] && ok || bad "the diagnostics scenario is an input error"
same diagnostics 3
order=$(sed -n 's/^[^ ].*\(fly-sleeps-too\|fly-sleeps\|Render\|region\).*/\1/p' "$tmp/3.err" | tr '\n' ' ')
[ "$order" = "fly-sleeps Render region fly-sleeps-too " ] && ok || bad "diagnostics in deployment order (got: $order)"

# --jobs takes a whole number from 1 to 1024: anything else is a usage
# error (exit 2) that says what it takes.
for cmd in run sweep check; do
    for v in 0 x 1025 -2; do
        if [ "$cmd" = sweep ]; then
            "$capsim" sweep "$tmp/diag.yaml" --vary seed=1,2 --jobs "$v" >"$tmp/out" 2>"$tmp/err"
        else
            "$capsim" "$cmd" "$tmp/diag.yaml" --jobs "$v" >"$tmp/out" 2>"$tmp/err"
        fi
        code=$?
        [ "$code" = 2 ] && ok || bad "$cmd --jobs $v exits 2, not $code"
        grep -q "capsim $cmd: --jobs takes a whole number of threads from 1 to 1024, not '$v'" "$tmp/err" \
            && ok || bad "$cmd --jobs $v says what it takes"
        [ -s "$tmp/out" ] && bad "$cmd --jobs $v printed on stdout" || ok
    done
done

# On a terminal (script(1) gives the command a pty) a multi-replication
# run draws its progress line on stderr and erases it; --quiet draws none.
if command -v script >/dev/null 2>&1; then
    script -qec "'$capsim' run '$root/scenarios/calibrated-sse.yaml' --jobs 2 --format csv" \
        /dev/null >"$tmp/pty" 2>&1
    [ $? = 0 ] && ok || bad "run on a terminal exits 0"
    grep -aq "capsim run: \[............\] 0/15 simulations" "$tmp/pty" && ok || bad "progress line on a terminal"
    # Erased before the table: a carriage return, blanks, a carriage return.
    tr '\r' '\n' <"$tmp/pty" | grep -aq "^ *$" && ok || bad "progress line erased"
    grep -a "^scenario," "$tmp/pty" | grep -aq "simulations" && bad "progress mixed into stdout" || ok
    script -qec "'$capsim' run '$root/scenarios/calibrated-sse.yaml' --jobs 2 --format csv --quiet" \
        /dev/null >"$tmp/pty" 2>&1
    grep -aq "simulations" "$tmp/pty" && bad "--quiet shows no progress" || ok
    script -qec "'$capsim' sweep '$root/scenarios/calibrated-sse.yaml' --vary workload.tenants=10,20 --jobs 2" \
        /dev/null >"$tmp/pty" 2>&1
    grep -aq "capsim sweep: point 1/2, .*simulations" "$tmp/pty" && ok || bad "sweep progress names the point"
else
    bad "script(1) (util-linux) is needed to give capsim a terminal"
fi

echo "jobs: $pass passed, $fail failed"
[ "$fail" = 0 ]
