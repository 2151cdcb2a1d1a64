#!/usr/bin/env bash
# What `serve --metrics` costs (docs/METRICS.md, "Cost"): two Hyperfile servers, one without and one with
# --metrics, each on its own local-directory store holding the same kind of volume, driven AT THE SAME TIME by one
# fio process with its nbd engine (4 KiB random writes, queue depth 32 per server). Both servers see the same load
# from the rest of the machine, which on a shared machine matters more than anything else; the job order alternates
# per rep. Prints, per rep, each server's IOPS and CPU per IO (from /proc/PID/stat) and the ratio on/off, then the
# medians; at the end it checks that the metrics server's hyperfile_nbd_requests_total and bytes_total for writes
# equal the writes fio issued to it.
#
#   bench/metrics-ab.sh [--reps N] [--seconds S] [--size-mib M] [--port-base P] [--control] [--swap]
#                        [--rate-iops N]
#
# --control starts the second server without --metrics too (an A/A run): what the two positions differ by when
# nothing differs, to read the A/B ratio against. --swap starts the server with --metrics first (on the lower
# port), to cancel what start order and port cost. --rate-iops N caps each job at N IOPS: both servers then do the
# same work at the same pace, and CPU per IO compares without the batching that a higher rate buys.
#
# Defaults: 5 reps of 10 s, a 256 MiB volume, ports 11750..11752. Needs the CLI jar (mvn -o -DskipTests package),
# fio with the nbd engine, python3. Stores live in /dev/shm (else TMPDIR) and are removed at the end.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
reps=5 secs=10 size_mib=256 port=11750 control=0 swap=0 rate=0
while (($#)); do
    case $1 in
        --reps) reps=$2; shift ;;
        --seconds) secs=$2; shift ;;
        --size-mib) size_mib=$2; shift ;;
        --port-base) port=$2; shift ;;
        --control) control=1 ;;
        --swap) swap=1 ;;
        --rate-iops) rate=$2; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "metrics-ab.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
