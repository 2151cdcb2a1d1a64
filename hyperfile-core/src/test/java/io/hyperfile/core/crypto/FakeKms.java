package io.hyperfile.core.crypto;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.crt.AwsCrtHttpClient;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Enough of AWS KMS, on an HTTP server on 127.0.0.1, for the SDK's {@link KmsClient} to wrap and unwrap data keys:
 * the JSON protocol (awsJson1_1, {@code X-Amz-Target: TrentService.Encrypt|Decrypt}) for {@code Encrypt} and
 * {@code Decrypt}, with KMS's error shapes ({@code {"__type": ..., "message": ...}}, HTTP 400). Keys are AES-256-GCM
 * keys in memory, named by ARN, bare key id or alias. A ciphertext blob is {@code [arn length][arn][nonce][sealed]},
 * sealed with the ARN and the encryption context (sorted) as associated data, so a Decrypt under another context is
 * {@code InvalidCiphertextException} and under another key {@code IncorrectKeyException}, as KMS answers. Keys can
 * be disabled ({@code DisabledException}), denied ({@code AccessDeniedException}) or failing ({@code KMSInternalException},
 * HTTP 500); calls are counted per operation.
 * Requests are not authenticated. Thread-safe.
 */
public final class FakeKms implements AutoCloseable {
    static final String ARN_PREFIX = "arn:aws:kms:us-east-1:111122223333:";
    private static final SecureRandom RANDOM = new SecureRandom();
    private final HttpServer server;
    private final Map<String, SecretKeySpec> keys = new ConcurrentHashMap<>();
    private final Map<String, String> aliases = new ConcurrentHashMap<>();
    private final Set<String> disabled = ConcurrentHashMap.newKeySet();
    private final Set<String> denied = ConcurrentHashMap.newKeySet();
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> lastContext = new ConcurrentHashMap<>();

