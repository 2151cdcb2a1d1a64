package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.cache.CacheConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --cache-dir} and {@code --cache-size}: defaults per store kind, and one-line errors for bad values. */
class CacheOptionsTest {
    @TempDir
    Path dir;

    private static ServeCommand parse(String... args) {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return serve;
    }

    @Test
    void theCacheIsOnByDefaultForS3AndOffForLocalStores() {
        ServeCommand s3 = parse("--store=s3://bucket/p");
        CacheConfig c = s3.cache.config(s3.store);
        assertEquals(CacheOptions.defaultDirectory(), c.directory());
        assertEquals(4L << 30, c.sizeBytes());

        ServeCommand local = parse("--store=file:" + dir);
        assertNull(local.cache.config(local.store));

        ServeCommand explicit = parse("--store=file:" + dir, "--cache-dir", dir.resolve("c").toString(), "--cache-size", "10G");
        CacheConfig e = explicit.cache.config(explicit.store);
        assertEquals(dir.resolve("c"), e.directory());
        assertEquals(10L << 30, e.sizeBytes());

        ServeCommand off = parse("--store=s3://bucket", "--cache-dir=none");
        assertNull(off.cache.config(off.store));
    }

    @Test
    void theSequentialCutoffIsFourMebibytesUnlessTheFileSaysOtherwise() throws Exception {
        ServeCommand s3 = parse("--store=s3://bucket/p");
        assertEquals(4L << 20, s3.cache.config(s3.store).sequentialCutoffBytes());
        s3.cache.configure(java.util.Map.of(CacheOptions.SEQUENTIAL_CUTOFF, "0"));
        assertEquals(0, s3.cache.config(s3.store).sequentialCutoffBytes(), "0 writes everything through");
        s3.cache.configure(java.util.Map.of(CacheOptions.SEQUENTIAL_CUTOFF, "16M"));
        assertEquals(16L << 20, s3.cache.config(s3.store).sequentialCutoffBytes());

        java.nio.file.Path conf = dir.resolve("hyperfile.conf");
        java.nio.file.Files.writeString(conf, "store = file:" + dir + "\ncache.sequential-cutoff = lots\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Hyperfile.run(new String[] {"serve", "--config", conf.toString()}, new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertEquals(2, code);
        assertTrue(err.toString().startsWith("hyperfile: " + conf + ":2: "), err.toString());
        assertTrue(err.toString().contains("cache.sequential-cutoff") && !err.toString().contains("\tat "), err.toString());
    }

    @Test
    void badValuesAreOneLineAndExitTwo() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> parse("--store=s3://b", "--cache-size", "1K").cache.config(parse("--store=s3://b").store));
        assertEquals("invalid --cache-size '1K': must be at least 256 KiB (one cache chunk)", small.getMessage());

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Hyperfile.run(new String[] {"serve", "--store=file:" + dir, "--cache-size", "lots"},
                new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(2, code);
        assertTrue(err.toString().startsWith("hyperfile: invalid size 'lots'"), err.toString());
        assertTrue(!err.toString().contains("\tat "), err.toString());
    }
}
