#!/usr/bin/env bash
# The benchmark: palisade (release build, bundled policies) on synthetic templates with N
# security groups and on the template corpus, and cfn-guard on the same inputs when it is
# installed. Prints wall time, user time and peak memory of each run, and the ratios.
#
#     bench/run.sh                  # N = 1,000, 10,000 and 100,000; the corpus
#     bench/run.sh 1000 10000       # only these sizes
#
# Needs bash, Python 3 and GNU time (`/usr/bin/time`). Environment:
#   BENCH_RUNS=3          runs per measurement; the median is shown
#   BENCH_CORPUS=DIR      the corpus (default ../shared/corpus beside the repository)
#   BENCH_RULES=DIR       policies to run instead of the bundled library (default: the bundled
#                         library, or policies/ while the binary has none bundled)
#   BENCH_GUARD_MAX=10000 largest N on which cfn-guard runs (it needs minutes and gigabytes
#                         beyond that)
#   BENCH_TIMEOUT=600     seconds after which one run is stopped and shown as a timeout
#   BENCH_KEEP=DIR        keep the generated templates in DIR (default: a temporary folder)
#   BENCH_BIN=PATH        measure this palisade binary instead of the one built here
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
runs="${BENCH_RUNS:-3}"
corpus="${BENCH_CORPUS:-$repo/../shared/corpus}"
guard_max="${BENCH_GUARD_MAX:-10000}"
limit="${BENCH_TIMEOUT:-600}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 100000)

for tool in python3 /usr/bin/time timeout; do
    command -v "$tool" > /dev/null || { echo "bench: needs $tool" >&2; exit 2; }
done

echo "== building (release)"
(cd "$repo" && cargo build --release --locked --quiet)
floor="$(cd "$repo" && cargo build --release --locked --quiet --bench parse_floor \
    --message-format=json | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "parse_floor" \
            and m.get("executable"):
        print(m["executable"])')"
palisade="${BENCH_BIN:-$repo/target/release/palisade}"

# The bundled library once it is there; the policies folder until then.
if [ -n "${BENCH_RULES:-}" ]; then
    rules=(--no-bundled --rules "$BENCH_RULES")
elif "$palisade" rules > /dev/null 2>&1 && [ -n "$("$palisade" rules 2> /dev/null)" ]; then
    rules=()
else
    rules=(--no-bundled --rules "$repo/policies")
fi

guard="$(command -v cfn-guard || true)"
guard_rules="$here/guard/security_groups.guard"

if [ -n "${BENCH_KEEP:-}" ]; then
    work="$BENCH_KEEP"
    mkdir -p "$work"
else
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
fi

echo "machine: $(nproc) cores, $(uname -sm)"
echo "palisade: $("$palisade" --version), policies: ${rules[*]:-bundled}"
if [ -n "$guard" ]; then
    echo "cfn-guard: $("$guard" --version) ($guard_rules)"
else
    echo "cfn-guard: not installed (cargo install cfn-guard --locked); its columns stay empty"
fi
echo "runs per measurement: $runs (median)"
echo

# measure NAME CMD...: runs CMD $runs times (output discarded), prints the median wall time,
# user time, peak memory and exit code, and sets $wall to the median wall time and $kb to the
# peak memory in KiB of that run ("" on timeout).
measure() {
    local name="$1"
    shift
    : > "$work/samples"
    for _ in $(seq "$runs"); do
        local code=0
        timeout "$limit" /usr/bin/time -o "$work/time.log" -f "%e %U %M %x" "$@" \
            > /dev/null 2> "$work/stderr" || code=$?
        if [ "$code" = 124 ]; then
            echo timeout >> "$work/samples"
            break
        fi
        tail -1 "$work/time.log" >> "$work/samples"
    done
    python3 - "$name" "$work/samples" "$work/wall" <<'PY'
import sys
name, samples, out = sys.argv[1:]
rows = [line.split() for line in open(samples) if line.strip()]
if ["timeout"] in rows:
    print(f"{name:<44} {'timeout':>9}")
    wall = kb = ""
else:
    rows.sort(key=lambda r: float(r[0]))
    wall, user, kb, code = rows[len(rows) // 2]
    print(f"{name:<44} {float(wall):8.2f}s {float(user):8.2f}s {int(kb) / 1024:9.0f} MB"
          f"  exit {code}")
open(out, "w").write(wall)
open(out + ".kb", "w").write(kb)
PY
    wall="$(cat "$work/wall")"
    kb="$(cat "$work/wall.kb")"
}

# per_size KB FILE: prints peak memory as a multiple of the file's size.
per_size() {
    python3 - "$@" <<'PY'
import os, sys
kb, path = sys.argv[1:]
if kb:
    print(f"{'':<44} peak memory / template size: {int(kb) * 1024 / os.path.getsize(path):.1f}x")
PY
}

# ratio A B TEXT: prints A / B.
ratio() {
    python3 - "$@" <<'PY'
import sys
a, b, what = sys.argv[1:]
if a and b and float(b) > 0:
    print(f"{'':<44} {what}: {float(a) / float(b):.1f}x")
PY
}

printf '%-44s %9s %9s %12s\n' "" "wall" "user" "peak memory"

echo "== synthetic templates (N groups: 3 inline ingress, 1 inline egress, 1 standalone rule each; N instances)"
for n in "${sizes[@]}"; do
    for format in yaml json; do
        file="$work/sg$n.$format"
        [ -f "$file" ] || python3 "$here/gen_template.py" "$n" "$format" "$file"
        size="$(du -h "$file" | cut -f1)"
        measure "parse floor, N=$n $format ($size)" "$floor" "$file"
        parse_wall="$wall"
        measure "palisade, N=$n $format" "$palisade" validate "${rules[@]}" "$file"
        ours="$wall"
        ours_kb="$kb"
        ratio "$ours" "$parse_wall" "palisade / parse floor"
        per_size "$ours_kb" "$file"
        measure "palisade --format json, N=$n $format" \
            "$palisade" validate "${rules[@]}" --format json "$file"
        if [ -n "$guard" ] && [ "$n" -le "$guard_max" ]; then
            measure "cfn-guard --output-format json, N=$n $format" \
                "$guard" validate -r "$guard_rules" -d "$file" --output-format json \
                --show-summary none
            ratio "$wall" "$ours" "cfn-guard / palisade"
            ratio "$kb" "$ours_kb" "cfn-guard / palisade, memory"
        fi
    done
    # Every group a duplicate of every other: duplicate detection must stay linear.
    file="$work/same$n.yaml"
    [ -f "$file" ] || python3 "$here/gen_template.py" "$n" yaml "$file" --identical
    measure "palisade, N=$n identical groups yaml" "$palisade" validate "${rules[@]}" "$file"
    per_size "$kb" "$file"
done

echo
if [ -d "$corpus" ]; then
    echo "== corpus: $("$floor" "$corpus"), $(du -sh "$corpus" | cut -f1)"
    measure "parse floor, corpus" "$floor" "$corpus"
    parse_wall="$wall"
    measure "palisade, corpus" "$palisade" validate "${rules[@]}" "$corpus"
    ours="$wall"
    ratio "$ours" "$parse_wall" "palisade / parse floor"
    if [ -n "$guard" ]; then
        measure "cfn-guard --output-format json, corpus" \
            "$guard" validate -r "$guard_rules" -d "$corpus" --output-format json \
            --show-summary none
        ratio "$wall" "$ours" "cfn-guard / palisade"
    fi
else
    echo "== corpus: $corpus not found, skipped"
fi
