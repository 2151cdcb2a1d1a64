package io.hyperfile.core.crypto;

import java.net.URI;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.crt.AwsCrtHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.EncryptResponse;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.InvalidKeyUsageException;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.kms.model.KmsInvalidStateException;
import software.amazon.awssdk.services.kms.model.NotFoundException;

/**
 * The user's key held by AWS KMS (envelope encryption): a data key is wrapped with KMS {@code Encrypt} of its 32
 * bytes under the given key, and unwrapped with KMS {@code Decrypt}, both bound to the encryption context
 * {@code {"hyperfile-volume": <volume id>, "hyperfile-key-version": <version>}} so that a wrapped key copied to
 * another volume or version does not unwrap (and the pair shows in CloudTrail). The record keeps the key ARN that
 * KMS reports. The key never leaves KMS; the process needs {@code kms:Encrypt} (to create or rotate a volume's
 * keys) and {@code kms:Decrypt} (to open it) on it.
 *
 * <p>A record wrapped by another KMS key is refused as the wrong key without asking KMS when the given key is an
 * ARN or key id (so {@link Keyring#rewrap} from one KMS key to another sees which records are done); with an alias
 * the {@code Decrypt} names the alias and KMS refuses ({@code IncorrectKeyException}) if it points elsewhere.
 *
 * <p>Every call is one blocking KMS request through the synchronous client on the CRT HTTP client (a volume's keys
 * are unwrapped once when it is opened: one {@code Decrypt} per key version). KMS and SDK failures become one-line
 * {@link KeyException}s naming the volume. Thread-safe; {@link #close} closes the client.
 */
public final class KmsKeySource implements KeySource, AutoCloseable {
    static final String CONTEXT_VOLUME = "hyperfile-volume";
    static final String CONTEXT_VERSION = "hyperfile-key-version";
    private final KmsClient kms;
    private final String keyId;

    /** Uses {@code kms} (taking it over: {@link #close} closes it) with key {@code keyId}: an ARN, key id or alias. */
    public KmsKeySource(KmsClient kms, String keyId) {
        if (keyId == null || keyId.isBlank()) {
            throw new IllegalArgumentException("KMS key id must be given. keyId=" + keyId);
        }
        this.kms = kms;
        this.keyId = keyId.trim();
    }

    /**
     * A key source for KMS key {@code keyId} (key ARN, key id, alias name {@code alias/...} or alias ARN).
     *
     * @param region the KMS region, or null: the key ARN's region, else the profile's, else the SDK's chain
     * @param endpoint an endpoint override (a VPC endpoint, an emulator), or null
     * @param profile a profile of the shared AWS config files for credentials (and region), or null for the SDK's
     *     default credential chain
     */
    public static KmsKeySource create(String keyId, String region, URI endpoint, String profile) {
        if (keyId == null || keyId.isBlank()) {
            throw new IllegalArgumentException("KMS key id must be given. keyId=" + keyId);
        }
        KmsClientBuilder b = KmsClient.builder().httpClientBuilder(AwsCrtHttpClient.builder());
        if (endpoint != null) {
            b.endpointOverride(endpoint);
        }
        if (profile != null) {
            b.credentialsProvider(ProfileCredentialsProvider.create(profile));
        }
        Region r = region(keyId.trim(), region, profile);
        if (r != null) {
            b.region(r);
        }
        try {
            return new KmsKeySource(b.build(), keyId);
        } catch (SdkException e) {
            throw new KeyException("cannot set up a KMS client for key " + keyId.trim() + ": " + oneLine(e.getMessage())
                    + " (give the region)", e);
        }
    }

    /**
     * The region to use: the given one; else the region of a key or alias ARN ({@code arn:aws:kms:REGION:...});
     * else the profile's region if it has one; else null for the SDK's chain.
     */
    static Region region(String keyId, String region, String profile) {
        if (region != null && !region.isBlank()) {
            return Region.of(region.trim());
        }
        String[] arn = keyId.split(":", 6);
        if (arn.length == 6 && arn[0].equals("arn") && arn[2].equals("kms") && !arn[3].isEmpty()) {
            return Region.of(arn[3]);
        }
        if (profile == null) {
            return null;
        }
        try {
            return new AwsProfileRegionProvider(null, profile).getRegion();
        } catch (SdkClientException e) {
            return null; // no region in that profile: the SDK's chain decides
        }
    }

    /** The key as given: ARN, key id or alias. */
    public String keyId() {
        return keyId;
    }

    @Override
    public String describe() {
        return "KMS key " + keyId;
    }

    /** The encryption context a data key of {@code volumeId}'s version {@code version} is bound to. */
    static Map<String, String> context(UUID volumeId, int version) {
        return Map.of(CONTEXT_VOLUME, volumeId.toString(), CONTEXT_VERSION, String.valueOf(version));
    }

    @Override
    public KeyRecord wrap(UUID volumeId, int version, byte[] dek) {
        if (dek.length != LocalKeySource.KEY_BYTES) {
            throw new IllegalArgumentException("a data key is " + LocalKeySource.KEY_BYTES + " bytes. dek.length="
                    + dek.length);
        }
        EncryptResponse r;
        try {
            r = kms.encrypt(e -> e.keyId(keyId).plaintext(SdkBytes.fromByteArray(dek))
                    .encryptionContext(context(volumeId, version)));
        } catch (KmsException e) {
            String m = "volume " + volumeId + ": KMS " + (isRefusal(e) ? "refused" : "failed") + " to wrap key"
                    + " version " + version + " with " + describe() + ": " + kmsMessage(e);
            throw isRefusal(e) ? new KeyException(m, e) : KeyException.unavailable(m, e);
        } catch (SdkException e) {
            throw unreachable("volume " + volumeId + ": ", "wrap", version, e);
        }
        String arn = r.keyId() == null || r.keyId().isEmpty() ? keyId : r.keyId();
        byte[] blob = r.ciphertextBlob() == null ? new byte[0] : r.ciphertextBlob().asByteArray();
        if (blob.length == 0) {
            throw new KeyException("volume " + volumeId + ": KMS returned no ciphertext wrapping key version " + version
                    + " with " + describe());
        }
        return new KeyRecord(version, volumeId, KeyRecord.WRAPPED_BY_KMS, arn, blob);
    }

