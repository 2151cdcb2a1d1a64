package io.hyperfile.core.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryPolicy;
import io.hyperfile.core.store.RetryingObjectStore;
import io.hyperfile.core.store.s3.S3Backend;
import io.hyperfile.core.store.s3.S3ObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The docs/PERFORMANCE.md figure for diffs: on S3 (embedded S3Proxy, or LocalStack with Docker), the diff of 10 MiB
 * changed in a 1 TiB sparse volume (20,000 scattered base blocks, default 4 KiB index nodes), on a cold cache (a new
 * store client, no node cache): at most 200 GETs, asserted; the time is printed (target 1 s).
 */
@ExtendWith(S3Backend.class)
class DiffS3IT {
    @Test
    void diffOfTenMibInOneTibOnAColdCache(S3Backend.ClassBucket bucket) {
        SparseDiffWorkload.Checkpoints cp;
        try (ObjectStore s = store(bucket)) {
            cp = SparseDiffWorkload.run(s, "big", 4096, 20_000, 11);
        }
        try (ObjectStore s = store(bucket)) {
            CountingStore counting = new CountingStore(s);
            long start = System.nanoTime();
            CheckpointDiff.Result d = CheckpointDiff.between(counting, "big/", cp.a(), cp.b()).join();
            double millis = (System.nanoTime() - start) / 1e6;
            System.err.printf("diff on %s: 10 MiB changed in 1 TiB: %.0f ms, %d GETs (%d index nodes), %d runs%n",
                    bucket.backend().kind(), millis, counting.gets.get(), d.changes().nodesRead(), d.changes().runs().size());
            assertEquals(10L << 20, d.changes().blockCount() * SparseDiffWorkload.BLOCK);
            assertTrue(counting.gets.get() <= 200, "GETs " + counting.gets.get() + " <= 200");
        }
    }

    private static ObjectStore store(S3Backend.ClassBucket bucket) {
        return new RetryingObjectStore(new S3ObjectStore(bucket.storeConfig().build()), RetryPolicy.DEFAULT);
    }
}
