package io.hyperfile.cli;

import io.hyperfile.core.cache.CacheConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The local read cache of commands that serve volumes: {@code --cache-dir DIR|none} and {@code --cache-size SIZE}.
 * By default it is on for {@code s3://} stores, in {@code $XDG_CACHE_HOME/hyperfile} (else
 * {@code ~/.cache/hyperfile}) with {@value #DEFAULT_SIZE}, and off for {@code file:} stores, whose reads are local
 * already (a cache would only copy them). Giving {@code --cache-dir} turns it on for any store. The cache is the
 * outermost layer of the {@link io.hyperfile.core.stack.StoreStack}: {@code store.stack().cache(config(store)).open()}.
 * The configuration file tunes it further with {@value #CHUNK_SIZE}, {@value #READ_THREADS},
 * {@value #MAX_PENDING_INSERT} and {@value #SEQUENTIAL_CUTOFF} ({@link CacheConfig} says what they do).
 */
final class CacheOptions implements Configurable {
    static final String DEFAULT_SIZE = "4G";
    static final String NONE = "none";
    static final String CHUNK_SIZE = "cache.chunk-size";
    static final String READ_THREADS = "cache.read-threads";
    static final String MAX_PENDING_INSERT = "cache.max-pending-insert";
    static final String SEQUENTIAL_CUTOFF = "cache.sequential-cutoff";

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Local read cache directory, or 'none'. Default: $XDG_CACHE_HOME/hyperfile (or ~/.cache/hyperfile) "
                    + "for s3:// stores, none for file: stores. One server per directory.")
    String dir;

    @Option(names = "--cache-size", paramLabel = "SIZE", defaultValue = DEFAULT_SIZE,
            description = "Most bytes of data the read cache keeps, e.g. 10G (default ${DEFAULT-VALUE}).")
    String size;

    private Map<String, String> tuning = Map.of();

    @Override
    public List<Setting> settings() {
        return List.of(new Setting(CHUNK_SIZE, "256K", v -> chunkSize(v)), Setting.count(READ_THREADS, CacheConfig.DEFAULT_READ_THREADS),
                Setting.size(MAX_PENDING_INSERT, "64M"), Setting.sizeOrZero(SEQUENTIAL_CUTOFF, "4M"));
    }

    @Override
    public void configure(Map<String, String> values) {
        tuning = Map.copyOf(values);
    }

    private static int chunkSize(String text) {
        long bytes = Sizes.parse(text);
        if (Long.bitCount(bytes) != 1 || bytes < CacheConfig.MIN_CHUNK_SIZE_BYTES || bytes > CacheConfig.MAX_CHUNK_SIZE_BYTES) {
            throw new IllegalArgumentException("invalid chunk size '" + text + "': use a power of two from 4K to 16M");
        }
        return (int) bytes;
    }

    /** The cache settings for {@code store}, or null for no cache; {@link IllegalArgumentException} for bad values. */
    CacheConfig config(StoreOptions store) {
        long bytes = Sizes.parse(size);
        if (bytes < CacheConfig.DEFAULT_CHUNK_SIZE_BYTES) {
            throw new IllegalArgumentException("invalid --cache-size '" + size + "': must be at least "
                    + Sizes.format(CacheConfig.DEFAULT_CHUNK_SIZE_BYTES) + " (one cache chunk)");
        }
        Path path;
        if (dir == null) {
            if (!store.store.startsWith("s3://")) {
                return null;
            }
            path = defaultDirectory();
        } else if (dir.equals(NONE)) {
            return null;
        } else if (dir.isBlank()) {
            throw new IllegalArgumentException("invalid --cache-dir '': give a directory, or 'none' for no cache");
        } else {
            path = Path.of(dir);
        }
        CacheConfig.Builder b = CacheConfig.builder(path, bytes);
        String v;
        if ((v = tuning.get(CHUNK_SIZE)) != null) {
            b.chunkSizeBytes(chunkSize(v));
        }
        if ((v = tuning.get(READ_THREADS)) != null) {
            b.readThreads(Integer.parseInt(v.trim()));
        }
        if ((v = tuning.get(MAX_PENDING_INSERT)) != null) {
            b.maxPendingInsertBytes(Sizes.parse(v));
        }
        if ((v = tuning.get(SEQUENTIAL_CUTOFF)) != null) {
            b.sequentialCutoffBytes(Setting.parseSizeOrZero(v));
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid --cache-size '" + size + "'" + (tuning.isEmpty() ? "" : " or cache.* settings")
                    + ": " + e.getMessage(), e);
        }
    }

    static Path defaultDirectory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("hyperfile");
    }
}
