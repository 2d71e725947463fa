#!/bin/sh
# run.sh -- builds the fuzz targets with libFuzzer and runs them
# (docs/fuzzing.md).
#
#   run.sh short [BUILD_DIR]   every target for FUZZ_SHORT_SECONDS (60) in
#                              all; the fuzz_short test.  New inputs go to
#                              BUILD_DIR, never to the source tree.  Exit 77
#                              (skip) when clang or libFuzzer is missing.
#   run.sh long [BUILD_DIR]    every target for FUZZ_SECONDS (300) each;
#                              `make fuzz`.  What adds coverage is merged
#                              into tests/fuzz/corpus/NAME afterwards.
#   run.sh merge [BUILD_DIR]   minimises every corpus in place (-merge=1),
#                              keeping named files (seeds, regressions).
#   run.sh build [BUILD_DIR]   only builds them.
#
# FUZZ_TARGETS="scenario net" picks targets; FUZZ_CC the compiler
# (default clang); JOBS the build's parallelism (default 2).
# A crash, leak, timeout (over 10 s on one input) or slow unit (over 5 s)
# fails the run, and the input that did it is left in
# BUILD_DIR/artifacts/ with the fuzzer's report.
set -u
mode=${1:?usage: run.sh short|long|merge|build [BUILD_DIR]}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-$src/build-fuzz}
cc=${FUZZ_CC:-clang}
targets=${FUZZ_TARGETS:-"scenario catalog agent_config profile report baseline trace samples serve net"}
corpus=$src/tests/fuzz/corpus

skip_or_fail() {
    echo "fuzz: $*" >&2
    [ "$mode" = short ] && exit 77
    exit 4
}

command -v "$cc" >/dev/null 2>&1 ||
    skip_or_fail "no $cc (Debian: apt-get install clang libclang-rt-14-dev)"
probe=$(mktemp -d) || exit 4
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! "$cc" -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
    rm -rf "$probe"
    skip_or_fail "$cc has no libFuzzer runtime (Debian: libclang-rt-14-dev)"
fi
rm -rf "$probe"

mkdir -p "$build" || exit 4
# Its own build directory: another compiler, and every object built
# with -fsanitize=fuzzer-no-link,address,undefined.
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER="$cc" -DSIM_FUZZ=ON \
    -DSIM_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/run-cmake.log" 2>&1 ||
    { cat "$build/run-cmake.log" >&2; exit 4; }
tl=""
for t in $targets; do tl="$tl --target fuzz_$t"; done
# shellcheck disable=SC2086
cmake --build "$build" -j "${JOBS:-2}" $tl >"$build/run-build.log" 2>&1 ||
    { tail -50 "$build/run-build.log" >&2; exit 4; }
[ "$mode" = build ] && exit 0

n=0
for t in $targets; do n=$((n + 1)); done
case $mode in
short) per=$(( ${FUZZ_SHORT_SECONDS:-60} / n )); [ "$per" -ge 2 ] || per=2 ;;
long) per=${FUZZ_SECONDS:-300} ;;
merge) per=0 ;;
*) echo "run.sh: unknown mode $mode" >&2; exit 2 ;;
esac

mkdir -p "$build/artifacts"
# LeakSanitizer runs after every input that allocated and freed unevenly;
# stdout and stderr of the target are closed (-close_fd_mask=3), the
# fuzzer's own report still comes out.
opts="-timeout=10 -rss_limit_mb=2048 -max_len=65536 -report_slow_units=5
      -close_fd_mask=3 -print_final_stats=1"
status=0
for t in $targets; do
    exe=$build/fuzz/fuzz_$t
    mkdir -p "$corpus/$t"
    if [ "$mode" = merge ]; then
        # Inputs with a name (the regressions: what each one broke) are
        # kept as they are; the rest are merged into them and keep only
        # what adds coverage, under libFuzzer's hash names.
        m=$build/merged/$t
        rm -rf "$m"
        mkdir -p "$m"
        for f in "$corpus/$t"/*; do
            [ -f "$f" ] || continue
            basename "$f" | grep -Eq '^[0-9a-f]{40}$' || cp "$f" "$m/"
        done
        # shellcheck disable=SC2086
        # Mutants over 4 KiB are cut to it: the seeds (named) keep whole
        # catalogs and results, and the corpus stays small.
        "$exe" -merge=1 $opts -max_len="${FUZZ_MERGE_MAX_LEN:-4096}" "$m" \
            "$corpus/$t" >"$build/merge-$t.log" 2>&1 ||
            { tail -30 "$build/merge-$t.log" >&2; status=1; continue; }
        rm -f "$corpus/$t"/*
        cp "$m"/* "$corpus/$t"/
        echo "fuzz: $t: $(ls "$corpus/$t" | wc -l) inputs after merge"
        continue
    fi
    new=$build/new/$t
    # A short run starts from the saved corpus alone, so each run of the
    # test costs the same, and from a fixed seed (FUZZ_SEED, 1), so a
    # failure in make test comes back when it is run again: the runs of
    # a few seconds belong to the test suite, which must not pass or fail
    # by chance.  Long runs take a new seed each time, to explore.
    seed=
    if [ "$mode" = short ]; then
        rm -rf "$new"
        seed=-seed=${FUZZ_SEED:-1}
    fi
    mkdir -p "$new"
    log=$build/fuzz-$t.log
    # shellcheck disable=SC2086
    "$exe" $opts $seed -max_total_time="$per" \
        -artifact_prefix="$build/artifacts/$t-" "$new" "$corpus/$t" \
        >"$log" 2>&1
    rc=$?
    if [ $rc -ne 0 ] || grep -q 'Slowest unit' "$log"; then
        echo "fuzz: $t FAILED (exit $rc) after up to ${per}s; log $log:" >&2
        grep -E 'ERROR|SUMMARY|Slowest|Test unit written|fuzz:' "$log" >&2
        tail -40 "$log" >&2
        status=1
        continue
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz: $t ok: ${runs:-?} inputs in ${per}s"
    if [ "$mode" = long ]; then
        # Keep only what adds coverage to the saved corpus.
        "$exe" -merge=1 $opts "$corpus/$t" "$new" >"$log.merge" 2>&1 ||
            { tail -20 "$log.merge" >&2; status=1; }
    fi
done
exit $status
