#!/bin/sh
# MPI: `mpirun -n N capsim run|sweep|check ...` gives the same stdout,
# stderr, exit code and files, byte for byte, as one process; rank 0
# alone prints and writes.  Registered only when capsim was built with
# MPI (tests/CMakeLists.txt).  Every job runs on this machine, over
# shared memory, with as many ranks as asked whatever the cores.
#
# A rank whose share of a window were dropped, or whose slots were read
# twice or into the wrong place, changes the costs: every case below
# compares them with one process's.
capsim=$1
root=$2
mpirun=${3:-mpirun}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scn=$tmp/scenarios       # outside the "$tmp"/o* that each case clears
mkdir -p "$scn"
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

# Open MPI refuses root unless told; CI containers run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# -q: no notice of a non-zero exit (a failed budget is one) on stderr.
# Shared memory only, without the kernel's cross-process copy, which
# containers often forbid.
mpi() {
    n=$1
    shift
    timeout 300 "$mpirun" -q -n "$n" --oversubscribe --bind-to none \
        --mca btl self,vader --mca btl_vader_single_copy_mechanism none \
        "$@"
}

# "$tmp/1.*" and "$tmp/o1" come from one process, "$tmp/N.*" and
# "$tmp/oN" from N ranks.
same() {
    what=$1 n=$2
    cmp -s "$tmp/1.out" "$tmp/$n.out" && ok || bad "$what -n $n: stdout differs"
    cmp -s "$tmp/1.err" "$tmp/$n.err" && ok || bad "$what -n $n: stderr differs"
    [ "$(cat "$tmp/1.code")" = "$(cat "$tmp/$n.code")" ] && ok ||
        bad "$what -n $n: exit code $(cat "$tmp/$n.code"), not $(cat "$tmp/1.code")"
    if [ -e "$tmp/o1" ]; then
        diff -r "$tmp/o1" "$tmp/o$n" >/dev/null && ok || bad "$what -n $n: output files differ"
    fi
}

# One process, then N ranks, of the same command line; OUT in the
# arguments stands for the output directory of each.
both() {
    what=$1 n=$2
    shift 2
    rm -rf "$tmp"/o*
    "$capsim" $(echo "$@" | sed "s|OUT|$tmp/o1|g") >"$tmp/1.out" 2>"$tmp/1.err"
    echo $? >"$tmp/1.code"
    mpi "$n" "$capsim" $(echo "$@" | sed "s|OUT|$tmp/o$n|g") >"$tmp/$n.out" 2>"$tmp/$n.err"
    echo $? >"$tmp/$n.code"
    [ -s "$tmp/1.out" ] || [ -s "$tmp/1.err" ] && ok || bad "$what: one process said nothing"
    same "$what" "$n"
}

if ! mpi 2 true >/dev/null 2>&1; then
    echo "mpi: '$mpirun -n 2' cannot start a job on this machine"
    exit 1
fi

mix=$root/tests/scenarios/stochastic-mix.yaml
# run: stochastic, three deployments of three replications (9 units and
# their 9 one-tenant ones, shared unevenly between 2 ranks, and 3); then
# 7 replications; then the fluid default scenario with 13 deployments.
both "run stochastic" 2 run "$mix" --format json --out OUT --jobs 2
[ -s "$tmp/o1/results.json" ] && ok || bad "run stochastic wrote results.json"
both "run stochastic" 3 run "$mix" --format json --out OUT --jobs 1
both "run stochastic, 7 replications" 2 run "$mix" --replications 7 --format csv --jobs 1
# Deployments that share a replication's draw (fixed pools; sleepers and
# Durable Objects): with 3 replications on 2 ranks a set's members fall
# to different ranks, each of which runs the set and lets go of the rest.
sets=$root/tests/torture/stochastic.yaml
both "run with shared draws" 2 run "$sets" --replications 3 --format json --jobs 2
both "run with shared draws" 3 run "$sets" --replications 4 --format json --jobs 1
both "run fluid" 2 run "$root/scenarios/default.yaml" --out OUT --jobs 2
both "run fluid" 3 run "$root/scenarios/default.yaml" --format md --jobs 1

