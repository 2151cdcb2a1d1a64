package io.hyperfile.nbd.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a certificate directory: every key form openssl and certtool write, and one-line errors for the rest. */
class TlsCertificatesTest {
    @TempDir
    static Path certRoot;
    private static TestCertificates certs;
    @TempDir
    Path tmp;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.create(certRoot);
    }

    @Test
    void readsPkcs8Pkcs1AndSec1Keys() throws Exception {
        assertTrue(Files.readString(certs.dir("server").resolve("server-key.pem")).startsWith("-----BEGIN PRIVATE KEY-----"));
        assertTrue(Files.readString(certs.dir("server-pkcs1").resolve("server-key.pem")).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        assertTrue(Files.readString(certs.dir("server-ec").resolve("server-key.pem")).startsWith("-----BEGIN EC PRIVATE KEY-----"));
        TlsCertificates pkcs8 = TlsCertificates.load(certs.dir("server"), true);
        TlsCertificates pkcs1 = TlsCertificates.load(certs.dir("server-pkcs1"), false);
        TlsCertificates ec = TlsCertificates.load(certs.dir("server-ec"), false);
        assertEquals("RSA", pkcs8.key().getAlgorithm());
        assertEquals(pkcs8.key(), pkcs1.key(), "the PKCS#1 form is the same key");
        assertEquals("EC", ec.key().getAlgorithm());
        assertEquals("CN=localhost", pkcs8.chain().get(0).getSubjectX500Principal().getName());
        assertEquals(1, pkcs8.authorities().size());
        assertTrue(pkcs1.authorities().isEmpty(), "ca-cert.pem is only read for verify-peer");
    }

    private Path copyOf(String dir) throws Exception {
        Path d = Files.createDirectories(tmp.resolve(dir));
        try (var files = Files.list(certs.dir(dir))) {
            for (Path f : files.toList()) {
                Files.copy(f, d.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return d;
    }

    private static String error(Path dir, boolean verifyPeer) {
        String m = assertThrows(IllegalArgumentException.class, () -> TlsCertificates.load(dir, verifyPeer)).getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        return m;
    }

    @Test
    void missingDirectoryAndFilesAreNamed() throws Exception {
        assertEquals("TLS certificate directory " + tmp.resolve("nope") + " does not exist or is not a directory",
                error(tmp.resolve("nope"), false));
        Path d = copyOf("server");
        Files.delete(d.resolve("server-key.pem"));
        assertEquals(d.resolve("server-key.pem") + " is missing (the server's private key)", error(d, false));
        Path noCa = copyOf("server-pkcs1");
        Files.delete(noCa.resolve("ca-cert.pem"));
        TlsCertificates.load(noCa, false);
        assertTrue(error(noCa, true).startsWith(noCa.resolve("ca-cert.pem") + " is missing"));
    }

    @Test
    void badKeysSayWhatIsWrongAndWhatToDo() throws Exception {
        Path d = copyOf("server");
        Path key = d.resolve("server-key.pem");
        Files.writeString(key, "not a key\n");
        assertTrue(error(d, false).contains("holds no private key"));

        Files.writeString(key, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertTrue(error(d, false).contains("is an encrypted private key; the server needs it unencrypted: openssl pkey"));

        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertTrue(error(d, false).contains("is not a private key this server can use"));

        Files.copy(certs.dir("server-ec").resolve("server-key.pem"), key, StandardCopyOption.REPLACE_EXISTING);
        assertEquals(key + " is not the private key of " + d.resolve("server-cert.pem") + " (CN=localhost)", error(d, false));

        Files.writeString(d.resolve("server-cert.pem"), "garbage");
        assertTrue(error(d, false).startsWith(d.resolve("server-cert.pem") + " "));
    }

    @Test
    void settingsRefuseContradictions() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TlsSettings(TlsMode.ON, null, false)).getMessage()
                .startsWith("--tls on needs --tls-certificates DIR"));
        assertThrows(IllegalArgumentException.class, () -> new TlsSettings(TlsMode.OFF, null, true));
        assertThrows(IllegalArgumentException.class, () -> new TlsSettings(TlsMode.OFF, tmp, false));
        assertEquals(TlsMode.REQUIRE, TlsMode.parse("Require"));
        assertEquals("invalid --tls 'yes': use off, on or require",
                assertThrows(IllegalArgumentException.class, () -> TlsMode.parse("yes")).getMessage());
    }
}
