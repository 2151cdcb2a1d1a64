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
        int colon = metrics.lastIndexOf(':');
        if (colon <= 0 || colon == metrics.length() - 1) {
            throw invalid("use HOST:PORT, e.g. 127.0.0.1:9400");
        }
        String host = metrics.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(metrics.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw invalid("the port must be a number");
        }
        if (port < 0 || port > 65535) {
            throw invalid("the port must be in 0..65535");
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw invalid("unknown host '" + host + "'");
        }
        return address;
    }

    private IllegalArgumentException invalid(String why) {
        return new IllegalArgumentException("invalid --metrics '" + metrics + "': " + why);
    }
}
