package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.cli.it.NbdTestClient;
import io.hyperfile.core.stack.StoreStack;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import io.hyperfile.nbd.server.ServerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code serve --metrics} in process: a real NBD client drives a workload over TCP while the test scrapes
 * {@code /metrics} over HTTP; the counters must equal what was issued, every line of the exposition must parse,
 * and readiness must turn 503 (liveness staying 200) once a second writer takes the served volume over.
 */
class ServeMetricsIT {
    private static final long SIZE = 64L << 20;
    /** A sample line of the Prometheus text format: name, optional labels, value, optional timestamp. */
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\",?)*})? "
                    + "([-+]?(?:[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?|NaN|\\+Inf|-Inf))( -?[0-9]+)?");
    private static final Pattern COMMENT = Pattern.compile("# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* "
            + "(counter|gauge|histogram|summary|untyped|unknown|info|stateset|gaugehistogram))");

    private final HttpClient http = HttpClient.newHttpClient();
    private final InMemoryObjectStore backing = new InMemoryObjectStore();
    private ServeCommand.Running running;
    private ServeMetrics metrics;

    @AfterEach
    void stop() {
        if (running != null) {
            running.stop();
        }
    }

    private void serve(String... volumes) throws Exception {
        VolumeCatalog catalog = new VolumeCatalog(backing);
        for (String v : volumes) {
            catalog.create(v, VolumeOptions.ofSize(SIZE), Clock.systemUTC()).join();
        }
        metrics = new ServeMetrics(new InetSocketAddress("127.0.0.1", 0));
        ObjectStore store = StoreStack.of(backing).stats(metrics.storeStats()).open();
        // Read defragmentation in batches of 16 blocks, so that a few reads of a fragmented range fill one.
        VolumeConfig config = VolumeConfig.builder().readDefragBytes(64 << 10).build();
        running = ServeCommand.start(store, List.of(volumes), List.of(), config, ServerConfig.builder().port(0).build(),
                OpenRetryPolicy.DEFAULT, RetryScheduler.system(), GcService.disabled(), Duration.ofSeconds(60),
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), metrics);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metrics.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Scrapes /metrics, checks that every line parses, and returns the samples by {@code name{labels}}. */
    private Map<String, Double> scrape() throws Exception {
        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                r.headers().toString());
        Map<String, Double> samples = new HashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("#")) {
                assertTrue(COMMENT.matcher(line).matches(), "not a valid comment line: " + line);
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), "not a valid sample line: " + line);
            String key = m.group(1) + (m.group(2) == null ? "" : m.group(2));
            assertFalse(samples.containsKey(key), "sample twice: " + key);
            samples.put(key, Double.parseDouble(m.group(3)));
        }
        return samples;
    }

    private static double value(Map<String, Double> samples, String key) {
        Double v = samples.get(key);
        if (v == null) {
            throw new AssertionError("no sample " + key + " in " + new java.util.TreeSet<>(samples.keySet()));
        }
        return v;
    }

    @Test
    @Timeout(120)
    void countersEqualTheWorkloadIssuedOverNbd() throws Exception {
        serve("v");
        int port = running.port();
        int writes = 200;
        int writeBytes = 4096;
        int reads = 37;
        int readBytes = 65536;
        Random random = new Random(7);
        try (NbdTestClient client = NbdTestClient.connect("127.0.0.1", port, "v")) {
            List<CompletableFuture<?>> issued = new ArrayList<>();
            for (int i = 0; i < writes; i++) {
                byte[] block = new byte[writeBytes];
                random.nextBytes(block);
                issued.add(client.write((long) i * 3 * writeBytes, block, 0)); // distinct blocks: all stay live
                if (i == writes / 2) {
                    // A scrape in the middle of the workload: it parses, and no count is ahead of what was issued.
                    Map<String, Double> mid = scrape();
                    assertTrue(mid.getOrDefault("hyperfile_nbd_requests_total{export=\"v\",op=\"write\"}", 0.0) <= i + 1, mid.toString());
                }
            }
            for (int i = 0; i < reads; i++) {
                issued.add(client.read((long) i * readBytes, readBytes));
            }
            CompletableFuture.allOf(issued.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            client.flush().get(60, TimeUnit.SECONDS);

            Map<String, Double> s = scrape();
            String v = "export=\"v\"";
            assertEquals(writes, value(s, "hyperfile_nbd_requests_total{" + v + ",op=\"write\"}"));
            assertEquals(reads, value(s, "hyperfile_nbd_requests_total{" + v + ",op=\"read\"}"));
            assertEquals(1, value(s, "hyperfile_nbd_requests_total{" + v + ",op=\"flush\"}"));
            assertEquals((double) writes * writeBytes, value(s, "hyperfile_nbd_bytes_total{direction=\"write\"," + v + "}"));
            assertEquals((double) reads * readBytes, value(s, "hyperfile_nbd_bytes_total{direction=\"read\"," + v + "}"));
            assertEquals(writes, value(s, "hyperfile_nbd_request_duration_seconds_count{" + v + ",op=\"write\"}"));
            assertEquals(writes, value(s, "hyperfile_nbd_request_duration_seconds_bucket{" + v + ",op=\"write\",le=\"+Inf\"}"));
            assertEquals(0, value(s, "hyperfile_nbd_requests_in_flight{" + v + "}"));
            assertEquals(1, value(s, "hyperfile_nbd_connections{" + v + "}"));
            assertEquals(1, value(s, "hyperfile_nbd_connections_accepted_total"));
            assertEquals(0, value(s, "hyperfile_nbd_request_errors_total{" + v + ",op=\"write\"}"));

            // The flush made the writes durable: at least one segment went to the store as a conditional create.
            double segments = value(s, "hyperfile_volume_segments_uploaded_total{volume=\"v\"}");
            assertTrue(segments >= 1, "segments " + segments);
            double uploaded = value(s, "hyperfile_volume_uploaded_bytes_total{volume=\"v\"}");
            assertTrue(uploaded >= (double) writes * writeBytes, "uploaded " + uploaded);
            assertTrue(value(s, "hyperfile_store_requests_total{op=\"create\"}") >= segments);
            assertTrue(value(s, "hyperfile_store_request_duration_seconds_count{op=\"create\"}") >= segments);
            assertEquals(1, value(s, "hyperfile_volume_flush_duration_seconds_count{volume=\"v\"}"));
            assertEquals(0, value(s, "hyperfile_volume_dirty_bytes{volume=\"v\"}"), "everything is durable after the flush");
            // The flush saved index nodes, and the cache keeps what it saved.
            assertTrue(value(s, "hyperfile_volume_index_nodes{volume=\"v\"}") >= 1);
            assertTrue(value(s, "hyperfile_volume_index_cache_bytes{volume=\"v\"}") > 0);
            value(s, "hyperfile_volume_index_cache_hits_total{volume=\"v\"}"); // exported (value() fails on a missing one)
            value(s, "hyperfile_volume_index_cache_misses_total{volume=\"v\"}");
            assertEquals(1, value(s, "hyperfile_volume_state{state=\"open\",volume=\"v\"}"));
            assertEquals(0, value(s, "hyperfile_volume_state{state=\"fenced\",volume=\"v\"}"));
            assertTrue(value(s, "jvm_memory_used_bytes{area=\"heap\"}") > 0);

            HttpResponse<String> ready = get("/health/ready");
            assertEquals(200, ready.statusCode(), ready.body());
            assertEquals("ready: 1 volume served\n", ready.body());

            // Every third block holds data: a 128 KiB read is 11 pieces of 4 KiB, which read defragmentation takes.
            // The first fills 11 of the batch's 16 blocks, the second fills it and hands it over.
            assertEquals(0, value(s, "hyperfile_volume_read_defrag_bytes_total{volume=\"v\"}"), "no 64 KiB read had 8 pieces");
            client.read(0, 128 << 10).get(60, TimeUnit.SECONDS);
            client.read(128 << 10, 128 << 10).get(60, TimeUnit.SECONDS);
            client.flush().get(60, TimeUnit.SECONDS);
            assertEquals(16.0 * 4096, value(scrape(), "hyperfile_volume_read_defrag_bytes_total{volume=\"v\"}"));
        }
        assertEquals(404, get("/nope").statusCode());
    }

    @Test
    @Timeout(120)
    void readinessTurns503WhenAnotherWriterTakesTheVolumeOverWhileLivenessStays200() throws Exception {
        serve("v", "w");
        assertEquals(200, get("/health/ready").statusCode());
        try (NbdTestClient client = NbdTestClient.connect("127.0.0.1", running.port(), "v")) {
            client.write(0, new byte[4096], 0).get(30, TimeUnit.SECONDS);
            client.flush().get(30, TimeUnit.SECONDS);
            // A second writer opens v: it claims the next seq, so the server's next upload finds it taken.
            Volume other = new VolumeCatalog(backing).open("v", VolumeConfig.DEFAULT).join();
            try {
                client.write(4096, new byte[4096], 0).get(30, TimeUnit.SECONDS);
                ExecutionException failed = assertThrows(ExecutionException.class, () -> client.flush().get(30, TimeUnit.SECONDS));
                assertTrue(failed.getCause() instanceof IOException, failed.toString());
            } finally {
                other.close().join();
            }
        }
        HttpResponse<String> ready = get("/health/ready");
        assertEquals(503, ready.statusCode());
        assertEquals("not ready: volume v is fenced (another writer took it over)\n", ready.body());
        HttpResponse<String> live = get("/health/live");
        assertEquals(200, live.statusCode());
        assertEquals("live\n", live.body());

        Map<String, Double> s = scrape();
        assertEquals(1, value(s, "hyperfile_volume_state{state=\"fenced\",volume=\"v\"}"));
        assertEquals(0, value(s, "hyperfile_volume_state{state=\"open\",volume=\"v\"}"));
        assertEquals(1, value(s, "hyperfile_volume_state{state=\"open\",volume=\"w\"}"));
        assertEquals(1, value(s, "hyperfile_nbd_request_errors_total{export=\"v\",op=\"flush\"}"));
        assertTrue(value(s, "hyperfile_store_errors_total{kind=\"precondition\",op=\"create\"}") >= 1,
                "the taken-over create failed its precondition");
    }
}
