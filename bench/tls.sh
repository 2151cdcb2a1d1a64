#!/usr/bin/env bash
# The cost of TLS (docs/TLS.md): fio's nbd engine against one `hyperfile serve --tls on` (which serves plain and TLS
# clients alike), plain `nbd://` vs `nbds://` on the same server, volume and data, A B A B per workload, medians
# of the per-repetition ratios TLS / plain.
#
#   bench/tls.sh [options]
#
# Options:
#   --reps N          repetitions per workload and side (default 3)
#   --seconds S       seconds per fio run (default 5)
#   --workloads A,B   subset of: randread-4k-qd32 seqread-1m-qd8 seqwrite-1m-qd8 (default randread-4k-qd32,seqread-1m-qd8)
#   --size-mib N      volume size and working set in MiB (default 256); filled with data first, so reads move data
#   --port P          the server's port (default 10960)
#   --results DIR     where fio JSON, logs and summary.md go (default bench/results/tls-<time>)
#   --provider P      openssl (default: the server's choice, OpenSSL where it loads) or jdk
#   --nbdkit          also measure `nbdkit --tls=on memory` (GnuTLS, C) plain vs TLS in the same loop, as a reference
#                     for what TLS costs on this machine whatever the server
# The client side: fio's nbd engine gives libnbd no way to read local files, so its URI cannot name a certificate
# directory (tls-certificates); it connects with tls-verify-peer=false, which encrypts exactly the same but does
# not check the server's certificate. The real clients' certificate checks are tested in TlsClientsIT.
# Needs fio (Debian's, linked with libnbd), openssl, python3, a JDK 17 (and nbdkit for --nbdkit). Builds
# hyperfile-cli/target/hyperfile.jar if it is missing (MVN_FLAGS, e.g. -o, for that build). HYPERFILE_JAVA_OPTS is
# passed to the server's JVM.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
reps=3 secs=5 workloads=randread-4k-qd32,seqread-1m-qd8 size_mib=256 port=10960 results="" provider="" nbdkit=0
while (($#)); do
    case $1 in
        --reps) reps=$2; shift ;;
        --seconds) secs=$2; shift ;;
        --workloads) workloads=$2; shift ;;
        --size-mib) size_mib=$2; shift ;;
        --port) port=$2; shift ;;
        --results) results=$2; shift ;;
        --provider) provider=$2; shift ;;
        --nbdkit) nbdkit=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "tls.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
IFS=, read -r -a wl <<<"$workloads"
for w in "${wl[@]}"; do
    case $w in randread-4k-qd32 | seqread-1m-qd8 | seqwrite-1m-qd8) ;; *) echo "tls.sh: unknown workload '$w'" >&2; exit 2 ;; esac
done
case $provider in "" | openssl) java_opts="" ;; jdk) java_opts=-Dhyperfile.tls.provider=jdk ;;
    *) echo "tls.sh: --provider is openssl or jdk" >&2; exit 2 ;; esac
for c in fio openssl python3 java $( ((nbdkit)) && echo nbdkit); do
    command -v "$c" >/dev/null || { echo "tls.sh: $c is missing (apt-get install fio openssl python3 openjdk-17-jdk-headless)" >&2; exit 3; }
done
fio --enghelp=nbd >/dev/null 2>&1 || { echo "tls.sh: this fio has no nbd engine (Debian's fio links libnbd)" >&2; exit 3; }

jar=$root/hyperfile-cli/target/hyperfile.jar
if [[ ! -f $jar ]]; then
    echo "tls.sh: building $jar"
    # shellcheck disable=SC2086
    mvn -q -B ${MVN_FLAGS:-} -DskipTests package
fi
export HYPERFILE_JAR=$jar HYPERFILE_JAVA_OPTS="$java_opts ${HYPERFILE_JAVA_OPTS:-}"
hf=$root/deploy/bin/hyperfile

