package io.hyperfile.nbd.tls;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The client a TLS connection verified: the subject of the certificate it presented, checked against the server's
 * CA ({@code --tls-verify-peer}). For access control: once the TLS handshake succeeded, {@link #of(Channel)} gives it
 * for a channel (from any handler, e.g. the option handler at {@code GO}, which only sees options sent after the
 * handshake). Without TLS, or without a verified client certificate, it is empty.
 *
 * @param subject the certificate's subject as an RFC 2253 name, e.g. {@code CN=backup-1,O=Example}
 * @param commonName the subject's (last) CN, or "" if it has none
 */
public record TlsPeer(String subject, String commonName) {
    /** Set on the channel by {@link TlsHandshakeWatcher} when a handshake verified a client certificate. */
    public static final AttributeKey<TlsPeer> ATTRIBUTE = AttributeKey.valueOf(TlsPeer.class, "peer");

    /** The verified client of {@code channel}, if its TLS handshake verified one. */
    public static Optional<TlsPeer> of(Channel channel) {
        return Optional.ofNullable(channel.attr(ATTRIBUTE).get());
    }

    /** Whether {@code channel} has been upgraded to TLS (STARTTLS acknowledged; the handshake may still be running). */
    public static boolean isTls(Channel channel) {
        return channel.pipeline().get(SslHandler.class) != null;
    }

    /** The identity in {@code certificate}. */
    public static TlsPeer of(X509Certificate certificate) {
        String subject = certificate.getSubjectX500Principal().getName();
        String cn = "";
        try {
            for (Rdn rdn : new LdapName(subject).getRdns()) { // least significant last
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    cn = String.valueOf(rdn.getValue());
                }
            }
        } catch (InvalidNameException e) {
            // an X500Principal always has an RFC 2253 form; keep the CN empty if it cannot be parsed
        }
        return new TlsPeer(subject, cn);
    }
}
