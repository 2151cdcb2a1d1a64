package io.hyperfile.nbd.server;

import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * What the metrics cost one NBD request on the event loop, in CPU nanoseconds of this thread: the calls the
 * transmission handler makes when the server counts ({@link ExportStats#received}, two clock reads,
 * {@link ExportStats#completed} with a classic Prometheus histogram observation, {@link ExportStats#answered}),
 * measured over many requests after a warm-up, as the median of several rounds. Thread CPU time, not wall time, so
 * that other load on the machine does not count. A test-scope tool for docs/METRICS.md:
 * <pre>
 *   java -cp "$(cat cp.txt):hyperfile-cli/target/test-classes:hyperfile-cli/target/classes" \
 *       io.hyperfile.nbd.server.MetricsHookCostMain
 * </pre>
 */
public final class MetricsHookCostMain {
    private static final int REQUESTS = 5_000_000;
    private static final int ROUNDS = 7;

    private MetricsHookCostMain() {
    }

    public static void main(String[] args) {
        Histogram h = Histogram.builder().name("cost_seconds").help("h").labelNames("export", "op").classicOnly()
                .classicUpperBounds(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                        0.5, 1, 2.5, 5, 10)
                .withoutExemplars().register(new PrometheusRegistry());
        NbdStats stats = new NbdStats((export, op) -> {
            DistributionDataPoint p = h.labelValues(export, op);
            return nanos -> p.observe(nanos / 1e9);
        });
        ExportStats e = stats.export("disk");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] perRound = new long[ROUNDS];
        long sink = 0;
        for (int round = -3; round < ROUNDS; round++) { // three warm-up rounds
            long cpu = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < REQUESTS; i++) {
                e.received(1);
                long start = e.nanoTime();
                e.completed(1, 4096, e.nanoTime() - start, false);
                e.answered();
                sink += start;
            }
            if (round >= 0) {
                perRound[round] = threads.getCurrentThreadCpuTime() - cpu;
            }
        }
        java.util.Arrays.sort(perRound);
        System.out.printf("metrics hooks: %.1f ns CPU per request (median of %d rounds of %d; min %.1f, max %.1f)%s%n",
                (double) perRound[ROUNDS / 2] / REQUESTS, ROUNDS, REQUESTS, (double) perRound[0] / REQUESTS,
                (double) perRound[ROUNDS - 1] / REQUESTS, sink == 42 ? "" : "");
        System.out.printf("requests counted: %d, bytes: %d%n", e.requests("write"), e.bytesWritten());
    }
}
