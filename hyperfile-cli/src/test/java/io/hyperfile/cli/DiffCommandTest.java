package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code diff}, {@code export-diff} and {@code import-diff} end to end on a file store: a full backup and an
 * incremental one rebuild the source's second snapshot byte for byte in another volume; the diff lists the changed
 * range; a diff onto the wrong base is refused with one line.
 */
class DiffCommandTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Hyperfile.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    private String store() {
        return "--store=file:" + dir.resolve("data");
    }

    private Result ok(String... args) {
        Result r = run(args);
        assertEquals(0, r.code, String.join(" ", args) + ": " + r.out + r.err);
        return r;
    }

    @Test
    void anIncrementalBackupChainRebuildsTheSource() throws Exception {
        Random rnd = new Random(13);
        byte[] image = new byte[4 << 20];
        for (int at = 0; at < image.length; at += 512 << 10) {
            byte[] part = new byte[64 << 10];
            rnd.nextBytes(part);
            System.arraycopy(part, 0, image, at, part.length);
        }
        Path in = dir.resolve("in.img");
        Files.write(in, image);
        ok("import", in.toString(), "src", store());
        ok("snapshot", "create", "src", "one", store());

        byte[] changed = new byte[8 << 10];
        rnd.nextBytes(changed);
        System.arraycopy(changed, 0, image, 1 << 20, changed.length); // one 8 KiB run at 1 MiB
        try (ObjectStore s = new LocalDirectoryObjectStore(dir.resolve("data"))) {
            Volume v = new VolumeCatalog(s).open("src", VolumeConfig.DEFAULT).join();
            v.write(1 << 20, ByteBuffer.wrap(changed)).join();
            v.close().join();
        }
        ok("snapshot", "create", "src", "two", store());

        Result text = ok("diff", "src@one", "src@two", store());
        assertTrue(text.out.startsWith((1 << 20) + "+" + (8 << 10) + " data\n"), text.out);
        assertTrue(text.out.contains("# seq "), text.out);
        Result json = ok("diff", "src@one", "src@two", "--json", store());
        assertTrue(json.out.contains("\"runs\":[{\"offset\":1048576,\"length\":8192,\"kind\":\"data\"}]"), json.out);

        Path full = dir.resolve("full.diff");
        Path inc = dir.resolve("inc.diff");
        ok("export-diff", "src@seq:0", "src@one", full.toString(), store());
        Result exported = ok("export-diff", "src@one", "src@two", inc.toString(), store());
        assertTrue(exported.err.contains("1 records, 8 KiB data"), exported.err);

        Result refused = run("import-diff", inc.toString(), "backup", store());
        assertEquals(1, refused.code, refused.out + refused.err);
        assertTrue(refused.err.startsWith("hyperfile: no volume named backup: an incremental diff"), refused.err);

        ok("import-diff", full.toString(), "backup", "--quiet", store());
        Result applied = ok("import-diff", inc.toString(), "backup", "--quiet", store());
        assertTrue(applied.out.startsWith("applied diff of volume "), applied.out);
        Path back = dir.resolve("back.img");
        ok("export", "backup", back.toString(), store());
        assertArrayEquals(image, Files.readAllBytes(back), "the backup equals src@two");

        // through a pipe: export-diff to stdout, import-diff from stdin, into a third volume
        java.io.PrintStream stdout = System.out;
        java.io.InputStream stdin = System.in;
        try {
            java.io.ByteArrayOutputStream piped = new java.io.ByteArrayOutputStream();
            System.setOut(new java.io.PrintStream(piped, true));
            ok("export-diff", "src@seq:0", "src@two", "-", "--quiet", store());
            System.setIn(new java.io.ByteArrayInputStream(piped.toByteArray()));
            ok("import-diff", "-", "piped", "--quiet", store());
        } finally {
            System.setOut(stdout);
            System.setIn(stdin);
        }
        Path pipedImage = dir.resolve("piped.img");
        ok("export", "piped", pipedImage.toString(), store());
        assertArrayEquals(image, Files.readAllBytes(pipedImage), "the piped full backup equals src@two");

        Result again = ok("import-diff", inc.toString(), "backup", store());
        assertTrue(again.out.contains("nothing to do"), again.out);
        Result wrongBase = run("import-diff", full.toString(), "backup", store());
        assertEquals(1, wrongBase.code);
        assertTrue(wrongBase.err.startsWith("hyperfile: the destination is not empty and this is a full diff"), wrongBase.err);
    }
}
