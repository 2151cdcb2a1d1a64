package io.hyperfile.nbd.access;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.security.auth.x500.X500Principal;

/**
 * What the allow-list knows of a client: the address it connects from (null on the Unix-domain socket), whether it
 * came through the Unix-domain socket, and the certificate it presented in a finished TLS handshake (null without TLS
 * or without a client certificate). A certificate in the TLS session has been verified by the handshake, which fails
 * otherwise.
 */
public record Peer(InetAddress address, boolean isUnixSocket, X509Certificate certificate) {

    /** A TCP client without a certificate. */
    public static Peer tcp(InetAddress address) {
        return new Peer(address, false, null);
    }

    /**
     * The client of a channel: its remote address, and the peer certificate of the channel's {@link SslHandler} if
     * there is one whose handshake succeeded.
     */
    public static Peer of(Channel channel) {
        InetAddress address = channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        boolean unix = channel.remoteAddress() instanceof io.netty.channel.unix.DomainSocketAddress
                || channel instanceof io.netty.channel.unix.DomainSocketChannel;
        return new Peer(address, unix, certificateOf(channel));
    }

    private static X509Certificate certificateOf(Channel channel) {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl == null || !ssl.handshakeFuture().isSuccess()) {
            return null;
        }
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
        } catch (SSLPeerUnverifiedException e) {
            return null; // TLS without a client certificate
        }
    }

    /** The values of the CN attributes of the certificate's subject, in the order of its RFC 2253 text. */
    public static List<String> commonNames(X509Certificate certificate) {
        try {
            List<Rdn> rdns = new LdapName(certificate.getSubjectX500Principal().getName(X500Principal.RFC2253)).getRdns();
            List<String> names = new ArrayList<>();
            for (Rdn rdn : rdns) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    names.add(0, String.valueOf(rdn.getValue()));
                }
            }
            return names;
        } catch (InvalidNameException e) {
            return List.of(); // the JDK produced the name; it parses
        }
    }

    /** The 4 bytes of an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}); other addresses unchanged. */
    static byte[] unmapped(byte[] address) {
        if (address.length != 16) {
            return address;
        }
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return address;
            }
        }
        if (address[10] != (byte) 0xFF || address[11] != (byte) 0xFF) {
            return address;
        }
        return Arrays.copyOfRange(address, 12, 16);
    }

    /** For log lines: the address, "unix socket", plus the certificate subject if any. */
    public String describe() {
        String where = isUnixSocket ? "unix socket" : address == null ? "unknown address" : address.getHostAddress();
        return certificate == null ? where : where + " (" + certificate.getSubjectX500Principal().getName() + ")";
    }
}