jar=$root/hyperfile-cli/target/hyperfile.jar
[[ -f $jar ]] || { echo "metrics-ab.sh: no $jar; build it with: mvn -o -DskipTests package" >&2; exit 1; }
parent=/dev/shm
[[ -d $parent && -w $parent ]] || parent=${TMPDIR:-/tmp}
work=$(mktemp -d "$parent/hf-metrics-ab.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

metrics_port=$((port + 2))
start() { # name port extra-args... -> pid in $started
    local name=$1 p=$2
    shift 2
    java -jar "$jar" volume create disk0 --size "${size_mib}M" --store "file:$work/$name" >/dev/null
    java -Xmx1g -jar "$jar" serve --gc off --listen "127.0.0.1:$p" --store "file:$work/$name" "$@" disk0 \
        >"$work/$name.out" 2>"$work/$name.log" &
    started=$!
    pids+=("$started")
    for _ in $(seq 600); do
        grep -q '^hyperfile: serving' "$work/$name.out" 2>/dev/null && return 0
        kill -0 "$started" 2>/dev/null || { cat "$work/$name.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "metrics-ab.sh: $name did not start" >&2
    exit 1
}
port_off=$port port_on=$((port + 1))
((swap)) && port_off=$((port + 1)) port_on=$port
start_on() {
    if ((control)); then start on "$port_on"; else start on "$port_on" --metrics "127.0.0.1:$metrics_port"; fi
    pid_on=$started
}
((swap)) && start_on
start off "$port_off"
pid_off=$started
((swap)) || start_on
uri_off=nbd://127.0.0.1:$port_off/disk0
uri_on=nbd://127.0.0.1:$port_on/disk0
limit=()
((rate > 0)) && limit=(--rate_iops="$rate")

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
common=(--ioengine=nbd --randrepeat=0 --size="${size_mib}m" --output-format=json)
# fio_both OUT ORDER ARGS...: one fio process, one job per server (ORDER: off-on or on-off)
fio_both() {
    local out=$1 order=$2
    shift 2
    local jobs=(--name=off --uri="$uri_off" --name=on --uri="$uri_on")
    [[ $order == on-off ]] && jobs=(--name=on --uri="$uri_on" --name=off --uri="$uri_off")
    fio "${common[@]}" --output="$out" "$@" "${jobs[@]}" >>"$work/fio.out"
}
echo "servers: off on port $port_off, on on port $port_on$( ((control)) && echo ' (control: no --metrics)')$( ((rate)) && echo ", $rate IOPS per job")"
echo "filling ${size_mib} MiB on both, then 5 s of warm-up"
fio_both "$work/fill.json" off-on --rw=write --bs=1m --iodepth=8
fio_both "$work/warm.json" off-on --rw=randwrite --bs=4k --iodepth=32 --time_based --runtime=5

printf '%-4s %-7s %10s %10s %8s %14s %14s\n' rep order "IOPS off" "IOPS on" "on/off" "CPU µs/IO off" "CPU µs/IO on"
for ((r = 1; r <= reps; r++)); do
    order=off-on
    ((r % 2 == 0)) && order=on-off
    t_off=$(ticks "$pid_off") t_on=$(ticks "$pid_on")
    fio_both "$work/rep$r.json" "$order" --rw=randwrite --bs=4k --iodepth=32 --time_based --runtime="$secs" "${limit[@]}"
    echo "$r $order $(($(ticks "$pid_off") - t_off)) $(($(ticks "$pid_on") - t_on))" >>"$work/cpu.txt"
done
python3 - "$work" "$reps" "$(getconf CLK_TCK)" <<'EOF'
import json, statistics, sys
work, reps, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cpu = {int(l.split()[0]): l.split() for l in open(f"{work}/cpu.txt")}
ratios, cpus_off, cpus_on, iops_off, iops_on = [], [], [], [], []
for r in range(1, reps + 1):
    jobs = {j["jobname"]: j["write"] for j in json.load(open(f"{work}/rep{r}.json"))["jobs"]}
    off, on = jobs["off"], jobs["on"]
    c_off = int(cpu[r][2]) * 1e6 / hz / max(1, off["total_ios"])
    c_on = int(cpu[r][3]) * 1e6 / hz / max(1, on["total_ios"])
    ratios.append(on["iops"] / off["iops"]); iops_off.append(off["iops"]); iops_on.append(on["iops"])
    cpus_off.append(c_off); cpus_on.append(c_on)
    print(f"{r:<4} {cpu[r][1]:<7} {off['iops']:10.0f} {on['iops']:10.0f} {ratios[-1]:8.3f} {c_off:14.1f} {c_on:14.1f}")
m = statistics.median
print(f"median: IOPS off {m(iops_off):.0f}, on {m(iops_on):.0f}; ratio on/off {m(ratios):.3f} (per rep "
      + " ".join(f"{x:.3f}" for x in ratios) + f"); CPU µs/IO off {m(cpus_off):.1f}, on {m(cpus_on):.1f}, "
      + f"ratio {m(cpus_on) / m(cpus_off):.3f}")
total = {"ios": 0, "bytes": 0}
for name in ["fill", "warm"] + [f"rep{r}" for r in range(1, reps + 1)]:
    for j in json.load(open(f"{work}/{name}.json"))["jobs"]:
        if j["jobname"] == "on":
            total["ios"] += j["write"]["total_ios"]
            total["bytes"] += j["write"]["io_bytes"]
json.dump(total, open(f"{work}/issued.json", "w"))
EOF
((control)) && { echo "control run: both servers without --metrics"; exit 0; }
scrape=$(curl -sf "http://127.0.0.1:$metrics_port/metrics")
python3 - "$work/issued.json" <<EOF
import json, re, sys
issued = json.load(open(sys.argv[1]))
text = """$scrape"""
def value(pattern):
    m = re.search("^" + pattern + r" ([0-9.eE+]+)$", text, re.M)
    return float(m.group(1)) if m else None
requests = value(r'hyperfile_nbd_requests_total\{export="disk0",op="write"\}')
written = value(r'hyperfile_nbd_bytes_total\{direction="write",export="disk0"\}')
ok = requests == issued["ios"] and written == issued["bytes"]
print(f"metrics check: fio issued {issued['ios']} writes, {issued['bytes']} bytes; /metrics says {requests:.0f}, "
      f"{written:.0f}: {'equal' if ok else 'DIFFERENT'}")
sys.exit(0 if ok else 1)
EOF