# More ranks than units: one fluid deployment is two units (its run and
# the one-tenant run of the advice), so rank 2 of 3 has nothing to do.
cat >"$scn/one.yaml" <<YAML
capsim: 1
name: one-deployment
workload: {tenants: 10, transport: sse, active_fraction: 0.1}
deployments:
  - {name: only, provider: railway, plan: pro, architecture: shared, instance: {vcpu: 1, memory_gb: 1}}
YAML
both "run, fewer units than ranks" 3 run "$scn/one.yaml" --format json --out OUT
both "run, fewer units than ranks" 4 run "$scn/one.yaml" --format json

# A failed budget is exit 1 on every rank, with every line of the output.
sed 's/max: 5,/max: 0.01,/' "$mix" >"$scn/over.yaml"
both "run over budget" 2 run "$scn/over.yaml" --format json --out OUT
[ "$(cat "$tmp/2.code")" = 1 ] && ok || bad "run over budget exits 1 under mpirun"

# Diagnostics of every stage, in deployment order, and exit 3.
cat >"$scn/diag.yaml" <<YAML
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
both "run with diagnostics" 2 run "$scn/diag.yaml"
[ "$(cat "$tmp/2.code")" = 3 ] && ok || bad "the diagnostics scenario exits 3 under mpirun"

# sweep: every point spread over the ranks.
both sweep 2 sweep "$mix" --vary seed=7,8 --vary workload.classes.0.tenants=10,30 --out OUT --jobs 2
[ -s "$tmp/o1/sweep.json" ] && ok || bad "sweep wrote sweep.json"
both "sweep, fluid" 3 sweep "$root/scenarios/default.yaml" --vary workload.tenants=50,100,200 --out OUT --jobs 1

# check: the summary, the baseline it writes, and a failing budget.
rm -rf "$tmp"/o*
mkdir -p "$tmp/o1" "$tmp/o2"
for n in 1 2; do
    set -- "$capsim" check "$mix" "$root/scenarios/default.yaml" \
        "$root/scenarios/doc001-fly.yaml" --write-baseline "$tmp/o$n/baseline.json"
    if [ "$n" = 1 ]; then "$@"; else mpi 2 "$@"; fi >"$tmp/$n.out" 2>"$tmp/$n.err"
    echo $? >"$tmp/$n.code"
done
[ -s "$tmp/o1/baseline.json" ] && ok || bad "check wrote the baseline"
same check 2
cp "$tmp/o1/baseline.json" "$scn/baseline.json"
both "check over budget" 2 check "$scn/over.yaml" "$mix" --baseline "$scn/baseline.json"
[ "$(cat "$tmp/2.code")" = 1 ] && ok || bad "check over budget exits 1 under mpirun"

# Rank 1 writes nothing: started in a directory of its own (mpirun's
# MPMD form), with relative --out paths, it leaves that directory empty.
rm -rf "$tmp"/o* "$tmp/r0" "$tmp/r1"
mkdir -p "$tmp/r0" "$tmp/r1"
for cmd in "run $mix --out out" \
           "sweep $mix --vary seed=7,8 --out out" \
           "check $mix --write-baseline baseline.json"; do
    timeout 300 "$mpirun" -q --oversubscribe --bind-to none \
        --mca btl self,vader --mca btl_vader_single_copy_mechanism none \
        -n 1 -wdir "$tmp/r0" "$capsim" $cmd : \
        -n 1 -wdir "$tmp/r1" "$capsim" $cmd >/dev/null 2>&1
    [ -n "$(ls -A "$tmp/r0")" ] && ok || bad "rank 0 wrote nothing for: $cmd"
    [ -z "$(ls -A "$tmp/r1")" ] && ok || bad "rank 1 wrote files for: $cmd"
    rm -rf "$tmp/r0"/*
done

# Commands that do not spread run whole on every rank; run --live is
# refused (it starts the agent core on this machine), exit 2.
mpi 2 "$capsim" run "$mix" --live >"$tmp/out" 2>"$tmp/err"
[ $? = 2 ] && ok || bad "run --live under mpirun is a usage error"
[ "$(grep -c 'without mpirun' "$tmp/err")" = 1 ] && ok || bad "run --live under mpirun says why, once"

echo "mpi: $pass passed, $fail failed"
[ "$fail" = 0 ]
