package io.hyperfile.cli;

import java.net.InetSocketAddress;

/** {@code HOST:PORT} option values ({@code --listen}, {@code --metrics}); an IPv6 host may be bracketed. */
final class HostPort {
    private HostPort() {
    }

    /**
     * {@code text} as an unresolved address; an {@link IllegalArgumentException} with one line naming {@code option}
     * and showing {@code example} if it is not HOST:PORT with a port in 0..65535.
     */
    static InetSocketAddress parse(String option, String text, String example) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw invalid(option, text, "use HOST:PORT, e.g. " + example);
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw invalid(option, text, "the port must be a number");
        }
        if (port < 0 || port > 65535) {
            throw invalid(option, text, "the port must be in 0..65535");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    static IllegalArgumentException invalid(String option, String text, String why) {
        return new IllegalArgumentException("invalid " + option + " '" + text + "': " + why);
    }
}
