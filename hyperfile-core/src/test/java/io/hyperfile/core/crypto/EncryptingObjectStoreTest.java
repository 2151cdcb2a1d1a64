package io.hyperfile.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.encoding.Compression;
import io.hyperfile.core.encoding.Encryption;
import io.hyperfile.core.encoding.SegmentEncoding;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.ForwardingObjectStore;
import io.hyperfile.core.store.InvalidRangeException;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EncryptingObjectStoreTest {
    static final byte[] KEY = new byte[32];
    static final byte[] OTHER_KEY = new byte[32];

    static {
        new Random(1).nextBytes(KEY);
        new Random(2).nextBytes(OTHER_KEY);
    }

    static LocalKeySource key() {
        return new LocalKeySource(KEY, "test key");
    }

    /** A store holding the descriptor of encrypted volume {@code name}. */
    static InMemoryObjectStore withEncryptedVolume(String name) {
        InMemoryObjectStore plain = new InMemoryObjectStore();
        VolumeDescriptor d = new VolumeDescriptor(io.hyperfile.core.format.FormatVersion.V4, 4096, 1 << 20, 1 << 20, 4096,
                UUID.randomUUID(), 0, null, new SegmentEncoding(Compression.NONE, 0, Encryption.AES_256_GCM));
        plain.put(SegmentKeys.descriptor(name + "/"), d.encode()).join();
        return plain;
    }

    static Throwable failure(Runnable r) {
        CompletionException e = assertThrows(CompletionException.class, r::run);
        return Exceptions.unwrap(e);
    }

    @Test
    void everyRangeOfEveryObjectSizeReadsThePlaintext() {
        InMemoryObjectStore plain = withEncryptedVolume("v");
        ObjectStore store = new EncryptingObjectStore(plain, key());
        Random random = new Random(3);
        long seq = 1;
        for (int size : new int[] {0, 1, 100, 4095, 4096, 4097, 8192, 12_289, 100_000}) {
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            String k = SegmentKeys.segment("v/", seq++);
            store.create(k, ByteBuffer.wrap(bytes)).join();
            ObjectData all = store.get(k, ByteRange.all()).join();
            assertArrayEquals(bytes, all.toByteArray(), "whole object of " + size);
            assertEquals(size, all.objectSize());
            assertEquals(ObjectEnvelope.ciphertextSize(size), plain.head(k).join().size());
            assertEquals(size, store.head(k).join().size(), "head shows the plaintext size");
            assertEquals(size, store.listAll("v/seg/", null).join().stream().filter(i -> i.key().equals(k)).findFirst()
                    .orElseThrow().size(), "listing shows the plaintext size");
            // From 16 bytes on: a 1-byte object's ciphertext equals its plaintext once in 256 keys (CI failure).
            assertFalse(Arrays.equals(bytes, Arrays.copyOfRange(plain.get(k, ByteRange.all()).join().toByteArray(),
                    ObjectEnvelope.HEADER, ObjectEnvelope.HEADER + size)) && size >= 16, "the store holds no plaintext");
            for (int i = 0; i < 40 && size > 0; i++) {
                int from = random.nextInt(size);
                int length = 1 + random.nextInt(Math.min(size - from + 50, 20_000));
                ObjectData d = store.get(k, ByteRange.of(from, length)).join();
                assertEquals(from, d.offset());
                assertArrayEquals(Arrays.copyOfRange(bytes, from, Math.min(size, from + length)), d.toByteArray(),
                        "span " + from + "+" + length + " of " + size);
                ObjectData f = store.get(k, ByteRange.from(from)).join();
                assertArrayEquals(Arrays.copyOfRange(bytes, from, size), f.toByteArray());
                int n = 1 + random.nextInt(size + 10);
                ObjectData s = store.get(k, ByteRange.suffix(n)).join();
                assertArrayEquals(Arrays.copyOfRange(bytes, Math.max(0, size - n), size), s.toByteArray(), "suffix " + n);
                assertEquals(size, s.objectSize());
            }
            if (size > 0) {
                assertInstanceOf(InvalidRangeException.class, failure(() -> store.get(k, ByteRange.of(size, 10)).join()));
            }
        }
    }

    @Test
    void readsThroughAFreshLayerFetchTheHeaderOfRangesPastTheFirstChunk() {
        InMemoryObjectStore plain = withEncryptedVolume("v");
        byte[] bytes = new byte[50_000];
        new Random(4).nextBytes(bytes);
        String k = SegmentKeys.segment("v/", 7);
        new EncryptingObjectStore(plain, key()).create(k, ByteBuffer.wrap(bytes)).join();
        ObjectStore fresh = new EncryptingObjectStore(plain, key());
        assertArrayEquals(Arrays.copyOfRange(bytes, 30_000, 30_100), fresh.get(k, ByteRange.of(30_000, 100)).join().toByteArray());
        assertArrayEquals(Arrays.copyOfRange(bytes, 49_900, 50_000), fresh.get(k, ByteRange.suffix(100)).join().toByteArray());
    }

    @Test
    void theWriterKnowsTheHeaderAndAFreshReaderFetchesItOnce() {
        InMemoryObjectStore plain = withEncryptedVolume("v");
        java.util.concurrent.atomic.AtomicInteger gets = new java.util.concurrent.atomic.AtomicInteger();
        ObjectStore counting = new io.hyperfile.core.store.ForwardingObjectStore(plain) {
            @Override
            public java.util.concurrent.CompletableFuture<ObjectData> get(String key, ByteRange range) {
                if (key.contains("/seg/")) {
                    gets.incrementAndGet();
                }
                return super.get(key, range);
            }
        };
        byte[] bytes = new byte[50_000];
        new Random(6).nextBytes(bytes);
        String k = SegmentKeys.segment("v/", 8);
        ObjectStore writer = new EncryptingObjectStore(counting, key());
        writer.create(k, ByteBuffer.wrap(bytes)).join();
        gets.set(0);
        assertArrayEquals(Arrays.copyOfRange(bytes, 30_000, 30_100), writer.get(k, ByteRange.of(30_000, 100)).join().toByteArray());
        assertEquals(1, gets.get(), "the writer reads the chunks only");
        ObjectStore fresh = new EncryptingObjectStore(counting, key());
        gets.set(0);
        fresh.get(k, ByteRange.of(30_000, 100)).join();
        assertEquals(2, gets.get(), "a fresh reader fetches the header too");
        fresh.get(k, ByteRange.of(20_000, 100)).join();
        assertEquals(3, gets.get(), "then remembers it");
    }

    @Test
    void everyFlippedByteIsAnErrorNeverOtherData() {
        InMemoryObjectStore plain = withEncryptedVolume("v");
        byte[] bytes = new byte[9000];
        new Random(5).nextBytes(bytes);
        String k = SegmentKeys.segment("v/", 1);
        new EncryptingObjectStore(plain, key()).create(k, ByteBuffer.wrap(bytes)).join();
        byte[] sealed = plain.get(k, ByteRange.all()).join().toByteArray();
        for (int i = 0; i < sealed.length; i++) {
            byte[] bad = sealed.clone();
            bad[i] ^= (byte) (1 << (i % 8));
            plain.put(k, ByteBuffer.wrap(bad)).join();
            ObjectStore store = new EncryptingObjectStore(plain, key());
            int at = i;
            Throwable t = failure(() -> store.get(k, ByteRange.all()).join());
            assertInstanceOf(CorruptionException.class, t, "byte " + at);
        }
        // Truncated at a chunk boundary, or extended: refused too.
        for (int length : new int[] {(int) ObjectEnvelope.chunkOffset(2), sealed.length - 1}) {
            plain.put(k, ByteBuffer.wrap(Arrays.copyOf(sealed, length))).join();
            Throwable t = failure(() -> new EncryptingObjectStore(plain, key()).get(k, ByteRange.all()).join());
            assertInstanceOf(CorruptionException.class, t, "truncated to " + length);
        }
    }

    @Test
    void anObjectMovedToAnotherNameDoesNotDecrypt() {
        InMemoryObjectStore plain = withEncryptedVolume("v");
        ObjectStore store = new EncryptingObjectStore(plain, key());
        store.create(SegmentKeys.segment("v/", 1), ByteBuffer.wrap(new byte[100])).join();
        store.create(SegmentKeys.segment("v/", 2), ByteBuffer.wrap(new byte[100])).join();
        plain.put(SegmentKeys.segment("v/", 2), plain.get(SegmentKeys.segment("v/", 1), ByteRange.all()).join().data()).join();
        Throwable t = failure(() -> new EncryptingObjectStore(plain, key()).get(SegmentKeys.segment("v/", 2), ByteRange.all()).join());
        assertInstanceOf(CorruptionException.class, t);
    }

    @Test
    void aWrongOrMissingKeyIsRefusedNamingTheVolume() {
        InMemoryObjectStore plain = withEncryptedVolume("vm1");
        String k = SegmentKeys.segment("vm1/", 1);
        new EncryptingObjectStore(plain, key()).create(k, ByteBuffer.wrap(new byte[10])).join();
        Throwable wrong = failure(() -> new EncryptingObjectStore(plain, new LocalKeySource(OTHER_KEY, "key file k2"))
                .get(k, ByteRange.all()).join());
        assertInstanceOf(KeyException.class, wrong);
        assertTrue(wrong.getMessage().startsWith("volume vm1: wrong key: key file k2"), wrong.getMessage());
        assertFalse(wrong.getMessage().contains("\n"));
        Throwable none = failure(() -> new EncryptingObjectStore(plain, null).get(k, ByteRange.all()).join());
        assertInstanceOf(KeyException.class, none);
        assertTrue(none.getMessage().startsWith("volume vm1 is encrypted"), none.getMessage());
        // The wrong key writes nothing either.
        failure(() -> new EncryptingObjectStore(plain, new LocalKeySource(OTHER_KEY, "k2"))
                .create(SegmentKeys.segment("vm1/", 2), ByteBuffer.wrap(new byte[10])).join());
        assertEquals(null, plain.head(SegmentKeys.segment("vm1/", 2)).join());
    }

    @Test
    void readLendsThePlaintextAndPassesUnencryptedObjectsToTheStoreBelow() {
        InMemoryObjectStore plain = withEncryptedVolume("e");
        VolumeDescriptor d = new VolumeDescriptor(io.hyperfile.core.format.FormatVersion.V1, 4096, 1 << 20, 1 << 20, 4096,
                UUID.randomUUID(), 0);
        plain.put(SegmentKeys.descriptor("p/"), d.encode()).join();
        java.util.concurrent.atomic.AtomicInteger lentBelow = new java.util.concurrent.atomic.AtomicInteger();
        ObjectStore below = new io.hyperfile.core.store.ForwardingObjectStore(plain) {
            @Override
            public <T> java.util.concurrent.CompletableFuture<T> read(String key, ByteRange range,
                    java.util.function.Function<ObjectData, T> reader) {
                lentBelow.incrementAndGet();
                return delegate.read(key, range, reader);
            }
        };
        ObjectStore store = new EncryptingObjectStore(below, key());
        byte[] bytes = new byte[30_000];
        new Random(9).nextBytes(bytes);
        String enc = SegmentKeys.segment("e/", 1);
        String clear = SegmentKeys.segment("p/", 1);
        store.create(enc, ByteBuffer.wrap(bytes)).join();
        store.create(clear, ByteBuffer.wrap(bytes)).join();

        assertArrayEquals(Arrays.copyOfRange(bytes, 5_000, 25_000),
                store.read(enc, ByteRange.of(5_000, 20_000), ObjectData::toByteArray).join(), "decrypted span");
        assertEquals(0, lentBelow.get(), "an encrypted object was read from below without decrypting");
        assertArrayEquals(Arrays.copyOfRange(bytes, 5_000, 25_000),
                store.read(clear, ByteRange.of(5_000, 20_000), ObjectData::toByteArray).join());
        assertEquals(1, lentBelow.get(), "an unencrypted volume's object is read by the store below");
        assertInstanceOf(InvalidRangeException.class,
                failure(() -> store.read(enc, ByteRange.of(30_000, 1), ObjectData::length).join()));
    }

    @Test
    void unencryptedVolumesAndOtherObjectsPassThrough() {
        InMemoryObjectStore plain = new InMemoryObjectStore();
        VolumeDescriptor d = new VolumeDescriptor(io.hyperfile.core.format.FormatVersion.V1, 4096, 1 << 20, 1 << 20, 4096,
                UUID.randomUUID(), 0);
        plain.put(SegmentKeys.descriptor("p/"), d.encode()).join();
        ObjectStore store = new EncryptingObjectStore(plain, null);
        store.create(SegmentKeys.segment("p/", 1), ByteBuffer.wrap(new byte[] {1, 2, 3})).join();
        assertArrayEquals(new byte[] {1, 2, 3}, plain.get(SegmentKeys.segment("p/", 1), ByteRange.all()).join().toByteArray());
        InMemoryObjectStore enc = withEncryptedVolume("e");
        ObjectStore encrypted = new EncryptingObjectStore(enc, key());
        encrypted.put("e/snap/s1", ByteBuffer.wrap(new byte[] {4})).join();
        assertArrayEquals(new byte[] {4}, enc.get("e/snap/s1", ByteRange.all()).join().toByteArray());
    }

    @Test
    void rotationAddsAVersionNewObjectsUseAndOldOnesStillRead() {
        InMemoryObjectStore plain = withEncryptedVolume("v");
        ObjectStore store = new EncryptingObjectStore(plain, key());
        String k1 = SegmentKeys.segment("v/", 1);
        store.create(k1, ByteBuffer.wrap(new byte[] {1})).join();
        UUID id = VolumeDescriptor.decode("v/volume", plain.get("v/volume", ByteRange.all()).join().data()).volumeId();
        Keyring ring = Keyring.load(plain, "v/", id, key()).join();
        assertEquals(java.util.List.of(1), ring.versions());
        ring.rotate(plain, "v/", key()).join();
        ObjectStore after = new EncryptingObjectStore(plain, key());
        String k2 = SegmentKeys.segment("v/", 2);
        after.create(k2, ByteBuffer.wrap(new byte[] {2})).join();
        assertEquals(2, ObjectEnvelope.keyVersionOf(k2, plain.get(k2, ByteRange.all()).join().data()));
        assertEquals(1, ObjectEnvelope.keyVersionOf(k1, plain.get(k1, ByteRange.all()).join().data()));
        // The layer opened before the rotation learns version 2 when it meets it.
        assertArrayEquals(new byte[] {2}, store.get(k2, ByteRange.all()).join().toByteArray());
        // Rewrap under another user key: the old key no longer opens, the new one opens everything.
        LocalKeySource next = new LocalKeySource(OTHER_KEY, "next");
        assertEquals(java.util.List.of(1, 2), Keyring.rewrap(plain, "v/", id, key(), next).join());
        assertEquals(java.util.List.of(), Keyring.rewrap(plain, "v/", id, key(), next).join(), "nothing left to rewrap");
        assertInstanceOf(KeyException.class, failure(() -> new EncryptingObjectStore(plain, key()).get(k1, ByteRange.all()).join()));
        ObjectStore rewrapped = new EncryptingObjectStore(plain, next);
        assertArrayEquals(new byte[] {1}, rewrapped.get(k1, ByteRange.all()).join().toByteArray());
        assertArrayEquals(new byte[] {2}, rewrapped.get(k2, ByteRange.all()).join().toByteArray());
    }

    @Test
    void aWriteRightAfterAFailedFirstKeyCreationCreatesTheKeyAgain() {
        // The volume's first write creates key version 1. That create fails; the caller writes again from the failed
        // write's own callback, on the thread that failed it: the failed keyring must be gone by then.
        InMemoryObjectStore plain = withEncryptedVolume("v");
        CompletableFuture<Void> firstKeyCreate = new CompletableFuture<>();
        AtomicInteger keyCreates = new AtomicInteger();
        ObjectStore gated = new ForwardingObjectStore(plain) {
            @Override
            public CompletableFuture<Void> create(String key, ByteBuffer data) {
                if (key.equals(KeyRecord.key("v/", 1)) && keyCreates.getAndIncrement() == 0) {
                    return firstKeyCreate;
                }
                return super.create(key, data);
            }
        };
        EncryptingObjectStore store = new EncryptingObjectStore(gated, key());
        CompletableFuture<CompletableFuture<Void>> again = new CompletableFuture<>();
        CompletableFuture<Void> first = store.put(SegmentKeys.segment("v/", 1), ByteBuffer.wrap(new byte[100]));
        first.whenComplete((v, e) -> again.complete(store.put(SegmentKeys.segment("v/", 2), ByteBuffer.wrap(new byte[100]))));
        firstKeyCreate.completeExceptionally(new StorageException(KeyRecord.key("v/", 1), FailureCategory.TRANSIENT, "store down"));
        assertInstanceOf(StorageException.class, failure(first::join));
        again.join().join();
        assertEquals(2, keyCreates.get());
        assertArrayEquals(new byte[100], new EncryptingObjectStore(plain, key()).get(SegmentKeys.segment("v/", 2), ByteRange.all())
                .join().toByteArray());
    }

    @Test
    void everyWriteHasItsOwnSalt() {
        InMemoryObjectStore plain = withEncryptedVolume("v");
        ObjectStore store = new EncryptingObjectStore(plain, key());
        String k = SegmentKeys.segment("v/", 1);
        store.put(k, ByteBuffer.wrap(new byte[100])).join();
        byte[] first = ObjectEnvelope.saltOf(plain.get(k, ByteRange.all()).join().data());
        store.put(k, ByteBuffer.wrap(new byte[100])).join();
        byte[] second = ObjectEnvelope.saltOf(plain.get(k, ByteRange.all()).join().data());
        assertNotEquals(ByteBuffer.wrap(first), ByteBuffer.wrap(second));
    }
}
