package io.hyperfile.cli;

import io.hyperfile.core.cache.CacheConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The local read cache of commands that serve volumes: {@code --cache-dir DIR|none} and {@code --cache-size SIZE}.
 * By default it is on for {@code s3://} stores, in {@code $XDG_CACHE_HOME/hyperfile} (else
 * {@code ~/.cache/hyperfile}) with {@value #DEFAULT_SIZE}, and off for {@code file:} stores, whose reads are local
 * already (a cache would only copy them). Giving {@code --cache-dir} turns it on for any store. The cache is the
 * outermost layer of the {@link io.hyperfile.core.stack.StoreStack}: {@code store.stack().cache(config(store)).open()}.
 */
final class CacheOptions {
    static final String DEFAULT_SIZE = "4G";
    static final String NONE = "none";

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Local read cache directory, or 'none'. Default: $XDG_CACHE_HOME/hyperfile (or ~/.cache/hyperfile) "
                    + "for s3:// stores, none for file: stores. One server per directory.")
    String dir;

    @Option(names = "--cache-size", paramLabel = "SIZE", defaultValue = DEFAULT_SIZE,
            description = "Most bytes of data the read cache keeps, e.g. 10G (default ${DEFAULT-VALUE}).")
    String size;

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
        try {
            return CacheConfig.builder(path, bytes).build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid --cache-size '" + size + "': " + e.getMessage(), e);
        }
    }

    static Path defaultDirectory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("hyperfile");
    }
}
