package io.hyperfile.core.gc;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.index.BlockIndex;
import io.hyperfile.core.index.Extent;
import io.hyperfile.core.index.IndexAccess;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.NodeCache;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random writes, zeroes, trims, flushes and snapshots; then the accounting must equal a brute-force oracle that
 * opens every retained checkpoint's index on its own and collects its node pointers and data slots as sets.
 */
class SpaceAccountingModelTest {
    private static final int BS = 512;
    private static final int NODE_BYTES = 8 + 4 * 43;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void accountingEqualsTheUnionOfEveryRetainedCheckpoint(long seed) {
        InMemoryObjectStore store = new InMemoryObjectStore();
        Random rnd = new Random(seed);
        await(Volume.create(store, "v", new VolumeOptions(512 * BS, BS, 1 << 20, NODE_BYTES), Clock.systemUTC()));
        Volume v = await(Volume.open(store, "v", "v", VolumeConfig.DEFAULT));
        for (int op = 0; op < 200; op++) {
            long block = rnd.nextInt(500);
            int count = 1 + rnd.nextInt(12);
            switch (rnd.nextInt(10)) {
                case 0 -> await(v.trim(block * BS, (long) count * BS));
                case 1 -> await(v.writeZeroes(block * BS, (long) count * BS));
                default -> {
                    byte[] b = new byte[count * BS];
                    rnd.nextBytes(b);
                    await(v.write(block * BS, ByteBuffer.wrap(b)));
                }
            }
            if (rnd.nextInt(8) == 0) {
                await(v.flush());
                if (rnd.nextInt(3) == 0) {
                    await(Snapshots.create(store, "v/", "s" + op, await(v.durableSeq())));
                }
            }
        }
        await(v.flush());
        long newest = await(v.durableSeq());
        v.abort();

        Set<Long> retained = new TreeSet<>(await(Snapshots.list(store, "v/")).values());
        retained.add(newest);
        Set<NodePointer> nodes = new HashSet<>();
        Map<Long, Set<Long>> slots = new HashMap<>();
        for (long seq : retained) {
            for (Extent e : collect(store, seq, nodes)) {
                if (e.location() instanceof Location.Data d) {
                    for (long i = 0; i < e.blockCount(); i++) {
                        slots.computeIfAbsent(d.segmentSeq(), s -> new HashSet<>()).add(d.blockOffset() + i);
                    }
                }
            }
        }

        SpaceReport r = await(SpaceAccounting.measure(store, "v"));
        assertTrue(r.isComplete(), r.problems().toString());
        assertEquals(List.copyOf(retained), r.retainedCheckpoints());
        List<Long> unreferenced = new ArrayList<>();
        for (SpaceReport.SegmentSpace s : r.segments()) {
            long nodeBytes = nodes.stream().filter(p -> p.segmentSeq() == s.seq()).mapToLong(NodePointer::length).sum();
            long slotCount = slots.getOrDefault(s.seq(), Set.of()).size();
            assertEquals(slotCount, s.liveSlots(), "seed " + seed + " segment " + s.seq());
            assertEquals(nodeBytes, s.liveNodeBytes(), "seed " + seed + " segment " + s.seq());
            boolean live = slotCount > 0 || nodeBytes > 0 || retained.contains(s.seq());
            SegmentFooter f = await(new SegmentReader(store, "v/", BS).footer(s.seq()));
            assertEquals(live ? 64 + f.extentTableLength() + 160 : 0, s.overheadBytes(), "segment " + s.seq());
            if (!live) {
                unreferenced.add(s.seq());
            }
        }
        assertEquals(unreferenced, r.unreferencedSegments());
        assertTrue(r.garbageBytes() > 0, "200 random operations leave garbage");
    }

    /** Every extent of checkpoint {@code seq}; adds its node pointers to {@code nodes}. */
    private static List<Extent> collect(InMemoryObjectStore store, long seq, Set<NodePointer> nodes) {
        SegmentFooter f = await(new SegmentReader(store, "v/", BS).footer(seq));
        if (f.rootSeq() == 0) {
            return List.of();
        }
        IndexAccess access = new IndexAccess(new NodeCodec(NodeLimits.ofNodeBytes(NODE_BYTES)), new NodeCache(1 << 20),
                p -> store.get(SegmentKeys.segment("v/", p.segmentSeq()), ByteRange.of(p.offset(), p.length())).thenApply(d -> d.data()),
                ForkJoinPool.commonPool());
        BlockIndex index = await(access.open(new NodePointer(f.rootSeq(), f.rootOffset(), f.rootLength()), f.height()));
        nodes.addAll(await(access.run(index::nodePointers)));
        return await(access.run(r -> {
            List<Extent> all = new ArrayList<>();
            index.forEach(r, all::add);
            return all;
        }));
    }
}
