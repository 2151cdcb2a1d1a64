package io.hyperfile.nbd.tls;

import java.util.Locale;

/**
 * How a server treats TLS, in the terms of the NBD specification's TLS section.
 *
 * <ul>
 * <li>{@link #OFF}: NOTLS. {@code STARTTLS} gets {@code ERR_POLICY}; no option ever gets {@code ERR_TLS_REQD}.
 * <li>{@link #ON}: SELECTIVETLS with no TLS-only export. {@code STARTTLS} upgrades the connection; clients that never
 *     ask are served in plain text.
 * <li>{@link #REQUIRE}: FORCEDTLS. Before TLS every option but {@code STARTTLS} and {@code ABORT} gets
 *     {@code ERR_TLS_REQD}, and {@code EXPORT_NAME} (which has no error reply) closes the connection.
 * </ul>
 */
public enum TlsMode {
    OFF, ON, REQUIRE;

    /** Parses {@code off}, {@code on} or {@code require} (any case); {@link IllegalArgumentException} otherwise. */
    public static TlsMode parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid --tls '" + text + "': use off, on or require", e);
        }
    }

    /** The lower-case name used on the command line. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
