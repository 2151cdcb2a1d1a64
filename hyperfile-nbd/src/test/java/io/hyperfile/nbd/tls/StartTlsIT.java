package io.hyperfile.nbd.tls;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.server.ServerConfig;
import io.hyperfile.nbd.testing.ServerFixture;
import io.hyperfile.nbd.testing.StartTlsClient;
import io.hyperfile.nbd.testing.TestCertificates;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * STARTTLS end to end on loopback, with the JDK's TLS client layered over the plain socket: the three modes, option
 * state after the upgrade, client certificates, failures that close only their own connection, and both providers
 * with every key form.
 */
class StartTlsIT {
    @TempDir
    static Path certRoot;
    private static TestCertificates certs;
    private ServerFixture fixture;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.create(certRoot);
    }

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private int serve(TlsMode mode, String dir, boolean verifyPeer) throws IOException {
        return serve(ServerTls.create(new TlsSettings(mode, mode == TlsMode.OFF ? null : certs.dir(dir), verifyPeer)),
                ServerConfig.builder().port(0).build());
    }

    private int serve(ServerTls tls, ServerConfig config) throws IOException {
        fixture = new ServerFixture();
        fixture.addVolume("disk", 16 << 20);
        fixture.startWith(config, tls);
        return fixture.port();
    }

    private static byte[] exportQuery(String name) {
        byte[] n = name.getBytes();
        byte[] d = new byte[4 + n.length + 2];
        d[3] = (byte) n.length;
        System.arraycopy(n, 0, d, 4, n.length);
        return d;
    }

    @Test
    void requireRefusesEveryOptionButStartTlsAndAbortBeforeTls() throws Exception {
        int port = serve(TlsMode.REQUIRE, "server", false);
        try (StartTlsClient c = StartTlsClient.connect(port)) {
            assertEquals(REP_ERR_TLS_REQD, c.optionResult(OPT_LIST, new byte[0]));
            assertEquals(REP_ERR_TLS_REQD, c.optionResult(OPT_INFO, exportQuery("disk")));
            assertEquals(REP_ERR_TLS_REQD, c.optionResult(OPT_GO, exportQuery("disk")));
            assertEquals(REP_ERR_TLS_REQD, c.optionResult(OPT_STRUCTURED_REPLY, new byte[0]));
            assertEquals(REP_ERR_TLS_REQD, c.optionResult(99, new byte[3]));
            assertEquals(REP_ERR_TLS_REQD, c.optionResult(OPT_LIST, new byte[100 << 10]), "an oversized option too");
            List<StartTlsClient.OptionReply> r = c.option(OPT_LIST, new byte[0]);
            assertTrue(r.get(0).text().contains("STARTTLS"), r.get(0).text());
            assertEquals(REP_ERR_INVALID, c.optionResult(OPT_STARTTLS, new byte[1]));
            assertEquals(REP_ACK, c.optionResult(OPT_ABORT, new byte[0]));
        }
        try (StartTlsClient c = StartTlsClient.connect(port)) {
            c.send(OPT_EXPORT_NAME, "disk".getBytes());
            assertTrue(c.closedByServer(), "EXPORT_NAME without TLS must close the connection");
        }
    }

    @Test
    void afterStartTlsOptionsAndTransmissionRunOverTls() throws Exception {
        int port = serve(TlsMode.REQUIRE, "server", false);
        try (StartTlsClient c = StartTlsClient.connect(port)) {
            c.startTls(certs.dir("client-anonymous"));
            List<StartTlsClient.OptionReply> list = c.option(OPT_LIST, new byte[0]);
            assertEquals(REP_SERVER, list.get(0).type());
            assertTrue(list.get(0).text().contains("disk"));
            assertEquals(REP_ERR_INVALID, c.optionResult(OPT_STARTTLS, new byte[0]), "STARTTLS twice");
            assertTrue(c.go("disk"));
            byte[] data = new byte[64 << 10];
            new Random(1).nextBytes(data);
            assertEquals(0, c.write(4096, data));
            assertArrayEquals(data, c.read(4096, data.length));
        }
    }

    @Test
    void startTlsForgetsWhatWasNegotiatedBefore() throws Exception {
        int port = serve(TlsMode.ON, "server", false);
        try (StartTlsClient c = StartTlsClient.connect(port)) {
            assertEquals(REP_ACK, c.optionResult(OPT_STRUCTURED_REPLY, new byte[0]));
            c.startTls(certs.dir("client-anonymous"));
            byte[] query = new byte[] {0, 0, 0, 4, 'd', 'i', 's', 'k', 0, 0, 0, 0};
            assertEquals(REP_ERR_INVALID, c.optionResult(OPT_SET_META_CONTEXT, query),
                    "structured replies must be negotiated again after STARTTLS");
        }
    }

    @Test
    void onServesPlainClientsAndTlsClients() throws Exception {
        int port = serve(TlsMode.ON, "server", false);
        try (StartTlsClient plain = StartTlsClient.connect(port)) {
            assertTrue(plain.go("disk"));
            assertEquals(0, plain.write(0, new byte[] {1, 2, 3}));
        }
        try (StartTlsClient tls = StartTlsClient.connect(port)) {
            tls.startTls(certs.dir("client-anonymous"));
            assertTrue(tls.go("disk"));
            assertArrayEquals(new byte[] {1, 2, 3}, tls.read(0, 3));
        }
    }

    @Test
    void offRefusesStartTlsByPolicyAndNeverRequiresTls() throws Exception {
        int port = serve(ServerTls.OFF, ServerConfig.builder().port(0).build());
        try (StartTlsClient c = StartTlsClient.connect(port)) {
            assertEquals(REP_ERR_POLICY, c.optionResult(OPT_STARTTLS, new byte[0]));
            assertEquals(REP_ERR_INVALID, c.optionResult(OPT_STARTTLS, new byte[2]));
            assertTrue(c.go("disk"));
        }
    }

    @Test
    void verifyPeerAcceptsOnlyClientsWithACertificateFromTheCa() throws Exception {
        int port = serve(TlsMode.REQUIRE, "server", true);
        for (String bad : List.of("client-anonymous", "client-rogue", "client-expired")) {
            assertTrue(refused(port, bad), bad + " must be refused");
        }
        try (StartTlsClient c = StartTlsClient.connect(port)) {
            c.startTls(certs.dir("client"));
            assertTrue(c.go("disk"), "a client with a certificate from the CA is served after the failures");
        }
    }

    @Test
    void clientsRefuseAServerCertificateFromAnotherCaOrExpired() throws Exception {
        for (String dir : List.of("server-rogue", "server-expired")) {
            int port = serve(TlsMode.REQUIRE, dir, false);
            assertTrue(refused(port, "client-anonymous"), dir + " must be refused by the client");
            fixture.close();
            fixture = null;
        }
    }

    /** Whether STARTTLS and one option over TLS fail for a client with the certificates in {@code clientDir}. */
    private static boolean refused(int port, String clientDir) throws Exception {
        try (StartTlsClient c = StartTlsClient.connect(port)) {
            try {
                c.startTls(certs.dir(clientDir));
                // TLS 1.3: the client may finish before the server checked its certificate; the refusal comes next
                c.option(OPT_LIST, new byte[0]);
                return false;
            } catch (IOException e) {
                return true;
            }
        }
    }

    @Test
    void aStalledTlsHandshakeIsClosedByTheHandshakeTimeout() throws Exception {
        ServerTls tls = ServerTls.create(new TlsSettings(TlsMode.REQUIRE, certs.dir("server"), false));
        int port = serve(tls, ServerConfig.builder().port(0).handshakeTimeout(Duration.ofMillis(300)).build());
        try (StartTlsClient c = StartTlsClient.connect(port)) {
            assertEquals(REP_ACK, c.optionResult(OPT_STARTTLS, new byte[0]));
            // no ClientHello: the server must give up on its own
            assertTrue(c.closedByServer());
        }
        try (StartTlsClient c = StartTlsClient.connect(port)) {
            c.startTls(certs.dir("client-anonymous"));
            assertTrue(c.go("disk"), "the server still serves others");
        }
    }

    static List<Object[]> providersAndKeys() {
        return List.of(new Object[] {SslProvider.OPENSSL, "server"}, new Object[] {SslProvider.OPENSSL, "server-pkcs1"},
                new Object[] {SslProvider.OPENSSL, "server-ec"}, new Object[] {SslProvider.JDK, "server"},
                new Object[] {SslProvider.JDK, "server-pkcs1"}, new Object[] {SslProvider.JDK, "server-ec"});
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("providersAndKeys")
    void everyProviderTakesEveryKeyForm(SslProvider provider, String dir) throws Exception {
        if (provider == SslProvider.OPENSSL) {
            org.junit.jupiter.api.Assumptions.assumeTrue(io.netty.handler.ssl.OpenSsl.isAvailable(),
                    "OpenSSL (netty-tcnative) does not load here");
        }
        ServerTls tls = ServerTls.create(new TlsSettings(TlsMode.REQUIRE, certs.dir(dir), true), provider);
        assertTrue(tls.provider().startsWith(provider == SslProvider.JDK ? "JDK" : "OpenSSL"), tls.provider());
        int port = serve(tls, ServerConfig.builder().port(0).build());
        try (StartTlsClient c = StartTlsClient.connect(port)) {
            c.startTls(certs.dir("client"));
            assertTrue(c.go("disk"));
            assertEquals(0, c.write(0, new byte[4096]));
        }
        assertTrue(refused(port, "client-rogue"));
    }
}
