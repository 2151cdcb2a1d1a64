#!/usr/bin/env python3
"""Helpers for bench/run.sh (standard library only).

  bench.py iolog FILE SIZE_BYTES WRITES EVERY      a fio v2 iolog: WRITES random 4 KiB writes, a flush after every EVERY
  bench.py wait-port HOST PORT SECONDS             wait until a TCP port accepts, or fail
  bench.py run OUT.json PIDS COUNTERS_URL SETTLE [SERVER_LOG] -- fio args...
        runs fio, sampling the server processes (comma-separated PIDS) every 0.1 s: CPU time (utime+stime) over the
        run, peak VmRSS (sum over the PIDs); S3 counters before and after (COUNTERS_URL or '-'); with SETTLE=1 waits
        after fio until the S3 counters stop moving for 1.5 s (at most 60 s), inside the CPU window, so background
        uploads are charged to the run. With SERVER_LOG (run.sh --gc), the Hyperfile log lines `NAME: gc pass: ...`
        and `gc pass failed` written during that window are parsed into the meta's "gc". Writes OUT.json.meta next
        to fio's JSON.
  bench.py summary RESULTS_DIR                     the Markdown table from RESULTS_DIR/runs.jsonl (the GC on/off
                                                   table when config.json says "compare": "gc")
"""
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

HZ = os.sysconf('SC_CLK_TCK')
# The S3Proxy bucket each side writes to in s3 mode (run.sh creates them).
BUCKETS = {'hyperfile': 'hfbench', 's3backer': 's3backer'}


def iolog(path, size_bytes, writes, every):
    blocks = size_bytes // 4096
    rnd = random.Random(42)
    with open(path, 'w') as f:
        f.write('fio version 2 iolog\nnbd add\nnbd open\n')
        for i in range(writes):
            f.write('nbd write %d 4096\n' % (rnd.randrange(blocks) * 4096))
            if i % every == every - 1:
                f.write('nbd sync 0 0\n')
        f.write('nbd close\n')


