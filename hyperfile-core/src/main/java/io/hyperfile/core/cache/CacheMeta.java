package io.hyperfile.core.cache;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * The cache directory's {@value ChunkCache#META_FILE} file: a small properties text that says which layout version,
 * chunk size and piece size the directory holds, how many entries its index was made for, and whether the index was
 * closed cleanly ({@code clean=true/false}). {@link ChunkCache#open} reads it to decide whether the directory can be
 * used as it is or must be emptied, and writes it on open ({@code clean=false}) and on close ({@code clean=true}).
 * Replaced atomically (written to a temporary file, then moved). Stateless; called only on the cache writer thread.
 */
final class CacheMeta {
    private CacheMeta() {
    }

    /** The properties in {@code dir}'s meta file, or null if there is none or it cannot be read. */
    static Properties read(Path dir) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(dir.resolve(ChunkCache.META_FILE), StandardCharsets.UTF_8)) {
            p.load(r);
            return p;
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Why the directory with meta file {@code meta} (null: none readable) cannot be used as it is by a cache of
     * {@code config} that needs an index of {@code wantEntries} entries, or null if it can.
     */
    static String reasonToEmpty(Properties meta, CacheConfig config, int wantEntries, Path dir) {
        if (meta == null) {
            return "no readable " + ChunkCache.META_FILE;
        }
        try {
            if (Integer.parseInt(meta.getProperty("layout-version", "")) != ChunkCache.LAYOUT_VERSION) {
                return "layout version " + meta.getProperty("layout-version") + ", this version uses "
                        + ChunkCache.LAYOUT_VERSION;
            }
            if (Integer.parseInt(meta.getProperty("chunk-size-bytes", "")) != config.chunkSizeBytes()) {
                return "chunk size changed to " + config.chunkSizeBytes();
            }
            if (Integer.parseInt(meta.getProperty("piece-size-bytes", "")) != config.pieceSizeBytes()) {
                return "piece size changed to " + config.pieceSizeBytes();
            }
            if (Integer.parseInt(meta.getProperty("index-entries", "")) < wantEntries) {
                return "cache size grew beyond its index";
            }
        } catch (NumberFormatException e) {
            return "damaged " + ChunkCache.META_FILE;
        }
        return Files.exists(dir.resolve(ChunkCache.INDEX_FILE)) ? null : "no index";
    }

    /** The index capacity {@code meta} records; only for a meta file {@link #reasonToEmpty} accepted. */
    static int indexEntries(Properties meta) {
        return Integer.parseInt(meta.getProperty("index-entries"));
    }

    /** Whether {@code meta} says the index was closed cleanly; only for a meta file {@link #reasonToEmpty} accepted. */
    static boolean isClean(Properties meta) {
        return "true".equals(meta.getProperty("clean"));
    }

    /** Writes {@code dir}'s meta file for a cache of {@code config} with an index of {@code indexEntries}. */
    static void write(Path dir, CacheConfig config, int indexEntries, boolean clean) throws IOException {
        Path tmp = dir.resolve(ChunkCache.META_FILE + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            w.write("# Hyperfile local read cache; safe to delete when no server runs (see docs/CACHE.md)\n");
            w.write("layout-version=" + ChunkCache.LAYOUT_VERSION + "\n");
            w.write("chunk-size-bytes=" + config.chunkSizeBytes() + "\n");
            w.write("piece-size-bytes=" + config.pieceSizeBytes() + "\n");
            w.write("index-entries=" + indexEntries + "\n");
            w.write("clean=" + clean + "\n");
        }
        Files.move(tmp, dir.resolve(ChunkCache.META_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
