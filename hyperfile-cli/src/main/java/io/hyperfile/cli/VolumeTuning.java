package io.hyperfile.cli;

import io.hyperfile.core.volume.VolumeConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/**
 * The runtime settings of the volumes {@code serve} opens ({@link VolumeConfig}), which have no options: the
 * configuration file's {@code volume.*} keys. A mixin without options, so that {@link ConfigKeys} finds its keys
 * and {@link ConfigApplier} hands it their values.
 */
@Command
final class VolumeTuning implements Configurable {
    static final String DIRTY_LIMIT = "volume.dirty-limit";
    static final String FLUSH_AGE = "volume.flush-age";
    static final String FLUSH_DEADLINE = "volume.flush-deadline";
    static final String NODE_CACHE_SIZE = "volume.node-cache-size";
    static final String MAX_GET_SIZE = "volume.max-get-size";
    static final String READ_AHEAD = "volume.read-ahead";
    static final String READ_DEFRAG = "volume.read-defrag";
    static final String UPLOAD_RETRY = "volume.upload-retry";
    static final String UPLOAD_PARALLELISM = "volume.upload-parallelism";
    static final String OPEN_RETRY = "volume.open-retry";
    static final String HINT_EVERY_SEGMENTS = "volume.hint-every-segments";
    /** How far sequential reads fetch ahead into the local cache when there is one and no read-ahead is set. */
    static final long CACHED_READ_AHEAD_BYTES = 8L << 20;

    private Map<String, String> values = Map.of();

    @Override
    public List<Setting> settings() {
        return List.of(Setting.size(DIRTY_LIMIT, "from --memory: a quarter of direct memory shared by the volumes, at most 64M"), Setting.positiveDuration(FLUSH_AGE, "3s"),
                Setting.positiveDuration(FLUSH_DEADLINE, "30s"), Setting.sizeOrZero(NODE_CACHE_SIZE, "64M"),
                new Setting(MAX_GET_SIZE, "8M", VolumeTuning::maxGetBytes),
                Setting.sizeOrZero(READ_AHEAD, "8M with a read cache, else 0"), Setting.sizeOrZero(READ_DEFRAG, "4M"),
                Setting.positiveDuration(UPLOAD_RETRY, "2s"), Setting.duration(OPEN_RETRY, "10s"),
                new Setting(UPLOAD_PARALLELISM, Integer.toString(VolumeConfig.DEFAULT.uploadParallelism()),
                        VolumeTuning::uploadParallelism),
                Setting.count(HINT_EVERY_SEGMENTS, 32));
    }

    @Override
    public void configure(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    /**
     * The volume settings; {@code cached}: the store has a local read cache (read-ahead then pays off);
     * {@code dirtyLimitBytes}: the write buffer unless {@value #DIRTY_LIMIT} is set.
     */
    VolumeConfig config(boolean cached, long dirtyLimitBytes) {
        VolumeConfig.Builder b = VolumeConfig.DEFAULT.toBuilder();
        b.readAheadBytes(cached ? CACHED_READ_AHEAD_BYTES : 0);
        b.dirtyLimitBytes(dirtyLimitBytes);
        String v;
        if ((v = values.get(DIRTY_LIMIT)) != null) {
            b.dirtyLimitBytes(Sizes.parse(v));
        }
        if ((v = values.get(FLUSH_AGE)) != null) {
            b.flushAge(positive(FLUSH_AGE, v));
        }
        if ((v = values.get(FLUSH_DEADLINE)) != null) {
            b.flushDeadline(positive(FLUSH_DEADLINE, v));
        }
        if ((v = values.get(NODE_CACHE_SIZE)) != null) {
            b.nodeCacheBytes(Setting.parseSizeOrZero(v));
        }
        if ((v = values.get(MAX_GET_SIZE)) != null) {
            b.maxGetBytes(maxGetBytes(v));
        }
        if ((v = values.get(READ_AHEAD)) != null) {
            b.readAheadBytes(Setting.parseSizeOrZero(v));
        }
        if ((v = values.get(READ_DEFRAG)) != null) {
            b.readDefragBytes(Setting.parseSizeOrZero(v));
        }
        if ((v = values.get(UPLOAD_RETRY)) != null) {
            b.uploadRetry(positive(UPLOAD_RETRY, v));
        }
        if ((v = values.get(UPLOAD_PARALLELISM)) != null) {
            b.uploadParallelism(uploadParallelism(v));
        }
        if ((v = values.get(OPEN_RETRY)) != null) {
            b.openRetry(Durations.parse(OPEN_RETRY, v));
        }
        if ((v = values.get(HINT_EVERY_SEGMENTS)) != null) {
            b.hintEverySegments(Integer.parseInt(v.trim()));
        }
        return b.build();
    }

    private static Duration positive(String key, String text) {
        Duration d = Durations.parse(key, text);
        if (d.isZero()) {
            throw new IllegalArgumentException("invalid " + key + " '" + text + "': must be positive");
        }
        return d;
    }

    private static int uploadParallelism(String text) {
        try {
            int n = Integer.parseInt(text.trim());
            if (n >= 1 && n <= VolumeConfig.MAX_UPLOAD_PARALLELISM) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("invalid number '" + text + "': use 1 to " + VolumeConfig.MAX_UPLOAD_PARALLELISM);
    }

    private static int maxGetBytes(String text) {
        long bytes = Sizes.parse(text);
        if (bytes < 4096 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("invalid size '" + text + "': use 4K to 2G");
        }
        return (int) bytes;
    }
}
