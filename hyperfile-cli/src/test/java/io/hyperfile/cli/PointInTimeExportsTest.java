package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.export.ExportRegistry;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PointInTimeExportsTest {
    private static final int SIZE = 1 << 20;
    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final ExportRegistry registry = new ExportRegistry();
    private final Map<String, Integer> connections = new HashMap<>();
    private final AtomicLong nanos = new AtomicLong();
    private final Set<String> served = new java.util.HashSet<>(Set.of("vol"));

    private PointInTimeExports exports(int maxOpen) {
        PointInTimeExports p = new PointInTimeExports(store, VolumeConfig.DEFAULT, registry, served::contains,
                name -> connections.getOrDefault(name, 0), new PointInTimeExports.Settings(maxOpen, Duration.ofMinutes(1)),
                nanos::get);
        registry.onDemand(p);
        return p;
    }

    /** Writes three states; returns their checkpoint seqs and contents. */
    private Map<Long, byte[]> writeStates() {
        Volume.create(store, "vol/", VolumeOptions.ofSize(SIZE), Clock.systemUTC()).join();
        Volume v = Volume.open(store, "vol/", "vol", VolumeConfig.DEFAULT).join();
        Map<Long, byte[]> states = new HashMap<>();
        byte[] content = new byte[SIZE];
        Random rnd = new Random(3);
        for (int i = 0; i < 3; i++) {
            byte[] block = new byte[64 << 10];
            rnd.nextBytes(block);
            int at = rnd.nextInt(SIZE / block.length) * block.length;
            System.arraycopy(block, 0, content, at, block.length);
            v.write(at, ByteBuffer.wrap(block)).join();
            v.flush().join();
            states.put(v.durableSeq().join(), content.clone());
        }
        v.close().join();
        return states;
    }

    private static byte[] readAll(Export e) {
        ByteBuffer all = ByteBuffer.allocate((int) e.sizeBytes());
        e.device().read(0, all).join();
        return all.array();
    }

    @Test
    void opensACheckpointOnDemandReadOnlyUnderTheNameAskedFor() {
        Map<Long, byte[]> states = writeStates();
        PointInTimeExports p = exports(8);
        for (Map.Entry<Long, byte[]> s : states.entrySet()) {
            String name = "vol@seq:" + s.getKey();
            Optional<String> failure = registry.openOnDemand(name).orElseThrow().join();
            assertEquals(Optional.empty(), failure);
            Export e = registry.find(name).orElseThrow();
            assertTrue(e.readOnly());
            assertArrayEquals(s.getValue(), readAll(e), name);
            assertTrue(registry.openOnDemand(name).isEmpty(), "registered: nothing more to open");
        }
        assertEquals(3, p.names().size());
        p.close();
        assertEquals(0, registry.size());
    }

    @Test
    void namesItDoesNotServeAreLeftToTheUsualUnknownExportError() {
        writeStates();
        exports(8);
        assertTrue(registry.openOnDemand("vol").isEmpty(), "the newest is not a point-in-time export");
        assertTrue(registry.openOnDemand("vol@snap").isEmpty(), "snapshots are served by VolumeExports");
        assertTrue(registry.openOnDemand("other@seq:1").isEmpty(), "other is not served");
        assertTrue(registry.openOnDemand("vol@seq:x").isEmpty(), "not a reference");
        Optional<String> gone = registry.openOnDemand("vol@seq:999").orElseThrow().join();
        assertEquals(Optional.of("no checkpoint vol@seq:999 (never written, or deleted by garbage collection)"), gone);
        Optional<String> early = registry.openOnDemand("vol@time:2000-01-01T00:00:00Z").orElseThrow().join();
        assertTrue(early.orElseThrow().startsWith("no checkpoint vol@time:2000-01-01T00:00:00Z: the volume was created later"), early.toString());
        assertEquals(0, registry.size());
    }

    @Test
    void closesIdleExportsAndMakesRoomWithinTheLimit() {
        List<Long> seqs = writeStates().keySet().stream().sorted().toList();
        PointInTimeExports p = exports(2);
        String a = "vol@seq:" + seqs.get(0);
        String b = "vol@seq:" + seqs.get(1);
        String c = "vol@seq:" + seqs.get(2);
        assertEquals(Optional.empty(), registry.openOnDemand(a).orElseThrow().join());
        nanos.addAndGet(1_000);
        assertEquals(Optional.empty(), registry.openOnDemand(b).orElseThrow().join());
        connections.put(a, 1);
        connections.put(b, 1);
        Optional<String> full = registry.openOnDemand(c).orElseThrow().join();
        assertEquals(Optional.of("the server has its maximum of 2 point-in-time exports open (--pit-max-open), all in use;"
                + " try again later"), full);

        connections.put(b, 0); // b has no connection: it makes room for c
        assertEquals(Optional.empty(), registry.openOnDemand(c).orElseThrow().join());
        assertEquals(List.of(a, c), p.names());

        connections.put(a, 0);
        nanos.addAndGet(Duration.ofSeconds(59).toNanos());
        connections.put(c, 1);
        assertEquals(List.of(), p.sweep(), "not idle for a minute yet");
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertEquals(List.of(a), p.sweep(), "a was idle for a minute; c has a connection");
        assertTrue(registry.find(a).isEmpty());
        assertTrue(registry.find(c).isPresent());

        served.remove("vol");
        assertEquals(List.of(c), p.sweep(), "withdrawn with its volume");
        assertEquals(0, registry.size());
    }
}
