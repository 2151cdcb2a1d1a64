#!/usr/bin/env bash
# Hyperfile's benchmark suite (issue 6): fio with its nbd engine (libnbd) against a Hyperfile server and, in the
# same run, against a peer; A B A B per workload, medians of the repetitions, ratios. See docs/PERFORMANCE.md.
#
#   bench/run.sh [local|s3] [options]
#
# Modes:
#   local  Hyperfile (`hyperfile serve` from the CLI jar, through deploy/bin/hyperfile with default settings) on a
#          local-directory store in a tmpfs directory, vs `nbdkit memory` (the transport reference).
#   s3     a standalone S3Proxy (test-scope launcher S3ProxyBenchMain: the tests' S3Proxy, counting requests and
#          bytes); Hyperfile serving --store s3://hfbench/ from it; s3backer (4 KiB blocks, one object per block,
#          FUSE, served by `nbdkit file`) on the same S3Proxy; and the raw CRT client PUT throughput
#          (CrtPutThroughputMain, 8 MiB objects, 1 and 8 in flight) as the ceiling for sequential writes.
# Options:
#   --reps N            repetitions per workload and side (default 3)
#   --seconds S         seconds per fio run (default 10)
#   --warm S            before a workload's first repetition, S seconds of that workload on every side, not measured
#                       (writes capped at a quarter of a run's; default 10; 1 with --smoke): the JVM compiles each workload's own paths (flushes, large
#                       I/O, the mix) for tens of seconds of CPU on these 2 cores, and the table is about the
#                       steady state of a long-running server. The peers run the same warm-up.
#   --workloads A,B     subset of: randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd1 randwrite-4k-qd32
#                       seqread-1m-qd8 seqwrite-1m-qd8 flush32-randwrite-4k-qd32 randrw-mixed-16jobs (default all)
#   --size-mib N        working set and volume size in MiB (default 256 local, 128 s3)
#   --volume-size S     a larger (sparse) volume on every side, e.g. 100G, with the --size-mib working set in its
#                       middle: the large-volume row, to show that nothing costs more as the volume grows
#   --port-base P       ports P..P+4 (default 10930): Hyperfile, peer, S3Proxy, S3Proxy counters, spare
#   --results DIR       where raw fio JSON, logs and summary.md go (default bench/results/<mode>-<time>)
#   --store-dir DIR     parent of the Hyperfile store directory (local mode) or of S3Proxy's object files (s3
#                       mode; its filesystem-nio2 store) (default /dev/shm, else TMPDIR)
#   --no-s3backer       s3 mode without the s3backer peer (Hyperfile vs raw CRT only)
#   --hf-segment-size S Hyperfile volume's segment target (`volume create --segment-size`; default 8M, the
#                       product's default)
#   --smoke             CI smoke: local mode, 1 rep, 1 s per workload, 32 MiB working set, short warm-ups
#   --gc                compare Hyperfile with itself instead of a peer: A = `serve --gc off`, B = `serve` with the
#                       --gc-on-args below, on the same volume and store; the server is restarted (and warmed up)
#                       whenever the configuration changes, so A B A B alternate; reports B / A per rep and the GC
#                       passes (server log `gc pass:` lines) that ended during each run. No peer, no raw CRT rows.
#   --gc-on-args "ARGS" B's serve flags in --gc mode (default: --gc on --gc-interval 1s --gc-grace 0)
#   --java-jar          start the server exactly as the README does, `java -jar hyperfile.jar serve ...` (no JVM
#                       flags: the memory budget figure), instead of through deploy/bin/hyperfile
# Environment: MVN_FLAGS (e.g. -o) for the build steps, HYPERFILE_JAVA_OPTS for the server (default: none, i.e.
# the launcher's defaults), S3PROXY_XMX (default 8g).
# Needs fio (Debian's, linked with libnbd), nbdkit, python3, a JDK 17; s3 mode also s3backer and fuse. Missing
# Debian packages are installed with apt-get when running as root; otherwise the script says what to install.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
py() { python3 "$root/bench/bench.py" "$@"; }

