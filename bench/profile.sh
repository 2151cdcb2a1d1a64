#!/usr/bin/env bash
# Profiles one fio workload against one Hyperfile server (issue 15's diagnostics; not a benchmark: no peer, one
# run). Creates a 256 MiB volume on a tmpfs local-directory store, fills it with 1 MiB writes, optionally fragments
# it with 4 KiB random writes, warms up, then runs the workload under JFR (`settings=profile`) and prints
# throughput, p50 latency, the server's user and system CPU per I/O, the threads that ran, and the hottest frames.
#
#   bench/profile.sh RW BS IODEPTH [options] [-- extra serve flags]
#     RW       fio's --rw: read, write, randread, randwrite, randrw
#     --seconds S      length of the profiled run (default 10)
#     --fragment       before warming up, 15 s of 4 KiB random writes at QD32 (what bench/run.sh's warm-up does
#                      to the sequential rows)
#     --frames N       hottest frames to print (default 25)
#     --warm S         seconds of the workload before the profiled run (default 5)
#     --fio "ARGS"     more fio options for the profiled run and its warm-up, e.g. "--fsync=32" (a FLUSH every 32
#                      writes, bench/run.sh's flush32 row)
#     --alloc          also print the bytes allocated per I/O during the run, by thread and by allocating site
#                      (JFR's allocation samples; the site is the first frame in Hyperfile's own code)
#     --async          also profile with async-profiler (CPU time of every thread, Java and kernel frames alike, no
#                      safepoint bias; fetched from Maven Central as tools.profiler:async-profiler). It records the
#                      server's whole life (fill and warm-up too) and prints each busy thread's hottest frames and
#                      where its kernel time was entered; DIR/async.collapsed keeps the stacks for a flame graph
#     --dir DIR        working directory (default /dev/shm/hyperfile-profile, else $TMPDIR); the recording stays in
#                      DIR/rec.jfr for `jfr print` or JDK Mission Control
# Example: bench/profile.sh read 1M 8 --fragment
# Environment: HYPERFILE_JAVA_OPTS, more JVM flags for the server (split on spaces), e.g. -Dname=value.
# Needs fio with its nbd engine, nbdinfo (libnbd-bin), python3, a JDK 17 (jfr, jcmd), and the CLI jar built.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
(($# >= 3)) || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
rw=$1 bs=$2 qd=$3
shift 3
secs=10 fragment=0 frames=25 dir="" fio_extra="" warm=5 alloc=0 async=0
while (($#)); do
    case $1 in
        --seconds) secs=$2; shift ;;
        --fragment) fragment=1 ;;
        --alloc) alloc=1 ;;
        --async) async=1 ;;
        --frames) frames=$2; shift ;;
        --warm) warm=$2; shift ;;
        --dir) dir=$2; shift ;;
        --fio) fio_extra=$2; shift ;;
        --) shift; break ;;
        *) echo "profile.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done
dir=${dir:-$([[ -d /dev/shm && -w /dev/shm ]] && echo /dev/shm/hyperfile-profile || echo "${TMPDIR:-/tmp}/hyperfile-profile")}
jar=$root/hyperfile-cli/target/hyperfile.jar
[[ -f $jar ]] || { echo "profile.sh: build the jar first (mvn -B -q package -DskipTests)" >&2; exit 1; }
rm -rf "$dir"; mkdir -p "$dir"
port=${PROFILE_PORT:-10999}
uri=nbd://127.0.0.1:$port/v
java -jar "$jar" volume create v --size 256M --store "file:$dir/store" >/dev/null
# The launcher's default budget (1 GiB): heap 384 MiB, direct memory 512 MiB.
# JFR records from the start: started just before the measured run, it kept the JIT compiling its own code through
# that run (the compiler thread then took more CPU than the whole 1 MiB read path). Only the run's samples count.
# DebugNonSafepoints: samples name the inlined method they are in, not the nearest safepoint (a loop's back edge).
agent=()
if ((async)); then
    mvn -q -B dependency:get -Dartifact=tools.profiler:async-profiler:3.0 >"$dir/async-fetch.log" 2>&1 ||
        { cat "$dir/async-fetch.log" >&2; exit 1; }
    unzip -o -q -j ~/.m2/repository/tools/profiler/async-profiler/3.0/async-profiler-3.0.jar \
        linux-x64/libasyncProfiler.so -d "$dir"
    agent=("-agentpath:$dir/libasyncProfiler.so=start,event=cpu,interval=1ms,file=$dir/async.collapsed,collapsed,threads")
