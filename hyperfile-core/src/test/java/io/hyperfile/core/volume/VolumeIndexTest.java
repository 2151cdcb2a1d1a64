package io.hyperfile.core.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.index.BlockIndex;
import io.hyperfile.core.index.Extent;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.MutableBlockIndex;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.index.NodeResolver;
import io.hyperfile.core.index.Run;
import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.segment.ExtentRecord;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The volume's index after a restart (cold node cache): a flush window of 2,000 scattered 4 KiB writes and a read
 * of many ranges each fetch their nodes in one batch of GETs per level below the root (32 in flight at a time), not
 * one round-trip per node. GETs are held by a fault rule and released a round-trip at a time.
 */
class VolumeIndexTest {
    private static final String PREFIX = "vol/";
    private static final NodeLimits LIMITS = NodeLimits.ofFanout(16);
    private static final NodeCodec CODEC = new NodeCodec(LIMITS);
    private static final int EXTENTS = 20_000;

    private final InMemoryObjectStore memory = new InMemoryObjectStore(Clock.systemUTC(), Runnable::run);
    private final FlakyObjectStore store = new FlakyObjectStore(memory);
    private final List<Runnable> held = new ArrayList<>();
    private byte[] segment;
    private final NodeResolver direct = p -> CODEC.decode(p, ByteBuffer.wrap(segment, (int) p.offset(), p.length()));

    /** Extents [4i, 4i + 2) saved as segment 1, whose object holds only index nodes. */
    private BlockIndex storeIndex() {
        MutableBlockIndex m = BlockIndex.empty(LIMITS).toMutable();
        for (long i = 0; i < EXTENTS; i++) {
            m.put(NodeResolver.NONE, 4 * i, 2, Location.data(1, 2 * i));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BlockIndex saved = m.save(1, buf -> {
            long offset = out.size();
            byte[] bytes = new byte[buf.remaining()];
            buf.get(bytes);
            out.writeBytes(bytes);
            return offset;
        }).index();
        segment = out.toByteArray();
        memory.put(SegmentKeys.segment(PREFIX, 1), ByteBuffer.wrap(segment)).join();
        store.add(FaultRule.on(Op.GET, ".*", FaultRule.always(), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                CompletableFuture<T> f = new CompletableFuture<>();
                held.add(() -> proceed.get().whenComplete((v, e) -> {
                    if (e != null) {
                        f.completeExceptionally(e);
                    } else {
                        f.complete(v);
                    }
                }));
                return f;
            }
        }));
        return saved;
    }

    /** Releases held GETs a round at a time until {@code f} completes; returns the number of rounds. */
    private int drain(CompletableFuture<?> f) {
        int rounds = 0;
        while (!f.isDone()) {
            assertTrue(!held.isEmpty(), "stalled with no GET held");
            List<Runnable> round = new ArrayList<>(held);
            held.clear();
            round.forEach(Runnable::run);
            rounds++;
        }
        f.join();
        return rounds;
    }

    @Test
    void aColdWindowAndAColdReadTakeOneRoundOfGetsPerLevel() {
        BlockIndex saved = storeIndex();
        VolumeIndex index = new VolumeIndex(store, PREFIX, LIMITS, 0, Runnable::run);
        CompletableFuture<BlockIndex> open = index.open(saved.rootPointer(), saved.height());
        assertEquals(1, drain(open));
        BlockIndex base = open.join();

        SplittableRandom rnd = new SplittableRandom(1);
        TreeSet<Long> blocks = new TreeSet<>();
        while (blocks.size() < 2_000) {
            blocks.add(rnd.nextLong(4L * EXTENTS));
        }
        List<ExtentRecord> records = new ArrayList<>();
        MutableBlockIndex expected = saved.toMutable();
        long slot = 0;
        for (long b : blocks) {
            records.add(new ExtentRecord(ExtentKind.DATA, b, 1, slot));
            expected.putAll(direct, List.of(new Extent(b, 1, Location.data(2, slot))));
            slot += 2; // never contiguous, as a window's maximal runs are not
        }
        long getsBefore = store.calls(Op.GET);
        long roundsBefore = index.access().fetchRounds();
        CompletableFuture<MutableBlockIndex> applied = index.apply(base, 2, records);
        int trips = drain(applied);
        long gets = store.calls(Op.GET) - getsBefore;
        assertEquals(saved.height() - 1, index.access().fetchRounds() - roundsBefore,
                "one batch per level below the root");
        assertTrue(gets > 1_000, "GETs: " + gets);
        // The re-run loop alone takes one store round-trip per GET (1,769 here).
        assertTrue(trips <= gets / 32 + saved.height(),
                trips + " store round-trips for " + gets + " GETs, 32 at a time");
        List<Extent> want = new ArrayList<>();
        expected.snapshot().forEach(direct, want::add);
        List<Extent> got = new ArrayList<>();
        applied.join().snapshot().forEach(direct, got::add);
        assertEquals(want, got);

        long[] starts = new long[300];
        long[] ends = new long[300];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = rnd.nextLong(4L * EXTENTS - 32);
            ends[i] = starts[i] + 1 + rnd.nextInt(32);
        }
        roundsBefore = index.access().fetchRounds();
        CompletableFuture<List<List<Run>>> read = index.lookup(base, starts, ends);
        drain(read);
        assertEquals(saved.height() - 1, index.access().fetchRounds() - roundsBefore);
        for (int i = 0; i < starts.length; i++) {
            assertEquals(saved.lookup(direct, starts[i], ends[i] - starts[i]), read.join().get(i));
        }
    }
}
