#!/usr/bin/env bash
# Runs the StoreBench JMH benchmark: Hyperfile's S3 store (RetryingObjectStore over S3ObjectStore) against the
# bare AWS SDK CRT client, both on an embedded S3Proxy started in each fork. Not part of CI. See docs/BENCHMARKS.md.
#
# Usage: hyperfile-core/src/test/bench/run-store-bench.sh [extra JMH options, e.g. -wi 3 -i 5 -r 3s]
# Environment:
#   BENCH      JMH benchmark regex (default: every StoreBench benchmark), e.g. 'StoreBench.get4KiB'
#   ROUNDS     how many times to run the whole set (default 2). Rounds alternate which client runs first, so each
#              operation is measured hyperfile, raw, raw, hyperfile, ...
#   OUT        directory for JMH's JSON and text output (default hyperfile-core/target/bench/store-<time>)
#   MVN_FLAGS  extra Maven flags, e.g. -o
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
cd "$root"
rounds=${ROUNDS:-2}
bench=${BENCH:-'io\.hyperfile\.core\.store\.bench\.StoreBench\.'}
out=${OUT:-$root/hyperfile-core/target/bench/store-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"

# Compile the benchmark (the JMH annotation processor runs on test-compile) and write the test classpath.
# shellcheck disable=SC2086
mvn -q -B ${MVN_FLAGS:-} -pl hyperfile-core test-compile \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$out/classpath.txt"

# Run from a private copy of the compiled classes, so that a rebuild in this checkout during the run cannot
# change what the forks load.
mkdir -p "$out/classes"
cp -r hyperfile-core/target/classes "$out/classes/main"
cp -r hyperfile-core/target/test-classes "$out/classes/test"
classpath="$out/classes/test:$out/classes/main:$(cat "$out/classpath.txt")"

# The JVM flags every Hyperfile JVM runs with: the pom property hyperfile.jvm.flags (one line in pom.xml).
jvm_flags=$(sed -n 's:.*<hyperfile.jvm.flags>\(.*\)</hyperfile.jvm.flags>.*:\1:p' pom.xml)
if [[ -z "$jvm_flags" ]]; then
    echo "could not read <hyperfile.jvm.flags> from $root/pom.xml" >&2
    exit 1
fi

{
    echo "date: $(date -Is)"
    echo "host: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "java: $(java -version 2>&1 | head -1)"
    echo "before: $(uptime)"
} | tee "$out/machine.txt"

# The 1-minute load average every 10 s while the benchmark runs: the machine is shared.
(while sleep 10; do echo "$(date +%T) $(cut -d' ' -f1-3 /proc/loadavg)"; done) > "$out/load.txt" &
sampler=$!
trap 'kill "$sampler" 2> /dev/null || true' EXIT

for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then order=hyperfile,raw; else order=raw,hyperfile; fi
    echo "round $r of $rounds (client order $order)"
    # shellcheck disable=SC2086
    java $jvm_flags -cp "$classpath" org.openjdk.jmh.Main "$bench" \
        -p client="$order" -rf json -rff "$out/round-$r.json" -o "$out/round-$r.txt" "$@"
    echo "after round $r: $(uptime)" | tee -a "$out/machine.txt"
done

kill "$sampler" 2> /dev/null || true
awk '{print $2}' "$out/load.txt" | sort -g | awk '{v[NR] = $1} END {if (NR) printf "1-min load average during the run: min %s, median %s, max %s (%d samples)\n", v[1], v[int((NR + 1) / 2)], v[NR], NR}' \
    | tee -a "$out/machine.txt"

# Summary (needs jq): one row per operation and metric with the median over rounds for each client, and the
# ratio hyperfile / raw computed within each round (the two clients ran back to back) with its median. MiB/s for
# the 8 MiB benchmarks (one JMH op = 1 MiB); p50 and p99 in ms for the 4 KiB ones.
if command -v jq > /dev/null; then
    files=()
    for ((r = 1; r <= rounds; r++)); do files+=("$out/round-$r.json"); done
    jq -s -r '
        def median: sort | if length == 0 then null
            elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
        def r2: if . == null then "-" else . * 100 | round / 100 end;
        def ms($unit): . / ({"s/op": 0.001, "ms/op": 1, "us/op": 1000, "ns/op": 1000000}[$unit] // 1);
        [to_entries[] | (.key + 1) as $round | .value[]
            | (.benchmark | sub(".*\\."; "")) as $op | .params.client as $client | .primaryMetric as $m
            | if .mode == "sample" then
                {round: $round, op: $op, client: $client, metric: "p50 ms",
                    v: ($m.scorePercentiles["50.0"] | ms($m.scoreUnit))},
                {round: $round, op: $op, client: $client, metric: "p99 ms",
                    v: ($m.scorePercentiles["99.0"] | ms($m.scoreUnit))}
              else {round: $round, op: $op, client: $client, v: $m.score,
                    metric: (if $m.scoreUnit == "ops/s" and ($op | test("8MiB")) then "MiB/s" else $m.scoreUnit end)}
              end]
        | "| operation | metric | hyperfile (median) | raw CRT (median) | hyperfile / raw (median) | per round |",
          "| --- | --- | --- | --- | --- | --- |",
          (group_by([.op, .metric])[] as $g
            | [$g[] | .round] | unique
            | map(. as $k | [$g[] | select(.round == $k and .client == "hyperfile") | .v][0] as $h
                | [$g[] | select(.round == $k and .client == "raw") | .v][0] as $r
                | select($h != null and $r != null) | $h / $r) as $ratios
            | "| \($g[0].op) | \($g[0].metric) | \([$g[] | select(.client == "hyperfile") | .v] | median | r2) "
              + "| \([$g[] | select(.client == "raw") | .v] | median | r2) | \($ratios | median | r2) "
              + "| \($ratios | map(r2 | tostring) | join(" ")) |")
    ' "${files[@]}" | tee "$out/summary.md"
fi
echo "results in $out"
