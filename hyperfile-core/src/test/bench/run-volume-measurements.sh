#!/usr/bin/env bash
# Runs VolumeMeasurements (PUTs and bytes per GiB written; open time and heap with 1M extents) and prints
# Markdown tables. Needs about 6 GiB of heap and 600 MB of scratch disk. Usage: run-volume-measurements.sh [scratch-dir]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../../.." && pwd)"
cd "$root"
mvn -q -pl hyperfile-core test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null
cp="hyperfile-core/target/test-classes:hyperfile-core/target/classes:$(cat hyperfile-core/target/bench-classpath.txt)"
scratch="${1:-$(mktemp -d)}"
java -Xmx6g -cp "$cp" io.hyperfile.core.volume.bench.VolumeMeasurements "$scratch"
rm -rf "$scratch"