    @Override
    public byte[] unwrap(String volumeName, KeyRecord record) {
        String where = "volume " + volumeName + ": ";
        int version = record.keyVersion();
        if (record.wrapKind() != KeyRecord.WRAPPED_BY_KMS) {
            throw new KeyException(where + "key version " + version + " is wrapped by " + record.describeWrapping()
                    + "; give it with --key-file or --key-env, not " + describe());
        }
        String wrappedBy = record.wrappingKeyId();
        if (!couldBe(wrappedBy)) {
            throw new KeyException(where + "wrong key: " + describe() + " is not the volume's key (key version "
                    + version + " is wrapped by " + record.describeWrapping() + ")");
        }
        // With an alias, ask KMS under the alias: it refuses (IncorrectKey) if the alias now names another key.
        String decryptWith = isAlias(keyId) ? keyId : wrappedBy;
        DecryptResponse r;
        try {
            r = kms.decrypt(d -> d.keyId(decryptWith).ciphertextBlob(SdkBytes.fromByteArray(record.wrapped()))
                    .encryptionContext(context(record.volumeId(), version)));
        } catch (IncorrectKeyException | InvalidCiphertextException | InvalidKeyUsageException e) {
            throw refused(where, version, wrappedBy, e);
        } catch (DisabledException e) {
            throw new KeyException(where + "KMS key " + wrappedBy + " that wraps key version " + version
                    + " is disabled: " + kmsMessage(e), e);
        } catch (KmsInvalidStateException e) {
            throw new KeyException(where + "KMS key " + wrappedBy + " that wraps key version " + version
                    + " cannot be used in its state (disabled or pending deletion): " + kmsMessage(e), e);
        } catch (NotFoundException e) {
            throw new KeyException(where + "KMS key " + wrappedBy + " that wraps key version " + version
                    + " does not exist or is not visible to these credentials: " + kmsMessage(e), e);
        } catch (KmsException e) {
            if (isRefusal(e)) {
                throw refused(where, version, wrappedBy, e); // AccessDeniedException, UnrecognizedClient, ...
            }
            throw KeyException.unavailable(where + "KMS failed to unwrap key version " + version + " with key " + wrappedBy
                    + ": " + kmsMessage(e), e);
        } catch (SdkException e) {
            throw unreachable(where, "unwrap", version, e);
        }
        byte[] dek = r.plaintext() == null ? new byte[0] : r.plaintext().asByteArray();
        if (dek.length != LocalKeySource.KEY_BYTES) {
            Arrays.fill(dek, (byte) 0);
            throw new KeyException(where + "KMS unwrapped key version " + version + " with key " + wrappedBy + " to "
                    + dek.length + " bytes, not a " + LocalKeySource.KEY_BYTES + "-byte data key");
        }
        return dek;
    }

    private static KeyException refused(String where, int version, String arn, KmsException e) {
        String hint = e instanceof InvalidCiphertextException
                ? " (the wrapped key was modified, or copied from another volume or key version)" : "";
        return new KeyException(where + "KMS refused to unwrap key version " + version + " with key " + arn + ": "
                + kmsMessage(e) + hint, e);
    }

    /** A 4xx answer other than throttling (which the SDK has retried): KMS will not do it, asking again won't help. */
    private static boolean isRefusal(KmsException e) {
        return e.statusCode() >= 400 && e.statusCode() < 500 && !e.isThrottlingException();
    }

    /** A failure before KMS answered: no credentials, no network, a timeout. */
    private static KeyException unreachable(String where, String op, int version, SdkException e) {
        String message = oneLine(e.getMessage());
        if (message.contains("credentials")) {
            return new KeyException(where + "no AWS credentials to ask KMS to " + op + " key version " + version + ": "
                    + message, e);
        }
        return KeyException.unavailable(where + "cannot reach KMS to " + op + " key version " + version + ": " + message, e);
    }

    /**
     * Whether a record wrapped by {@code arn} may be this source's key: always for an alias (KMS decides), else the
     * same ARN, or an ARN ending in {@code key/<the given key id>}.
     */
    private boolean couldBe(String arn) {
        return isAlias(keyId) || arn.equals(keyId) || (!keyId.startsWith("arn:") && arn.endsWith(":key/" + keyId));
    }

    private static boolean isAlias(String id) {
        return id.startsWith("alias/") || (id.startsWith("arn:") && id.contains(":alias/"));
    }

    /** KMS's own message and error code, on one line. */
    private static String kmsMessage(KmsException e) {
        var details = e.awsErrorDetails();
        String code = details == null ? null : details.errorCode();
        String message = details == null ? e.getMessage() : details.errorMessage();
        if (code == null || code.isEmpty()) {
            return oneLine(message);
        }
        return message == null || message.isBlank() ? code : oneLine(message) + " (" + code + ")";
    }

    private static String oneLine(String s) {
        return s == null ? "no message" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }

    @Override
    public void close() {
        kms.close();
    }

    @Override
    public String toString() {
        return describe();
    }
}