mode=local reps=3 secs=10 workloads=all size_mib="" port_base=10930 results="" store_parent="" s3backer=1 smoke=0
volume_size="" segment_size="" gc_compare=0 workload_warm="" gc_on_args="--gc on --gc-interval 1s --gc-grace 0" java_jar=0
while (($#)); do
    case $1 in
        local | s3) mode=$1 ;;
        --reps) reps=$2; shift ;;
        --seconds) secs=$2; shift ;;
        --warm) workload_warm=$2; shift ;;
        --workloads) workloads=$2; shift ;;
        --size-mib) size_mib=$2; shift ;;
        --volume-size) volume_size=$2; shift ;;
        --port-base) port_base=$2; shift ;;
        --results) results=$2; shift ;;
        --store-dir) store_parent=$2; shift ;;
        --no-s3backer) s3backer=0 ;;
        --hf-segment-size) segment_size=$2; shift ;;
        --smoke) smoke=1 ;;
        --gc) gc_compare=1 ;;
        --gc-on-args) gc_on_args=$2; shift ;;
        --java-jar) java_jar=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if ((smoke)); then
    mode=local reps=1 secs=${SMOKE_SECONDS:-1} size_mib=${size_mib:-32} workload_warm=${workload_warm:-1}
fi
workload_warm=${workload_warm:-10}
[[ $workload_warm =~ ^[0-9]+$ ]] || { echo "run.sh: --warm takes whole seconds, not '$workload_warm'" >&2; exit 2; }
((gc_compare)) && s3backer=0
[[ -n $size_mib ]] || { [[ $mode == s3 ]] && size_mib=128 || size_mib=256; }
[[ -n $segment_size ]] || segment_size=8M
all_workloads=(randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd1 randwrite-4k-qd32 seqread-1m-qd8 seqwrite-1m-qd8
    flush32-randwrite-4k-qd32 randrw-mixed-16jobs)
if [[ $workloads == all ]]; then wl=("${all_workloads[@]}"); else IFS=, read -r -a wl <<<"$workloads"; fi
for w in "${wl[@]}"; do
    [[ " ${all_workloads[*]} " == *" $w "* ]] || { echo "run.sh: unknown workload '$w'" >&2; exit 2; }
done