results=${results:-$root/bench/results/tls-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$results"
results=$(cd "$results" && pwd)
store_parent=$([[ -d /dev/shm && -w /dev/shm ]] && echo /dev/shm || echo "${TMPDIR:-/tmp}")
work=$(mktemp -d "$store_parent/hftls.XXXXXX")
hf_pid="" nk_pid=""
cleanup() {
    local p
    for p in $hf_pid $nk_pid; do
        kill "$p" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# ---- certificates: a CA and a server certificate for localhost / 127.0.0.1 (docs/TLS.md has the same commands) ----
certs=$work/certs
mkdir -p "$certs"
(
    cd "$certs"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca-cert.pem -subj "/CN=bench CA" -days 2 \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=localhost 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca-cert.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile server.ext \
        -out server-cert.pem 2>/dev/null
)

{
    echo "date: $(date -Is)"
    echo "host: $(uname -srm), $(nproc) cores; cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "java: $(java -version 2>&1 | head -1); $(fio --version)"
    echo "git: $(git -C "$root" rev-parse --short HEAD 2>/dev/null)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (dirty)')"
    echo "command: bench/tls.sh --reps $reps --seconds $secs --size-mib $size_mib --workloads $workloads${provider:+ --provider $provider}$( ((nbdkit)) && echo ' --nbdkit')"
    echo "before: $(uptime)"
} | tee "$results/machine.txt"

"$hf" volume create bench --size "${size_mib}M" --store "file:$work/store" >"$results/create.log" 2>&1 ||
    { cat "$results/create.log" >&2; exit 1; }
"$hf" serve --store "file:$work/store" --listen "127.0.0.1:$port" --gc off --tls on --tls-certificates "$certs" bench \
    >"$results/hyperfile.log" 2>&1 &
hf_pid=$!
for _ in $(seq 600); do
    grep -q "hyperfile: serving" "$results/hyperfile.log" && break
    kill -0 "$hf_pid" 2>/dev/null || { echo "tls.sh: the server died:" >&2; tail -20 "$results/hyperfile.log" >&2; exit 1; }
    sleep 0.1
done
grep -q "hyperfile: serving" "$results/hyperfile.log" || { echo "tls.sh: the server did not start" >&2; exit 1; }
grep -o "TLS on (.*" "$results/hyperfile.log" | head -1 | sed "s/)$//; s/^/server: /" | tee -a "$results/machine.txt"

py() { python3 "$root/bench/bench.py" "$@"; }
sides=(plain tls)
if ((nbdkit)); then
    nbdkit -f -p $((port + 1)) -i 127.0.0.1 --tls=on --tls-certificates="$certs" memory "${size_mib}M" \
        >"$results/nbdkit.log" 2>&1 &
    nk_pid=$!
    py wait-port 127.0.0.1 $((port + 1)) 30
    sides+=(nbdkit-plain nbdkit-tls)
    echo "peer: $(nbdkit --version), --tls=on memory ${size_mib}M" | tee -a "$results/machine.txt"
fi
uri_of() {
    case $1 in
        plain) echo "nbd://127.0.0.1:$port/bench" ;;
        tls) echo "nbds://127.0.0.1:$port/bench?tls-verify-peer=false" ;;
        nbdkit-plain) echo "nbd://127.0.0.1:$((port + 1))/" ;;
        nbdkit-tls) echo "nbds://127.0.0.1:$((port + 1))/?tls-verify-peer=false" ;;
    esac
}
pid_of() { if [[ $1 == nbdkit-* ]]; then echo "$nk_pid"; else echo "$hf_pid"; fi; }
common=(--ioengine=nbd --randrepeat=0 --size="${size_mib}m")
fio_args() {
    case $1 in
        randread-4k-qd32) echo --rw=randread --bs=4k --iodepth=32 --io_size=64g ;;
        seqread-1m-qd8) echo --rw=read --bs=1m --iodepth=8 --io_size=64g ;;
        seqwrite-1m-qd8) echo --rw=write --bs=1m --iodepth=8 --io_size=1g --end_fsync=1 ;;
    esac
}

