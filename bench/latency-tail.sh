#!/usr/bin/env bash
# Where a workload's slow requests come from (issue 15's diagnostics; not a benchmark: no peer). Runs one Hyperfile
# server on a 256 MiB volume in a tmpfs local-directory store, fills it, warms up, then runs the workload with fio's
# per-request latency log and the JVM's GC log, and prints:
#   - the latency percentiles of every request of the run (p50, p99, p99.9, max);
#   - the requests slower than --slow-ms, and how many bursts they come in (slow requests less than 5 ms apart
#     form one burst: a burst of about IODEPTH requests is the server stalling every request in flight);
#   - the garbage collection pauses that fell in the run, and the young collections over the server's life with
#     the heap left after the last one (what survives a young collection is what each one copies).
#
#   bench/latency-tail.sh [JAR] [options]
#     JAR            the CLI jar (default hyperfile-cli/target/hyperfile.jar)
#     --rw RW        fio's --rw (default randwrite)        --bs BS       block size (default 4k)
#     --iodepth N    queue depth (default 32)              --seconds S   measured run (default 10)
#     --warm S       warm-up of the same workload (default 8)
#     --slow-ms MS   what counts as slow (default 2)
#     --fio "ARGS"   more fio options for the warm-up and the run, e.g. "--fsync=32"
#     -- ARGS        more `serve` flags, e.g. -- --config FILE
# Example: bench/latency-tail.sh --fio "--fsync=32"
# Needs fio with its nbd engine, nbdinfo (libnbd-bin), python3 and a JDK 17.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=hyperfile-cli/target/hyperfile.jar rw=randwrite bs=4k depth=32 secs=10 warm=8 slow_ms=2 fio_extra="" serve_extra=()
if [[ $# -gt 0 && $1 != -* ]]; then jar=$1; shift; fi
while (($#)); do
    case $1 in
        --rw) rw=$2; shift ;;
        --bs) bs=$2; shift ;;
        --iodepth) depth=$2; shift ;;
        --seconds) secs=$2; shift ;;
        --warm) warm=$2; shift ;;
        --slow-ms) slow_ms=$2; shift ;;
        --fio) fio_extra=$2; shift ;;
        --) shift; serve_extra=("$@"); break ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
    esac
    shift
done
[[ -f $jar ]] || { echo "no jar at $jar: build with mvn -B -q -DskipTests package" >&2; exit 2; }
parent=$([[ -d /dev/shm && -w /dev/shm ]] && echo /dev/shm || echo "${TMPDIR:-/tmp}")
dir=$(mktemp -d "$parent/hyperfile-tail.XXXXXX")
port=$((20000 + RANDOM % 20000))
pid=""
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
java -jar "$jar" volume create v --size 256M --store "file:$dir/store" >/dev/null
# The launcher's default budget (1 GiB): heap 384 MiB, direct memory 512 MiB.
java -Xmx384m -XX:MaxDirectMemorySize=512m -Xlog:gc:file="$dir/gc.log":uptimemillis -jar "$jar" serve \
    --store "file:$dir/store" --listen "127.0.0.1:$port" --gc off "${serve_extra[@]}" v >"$dir/serve.log" 2>&1 &
pid=$!
uri="nbd://127.0.0.1:$port/v"
for _ in $(seq 150); do nbdinfo --size "$uri" >/dev/null 2>&1 && break; sleep 0.2; done
nbdinfo --size "$uri" >/dev/null || { cat "$dir/serve.log" >&2; exit 1; }
f() { fio --ioengine=nbd --uri="$uri" --size=256M "$@"; }
# shellcheck disable=SC2086 # fio_extra is a list of options
{
    f --name=fill --rw=write --bs=1M --iodepth=8 >/dev/null
    f --name=warm --rw="$rw" --bs="$bs" --iodepth="$depth" $fio_extra --time_based --runtime="$warm" >/dev/null
    start_ms=$(python3 -c "import os;print(int((float(open('/proc/uptime').read().split()[0]) - int(open('/proc/$pid/stat').read().rsplit(')',1)[1].split()[19]) / os.sysconf('SC_CLK_TCK')) * 1000))")
    f --name=run --rw="$rw" --bs="$bs" --iodepth="$depth" $fio_extra --time_based --runtime="$secs" \
        --write_lat_log="$dir/lat" --log_avg_msec=0 >/dev/null
}
python3 - "$dir" "$start_ms" "$secs" "$slow_ms" "$depth" <<'EOF'
import glob, re, sys
d, start, secs, slow_ms, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
lat = []  # (ms since the run started, latency in us), reads and writes alike
for fn in glob.glob(d + "/lat_lat.*.log"):
    for line in open(fn):
        p = line.split(",")
        lat.append((int(p[0]), int(p[1]) / 1000.0))
if not lat:
    sys.exit("fio wrote no latency log")
lat.sort()
s = sorted(l for _, l in lat)
n = len(s)
print(f"{n} requests in {secs} s ({n // secs}/s): p50 {s[n // 2]:.0f} us, p99 {s[int(n * .99)]:.0f} us, "
      f"p99.9 {s[int(n * .999)]:.0f} us, max {s[-1]:.0f} us")
slow = [t for t, l in lat if l > slow_ms * 1000]
bursts = []
for t in slow:
    if bursts and t - bursts[-1][1] <= 5:
        bursts[-1][1] = t
        bursts[-1][2] += 1
    else:
        bursts.append([t, t, 1])
full = sum(1 for b in bursts if b[2] >= depth)
print(f"requests over {slow_ms:g} ms: {len(slow)} ({100 * len(slow) / n:.1f} %), in {len(bursts)} bursts "
      f"({len(bursts) / secs:.1f}/s; {full} of them of {depth} requests or more)")
pauses, young, after = [], 0, None
for line in open(d + "/gc.log"):
    m = re.match(r"\[(\d+)ms\].*GC\(\d+\) Pause (\S+).*?(\d+)M->(\d+)M\(\d+M\) ([\d.]+)ms", line)
    if not m:
        continue
    if m.group(2) == "Young":
        young += 1
        after = int(m.group(4))
    if start <= int(m.group(1)) <= start + secs * 1000 + 500:
        pauses.append(float(m.group(5)))
print(f"GC pauses in the run: {len(pauses)}, {sum(pauses):.0f} ms in all, longest {max(pauses, default=0):.1f} ms; "
      f"young collections over the server's life: {young}, heap after the last: {after} MiB")
EOF