# ---- dependencies: Debian packages, installed only when missing and only as root -------------------------
need=(fio:fio nbdkit:nbdkit python3:python3 java:openjdk-17-jdk-headless)
[[ $mode == s3 ]] && need+=(mvn:maven)
[[ $mode == s3 && $s3backer == 1 ]] && need+=(s3backer:s3backer fusermount:fuse)
missing=()
for n in "${need[@]}"; do command -v "${n%%:*}" >/dev/null || missing+=("${n#*:}"); done
if ((${#missing[@]})); then
    if ((EUID == 0)) && command -v apt-get >/dev/null; then
        echo "run.sh: installing ${missing[*]} (apt-get)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
    else
        echo "run.sh: missing commands; install as root: apt-get install ${missing[*]}" >&2
        exit 3
    fi
fi
if ! fio --enghelp=nbd >/dev/null 2>&1; then
    echo "run.sh: this fio has no nbd engine (Debian's fio links libnbd)" >&2
    exit 3
fi

# ---- build what runs ------------------------------------------------------------------------------------
jar=$root/hyperfile-cli/target/hyperfile.jar
if [[ ! -f $jar ]]; then
    echo "run.sh: building $jar"
    # shellcheck disable=SC2086
    mvn -q -B ${MVN_FLAGS:-} -DskipTests package
fi
export HYPERFILE_JAR=$jar
hf=$root/deploy/bin/hyperfile
jvm_flags=$(sed -n 's:.*<hyperfile.jvm.flags>\(.*\)</hyperfile.jvm.flags>.*:\1:p' pom.xml)

results=${results:-$root/bench/results/$mode-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$results"
results=$(cd "$results" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/hfbench.XXXXXX")
port_hf=$port_base port_peer=$((port_base + 1)) port_s3=$((port_base + 2)) port_ctr=$((port_base + 3))
pids=()
mnt=""
cleanup() {
    local p
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        p=${pids[i]}
        kill "$p" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
    done
    if [[ -n $mnt ]] && mountpoint -q "$mnt"; then fusermount -u "$mnt" 2>/dev/null || umount -l "$mnt" || true; fi
    rm -rf "$work" "${store_dir:-}"
}
trap cleanup EXIT

{
    echo "date: $(date -Is)"
    echo "host: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "java: $(java -version 2>&1 | head -1); $(fio --version); $(nbdkit --version)"
    echo "git: $(git -C "$root" rev-parse --short HEAD 2>/dev/null)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (dirty)')"
    echo "command: bench/run.sh $mode$( ((java_jar)) && printf ' --java-jar')$( ((gc_compare)) && printf ' --gc --gc-on-args "%s"' "$gc_on_args") --reps $reps --seconds $secs --size-mib $size_mib$([[ -n $volume_size ]] && printf ' --volume-size %s' "$volume_size") --hf-segment-size $segment_size --workloads $(IFS=,; echo "${wl[*]}")"
    echo "before: $(uptime)"
} | tee "$results/machine.txt"

wait_log() { # file pattern seconds pid
    for _ in $(seq $(($3 * 10))); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        kill -0 "$4" 2>/dev/null || { echo "run.sh: process died; log $1:" >&2; tail -20 "$1" >&2; exit 1; }
        sleep 0.1
    done
    echo "run.sh: '$2' not seen in $1 after $3 s" >&2
    tail -20 "$1" >&2
    exit 1
}

size=$((size_mib << 20))
volume_bytes=$size offset=0
if [[ -n $volume_size ]]; then
    volume_bytes=$(numfmt --from=iec "$volume_size") || { echo "run.sh: bad --volume-size '$volume_size'" >&2; exit 2; }
    ((volume_bytes >= size)) || { echo "run.sh: --volume-size is smaller than the working set" >&2; exit 2; }
    offset=$(((volume_bytes - size) / 2 >> 20 << 20)) # the working set in the middle, 1 MiB aligned
fi
# ---- start the servers ------------------------------------------------------------------------------------
if [[ $mode == local ]]; then
    store_parent=${store_parent:-$([[ -d /dev/shm && -w /dev/shm ]] && echo /dev/shm || echo "${TMPDIR:-/tmp}")}
    store_dir=$(mktemp -d "$store_parent/hfbench-store.XXXXXX")
    hf_store=(--store "file:$store_dir")
    sides=(hyperfile nbdkit-memory)
    peer_label="nbdkit memory"
else
    mvn_log=$results/mvn.log
    echo "run.sh: compiling the S3Proxy launcher and the CRT PUT tool (hyperfile-core test scope)"
    # shellcheck disable=SC2086
    mvn -q -B ${MVN_FLAGS:-} -pl hyperfile-core test-compile \
        org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
        -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp.txt" >"$mvn_log" 2>&1 || { cat "$mvn_log" >&2; exit 1; }
    mkdir -p "$work/classes"
    cp -r hyperfile-core/target/classes "$work/classes/main"
    cp -r hyperfile-core/target/test-classes "$work/classes/test"
    core_cp="$work/classes/test:$work/classes/main:$(cat "$work/cp.txt")"
    # S3Proxy keeps the objects in files on tmpfs (the tests' in-heap store holds at most 4 GiB).
    s3_parent=${store_parent:-$([[ -d /dev/shm && -w /dev/shm ]] && echo /dev/shm || echo "${TMPDIR:-/tmp}")}
    store_dir=$(mktemp -d "$s3_parent/hfbench-s3proxy.XXXXXX")
    s3_dir=$store_dir
    # shellcheck disable=SC2086
    java $jvm_flags -Xmx"${S3PROXY_XMX:-8g}" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$core_cp" \
        io.hyperfile.core.store.s3.S3ProxyBenchMain --port "$port_s3" --counters-port "$port_ctr" \
        --bucket hfbench --bucket s3backer --bucket crtput --base-dir "$s3_dir" >"$results/s3proxy.log" 2>&1 &
    s3proxy_pid=$!
    pids+=("$s3proxy_pid")
    wait_log "$results/s3proxy.log" "listening on" 60 "$s3proxy_pid"
    export AWS_ACCESS_KEY_ID=hyperfile-test-access AWS_SECRET_ACCESS_KEY=hyperfile-test-secret AWS_REGION=us-east-1
    endpoint=http://127.0.0.1:$port_s3
    hf_store=(--store s3://hfbench/ --endpoint "$endpoint" --path-style --region us-east-1)
    sides=(hyperfile)
    peer_label="s3backer (4 KiB blocks)"
    ((s3backer)) && sides+=(s3backer) || peer_label="–"
    if [[ " ${wl[*]} " == *" seqwrite-1m-qd8 "* ]]; then sides+=(crt-put-1 crt-put-8); fi
fi
if ((gc_compare)); then
    # Hyperfile against itself: A without background GC, B with it; no peer, no raw CRT rows.
    sides=(gc-off gc-on)
    peer_label="GC on"
fi
counters_url=-
[[ $mode == s3 ]] && counters_url=http://127.0.0.1:$port_ctr/counters

"$hf" volume create bench --size "$volume_bytes" --segment-size "$segment_size" "${hf_store[@]}" >"$results/hyperfile-create.log" 2>&1 ||
    { cat "$results/hyperfile-create.log" >&2; exit 1; }
hf_serve=()
# s3 mode: the local read cache is on by default for S3 stores; keep it in the results, cold at the start.
[[ $mode == s3 ]] && hf_serve=(--cache-dir "$results/hyperfile-cache")
start_hf() { # log, extra serve flags...
    hf_log=$1
    shift
    if ((java_jar)); then
        java -jar "$jar" serve "${hf_store[@]}" "${hf_serve[@]}" "$@" --listen "127.0.0.1:$port_hf" bench >"$hf_log" 2>&1 &
    else
        "$hf" serve "${hf_store[@]}" "${hf_serve[@]}" "$@" --listen "127.0.0.1:$port_hf" bench >"$hf_log" 2>&1 &
    fi
    hf_pid=$!
    pids+=("$hf_pid")
    wait_log "$hf_log" "hyperfile: serving" 60 "$hf_pid"
}
# --gc: the serve flags of each side, and the side the running server was started as.
hf_flags_of() { case $1 in gc-off) echo --gc off ;; gc-on) echo "$gc_on_args" ;; esac; }
hf_side="" hf_starts=0
if ((gc_compare)); then
    hf_side=gc-off hf_starts=1
    # shellcheck disable=SC2046
    start_hf "$results/hyperfile.gc-off.1.log" $(hf_flags_of gc-off)
else
    start_hf "$results/hyperfile.log"
fi
uri_hf=nbd://127.0.0.1:$port_hf/bench

peer_pids=""
if ((gc_compare)); then
    :
elif [[ $mode == local ]]; then
    nbdkit -f -p "$port_peer" -i 127.0.0.1 memory "$volume_bytes" >"$results/nbdkit.log" 2>&1 &
    peer_pids=$!
    pids+=("$peer_pids")
    uri_peer=nbd://127.0.0.1:$port_peer/
    py wait-port 127.0.0.1 "$port_peer" 30
elif ((s3backer)); then
    mnt=$work/s3backer-mnt
    mkdir -p "$mnt"
    blocks=$((size / 4096))
    # Flags from docs/PERFORMANCE.md: --directIO, a block cache holding the working set, no MD5 cache and no
    # minimum write delay (without them s3backer manages about 100 block writes/s).
    s3backer -f --blockSize=4k --size="$volume_bytes" --baseURL="$endpoint/" \
        --accessId="$AWS_ACCESS_KEY_ID" --accessKey="$AWS_SECRET_ACCESS_KEY" --directIO \
        --blockCacheSize="$blocks" --blockCacheThreads=32 --md5CacheSize=0 --md5CacheTime=0 --minWriteDelay=0 \
        --listBlocks s3backer "$mnt" >"$results/s3backer.log" 2>&1 &
    s3b_pid=$!
    pids+=("$s3b_pid")
    for _ in $(seq 300); do [[ -e $mnt/file ]] && break; kill -0 "$s3b_pid" 2>/dev/null || break; sleep 0.1; done
    [[ -e $mnt/file ]] || { echo "run.sh: s3backer did not mount" >&2; cat "$results/s3backer.log" >&2; exit 1; }
    nbdkit -f -p "$port_peer" -i 127.0.0.1 file file="$mnt/file" >"$results/nbdkit.log" 2>&1 &
    nk_pid=$!
    pids+=("$nk_pid")
    peer_pids="$s3b_pid,$nk_pid"
    uri_peer=nbd://127.0.0.1:$port_peer/
    py wait-port 127.0.0.1 "$port_peer" 30
fi

# ---- workloads --------------------------------------------------------------------------------------------
# Write runs stop after this many bytes or the given seconds, whichever comes first: Hyperfile's stores keep
# every segment written (no garbage collection yet), so the store directory or the S3Proxy heap holds all of it.
if [[ $mode == local ]]; then write_cap_mib=$((smoke ? 256 : 1024)); else write_cap_mib=512; fi
# s3 mode's sequential writes are compared with the raw CRT client, which PUTs for the whole --seconds: their cap
# allows 400 MiB/s for the run (S3Proxy's ceiling here), so the row ends by time too, and its warm-up (a quarter
# of that) is long enough for the JIT. With 512 MiB the run lasted 2-3 s after 128 MiB of warm-up, and the JIT's
# compiler thread took 1.6-2.2 ms of CPU per MiB in it (docs/PERFORMANCE.md, "CRC32C upload checksums").
seq_cap_mib=$write_cap_mib
[[ $mode == s3 ]] && seq_cap_mib=$((${secs%.*} * 400 > write_cap_mib ? ${secs%.*} * 400 : write_cap_mib))
common=(--ioengine=nbd --lat_percentiles=1 --randrepeat=0 --offset="$offset" --size="$size")
# A FLUSH after exactly every 32 writes (fio 3.33's fsync=32 is wrong at iodepth > 1): a replayed iolog, long
# enough that the run ends by time, never by running out of log.
iolog=$work/flush32.iolog
if [[ $mode == s3 ]]; then log_rate=40000; else log_rate=60000; fi
flush_log_writes=$((${secs%.*} * log_rate + 20000))
[[ " ${wl[*]} " == *" flush32-randwrite-4k-qd32 "* ]] && py iolog "$iolog" "$size" "$flush_log_writes" 32

fio_args() { # workload -> fio arguments
    local cap=--io_size=$((write_cap_mib))m
    case $1 in
        randread-4k-qd1) echo --rw=randread --bs=4k --iodepth=1 --io_size=64g ;;
        randread-4k-qd32) echo --rw=randread --bs=4k --iodepth=32 --io_size=64g ;;
        randwrite-4k-qd1) echo --rw=randwrite --bs=4k --iodepth=1 "$cap" --end_fsync=1 ;;
        randwrite-4k-qd32) echo --rw=randwrite --bs=4k --iodepth=32 "$cap" --end_fsync=1 ;;
        seqread-1m-qd8) echo --rw=read --bs=1m --iodepth=8 --io_size=64g ;;
        seqwrite-1m-qd8) echo --rw=write --bs=1m --iodepth=8 --io_size="$seq_cap_mib"m --end_fsync=1 ;;
        flush32-randwrite-4k-qd32) echo --read_iolog="$iolog" --iodepth=32 ;;
        randrw-mixed-16jobs) echo --rw=randrw --bsrange=4k-512k --numjobs=16 --iodepth=1 --group_reporting \
            --io_size=$((write_cap_mib / 8))m ;;
    esac
}