fi
read -r -a java_opts <<< "${HYPERFILE_JAVA_OPTS:-}"
java -Xmx384m -XX:MaxDirectMemorySize=512m -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints "${agent[@]}" "${java_opts[@]}" \
    -XX:StartFlightRecording=name=run,settings=profile -jar "$jar" serve --store "file:$dir/store" --listen "127.0.0.1:$port" --gc off "$@" v >"$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null && wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do nbdinfo --size "$uri" >/dev/null 2>&1 && break; sleep 0.2; done
f() { fio --ioengine=nbd --uri="$uri" --size=256M "$@"; }
f --name=fill --rw=write --bs=1M --iodepth=8 >/dev/null
((fragment)) && f --name=fragment --rw=randwrite --bs=4k --iodepth=32 --time_based --runtime=15 >/dev/null
read -r -a extra <<<"$fio_extra"
f --name=warm --rw="$rw" --bs="$bs" --iodepth="$qd" "${extra[@]}" --time_based --runtime="$warm" >/dev/null
read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
# Per-thread CPU (user + system ticks by thread name), before and after: JFR samples Java frames only, so the
# garbage collector, the JIT and native code show up here and nowhere else.
threads_cpu() { for t in /proc/$pid/task/*; do sed -E 's/^[0-9]+ \((.*)\) [A-Z] (.*)$/\1\t\2/' "$t/stat" 2>/dev/null; done |
    awk -F'\t' '{split($2, f, " "); print $1 "\t" f[11] + f[12]}'; }
threads_cpu >"$dir/threads0.tsv"
run_from=$(date +%H:%M:%S)
f --name=run --rw="$rw" --bs="$bs" --iodepth="$qd" "${extra[@]}" --time_based --runtime="$secs" --output-format=json >"$dir/fio.json"
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
run_to=$(date +%H:%M:%S)
threads_cpu >"$dir/threads1.tsv"
jcmd "$pid" JFR.dump name=run filename="$dir/rec.jfr" >"$dir/jcmd.log"
jfr print --events jdk.ExecutionSample --stack-depth 30 "$dir/rec.jfr" >"$dir/samples.txt"
: >"$dir/alloc.txt"
((alloc)) && jfr print --events jdk.ObjectAllocationSample --stack-depth 30 "$dir/rec.jfr" >"$dir/alloc.txt"
python3 - "$dir/fio.json" "$((u1 - u0))" "$((s1 - s0))" "$(getconf CLK_TCK)" "$dir/samples.txt" "$frames" \
    "$dir/threads0.tsv" "$dir/threads1.tsv" "$run_from" "$run_to" "$dir/alloc.txt" <<'PY'
import collections, json, re, sys
text = open(sys.argv[1]).read()
job = json.loads(text[text.index("{"):])["jobs"][0]
r = job["read"] if job["read"]["io_bytes"] > 0 else job["write"]
ios, hz = r["total_ios"], int(sys.argv[4])
user, system = int(sys.argv[2]) * 1e6 / hz / ios, int(sys.argv[3]) * 1e6 / hz / ios
print(f"{r['bw'] / 1024:.0f} MiB/s, {r['iops']:.0f} IOPS, p50 {r['clat_ns']['percentile']['50.000000'] / 1000:.0f} us; "
      f"server CPU per I/O {user + system:.1f} us (user {user:.1f}, system {system:.1f})")
def ticks(path):
    out = collections.Counter()
    for line in open(path):
        name, t = line.rstrip("\n").split("\t")
        out[re.sub(r"\d+", "N", name)] += int(t)
    return out
spent = ticks(sys.argv[8])
spent.subtract(ticks(sys.argv[7]))  # a thread that ended during the run loses its ticks; they are few
print("server CPU per I/O by thread (all threads, from /proc):")
for t, c in sorted(spent.items(), key=lambda kv: -kv[1])[:8]:
    if c > 0:
        print(f"  {c * 1e6 / hz / ios:7.1f} us  {t}")
threads, own = collections.Counter(), collections.Counter()
n = 0
# The recording runs from the server's start: keep the samples of the measured run (local wall-clock times).
run_from, run_to = sys.argv[9], sys.argv[10]
def in_run(t):
    return run_from <= t <= run_to if run_from <= run_to else t >= run_from or t <= run_to
for event in open(sys.argv[5]).read().split("jdk.ExecutionSample")[1:]:
    stack = re.findall(r"^\s+([\w$.<>/]+)\(", event, re.M)
    at = re.search(r"startTime = (\d\d:\d\d:\d\d)", event)
    if not stack or (at and not in_run(at.group(1))):
        continue
    n += 1
    name = re.search(r'sampledThread = "([^"]*)"', event)
    threads[re.sub(r"\d+", "N", name.group(1)) if name else "?"] += 1
    own[stack[0]] += 1
print(f"{n} JFR samples (Java frames only; system time is not sampled)")
for t, c in threads.most_common(6):
    print(f"  {100 * c / n:5.1f}%  thread {t}")
for f, c in own.most_common(int(sys.argv[6])):
    print(f"  {100 * c / n:5.1f}%  {f}")
# Allocation samples carry a weight (bytes the sample stands for); sum them over the run, per I/O.
units = {"bytes": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}
by_thread, by_site, total = collections.Counter(), collections.Counter(), 0.0
for event in open(sys.argv[11]).read().split("jdk.ObjectAllocationSample")[1:]:
    at = re.search(r"startTime = (\d\d:\d\d:\d\d)", event)
    weight = re.search(r"weight = ([\d.]+) (bytes|kB|MB|GB)", event)
    if not weight or (at and not in_run(at.group(1))):
        continue
    w = float(weight.group(1)) * units[weight.group(2)]
    total += w
    name = re.search(r'eventThread = "([^"]*)"', event)
    by_thread[re.sub(r"\d+", "N", name.group(1)) if name else "?"] += w
    cls = re.search(r"objectClass = (\S+)", event)
    stack = re.findall(r"^\s+([\w$.<>/]+)\(.*?line: (\d+)", event, re.M)
    site = next((f"{f}:{l}" for f, l in stack if f.startswith("io.hyperfile")), stack[0][0] if stack else "?")
    by_site[f"{cls.group(1) if cls else '?'} at {site}"] += w
if total:
    print(f"allocated per I/O: {total / ios:,.0f} bytes (JFR allocation samples)")
    for t, w in by_thread.most_common(6):
        print(f"  {w / ios:9,.0f} B  thread {t}")
    for s, w in by_site.most_common(int(sys.argv[6])):
        print(f"  {w / ios:9,.0f} B  {s}")
PY
if ((async)); then
    kill "$pid" && wait "$pid" 2>/dev/null || true # async-profiler writes its file as the JVM exits
    python3 - "$dir/async.collapsed" "$frames" <<'PY'
import collections, re, sys
threads, own, entered = collections.Counter(), collections.defaultdict(collections.Counter), collections.defaultdict(collections.Counter)
for line in open(sys.argv[1]):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    frames = stack.split(";")
    t = re.sub(r"\d+", "N", frames[0].strip("[]"))
    threads[t] += int(n)
    own[t][frames[-1]] += int(n)
    user = [f for f in frames[1:] if not f.endswith("_[k]")]
    if frames[-1].endswith("_[k]") and user:
        entered[t][user[-1]] += int(n)
total = sum(threads.values())
print(f"async-profiler: {total} CPU samples of 1 ms over the server's life (fill and warm-up included)")
for t, c in threads.most_common(4):
    kernel = sum(entered[t].values())
    print(f"  {100 * c / total:5.1f}%  thread {t} ({100 * kernel / c:.0f}% of it in the kernel)")
    for f, k in own[t].most_common(int(sys.argv[2]) // 2):
        print(f"      {100 * k / c:5.1f}%  {f.replace('/', '.')}")
    for f, k in entered[t].most_common(4):
        print(f"      kernel entered from {f.replace('/', '.')}: {100 * k / c:.1f}%")
PY
fi
