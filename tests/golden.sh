#!/bin/sh
# Golden scenario tests.  For each NAME.yaml in DIR:
#   NAME.args      optional: the capsim arguments (default: run NAME.yaml
#                  --format json); the scenario path is relative to DIR
#   NAME.expected  what capsim must print on stdout, byte for byte
#   NAME.stderr    optional: what it must print on stderr
#   NAME.exit      optional: the exit code (default 0)
# Run with UPDATE=1 to rewrite the expectations after a reviewed change.
capsim=$1
dir=$2
fail=0 pass=0
cd "$dir" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for yaml in *.yaml; do
    name=${yaml%.yaml}
    args="run $yaml --format json"
    [ -f "$name.args" ] && args=$(cat "$name.args")
    # shellcheck disable=SC2086
    "$capsim" $args >"$tmp/out" 2>"$tmp/err"
    code=$?
    want=0
    [ -f "$name.exit" ] && want=$(cat "$name.exit")
    if [ -n "${UPDATE:-}" ]; then
        cp "$tmp/out" "$name.expected"
        [ -s "$tmp/err" ] && cp "$tmp/err" "$name.stderr"
        [ "$code" != 0 ] && echo "$code" >"$name.exit"
        continue
    fi
    ok=1
    [ "$code" = "$want" ] || { echo "$name: exit $code, expected $want"; ok=0; }
    cmp -s "$tmp/out" "$name.expected" || {
        echo "$name: stdout differs:"; diff "$name.expected" "$tmp/out" | head -20; ok=0; }
    if [ -f "$name.stderr" ]; then
        cmp -s "$tmp/err" "$name.stderr" || {
            echo "$name: stderr differs:"; diff "$name.stderr" "$tmp/err" | head -20; ok=0; }
    fi
    if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "golden: $pass passed, $fail failed"
[ $fail = 0 ]
