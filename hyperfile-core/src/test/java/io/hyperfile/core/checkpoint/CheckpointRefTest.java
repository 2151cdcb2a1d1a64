package io.hyperfile.core.checkpoint;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CheckpointRefTest {
    private static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");

    @Test
    void parsesEveryFormAndPrintsItBack() {
        assertEquals(CheckpointRef.Kind.NEWEST, CheckpointRef.parse("disk").kind());
        CheckpointRef snap = CheckpointRef.parse("disk@monday");
        assertEquals("monday", snap.snapshot());
        assertEquals(42, CheckpointRef.parse("disk@seq:42").seq());
        assertEquals(Instant.parse("2026-12-04T10:15:00Z"), CheckpointRef.parse("disk@time:2026-12-04T10:15:00Z").time());
        for (String text : List.of("disk", "disk@monday", "disk@seq:0", "disk@seq:42", "disk@time:2026-12-04T10:15:00Z")) {
            assertEquals(text, CheckpointRef.parse(text).toString());
            assertEquals("disk", CheckpointRef.parse(text).volume());
        }
        assertTrue(CheckpointRef.parse("disk").isNewest());
    }

    @Test
    void badReferencesAreOneLineErrors() {
        for (String bad : List.of("", "@x", "disk@", "disk@seq:", "disk@seq:-1", "disk@seq:x", "disk@seq:99999999999999999999",
                "disk@time:yesterday", "disk@a/b", "../x", "disk@seq:1@2")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CheckpointRef.parse(bad), bad);
            assertTrue(!e.getMessage().contains("\n") && !e.getMessage().isEmpty(), e.getMessage());
        }
    }

    @Test
    void resolvesSnapshotsSeqsAndTimesAgainstTheStore() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        AtomicLong now = new AtomicLong(T0.toEpochMilli());
        Clock clock = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(now.get());
            }
        };
        VolumeCatalog catalog = new VolumeCatalog(store);
        await(catalog.create("disk", VolumeOptions.ofSize(1 << 20), clock));
        now.addAndGet(60_000);
        Volume v = await(catalog.open("disk", VolumeConfig.builder().clock(clock).build()));
        List<Long> seqs = new ArrayList<>();
        List<Instant> times = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            now.addAndGet(60_000);
            await(v.write(4096L * i, ByteBuffer.allocate(4096)));
            await(v.flush());
            seqs.add(await(v.durableSeq()));
            times.add(Instant.ofEpochMilli(now.get()));
        }
        await(v.close());
        await(Snapshots.create(store, "disk/", "two", seqs.get(1)));

        assertEquals(seqs.get(3), await(CheckpointRef.parse("disk").resolve(store)));
        assertEquals(seqs.get(1), await(CheckpointRef.parse("disk@two").resolve(store)));
        assertEquals(seqs.get(2), await(CheckpointRef.ofSeq("disk", seqs.get(2)).resolve(store)));
        assertEquals(0L, await(CheckpointRef.parse("disk@seq:0").resolve(store)));
        for (int i = 0; i < 4; i++) {
            assertEquals(seqs.get(i), await(CheckpointRef.parse("disk@time:" + times.get(i)).resolve(store)));
            assertEquals(seqs.get(i), await(CheckpointRef.parse("disk@time:" + times.get(i).plusSeconds(30)).resolve(store)));
        }
        // Between creation and the first checkpoint the volume was empty (the claim segment of the open came before).
        long claim = await(CheckpointLocator.allSegments(store, "disk/")).get(0);
        assertEquals(claim, await(CheckpointRef.parse("disk@time:" + times.get(0).minusSeconds(30)).resolve(store)));
        assertEquals(0L, await(CheckpointRef.parse("disk@time:" + T0.plusSeconds(30)).resolve(store)));

        assertTrue(failure(ObjectNotFoundException.class, CheckpointRef.parse("disk@none").resolve(store)).getMessage()
                .contains("no snapshot disk@none"));
        assertTrue(failure(ObjectNotFoundException.class, CheckpointRef.parse("disk@seq:999").resolve(store)).getMessage()
                .contains("no checkpoint disk@seq:999"));
        assertTrue(failure(ObjectNotFoundException.class, CheckpointRef.parse("disk@time:" + T0.minusSeconds(1)).resolve(store))
                .getMessage().contains("created later"));

        // Garbage collection deleted the oldest segments: a time before the oldest kept one is not the empty volume.
        await(store.delete(SegmentKeys.segment("disk/", claim)));
        assertTrue(failure(ObjectNotFoundException.class, CheckpointRef.parse("disk@time:" + T0.plusSeconds(30)).resolve(store))
                .getMessage().contains("deleted by garbage collection"));
    }
}
