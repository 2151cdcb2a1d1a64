package io.hyperfile.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The memory {@code serve} may use, from one figure ({@code --memory}, default {@value #DEFAULT}): the JVM heap and
 * direct memory limits are shares of it, and so is each volume's write buffer. The rest is left for what the JVM
 * does not bound by flags (metaspace, code, thread stacks, the S3 client's native buffers). Limits are ceilings:
 * direct memory is reserved as buffers are needed, and the figures measured under load stay well below their sum
 * (docs/MEMORY.md).
 *
 * <table>
 * <caption>shares of the budget</caption>
 * <tr><th>part</th><th>share</th><th>at 1 GiB</th></tr>
 * <tr><td>heap ({@code -Xmx})</td><td>3/8</td><td>384 MiB</td></tr>
 * <tr><td>direct memory ({@code -XX:MaxDirectMemorySize}): write buffers, network and read buffers</td><td>1/2</td>
 *   <td>512 MiB</td></tr>
 * <tr><td>native, not bounded by a flag</td><td>1/8</td><td>128 MiB</td></tr>
 * </table>
 *
 * <p>The budget comes from, in this order: {@code --memory SIZE} on the command line, the {@code memory} key of the
 * {@code --config} file (or {@code $HYPERFILE_CONFIG}), the environment variable {@code HYPERFILE_MEMORY}, the
 * default. {@code serve} reads it again through its options; this early reading sizes the JVM before that.
 */
record MemoryBudget(long totalBytes, String source) {
    static final String DEFAULT = "1G";
    static final long MINIMUM_BYTES = 256L << 20;
    static final String ENV = "HYPERFILE_MEMORY";
    /** Most one volume's write buffer holds (VolumeConfig's default dirty limit). */
    static final long MAX_DIRTY_BYTES = 64L << 20;

    MemoryBudget {
        if (totalBytes < MINIMUM_BYTES) {
            throw new IllegalArgumentException("invalid --memory '" + Sizes.format(totalBytes) + "' (from " + source
                    + "): the server needs at least " + Sizes.format(MINIMUM_BYTES));
        }
    }

    long heapBytes() {
        return totalBytes / 8 * 3;
    }

    long directBytes() {
        return totalBytes / 2;
    }

    /**
     * The dirty limit of each of {@code volumes} volumes: a quarter of direct memory shared among them (the rest is
     * for sealed windows' reuse, network and read buffers), at most {@link #MAX_DIRTY_BYTES}, at least 4 MiB.
     */
    long dirtyLimitBytes(int volumes) {
        return Math.max(4L << 20, Math.min(MAX_DIRTY_BYTES, directBytes() / 4 / Math.max(1, volumes)));
    }

    /** The JVM flags that enforce this budget. */
    List<String> jvmFlags() {
        return List.of("-Xmx" + (heapBytes() >> 20) + "m", "-XX:MaxDirectMemorySize=" + (directBytes() >> 20) + "m",
                "-XX:+ExitOnOutOfMemoryError");
    }

    /** The budget a command line asks for (see the class comment for the order). */
    static MemoryBudget of(String[] args, Map<String, String> env) {
        EarlyOptions early = EarlyOptions.scan(args, env);
        if (early.memory() != null) {
            return new MemoryBudget(parse(early.memory(), "--memory"), "--memory");
        }
        Path config = early.config();
        if (config != null) {
            String fromFile = memoryKey(config);
            if (fromFile != null) {
                return new MemoryBudget(parse(fromFile, config + ": memory"), config.toString());
            }
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new MemoryBudget(parse(fromEnv.trim(), ENV), ENV);
        }
        return new MemoryBudget(Sizes.parse(DEFAULT), "default");
    }

    private static long parse(String value, String where) {
        try {
            return Sizes.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid memory size '" + value + "' (" + where + "): " + e.getMessage());
        }
    }

    /** The {@code memory} key of a properties file, or null (an unreadable file is reported later, by serve). */
    private static String memoryKey(Path file) {
        try (Reader r = Files.newBufferedReader(file)) {
            Properties p = new Properties();
            p.load(r);
            String v = p.getProperty("memory");
            return v == null ? null : v.trim();
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }
}