# A workload's warm-up: its fio arguments, with writes capped at a quarter of a measured run's cap (fio takes the
# last --io_size), so that the warm-ups add little to what a tmpfs store holds (GC's grace keeps it all in a run).
warm_args() {
    fio_args "$1"
    case $1 in
        randwrite-*) echo --io_size=$((write_cap_mib / 4))m ;;
        seqwrite-*) echo --io_size=$((seq_cap_mib / 4))m ;;
        randrw-mixed-16jobs) echo --io_size=$((write_cap_mib / 32))m ;;
    esac
}

uri_of() { case $1 in hyperfile | gc-*) echo "$uri_hf" ;; *) echo "$uri_peer" ;; esac; }
pids_of() { case $1 in hyperfile | gc-*) echo "$hf_pid" ;; *) echo "$peer_pids" ;; esac; }

# Fill the working set on every NBD side (so reads return stored data), then warm Hyperfile's JVM up.
warm=$((smoke ? 1 : 5))
warm_up() {
    py run "$work/warm.json" "$(pids_of "$1")" - 0 -- --name=warm "${common[@]}" --uri="$(uri_of "$1")" \
        --rw=randrw --bs=4k --iodepth=32 --io_size=64g --runtime=$warm --end_fsync=1 >/dev/null
}
for side in "${sides[@]}"; do
    [[ $side == crt-put-* ]] && continue
    ((gc_compare)) && [[ $side != "$hf_side" ]] && continue # --gc: one volume, filled once
    echo "run.sh: filling $size_mib MiB on $side"
    py run "$work/fill.json" "$(pids_of "$side")" "$counters_url" 1 -- --name=fill "${common[@]}" \
        --uri="$(uri_of "$side")" --rw=write --bs=1m --iodepth=8 --end_fsync=1 >/dev/null
    warm_up "$side"