def wait_port(host, port, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return 0
        except OSError:
            time.sleep(0.1)
    print('nothing listening on %s:%s after %ss' % (host, port, seconds), file=sys.stderr)
    return 1


def cpu_ticks(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def rss_kib(pid, field='VmRSS:'):
    """VmRSS (everything resident, including mapped file pages such as the local cache's) or RssAnon."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def counters(url):
    if url == '-':
        return {}
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def settle(url, quiet_seconds=1.5, max_seconds=60, watch=None):
    """Waits until the counters (those whose key WATCH accepts, if given) stay still; returns all of them."""
    def view(c):
        return c if watch is None else {k: v for k, v in c.items() if watch(k)}

    now = counters(url)
    last, since, deadline = view(now), time.time(), time.time() + max_seconds
    while time.time() < deadline:
        time.sleep(0.25)
        now = counters(url)
        if view(now) != last:
            last, since = view(now), time.time()
        elif time.time() - since >= quiet_seconds:
            break
    return now


# GcPassReport.summary() as GcService logs it: "NAME: gc pass: deleted 3 segments (N bytes); 0 unreferenced segments
# (0 bytes) wait for the grace period; compacted 1 segments, moving N live bytes and 2 index paths[; SKIPPED]".
GC_PASS = re.compile(r': gc pass: deleted (\d+) segments \((\d+) bytes\); (\d+) unreferenced segments \((\d+) bytes\) '
                     r'wait for the grace period; compacted (\d+) segments, moving (\d+) live bytes and (\d+) index paths'
                     r'(?:; (.*))?$')


def gc_passes(text):
    """The GC passes logged in TEXT (complete lines only): counts and sums."""
    g = {'passes': 0, 'failed': 0, 'deleted_segments': 0, 'deleted_bytes': 0, 'compacted_segments': 0,
         'moved_bytes': 0, 'index_paths': 0, 'waiting_segments_max': 0, 'skipped': {}}
    for line in text.split('\n')[:-1]:
        if ': gc pass failed: ' in line:
            g['failed'] += 1
            continue
        m = GC_PASS.search(line)
        if not m:
            continue
        g['passes'] += 1
        g['deleted_segments'] += int(m.group(1))
        g['deleted_bytes'] += int(m.group(2))
        g['waiting_segments_max'] = max(g['waiting_segments_max'], int(m.group(3)))
        g['compacted_segments'] += int(m.group(5))
        g['moved_bytes'] += int(m.group(6))
        g['index_paths'] += int(m.group(7))
        if m.group(8):
            reason = re.sub(r'[\d.]+%', 'N%', m.group(8))  # "garbage is 3.8% ..." counted as one reason
            g['skipped'][reason] = g['skipped'].get(reason, 0) + 1
    return g


def run(out, pids, url, do_settle, fio_args, server_log=None):
    pids = [int(p) for p in pids.split(',') if p]
    log_start = os.path.getsize(server_log) if server_log else 0
    c0 = counters(url)
    t0 = {p: cpu_ticks(p) for p in pids}
    peak = 0
    peak_anon = 0
    started = time.time()
    proc = subprocess.Popen(['fio', '--output-format=json', '--output=' + out] + fio_args)
    while proc.poll() is None:
        peak = max(peak, sum(rss_kib(p) for p in pids))
        peak_anon = max(peak_anon, sum(rss_kib(p, 'RssAnon:') for p in pids))
        time.sleep(0.1)
    fio_seconds = time.time() - started
    # With a server log (run.sh --gc) settle waits for Hyperfile's uploads only: a GC pass every second LISTs,
    # HEADs and GETs, which would keep every counter moving until the 60 s cap.
    watch = (lambda k: k.startswith(BUCKETS['hyperfile'] + ' PUT')) if server_log else None
    c1 = settle(url, watch=watch) if do_settle == '1' and url != '-' else counters(url)
    peak = max(peak, sum(rss_kib(p) for p in pids))
    cpu = sum(cpu_ticks(p) - t0[p] for p in pids) / HZ
    delta = {}
    for k, v in c1.items():
        b = c0.get(k, {'requests': 0, 'bytes': 0})
        d = {'requests': v['requests'] - b['requests'], 'bytes': v['bytes'] - b['bytes']}
        if d['requests'] or d['bytes']:
            delta[k] = d
    meta = {'rc': proc.returncode, 'cpu_seconds': cpu, 'peak_rss_kib': peak, 'peak_rss_anon_kib': peak_anon,
            'fio_seconds': fio_seconds,
            's3': delta, 'loadavg': open('/proc/loadavg').read().split()[:3]}
    if server_log:
        meta['window_seconds'] = time.time() - started
        with open(server_log, 'rb') as f:
            f.seek(log_start)
            meta['gc'] = gc_passes(f.read().decode('utf-8', 'replace'))
    with open(out + '.meta', 'w') as f:
        json.dump(meta, f)
    return proc.returncode


def fio_stats(path):
    j = json.load(open(path))['jobs'][0]
    r, w = j['read'], j['write']
    ios = r['total_ios'] + w['total_ios']
    main = w if w['total_ios'] > r['total_ios'] else r

    def pct(side, p):
        lat = side.get('lat_ns', {}).get('percentile') or side.get('clat_ns', {}).get('percentile') or {}
        return lat.get(p, 0) / 1000.0

    return {
        'iops': r['iops'] + w['iops'],
        'mibs': (r['bw_bytes'] + w['bw_bytes']) / 2 ** 20,
        'ios': ios,
        'write_bytes': w['io_bytes'],
        'flushes': j.get('sync', {}).get('total_ios', 0),
        'p50_us': pct(main, '50.000000'),
        'p99_us': pct(main, '99.000000'),
    }


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    if v is None:
        return '–'
    if digits == 0:
        return '{:,.0f}'.format(v)
    return '{:,.{}f}'.format(v, digits)


def summary(results):
    runs = [json.loads(line) for line in open(os.path.join(results, 'runs.jsonl'))]
    cfg = json.load(open(os.path.join(results, 'config.json')))
    if cfg.get('compare') == 'gc':
        gc_summary(results, runs, cfg)
        return
    order, by = [], {}
    for r in runs:
        key = (r['workload'], r['side'])
        if r['workload'] not in order:
            order.append(r['workload'])
        st = fio_stats(os.path.join(results, r['json'])) if r['json'] else r['tool']
        meta = json.load(open(os.path.join(results, r['json'] + '.meta'))) if r['json'] else {}
        st.update(meta=meta, rep=r['rep'], side=r['side'])
        by.setdefault(key, []).append(st)
    sides = cfg['sides']
    lines = []
    lines.append('%d reps of %gs per workload and side, after %ss of each workload on each side, not measured.'
                 % (cfg['reps'], cfg['seconds'], cfg.get('warm_seconds', 0)))
    lines.append('')
    lines.append('| workload | metric | Hyperfile | %s | ratio | per-rep ratios | p50 µs (HF / peer) | p99 µs (HF / peer) '
                 '| server CPU µs/IO (HF / peer) | peak RSS MiB (HF / peer) | peak anonymous RSS MiB (HF / peer) '
                 '| S3 requests / GiB written (HF / peer) '
                 '| S3 MiB uploaded / GiB written (HF / peer) |' % cfg['peer_label'])
    lines.append('|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|')
    notes = []
    s3 = cfg['mode'] == 's3'
    for wl in order:
        a = by.get((wl, sides[0]), [])
        for peer in sides[1:]:
            b = by.get((wl, peer), [])
            if not a or not b:
                continue
            metric = 'MiB/s' if wl.startswith('seq') else 'IOPS'
            key = 'mibs' if metric == 'MiB/s' else 'iops'
            ratios = [x[key] / y[key] for x, y in zip(sorted(a, key=lambda s: s['rep']),
                                                       sorted(b, key=lambda s: s['rep'])) if y[key]]
            label = wl if peer == sides[1] else '%s (vs %s)' % (wl, peer)

            def m(runs_, f):
                return med([f(s) for s in runs_])

            def cpu_per_io(s):
                return s['meta']['cpu_seconds'] * 1e6 / s['ios'] if s.get('meta') and s.get('ios') else None

            def rss(s):
                return s['meta']['peak_rss_kib'] / 1024 if s.get('meta') else None

            def rss_anon(s):
                return s['meta'].get('peak_rss_anon_kib', 0) / 1024 if s.get('meta') else None

            def s3_per_gib(s, what):
                if not s.get('meta') or not s.get('write_bytes'):
                    return None
                bucket = BUCKETS.get(s['side'])
                total = sum(v[what] for k, v in s['meta']['s3'].items()
                            if k.split(' ')[0] == bucket and k.split(' ')[1] != 'PUT-segment')
                return total / (s['write_bytes'] / 2 ** 30) / (2 ** 20 if what == 'bytes' else 1)

            lines.append('| %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %s | %s |' % (
                label, metric, fmt(m(a, lambda s: s[key])), fmt(m(b, lambda s: s[key])), fmt(med(ratios), 2),
                ' '.join(fmt(x, 2) for x in ratios),
                fmt(m(a, lambda s: s.get('p50_us'))), fmt(m(b, lambda s: s.get('p50_us'))),
                fmt(m(a, lambda s: s.get('p99_us'))), fmt(m(b, lambda s: s.get('p99_us'))),
                fmt(m(a, cpu_per_io), 1), fmt(m(b, cpu_per_io), 1),
                fmt(m(a, rss)), fmt(m(b, rss)),
                fmt(m(a, rss_anon)), fmt(m(b, rss_anon)),
                '%s / %s' % (fmt(m(a, lambda s: s3_per_gib(s, 'requests'))), fmt(m(b, lambda s: s3_per_gib(s, 'requests'))))
                if s3 else '–',
                '%s / %s' % (fmt(m(a, lambda s: s3_per_gib(s, 'bytes'))), fmt(m(b, lambda s: s3_per_gib(s, 'bytes'))))
                if s3 else '–'))
        if wl.startswith('flush32') and a:
            for s in a:
                segs = sum(v['requests'] for k, v in s['meta'].get('s3', {}).items()
                           if k == BUCKETS['hyperfile'] + ' PUT-segment')
                notes.append('%s rep %s: Hyperfile %s writes, %s flushes sent and completed (fio), %s segment PUTs '
                             '(S3Proxy)%s' % (wl, s['rep'], fmt(s['ios']), fmt(s['flushes']),
                                              fmt(segs) if s3 else '–',
                                              ', %.2f PUTs per flush' % (segs / s['flushes'])
                                              if s3 and s['flushes'] else ''))
    loads = sorted(float(s['meta']['loadavg'][0]) for v in by.values() for s in v if s.get('meta'))
    out = '\n'.join(lines)
    if notes:
        out += '\n\n' + '\n'.join('- ' + n for n in notes)
    if loads:
        out += '\n\n1-min load average at the end of each run: min %.2f, median %.2f, max %.2f (%d runs); %d cores.' % (
            loads[0], statistics.median(loads), loads[-1], len(loads), os.cpu_count())
    print(out)


def gc_summary(results, runs, cfg):
    """run.sh --gc: the same server with GC off (A) and on (B), per workload; ratio B / A per rep and its median."""
    order, by = [], {}
    for r in runs:
        if r['workload'] not in order:
            order.append(r['workload'])
        st = fio_stats(os.path.join(results, r['json']))
        st.update(meta=json.load(open(os.path.join(results, r['json'] + '.meta'))), rep=r['rep'], side=r['side'],
                  store_bytes=r.get('store_bytes'))
        by.setdefault((r['workload'], r['side']), []).append(st)
    s3 = cfg['mode'] == 's3'
    mib = 2 ** 20

    def cpu_per_io(s):
        return s['meta']['cpu_seconds'] * 1e6 / s['ios'] if s['ios'] else None

    def s3_per_gib(s):
        if not s['write_bytes']:
            return None
        total = sum(v['requests'] for k, v in s['meta']['s3'].items()
                    if k.split(' ')[0] == BUCKETS['hyperfile'] and k.split(' ')[1] != 'PUT-segment')
        return total / (s['write_bytes'] / 2 ** 30)

    def both(a, b, f, digits=0):
        return '%s / %s' % (fmt(med([f(s) for s in a]), digits), fmt(med([f(s) for s in b]), digits))

    lines = ['| workload | metric | GC off | GC on | ratio (on / off) | per-rep ratios | p50 µs (off / on) '
             '| p99 µs (off / on) | server CPU µs/IO (off / on) | peak RSS MiB (off / on) '
             '| peak anonymous RSS MiB (off / on) | S3 requests / GiB written (off / on) '
             '| stored MiB after the run (off / on) | GC passes during the run (off / on, per rep) |',
             '|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|']
    notes = []
    for wl in order:
        a = sorted(by.get((wl, 'gc-off'), []), key=lambda s: s['rep'])
        b = sorted(by.get((wl, 'gc-on'), []), key=lambda s: s['rep'])
        if not a or not b:
            continue
        metric, key = ('MiB/s', 'mibs') if wl.startswith('seq') else ('IOPS', 'iops')
        ratios = [y[key] / x[key] for x, y in zip(a, b) if x[key]]
        passes = '%s / %s' % (' '.join(str(s['meta']['gc']['passes']) for s in a),
                              ' '.join(str(s['meta']['gc']['passes']) for s in b))
        lines.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            wl, metric, fmt(med([s[key] for s in a])), fmt(med([s[key] for s in b])), fmt(med(ratios), 2),
            ' '.join(fmt(x, 2) for x in ratios), both(a, b, lambda s: s['p50_us']), both(a, b, lambda s: s['p99_us']),
            both(a, b, cpu_per_io, 1), both(a, b, lambda s: s['meta']['peak_rss_kib'] / 1024),
            both(a, b, lambda s: s['meta'].get('peak_rss_anon_kib', 0) / 1024),
            both(a, b, s3_per_gib) if s3 else '–',
            both(a, b, lambda s: s['store_bytes'] / mib if s['store_bytes'] is not None else None), passes))
        for s in b + [s for s in a if s['meta']['gc']['passes'] or s['meta']['gc']['failed']]:
            g = s['meta']['gc']
            ops = s['meta']['s3']
            req = ', '.join('%s %s' % (fmt(ops.get(BUCKETS['hyperfile'] + ' ' + op, {}).get('requests', 0)), op)
                            for op in ('DELETE', 'LIST', 'HEAD', 'GET')) if s3 else ''
            notes.append('%s rep %s, GC %s (%.1f s incl. settling): %d passes ended, %d failed; deleted %d segments '
                         '(%s MiB); compacted %d segments, moving %s MiB live and %d index paths; at most %d '
                         'unreferenced segments waiting%s%s' % (
                             wl, s['rep'], s['side'][3:], s['meta']['window_seconds'], g['passes'], g['failed'],
                             g['deleted_segments'], fmt(g['deleted_bytes'] / mib, 1), g['compacted_segments'],
                             fmt(g['moved_bytes'] / mib, 1), g['index_paths'], g['waiting_segments_max'],
                             ''.join('; %d× "%s"' % (n, r) for r, n in sorted(g['skipped'].items())),
                             '; S3 requests during the run: ' + req if s3 else ''))
    loads = sorted(float(s['meta']['loadavg'][0]) for v in by.values() for s in v)
    out = 'GC off = `serve --gc off`; GC on = `serve %s`; same volume and store, server restarted and warmed up at ' \
          'each switch.\n\n' % cfg.get('gc_on_args', '') + '\n'.join(lines)
    if notes:
        out += '\n\n' + '\n'.join('- ' + n for n in notes)
    if loads:
        out += '\n\n1-min load average at the end of each run: min %.2f, median %.2f, max %.2f (%d runs); %d cores.' % (
            loads[0], statistics.median(loads), loads[-1], len(loads), os.cpu_count())
    print(out)


def main(argv):
    cmd = argv[1]
    if cmd == 'iolog':
        iolog(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
        return 0
    if cmd == 'wait-port':
        return wait_port(argv[2], int(argv[3]), float(argv[4]))
    if cmd == 'run':
        sep = argv.index('--')
        return run(argv[2], argv[3], argv[4], argv[5], argv[sep + 1:], argv[6] if sep > 6 else None)
    if cmd == 'summary':
        summary(argv[2])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
