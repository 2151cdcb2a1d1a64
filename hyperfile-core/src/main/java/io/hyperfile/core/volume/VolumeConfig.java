package io.hyperfile.core.volume;

import io.hyperfile.core.store.RetryScheduler;
import java.time.Clock;
import java.time.Duration;

/**
 * Runtime settings of an open volume (none is stored; each may differ between opens).
 *
 * <table>
 * <caption>settings</caption>
 * <tr><th>key</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code dirty.limit-bytes}</td><td>64 MiB</td><td>write-buffer memory (open plus uploading segments);
 *   past it writes wait</td></tr>
 * <tr><td>{@code flush.age-millis}</td><td>3000</td><td>flush once the oldest unflushed write is this old</td></tr>
 * <tr><td>{@code cache.node.size-bytes}</td><td>64 MiB</td><td>decoded index nodes kept in memory</td></tr>
 * <tr><td>{@code read.max-get-bytes}</td><td>8 MiB</td><td>largest single ranged GET; larger reads fan out</td></tr>
 * <tr><td>{@code upload.retry-millis}</td><td>2000</td><td>after a failed segment upload, retry this often (a
 *   flush also retries at once)</td></tr>
 * <tr><td>{@code upload.parallelism}</td><td>4</td><td>segment uploads in flight at once (1 to 64); they may land
 *   in any order, a FLUSH still completes only once every segment up to its own is durable; 1 uploads one segment
 *   at a time, in seq order</td></tr>
 * <tr><td>{@code hint.every-segments}</td><td>32</td><td>rewrite the {@code head} hint after this many segments</td></tr>
 * <tr><td>{@code read.ahead-bytes}</td><td>0</td><td>once reads run sequentially, fetch this far ahead of them
 *   (the fetched bytes are dropped: this only pays off over a store that caches, such as the local read cache);
 *   0 turns read-ahead off</td></tr>
 * <tr><td>{@code flush.deadline-millis}</td><td>30000</td><td>a FLUSH (or FUA write) that is not durable by then
 *   fails with EIO ({@link VolumeUnavailableException}); the data stays buffered and its upload is retried. A write
 *   that waits this long for buffer memory fails the same way</td></tr>
 * <tr><td>{@code open.retry-millis}</td><td>10000</td><td>how long opening retries a newest segment that is
 *   missing or incomplete (a store may still be writing it) before giving up</td></tr>
 * <tr><td>{@code read.defrag-bytes}</td><td>4 MiB</td><td>reads of fragmented ranges collect their blocks into
 *   batches of this size, each written contiguously as one relocation window ({@link ReadDefrag}); 0 turns read
 *   defragmentation off</td></tr>
 * </table>
 *
 * <p>Time: {@code clock} gives wall time (segment timestamps); {@code scheduler} gives the monotonic time and the
 * timers of flush age, retries and deadlines, so tests can run them in virtual time.
 */
