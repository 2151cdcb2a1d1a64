#!/usr/bin/env bash
# Runs any JMH benchmark of hyperfile-core's test sources (IndexBench, SegmentBench, ChecksumBench,
# BufferCopyBench, ...). Not part of CI.
# Usage: hyperfile-core/src/test/bench/run-jmh.sh <benchmark regex> [JMH options]
#   e.g. run-jmh.sh SegmentBench -f1 -wi 3 -i 5
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
cd "$root"
out=$root/hyperfile-core/target/bench/jmh-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
mvn -q -B -pl hyperfile-core test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$out/classpath.txt"
mkdir -p "$out/classes"
cp -r hyperfile-core/target/classes "$out/classes/main"
cp -r hyperfile-core/target/test-classes "$out/classes/test"
jvm_flags=$(sed -n 's:.*<hyperfile.jvm.flags>\(.*\)</hyperfile.jvm.flags>.*:\1:p' pom.xml)
echo "$(nproc) cores; before: $(uptime)"
# shellcheck disable=SC2086
java $jvm_flags -cp "$out/classes/test:$out/classes/main:$(cat "$out/classpath.txt")" org.openjdk.jmh.Main "$@"
echo "after: $(uptime)"
