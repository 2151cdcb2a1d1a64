#!/usr/bin/env bash
# fio (nbd engine) against Hyperfile's NBD server on an in-memory volume and against `nbdkit memory`, in the same
# run, alternating A B A B, medians of REPS runs. Prints a Markdown table of IOPS/bandwidth, ratios and server CPU
# per request. Needs: fio (Debian's links libnbd), nbdkit, python3, a built module (mvn -pl hyperfile-nbd
# test-compile). Usage: hyperfile-nbd/src/test/bench/run-fio-vs-nbdkit.sh [REPS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../../.."
REPS=${1:-3}
SECS=${2:-10}
PORT_A=${PORT_A:-10911}
PORT_B=${PORT_B:-10912}
OUT=$(mktemp -d)
mvn -q -o dependency:build-classpath -Dmdep.outputFile="$OUT/cp" -Dmdep.includeScope=test >/dev/null
CP="target/test-classes:target/classes:$(cat "$OUT/cp")"
# The in-memory store keeps every segment (no GC yet), so the heap must hold everything written in the run.
java -Xmx"${HF_XMX:-8g}" -cp "$CP" io.hyperfile.nbd.testing.NbdTestServerMain --port "$PORT_A" --size $((1 << 30)) >"$OUT/hf.log" 2>&1 &
HF_PID=$!
nbdkit -f -p "$PORT_B" -i 127.0.0.1 memory 1G >"$OUT/nbdkit.log" 2>&1 &
NK_PID=$!
trap 'kill $HF_PID $NK_PID 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do grep -q listening "$OUT/hf.log" && break; sleep 0.2; done
URI_A="nbd://127.0.0.1:$PORT_A/vol"
URI_B="nbd://127.0.0.1:$PORT_B/"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# name rw bs iodepth
JOBS=(
  "randread-4k-qd1 randread 4k 1"
  "randread-4k-qd32 randread 4k 32"
  "randwrite-4k-qd1 randwrite 4k 1"
  "randwrite-4k-qd32 randwrite 4k 32"
  "seqread-1m-qd8 read 1m 8"
  "seqwrite-1m-qd8 write 1m 8"
)

run_fio() { # uri rw bs qd seconds -> json file
  # At most 1 GiB per run (or the given seconds, whichever ends first): the in-memory volume keeps every byte
  # written, so unbounded sequential writes would fill the server's heap.
  fio --output-format=json --name=j --ioengine=nbd --uri="$1" --rw="$2" --bs="$3" --iodepth="$4" --size=256M \
      --io_size=1g --runtime="$5" --randrepeat=0 --output="$6" >/dev/null
}

# Fill the measured 256 MiB on both, so reads return stored data, and warm the JVM up.
for uri in "$URI_A" "$URI_B"; do
  run_fio "$uri" write 1m 8 5 "$OUT/fill.json"
  run_fio "$uri" randwrite 4k 32 5 "$OUT/warm.json"
  run_fio "$uri" randread 4k 32 5 "$OUT/warm.json"
done

for rep in $(seq "$REPS"); do
  for job in "${JOBS[@]}"; do
    read -r name rw bs qd <<<"$job"
    for side in A B; do
      if [ $side = A ]; then uri=$URI_A; pid=$HF_PID; else uri=$URI_B; pid=$NK_PID; fi
      before=$(cpu_ticks $pid)
      run_fio "$uri" "$rw" "$bs" "$qd" "$SECS" "$OUT/$name.$side.$rep.json"
      after=$(cpu_ticks $pid)
      echo "$((after - before))" >"$OUT/$name.$side.$rep.cpu"
    done
  done
done

python3 - "$OUT" "$REPS" <<'PY'
import json, os, statistics, sys
out, reps = sys.argv[1], int(sys.argv[2])
hz = os.sysconf('SC_CLK_TCK')
jobs = ["randread-4k-qd1", "randread-4k-qd32", "randwrite-4k-qd1", "randwrite-4k-qd32", "seqread-1m-qd8", "seqwrite-1m-qd8"]
def stats(name, side):
    vals, cpus = [], []
    for r in range(1, reps + 1):
        j = json.load(open(f"{out}/{name}.{side}.{r}.json"))["jobs"][0]
        iops = j["read"]["iops"] + j["write"]["iops"]
        bw = (j["read"]["bw_bytes"] + j["write"]["bw_bytes"]) / 2**20
        ios = j["read"]["total_ios"] + j["write"]["total_ios"]
        ticks = int(open(f"{out}/{name}.{side}.{r}.cpu").read())
        vals.append((iops, bw))
        cpus.append(ticks / hz * 1e6 / max(ios, 1))
    return statistics.median(v[0] for v in vals), statistics.median(v[1] for v in vals), statistics.median(cpus)
print("| workload | Hyperfile (in-memory volume) | nbdkit memory | ratio | server CPU µs/request (Hyperfile / nbdkit) |")
print("|---|---:|---:|---:|---:|")
for n in jobs:
    a, b = stats(n, "A"), stats(n, "B")
    if n.startswith("seq"):
        fa, fb = f"{a[1]:,.0f} MiB/s", f"{b[1]:,.0f} MiB/s"
        ratio = a[1] / b[1]
    else:
        fa, fb = f"{a[0]:,.0f} IOPS", f"{b[0]:,.0f} IOPS"
        ratio = a[0] / b[0]
    print(f"| {n} | {fa} | {fb} | {ratio:.2f} | {a[2]:.0f} / {b[2]:.0f} |")
PY
echo
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; reps=$REPS, ${SECS}s each"
