package io.hyperfile.nbd.tls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The server's certificates, read from a directory laid out as nbdkit's {@code --tls-certificates} and qemu's
 * {@code tls-creds-x509,dir=} lay it out:
 *
 * <pre>
 * ca-cert.pem       the CA that signs client certificates (only needed to verify clients)
 * server-cert.pem   the server's certificate, optionally followed by intermediate CA certificates
 * server-key.pem    its private key, unencrypted (PKCS#8, PKCS#1 or SEC 1; see {@link PemFiles})
 * </pre>
 *
 * {@link #load} checks that the key belongs to the certificate, so a mixed-up directory fails at startup rather than
 * at each client's handshake. Every problem is an {@link IllegalArgumentException} with one line naming the file.
 *
 * @param chain the server certificate first, then any intermediates
 * @param key the server's private key
 * @param authorities the CA certificates clients are verified against; empty when not loaded
 */
public record TlsCertificates(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> authorities) {
    public static final String CA_CERT = "ca-cert.pem";
    public static final String SERVER_CERT = "server-cert.pem";
    public static final String SERVER_KEY = "server-key.pem";

    public TlsCertificates {
        chain = List.copyOf(chain);
        authorities = List.copyOf(authorities);
    }

    /**
     * Reads {@code dir}. {@code ca-cert.pem} is read when {@code verifyPeer} (and must then exist); otherwise it is
     * ignored.
     */
    public static TlsCertificates load(Path dir, boolean verifyPeer) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("TLS certificate directory " + dir + " does not exist or is not a directory");
        }
        List<X509Certificate> chain = PemFiles.certificates(existing(dir, SERVER_CERT, "the server's certificate"));
        PrivateKey key = PemFiles.privateKey(existing(dir, SERVER_KEY, "the server's private key"));
        checkPair(dir, chain.get(0), key);
        List<X509Certificate> authorities = verifyPeer
                ? PemFiles.certificates(existing(dir, CA_CERT, "the CA certificate that --tls-verify-peer checks clients against"))
                : List.of();
        return new TlsCertificates(chain, key, authorities);
    }

    private static Path existing(Path dir, String name, String what) {
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + " is missing (" + what + ")");
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(file + " is not readable by this user");
        }
        return file;
    }

    /** Signs a probe with the key and verifies it with the certificate's public key. */
    private static void checkPair(Path dir, X509Certificate cert, PrivateKey key) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            case "RSASSA-PSS" -> null; // needs parameters; the handshake will tell
            default -> key.getAlgorithm(); // Ed25519, Ed448
        };
        if (algorithm == null) {
            return;
        }
        byte[] probe = "hyperfile-tls-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        boolean matches;
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false;
        }
        if (!matches) {
            throw new IllegalArgumentException(dir.resolve(SERVER_KEY) + " is not the private key of " + dir.resolve(SERVER_CERT)
                    + " (" + cert.getSubjectX500Principal().getName() + ")");
        }
    }
}
