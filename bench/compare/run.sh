#!/usr/bin/env bash
#
# run.sh -- times capsim's csb1 side by side with other simulators on the
# CSB-1 cold-start benchmark, on this machine, and checks that every engine
# computes the same result.
#
# usage: bench/compare/run.sh PATH/TO/csb1
#
# The first argument is capsim's csb1 binary, for example
#   cmake -S . -B build-cmp -DCMAKE_BUILD_TYPE=Release -DSIM_TESTS=OFF
#   cmake --build build-cmp --target csb1
#   bench/compare/run.sh build-cmp/csb1
#
# The engines, each run on the same N, horizon and seed:
#   capsim csb1             the binary given
#   C binary heap           heap_ref.c, built here with gcc -O2
#   SimGrid timers          simgrid_csb1.cpp -m timers (and -m remove)
#   SimGrid actors          simgrid_csb1.cpp -m actors
#   SimPy 2                 simpy_csb1.py, with Debian's /usr/bin/python3
# SimGrid needs libsimgrid-dev and SimPy needs python3-simpy (both Debian
# packages); an engine that is not installed is skipped with a note.
#
# Settings, from the environment:
#   SIZES          container counts for the compiled engines ("100 1000")
#   HORIZON        horizon in seconds (2592000, i.e. 30 days)
#   SIMPY_SIZES    container counts for SimPy ("100")
#   SIMPY_HORIZON  horizon for SimPy (HORIZON)
#   SEED           seed (42)
#   REPEATS        runs per compiled engine; the best time is kept (5)
#   SIMPY_REPEATS  runs for SimPy (3)
#   PIN_CPU        the core to pin to with taskset (1, or 0 on one core)
#   ENGINES        which to run, among "heap simgrid actors simpy" (all)
#   KEEP=1         keep the build and output directory
#
# For every (N, horizon), each engine's messages, cold starts, timeouts and
# logical events must equal csb1's exactly, and its awake seconds must
# agree with csb1's to 1e-12 relative (capsim adds awake periods in a
# different order, so the last digits may differ).  Any disagreement stops
# the run with exit status 1.  The Markdown table goes to standard output;
# progress goes to standard error.

set -euo pipefail

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 PATH/TO/csb1" >&2
    exit 2
fi
CSB1=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)

SIZES=${SIZES:-"100 1000"}
HORIZON=${HORIZON:-2592000}
SIMPY_SIZES=${SIMPY_SIZES:-"100"}
SIMPY_HORIZON=${SIMPY_HORIZON:-$HORIZON}
SEED=${SEED:-42}
REPEATS=${REPEATS:-5}
SIMPY_REPEATS=${SIMPY_REPEATS:-3}
ENGINES=${ENGINES:-"heap simgrid actors simpy"}
CC=${CC:-gcc}
CXX=${CXX:-g++}
PY=/usr/bin/python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/csb1-compare.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
    echo "outputs kept in $WORK" >&2
else
    trap 'rm -rf "$WORK"' EXIT
fi

say() { echo "$*" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }
want() { case " $ENGINES " in *" $1 "*) return 0 ;; esac; return 1; }

# Pin every run to one core when taskset is available.
PIN=()
if command -v taskset >/dev/null 2>&1; then
    CPU=${PIN_CPU:-$([ "$(nproc)" -gt 1 ] && echo 1 || echo 0)}
    PIN=(taskset -c "$CPU")
    say "pinned to core $CPU"
else
    say "taskset not found: runs are not pinned"
fi

# --- Build ------------------------------------------------------------

CFLAGS=(-O2 -Wall -Wextra -ffp-contract=off)
say "building heap_ref"
"$CC" "${CFLAGS[@]}" "$HERE/heap_ref.c" -o "$WORK/heap_ref" -lm

HAVE_SIMGRID=0
if want simgrid || want actors; then
    if pkg-config --exists simgrid 2>/dev/null; then
        say "building simgrid_csb1 (SimGrid $(pkg-config --modversion simgrid))"
        # shellcheck disable=SC2046
        "$CXX" "${CFLAGS[@]}" -std=c++17 "$HERE/simgrid_csb1.cpp" \
            $(pkg-config --cflags --libs simgrid) -o "$WORK/simgrid_csb1"
        HAVE_SIMGRID=1
    else
        say "SimGrid not found (apt-get install libsimgrid-dev): skipped"
    fi
fi

HAVE_SIMPY=0
SIMPY_VERSION=""
if want simpy; then
    if [ -x "$PY" ] && "$PY" -c "import SimPy.Simulation" 2>/dev/null; then
        HAVE_SIMPY=1
        SIMPY_VERSION=$("$PY" -c "import SimPy; print(SimPy.__version__)")
    else
        say "SimPy 2 not found (apt-get install python3-simpy): skipped"
    fi
fi

# --- Running and checking ---------------------------------------------

# field FILE NAME: the value on FILE's line "NAME value".
field() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }

