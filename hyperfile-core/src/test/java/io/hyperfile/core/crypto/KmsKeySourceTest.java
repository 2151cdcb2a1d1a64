package io.hyperfile.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.crt.AwsCrtHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

class KmsKeySourceTest {
    private FakeKms fake;
    private String arn;

    @BeforeEach
    void start() throws IOException {
        fake = new FakeKms();
        arn = fake.createKey();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private KmsKeySource kms(String keyId) {
        return new KmsKeySource(fake.client(), keyId);
    }

    private static byte[] dek(int seed) {
        byte[] b = new byte[32];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static KeyException keyFailure(Runnable r) {
        Throwable t = assertThrows(Throwable.class, r::run);
        Throwable cause = io.hyperfile.core.store.Exceptions.unwrap(t);
        assertInstanceOf(KeyException.class, cause, String.valueOf(cause));
        assertFalse(cause.getMessage().contains("\n"), cause.getMessage());
        return (KeyException) cause;
    }

    private static void assertStartsWith(String prefix, String message) {
        assertTrue(message.startsWith(prefix), message);
    }

    @Test
    void wrapsThroughKmsAndUnwrapsAgain() {
        UUID volume = UUID.randomUUID();
        try (KmsKeySource source = kms(arn)) {
            KeyRecord r = source.wrap(volume, 3, dek(1));
            assertEquals(KeyRecord.WRAPPED_BY_KMS, r.wrapKind());
            assertEquals(arn, r.wrappingKeyId());
            assertEquals(3, r.keyVersion());
            assertEquals(volume, r.volumeId());
            KeyRecord decoded = KeyRecord.decode("v/key/0000000003", r.encode());
            assertArrayEquals(dek(1), source.unwrap("v", decoded));
            assertEquals("KMS key " + arn, source.describe());
            assertEquals(1, fake.calls("Encrypt"));
            assertEquals(1, fake.calls("Decrypt"));
            java.util.Map<String, String> context = java.util.Map.of("hyperfile-volume", volume.toString(),
                    "hyperfile-key-version", "3");
            assertEquals(context, fake.lastContext("Encrypt"));
            assertEquals(context, fake.lastContext("Decrypt"));
        }
    }

    @Test
    void aKeyNamedByIdOrAliasRecordsItsArn() {
        String keyId = arn.substring(arn.lastIndexOf('/') + 1);
        fake.alias("alias/hyperfile", arn);
        UUID volume = UUID.randomUUID();
        for (String name : new String[] {keyId, "alias/hyperfile", FakeKms.ARN_PREFIX + "alias/hyperfile"}) {
            try (KmsKeySource source = kms(name)) {
                KeyRecord r = source.wrap(volume, 1, dek(2));
                assertEquals(arn, r.wrappingKeyId(), name);
                assertArrayEquals(dek(2), source.unwrap("v", r), name);
                try (KmsKeySource byArn = kms(arn)) {
                    assertArrayEquals(dek(2), byArn.unwrap("v", r), name);
                }
            }
        }
    }

    @Test
    void aKeyringWrappedByKmsLoadsAgainWithOneDecryptPerVersion() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        UUID volume = UUID.randomUUID();
        Keyring ring;
        try (KmsKeySource source = kms(arn)) {
            ring = Keyring.empty("vm1/", volume);
            for (int i = 0; i < 4; i++) {
                ring = ring.rotate(store, "vm1/", source).join();
            }
        }
        assertEquals(4, fake.calls("Encrypt"));
        assertEquals(0, fake.calls("Decrypt"));
        for (KeyRecord r : Keyring.records(store, "vm1/").join()) {
            assertEquals(KeyRecord.WRAPPED_BY_KMS, r.wrapKind());
            assertEquals(arn, r.wrappingKeyId());
        }
        try (KmsKeySource source = kms(arn)) {
            Keyring loaded = Keyring.load(store, "vm1/", volume, source).join();
            assertEquals(List.of(1, 2, 3, 4), loaded.versions());
            for (int v = 1; v <= 4; v++) {
                assertArrayEquals(ring.key(v), loaded.key(v), "version " + v);
            }
        }
        assertEquals(4, fake.calls("Decrypt"));
    }

    @Test
    void aWrappedKeyMovedToAnotherVolumeOrVersionDoesNotUnwrap() {
        UUID volume = UUID.randomUUID();
        try (KmsKeySource source = kms(arn)) {
            KeyRecord r = source.wrap(volume, 1, dek(3));
            KeyRecord otherVolume = new KeyRecord(1, UUID.randomUUID(), KeyRecord.WRAPPED_BY_KMS, arn, r.wrapped());
            assertEquals("volume vm1: KMS refused to unwrap key version 1 with key " + arn + ": InvalidCiphertextException (the wrapped key was modified, or copied from another volume or key version)",
                    keyFailure(() -> source.unwrap("vm1", otherVolume)).getMessage());
            // Through the store: version 1's record copied in as version 2.
            InMemoryObjectStore store = new InMemoryObjectStore();
            store.put(KeyRecord.key("vm1/", 1), r.encode()).join();
            store.put(KeyRecord.key("vm1/", 2), new KeyRecord(2, volume, KeyRecord.WRAPPED_BY_KMS, arn, r.wrapped())
                    .encode()).join();
            KeyException e = keyFailure(() -> Keyring.load(store, "vm1/", volume, source).join());
            assertStartsWith("volume vm1: KMS refused to unwrap key version 2 with key " + arn, e.getMessage());
        }
    }

    @Test
    void aDisabledKeyIsNamedAndWorksAgainWhenEnabled() {
        UUID volume = UUID.randomUUID();
        try (KmsKeySource source = kms(arn)) {
            KeyRecord r = source.wrap(volume, 1, dek(4));
            fake.disable(arn);
            assertEquals("volume vm1: KMS key " + arn + " that wraps key version 1 is disabled: " + arn
                    + " is disabled. (DisabledException)", keyFailure(() -> source.unwrap("vm1", r)).getMessage());
            KeyException wrap = keyFailure(() -> source.wrap(volume, 2, dek(4)));
            assertStartsWith("volume " + volume + ": KMS refused to wrap key version 2 with KMS key " + arn,
                    wrap.getMessage());
            fake.enable(arn);
            assertArrayEquals(dek(4), source.unwrap("vm1", r));
        }
    }

    @Test
    void accessDeniedAndAnAliasNamingAnotherKeyAreRefusals() {
        UUID volume = UUID.randomUUID();
        try (KmsKeySource source = kms(arn)) {
            KeyRecord r = source.wrap(volume, 1, dek(5));
            fake.deny(arn);
            KeyException e = keyFailure(() -> source.unwrap("vm1", r));
            assertStartsWith("volume vm1: KMS refused to unwrap key version 1 with key " + arn + ": User:", e.getMessage());
            assertTrue(e.getMessage().endsWith("(AccessDeniedException)"), e.getMessage());
        }
        String other = fake.createKey();
        fake.alias("alias/moved", other);
        try (KmsKeySource wrapped = kms(other); KmsKeySource byAlias = kms("alias/moved")) {
            KeyRecord r = wrapped.wrap(volume, 1, dek(5));
            fake.alias("alias/moved", arn);
            KeyException e = keyFailure(() -> byAlias.unwrap("vm1", r));
            assertStartsWith("volume vm1: KMS refused to unwrap key version 1 with key " + other + ": ", e.getMessage());
            assertTrue(e.getMessage().endsWith("(IncorrectKeyException)"), e.getMessage());
        }
    }

    @Test
    void anotherKmsKeyIsTheWrongKeyWithoutAskingKms() {
        String other = fake.createKey();
        try (KmsKeySource a = kms(arn); KmsKeySource b = kms(other)) {
            KeyRecord r = a.wrap(UUID.randomUUID(), 1, dek(6));
            assertEquals("volume vm1: wrong key: KMS key " + other + " is not the volume's key (key version 1 is wrapped"
                    + " by the KMS key " + arn + ")", keyFailure(() -> b.unwrap("vm1", r)).getMessage());
            assertEquals(0, fake.calls("Decrypt"));
        }
    }

    @Test
    void localAndKmsRecordsNameTheOtherKind() {
        UUID volume = UUID.randomUUID();
        LocalKeySource local = EncryptingObjectStoreTest.key();
        try (KmsKeySource source = kms(arn)) {
            KeyRecord byLocal = local.wrap(volume, 1, dek(7));
            assertEquals("volume vm1: key version 1 is wrapped by the local key with fingerprint " + local.fingerprint()
                    + "; give it with --key-file or --key-env, not KMS key " + arn,
                    keyFailure(() -> source.unwrap("vm1", byLocal)).getMessage());
            KeyRecord byKms = source.wrap(volume, 2, dek(7));
            assertEquals("volume vm1: key version 2 is wrapped by the KMS key " + arn + "; give it with --kms-key-id,"
                    + " not test key",
                    keyFailure(() -> local.unwrap("vm1", byKms)).getMessage());
            assertEquals(0, fake.calls("Decrypt"));
        }
    }

    @Test
    void rewrapMovesKeysFromALocalKeyToKmsAndBack() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        UUID volume = UUID.randomUUID();
        LocalKeySource local = EncryptingObjectStoreTest.key();
        Keyring ring = Keyring.empty("v/", volume).rotate(store, "v/", local).join().rotate(store, "v/", local).join();
        String other = fake.createKey();
        try (KmsKeySource kms = kms(arn); KmsKeySource kms2 = kms(other)) {
            assertEquals(List.of(1, 2), Keyring.rewrap(store, "v/", volume, local, kms).join());
            assertEquals(List.of(), Keyring.rewrap(store, "v/", volume, local, kms).join(), "nothing left to rewrap");
            keyFailure(() -> Keyring.load(store, "v/", volume, local).join());
            Keyring underKms = Keyring.load(store, "v/", volume, kms).join();
            assertArrayEquals(ring.key(1), underKms.key(1));
            assertArrayEquals(ring.key(2), underKms.key(2));
            // From one KMS key to another, then back to the local key.
            assertEquals(List.of(1, 2), Keyring.rewrap(store, "v/", volume, kms, kms2).join());
            keyFailure(() -> Keyring.load(store, "v/", volume, kms).join());
            assertEquals(List.of(1, 2), Keyring.rewrap(store, "v/", volume, kms2, local).join());
        }
        Keyring back = Keyring.load(store, "v/", volume, local).join();
        assertArrayEquals(ring.key(1), back.key(1));
        assertArrayEquals(ring.key(2), back.key(2));
    }

