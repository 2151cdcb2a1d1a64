package io.hyperfile.nbd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.access.AccessConfig;
import io.hyperfile.nbd.access.AccessPolicy;
import io.hyperfile.nbd.server.ServerConfig;
import io.hyperfile.nbd.testing.ServerFixture;
import io.hyperfile.nbd.testing.TestCertificates;
import io.hyperfile.nbd.tls.ServerTls;
import io.hyperfile.nbd.tls.TlsMode;
import io.hyperfile.nbd.tls.TlsSettings;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Certificate allow rules ({@code cn:}, {@code subject:}) end to end: the server requires TLS and verifies client
 * certificates ({@code --tls require --tls-verify-peer}), and libnbd's nbdinfo connects with {@code nbds://} URIs and
 * client certificates of one CA (made by {@link TestCertificates}) for CN client-a and CN client-b. The export
 * {@code disk} is restricted by the rule under test; {@code pub} is open to every client, so that a working TLS
 * connection (LIST, GO on {@code pub}) is told apart from a refusal of {@code disk}. The rules read the certificate
 * from the TLS engine's session, so the rule tests run with both providers (OpenSSL and the JDK's).
 */
class CertificateAccessIT {
    private static final long SIZE = 64L << 20;
    private static final String DISK = "disk";
    private static final String PUB = "pub";

    @TempDir
    static Path certRoot;
    private static TestCertificates certs;
    private static Path clientA;
    private static Path clientB;
    private ServerFixture fixture;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.create(certRoot);
        clientA = certs.client("client-a", "/O=Hyperfile Test/CN=client-a");
        clientB = certs.client("client-b", "/O=Hyperfile Test/CN=client-b");
    }

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
            fixture = null;
        }
    }

    /**
     * Serves {@code disk} and {@code pub}; TLS required with verified client certificates ({@code provider}'s);
     * {@code disk} as {@code diskRule} says.
     */
    private void serve(String diskRule, SslProvider provider) throws IOException {
        if (provider == SslProvider.OPENSSL) {
            Assumptions.assumeTrue(OpenSsl.isAvailable(), "OpenSSL (netty-tcnative) does not load here");
        }
        fixture = new ServerFixture();
        fixture.addVolume(DISK, SIZE);
        fixture.addVolume(PUB, SIZE);
        AccessConfig access = AccessConfig.OPEN.withPolicy(AccessPolicy.parse(List.of(DISK + "=" + diskRule, PUB + "=any")));
        fixture.start(ServerConfig.builder().port(0).build(), access,
                ServerTls.create(new TlsSettings(TlsMode.REQUIRE, certs.dir("server"), true), provider));
    }

    private String nbds(String export, Path clientDir) {
        return "nbds://127.0.0.1:" + fixture.port() + "/" + export + "?tls-certificates=" + clientDir;
    }

    private static Tools.Result nbdinfo(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("nbdinfo"));
        command.addAll(List.of(args));
        return Tools.run(60, command);
    }

    /** The client reads {@code export}: nbdinfo succeeds over TLS and prints its size. */
    private void assertReads(String export, Path clientDir) throws Exception {
        Tools.Result r = nbdinfo("--json", nbds(export, clientDir));
        assertEquals(0, r.exitCode(), clientDir.getFileName() + " must read " + export + ": " + r.output());
        assertTrue(r.output().contains("\"TLS\": true"), r.output());
        assertTrue(r.output().contains("\"export-size\": " + SIZE), r.output());
    }

    /** GO on {@code export} gets ERR_POLICY (libnbd: ENOTSUP), and the client's LIST leaves it out. */
    private void assertRefused(String export, Path clientDir) throws Exception {
        Tools.Result r = nbdinfo(nbds(export, clientDir));
        assertNotEquals(0, r.exitCode(), clientDir.getFileName() + " must be refused " + export + ": " + r.output());
        // libnbd reports ERR_POLICY as ENOTSUP; a failed TLS handshake would say something else
        assertTrue(r.output().contains("Operation not supported"), r.output());
        String list = listed(clientDir);
        assertFalse(list.contains("\"export-name\": \"" + export + "\""), clientDir.getFileName() + " must not see " + export
                + " in its LIST: " + list);
    }

    /** nbdinfo --list --json for the client; the list always holds {@code pub}, which proves the TLS session works. */
    private String listed(Path clientDir) throws Exception {
        Tools.Result r = nbdinfo("--list", "--json", nbds("", clientDir));
        assertEquals(0, r.exitCode(), clientDir.getFileName() + " must list over TLS: " + r.output());
        assertTrue(r.output().contains("\"export-name\": \"" + PUB + "\""), r.output());
        return r.output();
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"OPENSSL", "JDK"})
    void aCnRuleAdmitsThatClientOnlyAndOthersOfTheCaCompleteTlsButAreRefused(SslProvider provider) throws Exception {
        Tools.require("nbdinfo");
        serve("cn:client-a", provider);
        assertReads(DISK, clientA);
        assertTrue(listed(clientA).contains("\"export-name\": \"" + DISK + "\""), "client-a's LIST shows disk");

        assertReads(PUB, clientB); // TLS with client-b's certificate works
        assertRefused(DISK, clientB);
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"OPENSSL", "JDK"})
    void aSubjectRuleWithTheFullDnAdmitsThatClient(SslProvider provider) throws Exception {
        Tools.require("nbdinfo", "openssl");
        // the DN as docs/ACCESS.md says to write it: as openssl prints it in RFC 2253 form
        String subject = Tools.ok(60, "openssl", "x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in",
                clientB.resolve("client-cert.pem").toString()).strip().replaceFirst("^subject=\\s*", "");
        assertTrue(subject.startsWith("CN=client-b,"), subject);
        serve("subject:" + subject, provider);
        assertReads(DISK, clientB);
        assertTrue(listed(clientB).contains("\"export-name\": \"" + DISK + "\""), "client-b's LIST shows disk");
        assertRefused(DISK, clientA);
    }

    @Test
    void aCnRuleDoesNotTrustACertificateFromAnotherCa() throws Exception {
        Tools.require("nbdinfo");
        serve("cn:client-1", OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK);
        assertReads(DISK, certs.dir("client"));
        // client-rogue has the same subject (CN=client-1), signed by the rogue CA: the handshake fails (libnbd's GnuTLS
        // does not even send a certificate whose issuer is not among the CAs the server asks for)
        Tools.Result rogue = nbdinfo(nbds(DISK, certs.dir("client-rogue")));
        assertNotEquals(0, rogue.exitCode(), rogue.output());
        assertFalse(rogue.output().contains("\"export-size\""), rogue.output());
    }
}
