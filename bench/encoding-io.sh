#!/usr/bin/env bash
# What compression and encryption cost through NBD (docs/ENCODING.md and docs/ENCRYPTION.md "Figures"): one
# `hyperfile serve` with two volumes of the same size on the local store, one unencoded and one encoded, driven by
# fio's nbd engine in turn (A B, B A, ...), with data that compresses about 2:1 (fio's buffer_compress_percentage=50).
# Prints, per workload, the median of the per-repetition ratios encoded / unencoded.
#
#   bench/encoding-io.sh [--codec none|lz4|zstd:N] [--frame-size SIZE] [--encrypt] [--reps N] [--seconds S]
#                        [--size-mib N] [--port P]
#
# --encrypt makes the encoded volume aes-256-gcm too (with a key file made for the run); --frame-size is passed to
# `volume create` (compressed codecs only).
#
# Needs fio (Debian's, with the nbd engine), python3, a JDK 17; uses hyperfile-cli/target/hyperfile.jar (build it).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
codec=lz4 reps=3 secs=5 size_mib=256 port=10970 encrypt= frame=
while (($#)); do
    case $1 in
        --codec) codec=$2; shift ;;
        --encrypt) encrypt=1 ;;
        --frame-size) frame=$2; shift ;;
        --reps) reps=$2; shift ;;
        --seconds) secs=$2; shift ;;
        --size-mib) size_mib=$2; shift ;;
        --port) port=$2; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "encoding-io.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
jar=$root/hyperfile-cli/target/hyperfile.jar
[[ -f $jar ]] || { echo "encoding-io.sh: build $jar first (mvn -DskipTests package)" >&2; exit 3; }
export HYPERFILE_JAR=$jar
hf=$root/deploy/bin/hyperfile
work=$(mktemp -d "${TMPDIR:-/tmp}/hfenc.XXXXXX")
results=$work/results
mkdir -p "$results"
pid=""
cleanup() {
    [[ -n $pid ]] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
    [[ -n ${KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
store="file:$work/store"
"$hf" volume create plain --size "${size_mib}M" --store "$store" >/dev/null
keyargs=()
label=$codec
if [[ -n $encrypt ]]; then
    head -c 32 /dev/urandom >"$work/key"
    keyargs=(--key-file "$work/key")
    label="$codec+aes-256-gcm"
fi
[[ -n $frame ]] && label="$label/$frame"
"$hf" volume create packed --size "${size_mib}M" --compression "$codec" ${encrypt:+--encryption aes-256-gcm} ${frame:+--frame-size "$frame"} \
    "${keyargs[@]}" --store "$store" >/dev/null
"$hf" serve --store "$store" --listen "127.0.0.1:$port" --gc off "${keyargs[@]}" plain packed >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q "hyperfile: serving" "$work/serve.log" && break; sleep 0.1; done
grep -q "hyperfile: serving" "$work/serve.log" || { tail "$work/serve.log" >&2; exit 1; }
common=(--ioengine=nbd --randrepeat=0 --size="${size_mib}m" --buffer_compress_percentage=50 --refill_buffers)
args() {
    case $1 in
        randread-4k-qd32) echo --rw=randread --bs=4k --iodepth=32 --io_size=64g ;;
        randwrite-4k-qd32) echo --rw=randwrite --bs=4k --iodepth=32 --io_size=64g ;;
        seqwrite-1m-qd8) echo --rw=write --bs=1m --iodepth=8 --io_size=64g ;;
    esac
}
for v in plain packed; do
    fio --name=fill "${common[@]}" --uri="nbd://127.0.0.1:$port/$v" --rw=write --bs=1m --iodepth=8 --end_fsync=1 \
        --output-format=json >/dev/null
done
# Warm both volumes' read and write paths up (the JIT), so that the first repetition is not measured cold.
for v in plain packed; do
    for rw in randread randwrite; do
        fio --name=warm "${common[@]}" --uri="nbd://127.0.0.1:$port/$v" --rw=$rw --bs=4k --iodepth=32 --io_size=64g \
            --runtime=5 --time_based --output-format=json >/dev/null
    done
done
echo "encoding $label, $reps reps of $secs s, $size_mib MiB, $(nproc) cores, $(date -Is)"
for w in randread-4k-qd32 randwrite-4k-qd32 seqwrite-1m-qd8; do
    ratios=()
    for ((rep = 1; rep <= reps; rep++)); do
        order=(plain packed)
        ((rep % 2)) || order=(packed plain)
        declare -A got=()
        for v in "${order[@]}"; do
            # shellcheck disable=SC2046
            fio --name="$w" "${common[@]}" --uri="nbd://127.0.0.1:$port/$v" $(args "$w") --runtime="$secs" --time_based \
                --output-format=json --output="$results/$w.$v.$rep.json" >/dev/null
            got[$v]=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))["jobs"][0]; print(j["read"]["bw_bytes"]+j["write"]["bw_bytes"])' \
                "$results/$w.$v.$rep.json")
        done
        ratios+=("$(python3 -c "print(${got[packed]} / ${got[plain]})")")
        printf '%s rep %d: plain %.1f MiB/s, %s %.1f MiB/s\n' "$w" "$rep" "$(echo "${got[plain]} / 1048576" | bc -l)" \
            "$label" "$(echo "${got[packed]} / 1048576" | bc -l)"
        unset got
    done
    python3 -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print('$w: $label / unencoded = %.2f (median of %s)' % (statistics.median(r), ', '.join('%.2f' % x for x in r)))" "${ratios[@]}"
done
