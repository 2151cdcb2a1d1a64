package io.hyperfile.nbd.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PEM files of a certificate directory: X.509 certificates, and unencrypted private keys in the forms
 * openssl and GnuTLS's certtool write them.
 *
 * <table>
 * <caption>private key forms</caption>
 * <tr><th>PEM label</th><th>format</th><th>written by</th></tr>
 * <tr><td>{@code PRIVATE KEY}</td><td>PKCS#8 (RSA, EC, Ed25519, ...)</td><td>openssl genpkey, req -newkey;
 *   certtool --pkcs8</td></tr>
 * <tr><td>{@code RSA PRIVATE KEY}</td><td>PKCS#1</td><td>certtool --generate-privkey; openssl genrsa -traditional</td></tr>
 * <tr><td>{@code EC PRIVATE KEY}</td><td>SEC 1, with its curve</td><td>certtool --key-type=ecdsa; openssl ecparam -genkey</td></tr>
 * </table>
 *
 * PKCS#1 and SEC 1 keys are wrapped into PKCS#8 here (a fixed DER envelope), so both providers (JDK and OpenSSL)
 * take every form. Encrypted keys are refused with a message that says how to decrypt them.
 */
final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    /** DER of AlgorithmIdentifier { rsaEncryption, NULL }. */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7,
            0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    /** DER of the OID id-ecPublicKey (1.2.840.10045.2.1). */
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private PemFiles() {
    }

    /** Every certificate in {@code file}, in order (a chain: leaf first); at least one. */
    static List<X509Certificate> certificates(Path file) {
        byte[] bytes = read(file);
        try {
            List<X509Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))
                    .stream().map(X509Certificate.class::cast).toList();
            if (certs.isEmpty()) {
                throw new IllegalArgumentException(file + " holds no certificate (expected PEM blocks '-----BEGIN CERTIFICATE-----')");
            }
            return certs;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + " is not a PEM X.509 certificate: " + e.getMessage(), e);
        }
    }

    /** The one private key in {@code file}. */
    static PrivateKey privateKey(Path file) {
        String text = new String(read(file), StandardCharsets.US_ASCII);
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String label = m.group(1);
            if (!label.endsWith("PRIVATE KEY")) {
                continue; // e.g. EC PARAMETERS before an EC key
            }
            String body = m.group(2);
            if (label.startsWith("ENCRYPTED") || body.contains("Proc-Type: 4,ENCRYPTED")) {
                throw new IllegalArgumentException(file + " is an encrypted private key; the server needs it unencrypted: "
                        + "openssl pkey -in " + file + " -out server-key.pem (then chmod 600)");
            }
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(body.replaceAll("(?m)^[A-Za-z-]+:.*$", ""));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": the " + label + " block is not valid base64", e);
            }
            byte[] pkcs8 = switch (label) {
                case "PRIVATE KEY" -> der;
                case "RSA PRIVATE KEY" -> sequence(concat(new byte[] {0x02, 0x01, 0x00}, RSA_ALGORITHM, tlv(0x04, der)));
                case "EC PRIVATE KEY" -> ecToPkcs8(file, der);
                default -> throw new IllegalArgumentException(file + ": unsupported key type '" + label
                        + "'; convert it to PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in " + file);
            };
            return decode(file, pkcs8);
        }
        throw new IllegalArgumentException(file + " holds no private key (expected a PEM block such as "
                + "'-----BEGIN PRIVATE KEY-----' or '-----BEGIN RSA PRIVATE KEY-----')");
    }

    private static PrivateKey decode(Path file, byte[] pkcs8) {
        GeneralSecurityException last = null;
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new IllegalArgumentException(file + " is not a private key this server can use (RSA, EC or Ed25519): "
                + (last == null ? "unknown format" : last.getMessage()), last);
    }

    /** SEC 1 {@code ECPrivateKey ::= SEQUENCE { 1, OCTET STRING, [0] curve OID, [1] public key }} to PKCS#8. */
    private static byte[] ecToPkcs8(Path file, byte[] sec1) {
        try {
            return ecToPkcs8(sec1);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": the EC key is not valid SEC 1 (" + e.getMessage() + "); convert it with: "
                    + "openssl pkcs8 -topk8 -nocrypt -in " + file, e);
        }
    }

    private static byte[] ecToPkcs8(byte[] sec1) {
        Der in = new Der(sec1);
        Der seq = in.enter(0x30);
        seq.skip(0x02); // version
        seq.skip(0x04); // the private key
        byte[] curve = seq.hasMore() && seq.peekTag() == 0xa0 ? seq.enter(0xa0).element(0x06) : null;
        if (curve == null) {
            throw new IllegalArgumentException("it does not name its curve");
        }
        return sequence(concat(new byte[] {0x02, 0x01, 0x00}, sequence(concat(EC_PUBLIC_KEY_OID, curve)), tlv(0x04, sec1)));
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] sequence(byte[] content) {
        return tlv(0x30, content);
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Just enough of a DER reader to walk a SEC 1 key. */
    private static final class Der {
        private final byte[] b;
        private int pos;
        private final int end;

        Der(byte[] b) {
            this(b, 0, b.length);
        }

        private Der(byte[] b, int from, int end) {
            this.b = b;
            this.pos = from;
            this.end = end;
        }

        boolean hasMore() {
            return pos < end;
        }

        int peekTag() {
            return b[pos] & 0xff;
        }

        /** The contents of the next element, which must have {@code tag}. */
        Der enter(int tag) {
            int[] range = next(tag);
            return new Der(b, range[0], range[1]);
        }

        void skip(int tag) {
            next(tag);
        }

        /** The whole next element (tag, length and contents), which must have {@code tag}. */
        byte[] element(int tag) {
            int start = pos;
            int[] range = next(tag);
            return java.util.Arrays.copyOfRange(b, start, range[1]);
        }

        private int[] next(int tag) {
            if (pos + 2 > end || (b[pos] & 0xff) != tag) {
                throw new IllegalArgumentException("malformed DER: expected tag 0x" + Integer.toHexString(tag));
            }
            pos++;
            int len = b[pos++] & 0xff;
            if (len >= 0x80) {
                int bytes = len & 0x7f;
                if (bytes == 0 || bytes > 3 || pos + bytes > end) {
                    throw new IllegalArgumentException("malformed DER length");
                }
                len = 0;
                for (int i = 0; i < bytes; i++) {
                    len = (len << 8) | (b[pos++] & 0xff);
                }
            }
            if (pos + len > end) {
                throw new IllegalArgumentException("malformed DER: element overruns its parent");
            }
            int[] range = {pos, pos + len};
            pos += len;
            return range;
        }
    }
}
