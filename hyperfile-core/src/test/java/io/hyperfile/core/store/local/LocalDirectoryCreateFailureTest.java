package io.hyperfile.core.store.local;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.stack.StoreStack;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryPolicy;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore.Step;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local create whose link succeeded but whose last steps failed (scenario 1): the object exists, so behind the
 * store stack the create must end in success, with our bytes, and never report "exists" for our own object.
 */
class LocalDirectoryCreateFailureTest {
    /** Short backoff on the real clock: the retries here follow failures that are already there. */
    private static final RetryPolicy POLICY = new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(10), Duration.ofSeconds(30));
    private static final byte[] OURS = {4, 5, 6};

    @TempDir
    Path dir;
    private LocalDirectoryObjectStore local;
    private FlakyObjectStore flaky;
    private ObjectStore stack;

    @BeforeEach
    void open() {
        local = new LocalDirectoryObjectStore(dir.resolve("store"), 2);
        flaky = new FlakyObjectStore(local);
        stack = StoreStack.of(flaky).retryPolicy(POLICY).open();
    }

    @AfterEach
    void close() {
        stack.close();
    }

    /** Fails {@code step} the first time it comes, with an I/O error. */
    private AtomicInteger failOnce(Step failing) {
        AtomicInteger failures = new AtomicInteger();
        local.testHook = (step, path) -> {
            if (step == failing && failures.getAndIncrement() == 0) {
                throw new IOException("injected failure at " + step + " of " + path);
            }
        };
        return failures;
    }

    @Test
    void aCreateWhoseDirectoryFsyncFailedAfterTheLinkSucceedsThroughTheStack() {
        AtomicInteger failures = failOnce(Step.FSYNC_DIRECTORY);
        await(stack.create("vol/seg/1", ByteBuffer.wrap(OURS)));
        assertEquals(2, failures.get(), "the first attempt's fsync failed, the retry's passed");
        assertEquals(2, flaky.calls(Op.CREATE), "retried");
        assertEquals(1, flaky.calls(Op.GET), "read back to tell our object from another writer's");
        assertArrayEquals(OURS, await(local.get("vol/seg/1", ByteRange.all())).toByteArray());
    }

    @Test
    void aCreateThatFailedUntilItsDeadlineIsFoundByItsReSend() {
        // The directory fsync fails for longer than the retry deadline: the create fails, though the object exists.
        local.testHook = (step, path) -> {
            if (step == Step.FSYNC_DIRECTORY) {
                throw new IOException("injected: directory fsync keeps failing");
            }
        };
        try (ObjectStore shortDeadline = StoreStack.of(flaky).retryPolicy(POLICY.withDeadline(Duration.ofMillis(50))).open()) {
            StorageException e = failure(StorageException.class, shortDeadline.create("vol/seg/1", ByteBuffer.wrap(OURS)));
            assertEquals(FailureCategory.TRANSIENT, e.category());
            // The disk recovers; the volume re-sends the same segment, which must not look like another writer's.
            local.testHook = (step, path) -> { };
            await(shortDeadline.create("vol/seg/1", ByteBuffer.wrap(OURS)));
            assertArrayEquals(OURS, await(local.get("vol/seg/1", ByteRange.all())).toByteArray());
        }
    }

    @Test
    void theFailureAfterTheLinkIsTransientAndSaysTheObjectExists() {
        failOnce(Step.FSYNC_DIRECTORY);
        StorageException e = failure(StorageException.class, local.create("vol/seg/1", ByteBuffer.wrap(OURS)));
        assertEquals(FailureCategory.TRANSIENT, e.category());
        assertTrue(e.getMessage().startsWith("created vol/seg/1 but could not fsync its directory"), e.getMessage());
        assertArrayEquals(OURS, await(local.get("vol/seg/1", ByteRange.all())).toByteArray());
    }

    @Test
    void aFailedTempFileCleanupDoesNotFailTheCreate() throws IOException {
        AtomicInteger failures = failOnce(Step.DELETE_TEMP);
        await(local.create("vol/seg/1", ByteBuffer.wrap(OURS)));
        assertEquals(1, failures.get());
        assertArrayEquals(OURS, await(local.get("vol/seg/1", ByteRange.all())).toByteArray());
        assertEquals(1, await(local.listAll("vol/", null)).size(), "the left-over temporary file is not listed");
        try (Stream<Path> files = Files.list(dir.resolve("store/vol/seg"))) {
            assertEquals(2, files.count(), "the object and the orphan temporary file, which may be deleted any time");
        }
    }

    @Test
    void anotherWritersObjectIsStillAConflictAfterAFailedAttempt() {
        // Our first attempt fails before applying; meanwhile another writer creates the key with other bytes.
        flaky.add(FaultRule.on(Op.CREATE, ".*", FaultRule.first(1), FaultAction.runThenFail(
                () -> await(local.create("vol/seg/1", ByteBuffer.wrap(new byte[] {9}))),
                () -> FaultAction.serviceUnavailable("vol/seg/1"))));
        ObjectExistsException e = failure(ObjectExistsException.class, stack.create("vol/seg/1", ByteBuffer.wrap(OURS)));
        assertEquals("object already exists: vol/seg/1", e.getMessage());
        assertEquals(1, flaky.calls(Op.GET), "read back, found other bytes");
        assertArrayEquals(new byte[] {9}, await(local.get("vol/seg/1", ByteRange.all())).toByteArray());
    }

    @Test
    void anotherWritersObjectIsAConflictWithoutReadingBack() {
        await(local.create("vol/seg/1", ByteBuffer.wrap(new byte[] {9})));
        failure(ObjectExistsException.class, stack.create("vol/seg/1", ByteBuffer.wrap(OURS)));
        assertEquals(0, flaky.calls(Op.GET));
    }
}
