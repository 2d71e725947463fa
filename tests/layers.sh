#!/bin/sh
# layers.sh -- the include rules of docs/architecture.md, checked on every
# source file: each folder may include its own headers and those of the
# layers below it, never a layer above.
#
#   base <- scenario <- sim (engine) <- pricing <- run <- reports <- cli
#
# The agent core (agent-harness/, but for the harness that drives and
# measures it) sits on base/ alone; the harness (net, proc, calibrate,
# live) may use the layers up to run/, since it replays scenarios.
root=${1:?usage: layers.sh SOURCE_DIR}
pass=0 fail=0

# rule FILES... -- ALLOWED-FOLDERS...
rule() {
    files=
    while [ "$1" != "--" ]; do files="$files $1"; shift; done
    shift
    for f in $files; do
        [ -f "$f" ] || continue
        for inc in $(sed -n 's/^#include "\([a-z-]*\)\/.*/\1/p' "$f" | sort -u); do
            ok=0
            for a in "$@"; do [ "$inc" = "$a" ] && ok=1; done
            if [ "$ok" = 1 ]; then
                pass=$((pass + 1))
            else
                fail=$((fail + 1))
                echo "FAIL: ${f#$root/} includes $inc/, which its layer may not use (allowed: $*)"
            fi
        done
    done
}

cd "$root" || exit 2
rule base/*.[ch] -- base
rule scenario/*.[ch] -- base scenario
rule sim/*.[ch] -- base scenario sim
rule pricing/*.[ch] -- base scenario sim pricing
rule run/*.[ch] -- base scenario sim pricing run
rule reports/*.[ch] -- base scenario sim pricing run reports
harness="agent-harness/net.c agent-harness/net.h agent-harness/proc.c
agent-harness/proc.h agent-harness/calibrate.c agent-harness/calibrate.h
agent-harness/live.c agent-harness/live.h"
core=
for f in agent-harness/*.[ch]; do
    case " $(echo $harness) " in *" $f "*) ;; *) core="$core $f" ;; esac
done
rule $core -- base agent-harness
rule $harness -- base scenario sim pricing run agent-harness

# A provider exists only in pricing/: no other layer below the command
# line names one in a string.
for f in base/*.[ch] scenario/*.[ch] sim/*.[ch] run/*.[ch] reports/*.[ch]; do
    if grep -n '"\(railway\|fly\|aws-fargate\|aws-ec2\|cloudflare\|render\|heroku\)"' "$f" >/dev/null; then
        fail=$((fail + 1))
        echo "FAIL: $f names a provider; that knowledge belongs in pricing/"
    else
        pass=$((pass + 1))
    fi
done

# No two modules use each other, directly or round a circle: a module is
# a .c/.h pair, and it uses the modules whose headers either file
# includes.
cycles=$(python3 - "$root" <<'PY'
import os, re, sys
root = sys.argv[1]
dirs = ["base", "scenario", "sim", "pricing", "run", "reports", "cli",
        "agent-harness"]
uses = {}
for d in dirs:
    for f in sorted(os.listdir(os.path.join(root, d))):
        if not f.endswith((".c", ".h")):
            continue
        mod = d + "/" + f[:-2]
        text = open(os.path.join(root, d, f), encoding="utf-8").read()
        for inc in re.findall(r'^#include "([a-z-]+/[a-z_]+)\.h"', text, re.M):
            if inc != mod:
                uses.setdefault(mod, set()).add(inc)
known = set()
state, stack, found = {}, [], []
def visit(m):
    state[m] = 1
    stack.append(m)
    for n in sorted(uses.get(m, ())):
        if state.get(n) == 1:
            circle = " -> ".join(stack[stack.index(n):] + [n])
            if circle not in known:
                found.append(circle)
        elif n not in state:
            visit(n)
    stack.pop()
    state[m] = 2
for m in sorted(uses):
    if m not in state:
        visit(m)
print("\n".join(found))
PY
)
if [ -n "$cycles" ]; then
    echo "$cycles" | while read -r c; do echo "FAIL: modules in a circle: $c"; done
    fail=$((fail + $(echo "$cycles" | wc -l)))
else
    pass=$((pass + 1))
fi

echo "layers: $pass passed, $fail failed"
[ "$fail" = 0 ]