    @Test
    void anEncryptedVolumeReadsAndWritesAndAsksKmsOnlyWhenOpened() {
        InMemoryObjectStore plain = EncryptingObjectStoreTest.withEncryptedVolume("vm1");
        int segments = 20;
        byte[][] bytes = new byte[segments][];
        try (KmsKeySource source = kms(arn)) {
            ObjectStore store = new EncryptingObjectStore(plain, source);
            Random random = new Random(8);
            for (int i = 0; i < segments; i++) {
                bytes[i] = new byte[1000 + random.nextInt(20_000)];
                random.nextBytes(bytes[i]);
                store.create(SegmentKeys.segment("vm1/", i + 1), ByteBuffer.wrap(bytes[i])).join();
            }
        }
        assertEquals(1, fake.calls("Encrypt"), "the first write creates key version 1");
        KeyRecord record = Keyring.records(plain, "vm1/").join().get(0);
        assertEquals(KeyRecord.WRAPPED_BY_KMS, record.wrapKind());
        UUID id = VolumeDescriptor.decode("vm1/volume", plain.get("vm1/volume", ByteRange.all()).join().data()).volumeId();
        assertEquals(id, record.volumeId());
        try (KmsKeySource source = kms(arn)) {
            ObjectStore store = new EncryptingObjectStore(plain, source);
            for (int pass = 0; pass < 3; pass++) {
                for (int i = 0; i < segments; i++) {
                    String k = SegmentKeys.segment("vm1/", i + 1);
                    assertArrayEquals(bytes[i], store.get(k, ByteRange.all()).join().toByteArray(), k);
                    assertArrayEquals(java.util.Arrays.copyOfRange(bytes[i], 500, 600),
                            store.get(k, ByteRange.of(500, 100)).join().toByteArray(), k);
                }
            }
            assertEquals(1, fake.calls("Decrypt"), "one key version: one Decrypt, then none");
            store.create(SegmentKeys.segment("vm1/", segments + 1), ByteBuffer.wrap(new byte[] {9})).join();
            assertArrayEquals(new byte[] {9},
                    store.get(SegmentKeys.segment("vm1/", segments + 1), ByteRange.all()).join().toByteArray());
        }
        assertEquals(1, fake.calls("Encrypt"));
        assertEquals(1, fake.calls("Decrypt"));
        KeyException without = keyFailure(() -> new EncryptingObjectStore(plain, EncryptingObjectStoreTest.key())
                .get(SegmentKeys.segment("vm1/", 1), ByteRange.all()).join());
        assertStartsWith("volume vm1: key version 1 is wrapped by the KMS key " + arn, without.getMessage());
    }

