package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code volume clone}, {@code volume flatten} and the refusals that protect what a clone reads. */
class VolumeCloneCommandTest {
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

    private byte[] export(String volume) throws Exception {
        Path out = dir.resolve(volume + ".out");
        Files.deleteIfExists(out);
        Result r = run("export", volume, out.toString(), store());
        assertEquals(0, r.code, r.err);
        return Files.readAllBytes(out);
    }

    @Test
    void cloneRefuseFlattenThenTheParentGoes() throws Exception {
        byte[] image = new byte[2 << 20];
        new Random(4).nextBytes(image);
        Path in = dir.resolve("in.img");
        Files.write(in, image);
        assertEquals(0, run("import", in.toString(), "img", store()).code);
        assertEquals(0, run("snapshot", "create", "img", "first", store()).code);

        Result cloned = run("volume", "clone", "img@first", "c", store());
        assertEquals(0, cloned.code, cloned.err);
        assertTrue(cloned.out.startsWith("created volume c as a clone of img@first (checkpoint "), cloned.out);
        assertArrayEquals(image, export("c"));
        Result info = run("volume", "info", "c", store());
        assertTrue(info.out.contains("clone of:        img at checkpoint "), info.out);
        assertTrue(run("volume", "info", "img", store()).out.contains("clones:          c"));
        Result fsck = run("fsck", "c", store());
        assertEquals(0, fsck.code, fsck.out + fsck.err);
        assertEquals(0, run("volume", "du", "c", store()).code);

        Result again = run("volume", "clone", "img@first", "c", store());
        assertEquals(1, again.code);
        assertEquals("hyperfile: volume c exists", again.err.trim());
        Result noAt = run("volume", "clone", "img", "d", store());
        assertEquals(2, noAt.code);
        assertTrue(noAt.err.startsWith("hyperfile: the source must be SRC@SNAPSHOT, not 'img'"), noAt.err);
        Result noSnap = run("volume", "clone", "img@nope", "d", store());
        assertEquals(2, noSnap.code);
        assertTrue(noSnap.err.startsWith("hyperfile: no snapshot img@nope"), noSnap.err);

        Result heldSnap = run("snapshot", "delete", "img", "first", store());
        assertEquals(1, heldSnap.code);
        assertEquals("hyperfile: snapshot img@first is held by clones that read it: c (delete or 'hyperfile volume flatten'"
                + " them first)", heldSnap.err.trim());
        Result heldVolume = run("volume", "delete", "img", store());
        assertEquals(1, heldVolume.code);
        assertEquals("hyperfile: volume img has clones that read its segments: c (delete them or 'hyperfile volume"
                + " flatten' them first)", heldVolume.err.trim());

        Result flat = run("volume", "flatten", "c", store());
        assertEquals(0, flat.code, flat.err);
        assertTrue(flat.out.startsWith("flattened volume c: copied "), flat.out);
        assertEquals(0, run("snapshot", "delete", "img", "first", store()).code);
        assertEquals(0, run("volume", "delete", "img", store()).code);
        assertArrayEquals(image, export("c"));
        assertEquals(0, run("fsck", "c", store()).code);
        Result notClone = run("volume", "flatten", "c", store());
        assertEquals(0, notClone.code, notClone.err);
        assertTrue(notClone.out.startsWith("volume c was flattened already"), notClone.out);
    }

    @Test
    void deletingACloneFreesItsParentsSnapshot() throws Exception {
        Path in = dir.resolve("in.img");
        Files.write(in, new byte[1 << 20]);
        assertEquals(0, run("import", in.toString(), "img", store()).code);
        assertEquals(0, run("snapshot", "create", "img", "s", store()).code);
        assertEquals(0, run("volume", "clone", "img@s", "c", store()).code);
        assertEquals(0, run("snapshot", "create", "c", "t", store()).code);
        assertEquals(0, run("volume", "clone", "c@t", "cc", store()).code);
        assertEquals(1, run("snapshot", "delete", "c", "t", store()).code);
        Result flatWithSnapshot = run("volume", "flatten", "c", store());
        assertEquals(1, flatWithSnapshot.code);
        assertEquals("hyperfile: clone c has snapshots that read its parent's segments: t (delete them first)",
                flatWithSnapshot.err.trim());
        assertEquals(0, run("volume", "delete", "cc", store()).code);
        assertEquals(0, run("snapshot", "delete", "c", "t", store()).code);
        assertEquals(0, run("volume", "delete", "c", store()).code);
        assertEquals(0, run("snapshot", "delete", "img", "s", store()).code);
        assertEquals(0, run("volume", "delete", "img", store()).code);
        assertEquals("", run("volume", "list", store()).out);
    }
}