echo "tls.sh: filling $size_mib MiB, then warming up every side"
for side in "${sides[@]}"; do
    if [[ $side != *tls ]]; then
        py run "$work/fill.json" "$(pid_of $side)" - 0 -- --name=fill "${common[@]}" --uri="$(uri_of $side)" --rw=write \
            --bs=1m --iodepth=8 --end_fsync=1 >/dev/null
    fi
    # shellcheck disable=SC2046
    py run "$work/warm.json" "$(pid_of $side)" - 0 -- --name=warm "${common[@]}" --uri="$(uri_of $side)" \
        $(fio_args randread-4k-qd32) --runtime=5 --time_based >/dev/null
    # shellcheck disable=SC2046
    py run "$work/warm.json" "$(pid_of $side)" - 0 -- --name=warm "${common[@]}" --uri="$(uri_of $side)" \
        $(fio_args seqread-1m-qd8) --runtime=3 --time_based >/dev/null
done

: >"$results/runs.jsonl"
for ((rep = 1; rep <= reps; rep++)); do
    order=(plain tls)
    ((rep % 2)) || order=(tls plain)
    ((nbdkit)) && order+=("nbdkit-${order[0]}" "nbdkit-${order[1]}")
    for w in "${wl[@]}"; do
        for side in "${order[@]}"; do
            out=$results/$w.$side.$rep.json
            # shellcheck disable=SC2046
            py run "$out" "$(pid_of $side)" - 0 -- --name="$w" "${common[@]}" --uri="$(uri_of $side)" $(fio_args "$w") \
                --runtime="$secs" --time_based >/dev/null ||
                { echo "tls.sh: fio failed on $w $side rep $rep (see $out)" >&2; exit 1; }
            printf '{"workload": "%s", "side": "%s", "rep": %d, "file": "%s"}\n' "$w" "$side" "$rep" "$(basename "$out")" \
                >>"$results/runs.jsonl"
            echo "tls.sh: rep $rep $w $side done"
        done
    done
done
echo "after: $(uptime)" | tee -a "$results/machine.txt"

python3 - "$results" <<'PY' | tee "$results/summary.md"
import json, statistics, sys
res = sys.argv[1]
runs = [json.loads(l) for l in open(res + '/runs.jsonl')]
def stats(r):
    j = json.load(open(res + '/' + r['file']))['jobs'][0]
    meta = json.load(open(res + '/' + r['file'] + '.meta'))
    ios = j['read']['total_ios'] + j['write']['total_ios']
    return {'iops': j['read']['iops'] + j['write']['iops'],
            'mibs': (j['read']['bw_bytes'] + j['write']['bw_bytes']) / 2 ** 20,
            'cpu_us': meta['cpu_seconds'] * 1e6 / ios if ios else float('nan'),
            # fio's own CPU (its usr and sys per cent of the job's run time): the client's side of the TLS cost
            'client_us': (j['usr_cpu'] + j['sys_cpu']) / 100 * j['job_runtime'] * 1e3 / ios if ios else float('nan')}
print('| server | workload | metric | plain (median) | TLS (median) | TLS / plain (median of per-rep ratios) | per-rep ratios | server CPU µs per I/O, plain → TLS | client (fio) CPU µs per I/O, plain → TLS |')
print('| --- | --- | --- | ---: | ---: | ---: | --- | --- | --- |')
for server, prefix in (('hyperfile', ''), ('nbdkit memory', 'nbdkit-')):
    for w in dict.fromkeys(r['workload'] for r in runs):
        by = {}
        for r in runs:
            if r['workload'] == w and r['side'] in (prefix + 'plain', prefix + 'tls'):
                by.setdefault(r['rep'], {})[r['side'][len(prefix):]] = stats(r)
        reps = sorted(k for k in by if len(by[k]) == 2)
        if not reps:
            continue
        metric = 'iops' if '4k' in w else 'mibs'
        ratios = [by[k]['tls'][metric] / by[k]['plain'][metric] for k in reps]
        med = lambda side, m: statistics.median(by[k][side][m] for k in reps)
        print('| %s | %s | %s | %s | %s | %.2f | %s | %.0f → %.0f | %.0f → %.0f |' % (
            server, w, 'IOPS' if metric == 'iops' else 'MiB/s', format(med('plain', metric), ',.0f'),
            format(med('tls', metric), ',.0f'), statistics.median(ratios), ' '.join('%.2f' % x for x in ratios),
            med('plain', 'cpu_us'), med('tls', 'cpu_us'), med('plain', 'client_us'), med('tls', 'client_us')))
PY
