#!/bin/sh
# Installs the Debian packages capsim needs to build and test, when they
# are missing.  As root it runs apt-get; otherwise it prints the command.
set -eu
# `deps.sh test` adds what only the test suite needs: Chromium renders
# report.html for the browser test, python3 checks its screenshot and
# plays the peers of the agent server's tests; curl drives the server
# and wrk loads it (tests/load.sh); npm installs the S3-compatible server
# the resource tests use when python3's moto is not there.  clang and its
# compiler runtime (which holds libFuzzer, libclang_rt.fuzzer-x86_64.a)
# build the fuzz targets for the fuzz_short test and `make fuzz`
# (docs/fuzzing.md).
# Open MPI (openmpi-bin, libopenmpi-dev) is optional to build capsim, but
# is built by default when present, and the `mpi` test needs mpirun.
PKGS="build-essential cmake pkg-config libyaml-dev libcjson-dev libgsl-dev libcsv-dev libcriterion-dev gnuplot-nox libsqlite3-dev libcurl4-openssl-dev libcivetweb-dev libssl-dev openmpi-bin libopenmpi-dev"
if [ "${1:-}" = test ]; then
    PKGS="$PKGS chromium python3 curl wrk clang libclang-rt-14-dev"
    # npm may come with a non-Debian Node.js; only ask for Debian's when
    # there is none at all.
    command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "capsim: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $missing >/dev/null
else
    echo "capsim: missing Debian packages:$missing" >&2
    echo "run:  sudo apt-get install -y$missing" >&2
    exit 1
fi