# 1234567 -> 1,234,567
commas() { echo "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/; ta'; }

horizon_label() {
    if [ $(($1 % 86400)) -eq 0 ]; then echo "$(($1 / 86400)) d"; else echo "$1 s"; fi
}

ROWS=()
REF=""
declare -A AWAKE=()    # awake_s per "N H", which must agree across engines

# reference N H: runs csb1 once per (N, H); sets REF to its output file.
reference() {
    REF="$WORK/csb1_$1_$2.txt"
    if [ ! -s "$REF" ]; then
        say "capsim csb1 N=$1 H=$2"
        "${PIN[@]}" "$CSB1" -n "$1" -H "$2" -s "$SEED" -r "$REPEATS" >"$REF" ||
            die "capsim csb1 failed"
        add_row "capsim csb1" "$1" "$2" "$REF" "$REF"
    fi
}

# check LABEL OUT REF: the counts must match exactly, awake seconds closely.
check() {
    local k a b
    for k in messages cold_starts timeouts logical_events; do
        a=$(field "$2" "$k")
        b=$(field "$3" "$k")
        if [ -z "$a" ] || [ "$a" != "$b" ]; then
            die "MISMATCH: $1: $k is '$a' but capsim csb1 says '$b' (KEEP=1 keeps $2)"
        fi
    done
    a=$(field "$2" awake_s)
    b=$(field "$3" awake_s)
    awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d;
        exit !(b > 0 && d / b <= 1e-12) }' ||
        die "MISMATCH: $1: awake_s is $a but capsim csb1 says $b"
}

# add_row LABEL N H OUT REF
add_row() {
    local sec ev eps ns ref_ns
    sec=$(field "$4" seconds)
    ev=$(field "$4" logical_events)
    eps=$(field "$4" events_per_s)
    ns=$(field "$4" ns_per_event)
    ref_ns=$(field "$5" ns_per_event)
    ROWS+=("| $1 | $(commas "$2") | $(horizon_label "$3") | $(commas "$ev") | $sec | $(awk -v e="$eps" 'BEGIN { printf "%.2f M", e / 1e6 }') | $ns | $(awk -v a="$ns" -v b="$ref_ns" 'BEGIN { printf "%.1f", a / b }') |")
}

# engine LABEL N H COMMAND...: runs one engine, checks it and adds its row.
engine() {
    local label=$1 n=$2 h=$3 ref out
    shift 3
    reference "$n" "$h"
    ref=$REF
    out="$WORK/$(echo "$label" | tr -c 'A-Za-z0-9\n' '_')_${n}_${h}.txt"
    say "$label N=$n H=$h"
    if ! "${PIN[@]}" "$@" -n "$n" -H "$h" -s "$SEED" >"$out" 2>"$out.err"; then
        cat "$out.err" >&2
        die "$label failed"
    fi
    check "$label" "$out" "$ref"
    add_row "$label" "$n" "$h" "$out" "$ref"
    AWAKE["$n $h"]=${AWAKE["$n $h"]:-$(field "$out" awake_s)}
    [ "${AWAKE["$n $h"]}" = "$(field "$out" awake_s)" ] ||
        die "MISMATCH: $label: awake_s $(field "$out" awake_s) differs from the other engines' ${AWAKE["$n $h"]}"
}

for n in $SIZES; do
    reference "$n" "$HORIZON"
    if want heap; then
        engine "C binary heap" "$n" "$HORIZON" "$WORK/heap_ref" -r "$REPEATS"
    fi
    if [ "$HAVE_SIMGRID" = 1 ] && want simgrid; then
        engine "SimGrid timers" "$n" "$HORIZON" \
            "$WORK/simgrid_csb1" -m timers -r "$REPEATS"
        engine "SimGrid timers, remove()" "$n" "$HORIZON" \
            "$WORK/simgrid_csb1" -m remove -r "$REPEATS"
    fi
    if [ "$HAVE_SIMGRID" = 1 ] && want actors; then
        engine "SimGrid actors" "$n" "$HORIZON" \
            "$WORK/simgrid_csb1" -m actors -r "$REPEATS"
    fi
done
if [ "$HAVE_SIMPY" = 1 ]; then
    for n in $SIMPY_SIZES; do
        reference "$n" "$SIMPY_HORIZON"
        engine "SimPy $SIMPY_VERSION" "$n" "$SIMPY_HORIZON" \
            "$PY" "$HERE/simpy_csb1.py" -r "$SIMPY_REPEATS"
    done
fi

# --- Report -----------------------------------------------------------

CPU_MODEL=$(awk -F: '/^model name/ { sub(/^ +/, "", $2); print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo "CSB-1, seed $SEED, $(nproc) cores (${CPU_MODEL:-unknown CPU}), ${PIN[*]:-not pinned}; best of $REPEATS runs (SimPy: $SIMPY_REPEATS)."
echo "Counts matched capsim csb1 exactly for every row; awake seconds agree to 1e-12 relative."
echo
echo "| engine | N | horizon | logical events | seconds | events/s | ns/event | × capsim |"
echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |"
# Rows: per size, capsim first, then the others in the order they ran.
printf '%s\n' "${ROWS[@]}" | awk -F'|' '{ key = $3 "|" $4; if (!(key in seen)) { seen[key] = ++nk; keys[nk] = key } rows[key] = rows[key] $0 "\n" }
    END { for (i = 1; i <= nk; i++) printf "%s", rows[keys[i]] }'
