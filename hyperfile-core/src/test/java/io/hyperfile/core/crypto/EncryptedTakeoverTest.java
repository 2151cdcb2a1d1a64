package io.hyperfile.core.crypto;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ForwardingObjectStore;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeFencedException;
import io.hyperfile.core.volume.VolumeOptions;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Two writers of one encrypted volume, the second taking it over while the first still writes: both try to store
 * the same segment seq. Every envelope either of them sent to the store (landed or refused) was sealed under its own
 * object key, so no (key, nonce) pair was ever used twice, even for the seq both wrote.
 */
class EncryptedTakeoverTest {
    /** What reached the store below the encryption layers: every write attempt of an envelope. */
    static final class Recording extends ForwardingObjectStore {
        final List<String> keys = new ArrayList<>();
        final List<byte[]> envelopes = new ArrayList<>();

        Recording(ObjectStore delegate) {
            super(delegate);
        }

        @Override
        public synchronized CompletableFuture<Void> create(String key, ByteBuffer data) {
            record(key, data);
            return super.create(key, data);
        }

        @Override
        public synchronized CompletableFuture<Void> put(String key, ByteBuffer data) {
            record(key, data);
            return super.put(key, data);
        }

        private void record(String key, ByteBuffer data) {
            if (EncryptingObjectStore.prefixOf(key) != null) {
                byte[] b = new byte[data.remaining()];
                data.duplicate().get(b);
                keys.add(key);
                envelopes.add(b);
            }
        }
    }

    private static ByteBuffer block(int value) {
        byte[] b = new byte[4096];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    @Test
    void twoWritersNeverSealUnderTheSameKeyAndNonce() {
        InMemoryObjectStore memory = new InMemoryObjectStore();
        Recording recording = new Recording(memory);
        ObjectStore forA = new EncryptingObjectStore(recording, TestEncodings.key());
        ObjectStore forB = new EncryptingObjectStore(recording, TestEncodings.key());
        await(Volume.create(forA, "v", VolumeOptions.ofSize(1 << 20).withEncoding(TestEncodings.parse("aes-256-gcm")),
                Clock.systemUTC()));
        Volume a = await(Volume.open(forA, "v", "a", VolumeConfig.DEFAULT));
        await(a.write(0, block(1)));
        await(a.flush());
        Volume b = await(Volume.open(forB, "v", "b", VolumeConfig.DEFAULT));
        await(a.write(4096, block(2)));
        failure(VolumeFencedException.class, a.flush());
        await(b.write(4096, block(4)));
        await(b.flush());
        await(b.close());
        a.abort();

        // Derive the object key of every envelope sent and check none repeats.
        VolumeDescriptor d = VolumeDescriptor.decode("v/volume", memory.get("v/volume", ByteRange.all()).join().data());
        Keyring ring = Keyring.load(memory, "v/", d.volumeId(), TestEncodings.key()).join();
        Map<String, String> seen = new HashMap<>();
        Map<String, Integer> attemptsPerKey = new HashMap<>();
        for (int i = 0; i < recording.keys.size(); i++) {
            String key = recording.keys.get(i);
            ByteBuffer env = ByteBuffer.wrap(recording.envelopes.get(i));
            int version = ObjectEnvelope.keyVersionOf(key, env);
            byte[] salt = ObjectEnvelope.saltOf(env);
            String objectKey = HexFormat.of().formatHex(ObjectEnvelope.objectKey(ring.key(version), d.volumeId(), salt,
                    key.substring(2)).getEncoded());
            String before = seen.put(objectKey, key + " #" + i);
            assertEquals(null, before, "object key of " + key + " #" + i + " was already used by " + before);
            attemptsPerKey.merge(key, 1, Integer::sum);
        }
        String contested = SegmentKeys.segment("v/", 3);
        assertTrue(attemptsPerKey.getOrDefault(contested, 0) >= 2,
                "both writers sealed " + contested + ": " + attemptsPerKey);

        Volume reopened = await(Volume.open(new EncryptingObjectStore(memory, TestEncodings.key()), "v", "c",
                VolumeConfig.DEFAULT));
        ByteBuffer got = ByteBuffer.allocate(8192);
        await(reopened.read(0, got));
        byte[] expected = new byte[8192];
        Arrays.fill(expected, 0, 4096, (byte) 1);
        Arrays.fill(expected, 4096, 8192, (byte) 4);
        assertArrayEquals(expected, got.array());
        await(reopened.close());
    }
}
