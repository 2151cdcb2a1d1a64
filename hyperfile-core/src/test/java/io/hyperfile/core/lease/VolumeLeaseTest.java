package io.hyperfile.core.lease;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The lease record's bytes (pinned), its checks on read, freshness, and {@link Leases} on a store. */
class VolumeLeaseTest {
    private static final VolumeLease LEASE = new VolumeLease(new UUID(0x0102030405060708L, 0x090a0b0c0d0e0f10L), "h1", 42,
            "127.0.0.1:10809", 1_000, 31_000, 30_000);

    @Test
    void goldenBytes() {
        String hex = HexFormat.of().formatHex(bytes(LEASE.encode()));
        assertEquals("4846564c45415345" + "0100" + "0000" + "0807060504030201" + "100f0e0d0c0b0a09" + "2a00000000000000" + "e803000000000000" + "1879000000000000"
                + "30750000" + "0200" + "6831" + "0f00" + HexFormat.of().formatHex("127.0.0.1:10809".getBytes()),
                hex.substring(0, hex.length() - 8), "everything but the checksum");
        assertEquals(56 + 2 + 2 + 2 + 15 + 4, hex.length() / 2);
        assertEquals(LEASE, VolumeLease.decode("v/lease", LEASE.encode()));
    }

    @Test
    void everyDamagedByteIsRefusedNamingTheKey() {
        byte[] good = bytes(LEASE.encode());
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x40;
            CorruptionException e = assertThrows(CorruptionException.class, () -> VolumeLease.decode("v/lease", ByteBuffer.wrap(bad)),
                    "byte " + i);
            assertTrue(e.getMessage().contains("v/lease"), e.getMessage());
        }
        assertThrows(CorruptionException.class, () -> VolumeLease.decode("v/lease", ByteBuffer.wrap(new byte[10])));
    }

    @Test
    void freshForThreeRenewalPeriodsAfterTheLastRenewal() {
        Instant renewed = Instant.ofEpochMilli(LEASE.renewedMillis());
        assertTrue(LEASE.isFresh(renewed));
        assertTrue(LEASE.isFresh(renewed.plus(Duration.ofSeconds(90))));
        assertFalse(LEASE.isFresh(renewed.plus(Duration.ofSeconds(90)).plusMillis(1)));
        assertTrue(LEASE.isFresh(renewed.minus(Duration.ofHours(1))), "a reader whose clock is behind the holder's");
        assertEquals(Duration.ofSeconds(12), LEASE.age(renewed.plusSeconds(12)));
        assertEquals("host h1, pid 42, serving on 127.0.0.1:10809", LEASE.holder());
    }

    @Test
    void longTextIsCutToWhatTheRecordHolds() {
        VolumeLease l = LEASE.withListenAddress("é".repeat(200));
        assertEquals(127, l.listenAddress().length(), "127 two-byte characters fit 255 bytes");
        assertEquals(l, VolumeLease.decode("k", l.encode()));
        assertThrows(IllegalArgumentException.class, () -> new VolumeLease(UUID.randomUUID(), "h", 1, "", 0, 0, 0));
    }

    @Test
    void writeReadDelete() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        assertEquals(Optional.empty(), await(Leases.read(store, "v/")));
        await(Leases.write(store, "v/", LEASE));
        assertEquals(Optional.of(LEASE), await(Leases.read(store, "v/")));
        assertTrue(await(store.head("v/lease")) != null, "the key is P/lease");
        await(Leases.write(store, "v/", LEASE.renewedAt(61_000)));
        assertEquals(61_000, await(Leases.read(store, "v/")).orElseThrow().renewedMillis());
        await(store.put("v/lease", ByteBuffer.wrap("junk".getBytes())));
        failure(CorruptionException.class, Leases.read(store, "v/"));
        await(Leases.delete(store, "v/"));
        await(Leases.delete(store, "v/"));
        assertEquals(Optional.empty(), await(Leases.read(store, "v/")));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
