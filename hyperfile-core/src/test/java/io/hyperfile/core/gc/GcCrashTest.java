package io.hyperfile.core.gc;

import static io.hyperfile.core.gc.GcFixture.BLOCKS;
import static io.hyperfile.core.gc.GcFixture.EAGER;
import static io.hyperfile.core.gc.GcFixture.SIZE;
import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import java.time.Clock;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The process dies at every store request of a garbage collection pass that both deletes and compacts, before the
 * request is applied and after: the volume then reopens with exactly its flushed content, every object its
 * checkpoints reach still exists, and the next pass (of the new process) finishes the work.
 */
class GcCrashTest {
    private static final Supplier<Throwable> DEAD = () -> new StorageException(null, FailureCategory.UNKNOWN, "process died");

    @Test
    void aCrashAtAnyStoreRequestOfAPassLosesNothing() throws Exception {
        crashEverywhere(false);
    }

    @Test
    void aCrashAtAnyStoreRequestOfAPassPlannedFromTheLiveTableLosesNothing() throws Exception {
        crashEverywhere(true);
    }

    private static void crashEverywhere(boolean fromTable) throws Exception {
        int requests = scenario(-1, false, fromTable);
        assertTrue(requests > 10, "a pass makes " + requests + " store requests");
        int crashed = 0;
        for (int n = 1; n <= requests; n++) {
            crashed += scenario(n, true, fromTable) + scenario(n, false, fromTable);
        }
        assertTrue(crashed >= requests, "crash points reached: " + crashed + " of " + 2 * requests);
    }

    /**
     * Builds garbage of both kinds, runs a pass that dies at its {@code n}th store request ({@code -1}: never) and
     * checks the volume after a restart. Returns the pass's request count (no crash) or whether the crash happened.
     * {@code fromTable}: a walk before the garbage is made starts the live table, so the pass plans from it.
     */
    private static int scenario(int n, boolean beforeApplying, boolean fromTable) throws Exception {
        InMemoryObjectStore memory = new InMemoryObjectStore();
        FlakyObjectStore flaky = new FlakyObjectStore(memory);
        GcFixture.create(memory);
        Volume v = GcFixture.open(flaky);
        Random rnd = new Random(5);
        byte[] model = new byte[SIZE];
        GarbageCollector gc = GcFixture.collector(flaky, v, EAGER, Clock.systemUTC());
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        if (fromTable) {
            assertFalse(await(gc.runPass(false, l -> { })).fromTable(), "the first pass walks");
        }
        GcFixture.write(v, model, rnd, 0, BLOCKS); // the first generation: unreferenced, deleted
        await(v.flush());
        GcFixture.overwriteAllBut(v, model, rnd, 8); // the second: mostly dead, compacted
        String where = (fromTable ? "planned from the table, " : "") + "crash " + (beforeApplying ? "before" : "after") + " request " + n;

        long base = flaky.totalCalls();
        FaultRule crash = null;
        if (n > 0) {
            crash = flaky.add(FaultRule.onStoreCall(FaultRule.nth(base + n), new FaultAction() {
                @Override
                public <T> CompletableFuture<T> apply(FlakyObjectStore.Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                    if (!beforeApplying) {
                        proceed.get().handle((x, e) -> null).join();
                    }
                    v.abort();
                    return CompletableFuture.failedFuture(DEAD.get());
                }
            }));
            flaky.add(FaultRule.onStoreCall(FaultRule.after(base + n), FaultAction.fail(DEAD)));
        }
        CompletableFuture<GcPassReport> pass = gc.runPass(false, l -> { });
        try {
            GcPassReport r = pass.get(60, TimeUnit.SECONDS);
            assertEquals(fromTable, r.fromTable(), where + ": " + r.summary());
            assertTrue(n > 0 || (!r.deletedSegments().isEmpty() && !r.victims().isEmpty()), r.summary());
        } catch (ExecutionException e) {
            if (n < 0) {
                throw e;
            }
        } catch (TimeoutException e) {
            throw new AssertionError(where + ": the pass hung", e);
        }
        int result = n < 0 ? (int) (flaky.totalCalls() - base) : (int) crash.acted();
        v.abort();

        Volume reopened = GcFixture.open(memory);
        assertArrayEquals(model, GcFixture.readAll(reopened), where + ": content after restart");
        SpaceReport r = GcFixture.measure(memory);
        assertTrue(r.isComplete(), where + ": " + r.problems());
        GcFixture.pass(memory, reopened, EAGER);
        GcFixture.pass(memory, reopened, EAGER);
        assertArrayEquals(model, GcFixture.readAll(reopened), where + ": content after the next passes");
        assertTrue(GcFixture.measure(memory).isComplete(), where);
        reopened.abort();
        return result;
    }
}