done

# --gc: stop the server (SIGTERM: it finishes requests, waits for a running GC pass, flushes) and start it as
# SIDE on the same volume and store, then warm its fresh JVM up as at the start.
switch_hf() {
    [[ $hf_side == "$1" ]] && return 0
    local p old=() n=0
    kill "$hf_pid" 2>/dev/null || true
    while kill -0 "$hf_pid" 2>/dev/null && ((n++ < 600)); do sleep 0.1; done
    kill -9 "$hf_pid" 2>/dev/null || true
    wait "$hf_pid" 2>/dev/null || true
    for p in "${pids[@]}"; do [[ $p == "$hf_pid" ]] || old+=("$p"); done
    pids=("${old[@]}")
    hf_side=$1 hf_starts=$((hf_starts + 1))
    echo "run.sh: restarting Hyperfile as $1 ($(hf_flags_of "$1"))"
    # shellcheck disable=SC2046
    start_hf "$results/hyperfile.$1.$hf_starts.log" $(hf_flags_of "$1")
    warm_up "$1"
}

: >"$results/runs.jsonl"
python3 -c 'import json,sys; json.dump({"mode": sys.argv[1], "sides": sys.argv[2].split(","), "peer_label": sys.argv[3],
    "reps": int(sys.argv[4]), "seconds": float(sys.argv[5]), "size_mib": int(sys.argv[6]),
    "compare": sys.argv[8], "gc_on_args": sys.argv[9], "warm_seconds": int(sys.argv[10])}, open(sys.argv[7], "w"))' \
    "$mode" "$(IFS=,; echo "${sides[*]}")" "$peer_label" "$reps" "$secs" "$size_mib" "$results/config.json" \
    "$( ((gc_compare)) && echo gc || echo peer)" "$gc_on_args" "$workload_warm"

