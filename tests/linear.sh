#!/bin/sh
# Loaders take time linear in their input: 1 MB files of the shapes that
# once took minutes (thousands of deployments, one name repeated, distinct
# unknown keys, a repeated key, 100,000 nested brackets, thousands of
# agent dataSources) each validate within LIMIT seconds with the error a
# user needs, and at most 100 messages.  The quadratic versions took 30 s
# to several minutes on these files, so the limit discriminates even
# under the sanitizers (CMakeLists passes a wider one there).
capsim=$1
limit=${2:-2}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; head -c 600 "$tmp/err" 2>/dev/null; echo; }

head_yaml() {
    cat <<YAML
capsim: 1
name: linear
profile: {active_vcpu: 0.25, active_memory_gb: 0.5}
workload: {tenants: 10, active_fraction: 0.1, messages_per_agent_month: 30, transport: sse}
YAML
}
# Lines of "$1" with N replaced by 0..count-1.
lines() {
    awk -v n="$2" -v pat="$1" 'BEGIN { k = index(pat, "N"); a = substr(pat, 1, k - 1); b = substr(pat, k + 1); for (i = 0; i < n; i++) print (k ? a i b : pat) }'
}

# validate FILE EXPECTED-EXIT PATTERN WHAT
check() {
    start=$(date +%s%N)
    timeout $((limit * 10)) "$capsim" validate "$1" >"$tmp/out" 2>"$tmp/err"
    code=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    size=$(wc -c <"$1")
    [ "$size" -ge 1000000 ] || [ "$5" = small ] && ok || bad "$4: only $size bytes"
    [ "$code" = "$2" ] && ok || bad "$4: exit $code, expected $2"
    [ "$ms" -le $((limit * 1000)) ] && ok || bad "$4: $ms ms for $size bytes (limit ${limit}s)"
    grep -q -- "$3" "$tmp/err" "$tmp/out" && ok || bad "$4: no '$3'"
    [ "$(grep -c ': error: ' "$tmp/err")" -le 100 ] && ok || bad "$4: more than 100 errors printed"
}

{ head_yaml; echo "deployments:"; lines "  - {name: dN, provider: railway, plan: hobby, architecture: shared}" 15000; } >"$tmp/deps.yaml"
check "$tmp/deps.yaml" 0 "ok" "15,000 deployments"

{ head_yaml; echo "deployments:"; lines "  - {name: same, provider: railway, plan: hobby, architecture: shared}" 15000; } >"$tmp/dup.yaml"
check "$tmp/dup.yaml" 3 "duplicate deployment name 'same'" "one name 15,000 times"
grep -q "more problems not shown (the first 100 are)" "$tmp/err" && ok || bad "says how many it left out"

{ head_yaml; echo "deployments: [{name: a, provider: railway, plan: hobby, architecture: shared}]"; lines "unknownN: x" 70000; } >"$tmp/unk.yaml"
check "$tmp/unk.yaml" 3 "unknown key 'unknown0'" "70,000 distinct unknown keys"

{ head_yaml; echo "deployments: [{name: a, provider: railway, plan: hobby, architecture: shared}]"; lines "name: xN" 90000; } >"$tmp/rep.yaml"
check "$tmp/rep.yaml" 3 "duplicate key 'name'" "one key 90,000 times"

{ printf 'capsim: 1\nname: '; awk 'BEGIN { for (i = 0; i < 500000; i++) printf "["; for (i = 0; i < 500000; i++) printf "]"; print "" }'; } >"$tmp/deep.yaml"
check "$tmp/deep.yaml" 3 "deep.yaml:2:.*nesting deeper than 64 levels" "500,000 nested brackets"

{ printf 'llm: {provider: scripted, tokens: 40, tokens_per_second: 400}\nstorage: {database: sqlite, path: ./agent.db}\nsessions: {maxSessions: 100, sessionTTL: 1h}\ndataSources:\n'; lines "  srcN: {type: fs, roots: [.]}" 35000; } >"$tmp/agent.yaml"
check "$tmp/agent.yaml" 0 "ok" "35,000 agent dataSources"

{ printf 'llm: {provider: scripted, tokens: 40, tokens_per_second: 400}\nstorage: {database: sqlite, path: ./agent.db}\nsessions: {maxSessions: 100, sessionTTL: 1h}\ntools: '; awk 'BEGIN { for (i = 0; i < 500000; i++) printf "{a: "; for (i = 0; i < 500000; i++) printf "}"; print "" }'; } >"$tmp/agentdeep.yaml"
check "$tmp/agentdeep.yaml" 3 "nesting deeper than 64 levels" "an agent config nested 500,000 deep"

echo "linear: $pass passed, $fail failed"
[ "$fail" = 0 ]
