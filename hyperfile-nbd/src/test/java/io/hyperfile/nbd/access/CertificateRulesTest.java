package io.hyperfile.nbd.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cn: and subject: rules against a real X.509 certificate made by openssl. (Taking the certificate from a TLS
 * session is {@link Peer#of}: it reads the SslHandler of the channel's pipeline; the end-to-end test needs the
 * server's STARTTLS.)
 */
class CertificateRulesTest {
    @TempDir
    static Path dir;
    private static X509Certificate client;
    private static X509Certificate other;

    @BeforeAll
    static void makeCertificates() throws Exception {
        client = certificate("/O=Example/OU=Disks/CN=client1");
        other = certificate("/O=Example/CN=client2/CN=alias");
    }

    private static X509Certificate certificate(String subject) throws Exception {
        Path key = Files.createTempFile(dir, "key", ".pem");
        Path cert = Files.createTempFile(dir, "cert", ".pem");
        Process p;
        try {
            p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key.toString(), "-out", cert.toString(), "-subj", subject, "-days", "1")
                    .redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("openssl is not installed: " + e.getMessage());
            return null;
        }
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl failed: " + output);
        try (InputStream in = Files.newInputStream(cert)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static Peer withCertificate(X509Certificate c) throws Exception {
        return new Peer(InetAddress.getByName("127.0.0.1"), false, c);
    }

    @Test
    void commonNameRules() throws Exception {
        assertTrue(AccessRules.parse("cn:client1").matches(withCertificate(client)));
        assertFalse(AccessRules.parse("cn:client2").matches(withCertificate(client)));
        assertFalse(AccessRules.parse("cn:Client1").matches(withCertificate(client)), "CN is compared exactly");
        assertFalse(AccessRules.parse("cn:Example").matches(withCertificate(client)), "only CN attributes count");
        assertEquals(List.of("alias", "client2"), Peer.commonNames(other), other.getSubjectX500Principal().getName());
        assertTrue(AccessRules.parse("cn:alias").matches(withCertificate(other)), "any CN of the subject");
    }

    @Test
    void subjectRules() throws Exception {
        assertTrue(AccessRules.parse("subject:CN=client1,OU=Disks,O=Example").matches(withCertificate(client)));
        assertTrue(AccessRules.parse("subject:cn=CLIENT1, ou=disks, o=example").matches(withCertificate(client)),
                "canonical form: case and spaces of the text do not matter");
        assertFalse(AccessRules.parse("subject:CN=client1,O=Example").matches(withCertificate(client)), "the whole DN must match");
        assertFalse(AccessRules.parse("subject:O=Example,OU=Disks,CN=client1").matches(withCertificate(client)),
                "attribute order matters");
        assertFalse(AccessRules.parse("subject:CN=client1,OU=Disks,O=Example").matches(withCertificate(other)));
    }

    @Test
    void certificateRulesInThePolicyAndAddressRulesStillApply() throws Exception {
        AccessPolicy p = AccessPolicy.parse(List.of("disk0=cn:client1", "disk1=127.0.0.1"));
        assertTrue(p.allows("disk0", withCertificate(client)));
        assertFalse(p.allows("disk0", withCertificate(other)));
        assertFalse(p.allows("disk0", Peer.tcp(InetAddress.getByName("127.0.0.1"))), "no TLS: certificate rules never match");
        assertTrue(p.allows("disk1", withCertificate(other)));
    }

    @Test
    void aChannelWithoutTlsHasNoCertificate() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Peer peer = Peer.of(ch);
        assertNull(peer.certificate());
        assertNull(peer.address(), "an embedded channel has no IP address");
        assertFalse(peer.isUnixSocket());
        ch.finishAndReleaseAll();
    }
}
