package io.hyperfile.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint of {@code serve --metrics}: the JDK's {@link HttpServer} on one daemon thread
 * {@code hf-metrics}, with
 * <ul>
 *   <li>{@code /metrics}: the registry in the Prometheus text format (the Prometheus client's {@link MetricsHandler},
 *   which also answers OpenMetrics when asked);
 *   <li>{@code /health/live}: 200 {@code live} as long as the process answers;
 *   <li>{@code /health/ready}: 200 when {@link Readiness} says so, else 503 with its reason (plain text).
 * </ul>
 * Anything else is 404. Thread-safe; {@link #close()} stops it at once.
 */
final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Listens on {@code address}; an {@link IOException} naming the address if it cannot. */
    static MetricsServer start(InetSocketAddress address, PrometheusRegistry registry, Supplier<Readiness.Verdict> readiness)
            throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new IOException("cannot listen for metrics on " + address.getHostString() + ":" + address.getPort() + ": "
                    + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "hf-metrics");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", new MetricsHandler(registry));
        server.createContext("/health/live", exchange -> answer(exchange, 200, "live\n"));
        server.createContext("/health/ready", exchange -> {
            Readiness.Verdict v = readiness.get();
            answer(exchange, v.ready() ? 200 : 503, v.reason() + "\n");
        });
        server.createContext("/", exchange -> answer(exchange, 404,
                "not found; try /metrics, /health/live or /health/ready\n"));
        server.start();
        LOG.info("metrics on http://{}:{}/metrics", address.getHostString(), server.getAddress().getPort());
        return new MetricsServer(server, executor);
    }

    /** The bound port (useful with port 0). */
    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