public record VolumeConfig(long dirtyLimitBytes, Duration flushAge, long nodeCacheBytes, int maxGetBytes,
        Duration uploadRetry, int hintEverySegments, Clock clock, long readAheadBytes, Duration flushDeadline,
        Duration openRetry, RetryScheduler scheduler, int uploadParallelism, long readDefragBytes) {

    /** The most segment uploads a volume may have in flight at once. */
    public static final int MAX_UPLOAD_PARALLELISM = 64;

    public static final VolumeConfig DEFAULT = builder().build();

    public VolumeConfig {
        check(dirtyLimitBytes > 0, "dirtyLimitBytes must be positive. dirtyLimitBytes=" + dirtyLimitBytes);
        check(!flushAge.isNegative() && !flushAge.isZero(), "flushAge must be positive. flushAge=" + flushAge);
        check(nodeCacheBytes >= 0, "nodeCacheBytes must be non-negative. nodeCacheBytes=" + nodeCacheBytes);
        check(maxGetBytes >= 4096, "maxGetBytes must be at least 4096. maxGetBytes=" + maxGetBytes);
        check(!uploadRetry.isNegative() && !uploadRetry.isZero(), "uploadRetry must be positive. uploadRetry=" + uploadRetry);
        check(hintEverySegments >= 1, "hintEverySegments must be positive. hintEverySegments=" + hintEverySegments);
        check(readAheadBytes >= 0, "readAheadBytes must not be negative. readAheadBytes=" + readAheadBytes);
        check(!flushDeadline.isNegative() && !flushDeadline.isZero(), "flushDeadline must be positive. flushDeadline=" + flushDeadline);
        check(!openRetry.isNegative(), "openRetry must not be negative. openRetry=" + openRetry);
        check(uploadParallelism >= 1 && uploadParallelism <= MAX_UPLOAD_PARALLELISM, "uploadParallelism must be in 1.."
                + MAX_UPLOAD_PARALLELISM + ". uploadParallelism=" + uploadParallelism);
        check(readDefragBytes >= 0, "readDefragBytes must not be negative. readDefragBytes=" + readDefragBytes);
        check(clock != null && scheduler != null, "clock and scheduler are required");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().dirtyLimitBytes(dirtyLimitBytes).flushAge(flushAge).nodeCacheBytes(nodeCacheBytes)
                .maxGetBytes(maxGetBytes).uploadRetry(uploadRetry).hintEverySegments(hintEverySegments).clock(clock)
                .readAheadBytes(readAheadBytes).flushDeadline(flushDeadline).openRetry(openRetry).scheduler(scheduler).uploadParallelism(uploadParallelism)
                .readDefragBytes(readDefragBytes);
    }

    public static final class Builder {
        private long dirtyLimitBytes = 64L << 20;
        private Duration flushAge = Duration.ofSeconds(3);
        private long nodeCacheBytes = 64L << 20;
        private int maxGetBytes = 8 << 20;
        private Duration uploadRetry = Duration.ofSeconds(2);
        private int hintEverySegments = 32;
        private Clock clock = Clock.systemUTC();
        private long readAheadBytes;
        private Duration flushDeadline = Duration.ofSeconds(30);
        private Duration openRetry = Duration.ofSeconds(10);
        private RetryScheduler scheduler = RetryScheduler.system();
        private int uploadParallelism = 4;
        private long readDefragBytes = 4L << 20;

        public Builder readDefragBytes(long v) {
            readDefragBytes = v;
            return this;
        }

        public Builder uploadParallelism(int v) {
            uploadParallelism = v;
            return this;
        }

        public Builder flushDeadline(Duration v) {
            flushDeadline = v;
            return this;
        }

        public Builder openRetry(Duration v) {
            openRetry = v;
            return this;
        }

        public Builder scheduler(RetryScheduler v) {
            scheduler = v;
            return this;
        }

        public Builder readAheadBytes(long v) {
            readAheadBytes = v;
            return this;
        }

        public Builder dirtyLimitBytes(long v) {
            dirtyLimitBytes = v;
            return this;
        }

        public Builder flushAge(Duration v) {
            flushAge = v;
            return this;
        }

        public Builder nodeCacheBytes(long v) {
            nodeCacheBytes = v;
            return this;
        }

        public Builder maxGetBytes(int v) {
            maxGetBytes = v;
            return this;
        }

        public Builder uploadRetry(Duration v) {
            uploadRetry = v;
            return this;
        }

        public Builder hintEverySegments(int v) {
            hintEverySegments = v;
            return this;
        }

        public Builder clock(Clock v) {
            clock = v;
            return this;
        }

        public VolumeConfig build() {
            return new VolumeConfig(dirtyLimitBytes, flushAge, nodeCacheBytes, maxGetBytes, uploadRetry,
                    hintEverySegments, clock, readAheadBytes, flushDeadline, openRetry, scheduler, uploadParallelism,
                    readDefragBytes);
        }
    }
}
