#!/usr/bin/env bash
# Runs GcFigures (garbage collection: stored/live and bytes uploaded under random overwrites, sequential overwrite,
# trim) on a local directory store and prints a Markdown table. Needs about 3× the working set of scratch space
# (tmpfs by default). Usage: run-gc-figures.sh [working-set-MiB (1024)] [scratch-dir]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../../.." && pwd)"
cd "$root"
mvn -q -pl hyperfile-core test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null
cp="hyperfile-core/target/test-classes:hyperfile-core/target/classes:$(cat hyperfile-core/target/bench-classpath.txt)"
scratch="${2:-$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)}"
trap 'rm -rf "$scratch"' EXIT
java -Xmx2g -cp "$cp" io.hyperfile.core.gc.bench.GcFigures "${1:-1024}" "$scratch"