(while sleep 5; do echo "$(date +%T) $(cut -d' ' -f1-3 /proc/loadavg)"; done) >"$results/load.txt" &
pids+=($!)

for w in "${wl[@]}"; do
    for ((rep = 1; rep <= reps; rep++)); do
        for side in "${sides[@]}"; do
            if [[ $side == crt-put-* ]]; then
                [[ $w == seqwrite-1m-qd8 ]] || continue
                out=$w.$side.$rep.tool.json
                echo "run.sh: $w rep $rep: raw CRT PUT, ${side#crt-put-} in flight"
                java -cp "$core_cp" io.hyperfile.core.store.bench.CrtPutThroughputMain --endpoint "$endpoint" \
                    --bucket crtput --seconds "$secs" --in-flight "${side#crt-put-}" 2>>"$results/crt-put.log" \
                    | tail -1 >"$results/$out"
                python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print(json.dumps({"workload": sys.argv[2],
                    "side": sys.argv[3], "rep": int(sys.argv[4]), "json": None, "tool": {"mibs": t["mibPerSec"],
                    "iops": t["requests"] / t["seconds"]}}))' "$results/$out" "$w" "$side" "$rep" >>"$results/runs.jsonl"
                continue
            fi
            starts_before=$hf_starts
            ((gc_compare)) && switch_hf "$side"
            # --gc mode restarts the server whenever the side changes: a fresh JVM gets the workload's warm-up too.
            if (((rep == 1 || hf_starts != starts_before) && workload_warm > 0)); then
                echo "run.sh: $w warm-up: $side, ${workload_warm}s"
                # shellcheck disable=SC2046
                py run "$work/warm.json" "$(pids_of "$side")" - 0 -- --name="warm-$w" "${common[@]}" \
                    --uri="$(uri_of "$side")" --runtime="$workload_warm" $(warm_args "$w") >/dev/null ||
                    echo "run.sh: fio exited $? warming $w on $side" >&2
            fi
            out=$w.$side.$rep.json
            echo "run.sh: $w rep $rep: $side"
            # --gc mode passes the server log: the GC passes that end during the run are counted from it.
            run_log=()
            ((gc_compare)) && run_log=("$hf_log")
            # shellcheck disable=SC2046
            py run "$results/$out" "$(pids_of "$side")" "$counters_url" "$([[ $mode == s3 ]] && echo 1 || echo 0)" \
                "${run_log[@]}" -- \
                --name="$w" "${common[@]}" --uri="$(uri_of "$side")" --runtime="$secs" $(fio_args "$w") ||
                echo "run.sh: fio exited $? on $w $side rep $rep (see $results/$out)" >&2
            if ((gc_compare)); then
                # Stored bytes after the run: Hyperfile's store directory or S3Proxy's object files.
                printf '{"workload": "%s", "side": "%s", "rep": %d, "json": "%s", "store_bytes": %d}\n' "$w" "$side" \
                    "$rep" "$out" "$(du -sb "$store_dir" | cut -f1)" >>"$results/runs.jsonl"
            else
                printf '{"workload": "%s", "side": "%s", "rep": %d, "json": "%s"}\n' "$w" "$side" "$rep" "$out" \
                    >>"$results/runs.jsonl"
            fi
            if [[ $side == hyperfile || $side == gc-* ]] && grep -q "upload of .* failed" "$hf_log"; then
                echo "run.sh: WARNING: Hyperfile reported failed uploads (see $hf_log)" >&2
            fi
            if ! kill -0 "$hf_pid" 2>/dev/null; then
                echo "run.sh: the Hyperfile server died; its log:" >&2
                tail -30 "$hf_log" >&2
                exit 1
            fi
        done
    done
done

echo "after: $(uptime)" | tee -a "$results/machine.txt"
py summary "$results" | tee "$results/summary.md"
echo
echo "results in $results"
