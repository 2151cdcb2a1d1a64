package io.hyperfile.nbd.tls;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What TLS a server offers: the mode, the certificate directory (laid out as nbdkit and qemu lay it out:
 * {@code server-cert.pem}, {@code server-key.pem} and, for verifying clients, {@code ca-cert.pem}) and whether a
 * client must present a certificate signed by that CA.
 *
 * @param mode off, on or require
 * @param certificates the certificate directory; null only with {@link TlsMode#OFF}
 * @param verifyPeer require a client certificate signed by {@code ca-cert.pem}
 */
public record TlsSettings(TlsMode mode, Path certificates, boolean verifyPeer) {
    /** No TLS: {@code STARTTLS} is refused with {@code ERR_POLICY}. */
    public static final TlsSettings OFF = new TlsSettings(TlsMode.OFF, null, false);

    public TlsSettings {
        Objects.requireNonNull(mode, "mode");
        if (mode != TlsMode.OFF && certificates == null) {
            throw new IllegalArgumentException("--tls " + mode.label() + " needs --tls-certificates DIR (a directory with "
                    + TlsCertificates.SERVER_CERT + " and " + TlsCertificates.SERVER_KEY + ")");
        }
        if (mode == TlsMode.OFF && certificates != null) {
            throw new IllegalArgumentException("--tls-certificates has no effect with --tls off: add --tls on or --tls require");
        }
        if (mode == TlsMode.OFF && verifyPeer) {
            throw new IllegalArgumentException("--tls-verify-peer needs --tls on or --tls require");
        }
    }
}