    @Test
    void anUnreachableKmsIsOneLine() {
        KeyRecord r;
        try (KmsKeySource source = kms(arn)) {
            r = source.wrap(UUID.randomUUID(), 1, dek(9));
        }
        URI gone = fake.uri();
        fake.close();
        KmsClient client = KmsClient.builder().endpointOverride(gone).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(1)))
                .httpClientBuilder(AwsCrtHttpClient.builder()).build();
        try (KmsKeySource source = new KmsKeySource(client, arn)) {
            assertStartsWith("volume vm1: cannot reach KMS to unwrap key version 1: ",
                    keyFailure(() -> source.unwrap("vm1", r)).getMessage());
            assertStartsWith("volume " + r.volumeId() + ": cannot reach KMS to wrap key version 2: ",
                    keyFailure(() -> source.wrap(r.volumeId(), 2, dek(9))).getMessage());
        }
    }

    @Test
    void aKmsFailureIsNotCalledARefusal() {
        KmsClient client = KmsClient.builder().endpointOverride(fake.uri()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(1)))
                .httpClientBuilder(AwsCrtHttpClient.builder()).build();
        try (KmsKeySource source = new KmsKeySource(client, arn)) {
            KeyRecord r = source.wrap(UUID.randomUUID(), 1, dek(11));
            fake.fail(arn);
            assertEquals("volume vm1: KMS failed to unwrap key version 1 with key " + arn + ": An internal error"
                    + " occurred. (KMSInternalException)", keyFailure(() -> source.unwrap("vm1", r)).getMessage());
            assertStartsWith("volume " + r.volumeId() + ": KMS failed to wrap key version 2 with KMS key " + arn,
                    keyFailure(() -> source.wrap(r.volumeId(), 2, dek(11))).getMessage());
        }
    }

    @Test
    void aPlaintextThatIsNotADataKeyIsRefused() {
        UUID volume = UUID.randomUUID();
        try (KmsClient client = fake.client(); KmsKeySource source = kms(arn)) {
            byte[] blob = client.encrypt(e -> e.keyId(arn).plaintext(SdkBytes.fromByteArray(new byte[16]))
                    .encryptionContext(KmsKeySource.context(volume, 1))).ciphertextBlob().asByteArray();
            KeyRecord r = new KeyRecord(1, volume, KeyRecord.WRAPPED_BY_KMS, arn, blob);
            assertEquals("volume vm1: KMS unwrapped key version 1 with key " + arn + " to 16 bytes, not a 32-byte data"
                    + " key", keyFailure(() -> source.unwrap("vm1", r)).getMessage());
        }
    }

    @Test
    void theRegionComesFromTheArgumentElseTheKeyArn() {
        assertEquals(Region.EU_WEST_2, KmsKeySource.region("arn:aws:kms:eu-west-2:111122223333:key/k", null, null));
        assertEquals(Region.AP_SOUTH_1, KmsKeySource.region("arn:aws:kms:eu-west-2:111122223333:alias/a", "ap-south-1",
                null));
        assertEquals(null, KmsKeySource.region("alias/a", null, null));
        try (KmsKeySource s = KmsKeySource.create("alias/a", "us-east-1", fake.uri(), null)) {
            assertEquals("KMS key alias/a", s.describe());
        }
    }

    @Test
    void missingCredentialsAreSaidSo() {
        try (KmsKeySource s = KmsKeySource.create(arn, null, fake.uri(), "hyperfile-test-no-such-profile")) {
            KeyException e = keyFailure(() -> s.wrap(UUID.randomUUID(), 1, dek(10)));
            assertTrue(e.getMessage().contains(": no AWS credentials to ask KMS to wrap key version 1: "), e.getMessage());
        }
        assertEquals(0, fake.calls("Encrypt"));
    }
}
