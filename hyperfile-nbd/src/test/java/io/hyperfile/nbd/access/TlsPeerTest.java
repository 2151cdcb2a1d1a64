package io.hyperfile.nbd.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Peer#of} on a channel whose pipeline has an {@link SslHandler} after a real TLS handshake (two
 * EmbeddedChannels passing bytes; certificates made by openssl): the verified client certificate is found and
 * certificate rules match it; without a client certificate they do not. This is the path the handshake's GO takes
 * once STARTTLS has put an SslHandler in the pipeline.
 */
class TlsPeerTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void makeCertificates() throws Exception {
        openssl("server", "/CN=hyperfile-server");
        openssl("client", "/O=Example/CN=client1");
    }

    private static void openssl(String name, String subject) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", dir.resolve(name + ".key").toString(), "-out", dir.resolve(name + ".pem").toString(), "-subj", subject,
                    "-days", "1").redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("openssl is not installed: " + e.getMessage());
            return;
        }
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl failed: " + output);
    }

    private static File file(String name) {
        return dir.resolve(name).toFile();
    }

    /** Runs a TLS handshake between a client and a server channel; returns the server channel. */
    private static EmbeddedChannel handshake(boolean clientCertificate) throws Exception {
        SslContext server = SslContextBuilder.forServer(file("server.pem"), file("server.key")).sslProvider(SslProvider.JDK)
                .trustManager(file("client.pem")).clientAuth(ClientAuth.OPTIONAL).build();
        SslContextBuilder cb = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(file("server.pem"))
                .endpointIdentificationAlgorithm(null);
        if (clientCertificate) {
            cb.keyManager(file("client.pem"), file("client.key"));
        }
        EmbeddedChannel s = new EmbeddedChannel(server.newHandler(io.netty.buffer.ByteBufAllocator.DEFAULT));
        EmbeddedChannel c = new EmbeddedChannel(cb.build().newHandler(io.netty.buffer.ByteBufAllocator.DEFAULT));
        SslHandler serverTls = s.pipeline().get(SslHandler.class);
        SslHandler clientTls = c.pipeline().get(SslHandler.class);
        for (int round = 0; round < 100 && !(serverTls.handshakeFuture().isDone() && clientTls.handshakeFuture().isDone()); round++) {
            pass(c, s);
            pass(s, c);
        }
        assertTrue(serverTls.handshakeFuture().isSuccess(), String.valueOf(serverTls.handshakeFuture().cause()));
        c.finishAndReleaseAll();
        return s;
    }

    private static void pass(EmbeddedChannel from, EmbeddedChannel to) {
        ByteBuf b;
        while ((b = from.readOutbound()) != null) {
            to.writeInbound(b);
        }
        from.runPendingTasks();
        to.runPendingTasks();
    }

    @Test
    void theVerifiedClientCertificateOfTheTlsSessionIsMatched() throws Exception {
        EmbeddedChannel s = handshake(true);
        Peer peer = Peer.of(s);
        assertNotNull(peer.certificate());
        assertEquals("CN=client1,O=Example", peer.certificate().getSubjectX500Principal().getName());
        AccessPolicy policy = AccessPolicy.parse(List.of("disk0=cn:client1", "disk1=subject:CN=client1,O=Example",
                "disk2=cn:client2"));
        assertTrue(policy.allows("disk0", peer));
        assertTrue(policy.allows("disk1", peer));
        assertFalse(policy.allows("disk2", peer));
        s.finishAndReleaseAll();
    }

    @Test
    void tlsWithoutAClientCertificateMatchesNoCertificateRule() throws Exception {
        EmbeddedChannel s = handshake(false);
        Peer peer = Peer.of(s);
        assertNull(peer.certificate());
        assertFalse(AccessPolicy.parse(List.of("cn:client1")).allows("disk0", peer));
        s.finishAndReleaseAll();
    }
}
