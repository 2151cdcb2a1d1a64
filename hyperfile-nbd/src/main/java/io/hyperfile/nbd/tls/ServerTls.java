package io.hyperfile.nbd.tls;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.security.cert.X509Certificate;
import java.util.Date;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's TLS: its {@link TlsMode} and, unless off, the {@link SslContext} that {@code STARTTLS} upgrades
 * connections with. Immutable and shared by all connections.
 *
 * <p>Provider: OpenSSL (BoringSSL from {@code netty-tcnative-boringssl-static}) where its native library loads,
 * else the JDK's. Protocols TLS 1.3 and 1.2 (the NBD specification requires 1.2 and allows later versions). With
 * {@link TlsSettings#verifyPeer()} a client must present a certificate signed by the directory's
 * {@code ca-cert.pem}; its subject then becomes the channel's {@link TlsPeer}.
 *
 * <p>{@link #upgrade} is the one step of {@code STARTTLS} after the server's {@code ACK}: an {@link SslHandler}
 * (server mode) goes to the front of the pipeline, followed by a {@link TlsHandshakeWatcher}; everything read from
 * then on is TLS.
 */
public final class ServerTls {
    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    /** System property that forces the JDK provider when set to {@code jdk}. */
    public static final String PROVIDER_PROPERTY = "hyperfile.tls.provider";
    /** NOTLS: {@code STARTTLS} is refused with {@code ERR_POLICY}. */
    public static final ServerTls OFF = new ServerTls(TlsMode.OFF, null, false, "none");

    private final TlsMode mode;
    private final SslContext context;
    private final boolean verifyPeer;
    private final String provider;

    private ServerTls(TlsMode mode, SslContext context, boolean verifyPeer, String provider) {
        this.mode = mode;
        this.context = context;
        this.verifyPeer = verifyPeer;
        this.provider = provider;
    }

    /**
     * The TLS of {@code settings}, with OpenSSL if it loads, else the JDK provider. The system property
     * {@value #PROVIDER_PROPERTY}{@code =jdk} picks the JDK provider even where OpenSSL loads (for comparisons).
     */
    public static ServerTls create(TlsSettings settings) {
        boolean jdk = "jdk".equalsIgnoreCase(System.getProperty(PROVIDER_PROPERTY, "")) || !OpenSsl.isAvailable();
        return create(settings, jdk ? SslProvider.JDK : SslProvider.OPENSSL);
    }

    /**
     * The TLS of {@code settings} with the given provider. Reads and checks the certificate directory
     * ({@link TlsCertificates#load}); bad files are an {@link IllegalArgumentException} with one line.
     */
    public static ServerTls create(TlsSettings settings, SslProvider sslProvider) {
        if (settings.mode() == TlsMode.OFF) {
            return OFF;
        }
        TlsCertificates certs = TlsCertificates.load(settings.certificates(), settings.verifyPeer());
        warnIfNotValidNow(certs.chain().get(0));
        SslContextBuilder b = SslContextBuilder.forServer(certs.key(), certs.chain().toArray(X509Certificate[]::new))
                .sslProvider(sslProvider)
                .protocols("TLSv1.3", "TLSv1.2");
        if (settings.verifyPeer()) {
            b.trustManager(certs.authorities().toArray(X509Certificate[]::new)).clientAuth(ClientAuth.REQUIRE);
        }
        try {
            return new ServerTls(settings.mode(), b.build(), settings.verifyPeer(), describe(sslProvider));
        } catch (SSLException | RuntimeException e) {
            throw new IllegalArgumentException("cannot use the certificates in " + settings.certificates() + ": " + e.getMessage(), e);
        }
    }

    private static String describe(SslProvider p) {
        return p == SslProvider.JDK ? "JDK " + System.getProperty("java.version") : "OpenSSL (" + OpenSsl.versionString() + ")";
    }

    private static void warnIfNotValidNow(X509Certificate cert) {
        Date now = new Date();
        if (now.after(cert.getNotAfter())) {
            LOG.warn("the server certificate ({}) expired on {}: clients will refuse it", cert.getSubjectX500Principal().getName(),
                    cert.getNotAfter());
        } else if (now.before(cert.getNotBefore())) {
            LOG.warn("the server certificate ({}) is not valid before {}: clients will refuse it",
                    cert.getSubjectX500Principal().getName(), cert.getNotBefore());
        }
    }

    public TlsMode mode() {
        return mode;
    }

    /** Whether {@code STARTTLS} is answered with {@code ACK} (mode on or require). */
    public boolean isOffered() {
        return mode != TlsMode.OFF;
    }

    /** Whether options other than {@code STARTTLS} and {@code ABORT} are refused before TLS (mode require). */
    public boolean isRequired() {
        return mode == TlsMode.REQUIRE;
    }

    /** Whether clients must present a certificate signed by the configured CA. */
    public boolean verifiesPeers() {
        return verifyPeer;
    }

    /** The TLS implementation in use, e.g. "OpenSSL (BoringSSL)" or "JDK 17.0.15"; "none" when off. */
    public String provider() {
        return provider;
    }

    /**
     * Switches {@code ctx}'s channel to TLS, server side: call right after the {@code ACK} of {@code STARTTLS} was
     * written. {@code early} (may be null; released here) holds bytes the client sent behind {@code STARTTLS} without
     * waiting for the ACK: the start of its TLS handshake, which is handed to the new handler. The TLS handshake
     * times out after {@code handshakeTimeoutMillis} (0: never), as the option haggling does.
     */
    public void upgrade(ChannelHandlerContext ctx, ByteBuf early, long handshakeTimeoutMillis) {
        if (context == null) {
            throw new IllegalStateException("TLS is off");
        }
        SslHandler ssl = context.newHandler(ctx.alloc());
        ssl.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
        ChannelPipeline p = ctx.pipeline();
        p.addFirst("tls", ssl);
        p.addAfter("tls", "tls-watch", new TlsHandshakeWatcher(verifyPeer));
        if (early != null) {
            p.fireChannelRead(early);
            p.fireChannelReadComplete();
        }
    }

    @Override
    public String toString() {
        return "TLS " + mode.label() + (isOffered() ? " (" + provider + (verifyPeer ? ", client certificates verified" : "") + ")" : "");
    }
}