    public FakeKms() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** An SDK client against this fake. */
    KmsClient client() {
        return KmsClient.builder().endpointOverride(uri()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClientBuilder(AwsCrtHttpClient.builder()).build();
    }

    /** Creates a key and returns its ARN. */
    public String createKey() {
        byte[] material = new byte[32];
        RANDOM.nextBytes(material);
        String arn = ARN_PREFIX + "key/" + UUID.randomUUID();
        keys.put(arn, new SecretKeySpec(material, "AES"));
        return arn;
    }

    /** Points alias {@code alias/NAME} at key {@code arn}. */
    void alias(String alias, String arn) {
        aliases.put(alias, arn);
    }

    void disable(String arn) {
        disabled.add(arn);
    }

    void enable(String arn) {
        disabled.remove(arn);
    }

    /** Makes every use of key {@code arn} fail as a key policy without kms:Encrypt/kms:Decrypt would. */
    void deny(String arn) {
        denied.add(arn);
    }

    /** Makes every use of key {@code arn} fail with KMS's internal error (HTTP 500, which the SDK retries). */
    void fail(String arn) {
        failing.add(arn);
    }

    /** How many requests of {@code operation} ({@code Encrypt}, {@code Decrypt}) arrived. */
    public int calls(String operation) {
        AtomicInteger n = calls.get(operation);
        return n == null ? 0 : n.get();
    }

    /** The encryption context of the last {@code operation} request. */
    Map<String, String> lastContext(String operation) {
        return lastContext.get(operation);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** A KMS error reply: the exception name and its message. */
    private static final class KmsError extends Exception {
        private static final long serialVersionUID = 1L;
        final String type;
        final int status;

        KmsError(String type, String message) {
            this(type, message, 400);
        }

        KmsError(String type, String message, int status) {
            super(message);
            this.type = type;
            this.status = status;
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
            String op = target == null ? "" : target.substring(target.indexOf('.') + 1);
            calls.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
            String reply;
            int status = 200;
            try (InputStream in = ex.getRequestBody()) {
                Map<String, JsonNode> req = JsonNode.parser().parse(in).asObject();
                lastContext.put(op, context(req));
                reply = switch (op) {
                    case "Encrypt" -> encrypt(req);
                    case "Decrypt" -> decrypt(req);
                    default -> throw new KmsError("UnknownOperationException", "this fake does not do " + target);
                };
            } catch (KmsError e) {
                status = e.status;
                reply = "{\"__type\":\"" + e.type + "\""
                        + (e.getMessage() == null ? "" : ",\"message\":" + quote(e.getMessage())) + "}";
            }
            byte[] body = reply.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
            ex.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
        }
    }

    private String encrypt(Map<String, JsonNode> req) throws KmsError {
        String arn = usable(resolve(string(req, "KeyId")));
        byte[] plaintext = blob(req, "Plaintext");
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        byte[] sealed = gcm(Cipher.ENCRYPT_MODE, arn, nonce, aad(arn, req), plaintext, 0, plaintext.length);
        byte[] id = arn.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + id.length + 12 + sealed.length);
        b.put((byte) id.length).put(id).put(nonce).put(sealed);
        return "{\"CiphertextBlob\":\"" + Base64.getEncoder().encodeToString(b.array()) + "\",\"KeyId\":\"" + arn
                + "\",\"EncryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}";
    }

    private String decrypt(Map<String, JsonNode> req) throws KmsError {
        byte[] blob = blob(req, "CiphertextBlob");
        int idLength = blob.length == 0 ? 0 : blob[0] & 0xff;
        if (blob.length < 1 + idLength + 12 + 16) {
            throw new KmsError("InvalidCiphertextException", null);
        }
        String arn = new String(blob, 1, idLength, StandardCharsets.UTF_8);
        String asked = req.containsKey("KeyId") ? resolve(string(req, "KeyId")) : arn;
        if (!asked.equals(arn)) {
            throw new KmsError("IncorrectKeyException", "The key ID in the request does not identify a CMK that can"
                    + " perform this operation.");
        }
        if (!keys.containsKey(arn)) {
            throw new KmsError("InvalidCiphertextException", null);
        }
        usable(arn);
        byte[] nonce = java.util.Arrays.copyOfRange(blob, 1 + idLength, 1 + idLength + 12);
        int at = 1 + idLength + 12;
        byte[] plaintext = gcm(Cipher.DECRYPT_MODE, arn, nonce, aad(arn, req), blob, at, blob.length - at);
        return "{\"KeyId\":\"" + arn + "\",\"Plaintext\":\"" + Base64.getEncoder().encodeToString(plaintext)
                + "\",\"EncryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}";
    }

    /** The ARN of a key named by ARN, key id, alias name or alias ARN. */
    private String resolve(String keyId) throws KmsError {
        if (keyId == null) {
            throw new KmsError("ValidationException", "1 validation error detected: Value null at 'keyId' failed to"
                    + " satisfy constraint: Member must not be null");
        }
        String arn;
        if (keyId.startsWith("alias/")) {
            arn = aliases.get(keyId);
        } else if (keyId.startsWith(ARN_PREFIX + "alias/")) {
            arn = aliases.get(keyId.substring(ARN_PREFIX.length()));
        } else if (keyId.startsWith("arn:")) {
            arn = keyId;
        } else {
            arn = ARN_PREFIX + "key/" + keyId;
        }
        if (arn == null || !keys.containsKey(arn)) {
            throw new KmsError("NotFoundException", "Key '" + keyId + "' does not exist");
        }
        return arn;
    }

    private String usable(String arn) throws KmsError {
        if (failing.contains(arn)) {
            throw new KmsError("KMSInternalException", "An internal error occurred.", 500);
        }
        if (denied.contains(arn)) {
            throw new KmsError("AccessDeniedException", "User: arn:aws:iam::111122223333:user/test is not authorized"
                    + " to perform: kms:* on resource: " + arn + " because no resource-based policy allows it");
        }
        if (disabled.contains(arn)) {
            throw new KmsError("DisabledException", arn + " is disabled.");
        }
        return arn;
    }

    private byte[] gcm(int mode, String arn, byte[] nonce, byte[] aad, byte[] in, int offset, int length)
            throws KmsError {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, keys.get(arn), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad);
            return c.doFinal(in, offset, length);
        } catch (AEADBadTagException e) {
            throw new KmsError("InvalidCiphertextException", null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key's ARN and the request's encryption context, sorted, as associated data. */
    private static byte[] aad(String arn, Map<String, JsonNode> req) {
        StringBuilder s = new StringBuilder(arn);
        context(req).forEach((k, v) -> s.append('\n').append(k).append('=').append(v));
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static TreeMap<String, String> context(Map<String, JsonNode> req) {
        TreeMap<String, String> context = new TreeMap<>();
        JsonNode c = req.get("EncryptionContext");
        if (c != null && c.isObject()) {
            c.asObject().forEach((k, v) -> context.put(k, v.asString()));
        }
        return context;
    }

    private static String string(Map<String, JsonNode> req, String field) {
        JsonNode n = req.get(field);
        return n == null || n.isNull() ? null : n.asString();
    }

    private static byte[] blob(Map<String, JsonNode> req, String field) throws KmsError {
        String s = string(req, field);
        if (s == null) {
            throw new KmsError("ValidationException", "1 validation error detected: Value null at '" + field + "'");
        }
        return Base64.getDecoder().decode(s);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
