package io.hyperfile.cli;

import java.net.InetSocketAddress;
import picocli.CommandLine.Option;

/**
 * {@code --metrics HOST:PORT}: where {@code serve} answers HTTP for Prometheus ({@code /metrics}) and for health
 * checks ({@code /health/live}, {@code /health/ready}); see docs/METRICS.md. Off unless given.
 */
final class MetricsOptions {
    @Option(names = "--metrics", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics on http://HOST:PORT/metrics and health checks on /health/live and"
                    + " /health/ready (default: off). Example: 127.0.0.1:9400.")
    String metrics;

    /** Whether {@code --metrics} was given. */
    boolean isEnabled() {
        return metrics != null;
    }

    /**
     * The address to listen on, resolved; an {@link IllegalArgumentException} with one line if it is not HOST:PORT
     * or the host is unknown.
     */
    InetSocketAddress address() {
        InetSocketAddress parsed = HostPort.parse("--metrics", metrics, "127.0.0.1:9400");
        InetSocketAddress address = new InetSocketAddress(parsed.getHostString(), parsed.getPort());
        if (address.isUnresolved()) {
            throw HostPort.invalid("--metrics", metrics, "unknown host '" + parsed.getHostString() + "'");
        }
        return address;
    }
}
