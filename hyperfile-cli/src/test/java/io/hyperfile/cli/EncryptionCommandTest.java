package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Encrypted volumes through the CLI: create, import, export, info, fsck, clone, rotate-key, wrong and missing keys. */
class EncryptionCommandTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err, byte[] stdout) {
    }

    @AfterEach
    void restoreStdio() {
        Stdio.use(null, null);
    }

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream binary = new ByteArrayOutputStream();
        Stdio.use(new ByteArrayInputStream(new byte[0]), binary);
        int code = Hyperfile.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString(), binary.toByteArray());
    }

    private String[] with(String[] args, String... more) {
        String[] all = Arrays.copyOf(args, args.length + more.length + 1);
        System.arraycopy(more, 0, all, args.length, more.length);
        all[all.length - 1] = "--store=file:" + dir.resolve("data");
        return all;
    }

    private Path key(String name, int seed) throws IOException {
        byte[] k = new byte[32];
        new Random(seed).nextBytes(k);
        return Files.write(dir.resolve(name), k);
    }

    private static byte[] image(int seed, int bytes) {
        byte[] image = new byte[bytes];
        Random rnd = new Random(seed);
        for (int i = 0; i < image.length; i++) {
            image[i] = i % 2 == 0 ? (byte) rnd.nextInt() : (byte) (i / 512); // half compressible
        }
        return image;
    }

    /** Whether any stored file holds {@code needle}. */
    private boolean storeHolds(byte[] needle) throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("data"))) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                byte[] b = Files.readAllBytes(p);
                for (int i = 0; i + needle.length <= b.length; i++) {
                    if (Arrays.equals(b, i, i + needle.length, needle, 0, needle.length)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private Result ok(String... args) {
        Result r = run(args);
        assertEquals(0, r.code, String.join(" ", args) + ": " + r.out + r.err);
        return r;
    }

    @Test
    void anEncryptedVolumeOpensOnlyWithItsKeyAndStoresNoPlaintext() throws Exception {
        String k1 = "--key-file=" + key("k1", 1);
        String wrong = "--key-file=" + key("k2", 2);
        ok(with(new String[] {"volume", "create", "sec", "--size", "4M", "--encryption", "aes-256-gcm",
                "--compression", "lz4"}, k1));
        byte[] image = image(3, 3 << 20);
        Path file = Files.write(dir.resolve("in.img"), image);
        ok(with(new String[] {"import", file.toString(), "sec", "-q"}, k1));
        assertArrayEquals(image, Arrays.copyOf(run(with(new String[] {"export", "sec", "-", "-q"}, k1)).stdout, image.length));
        assertFalse(storeHolds(Arrays.copyOfRange(image, 1 << 20, (1 << 20) + 32)), "no plaintext in the store");

        Result info = ok(with(new String[] {"volume", "info", "sec"}, k1));
        assertTrue(info.out.contains("encryption:      aes-256-gcm"), info.out);
        assertTrue(info.out.contains("format version:  4"), info.out);
        assertTrue(info.out.contains("key version 1:   wrapped by the local key with fingerprint"), info.out);
        Result fsck = run(with(new String[] {"fsck", "sec"}, k1));
        assertEquals(0, fsck.code, fsck.out + fsck.err);

        Result noKey = run(with(new String[] {"export", "sec", "-", "-q"}));
        assertEquals(1, noKey.code);
        assertEquals("hyperfile: volume sec is encrypted (aes-256-gcm): give its key with --key-file FILE, --key-env VAR or"
                + " --kms-key-id ARN", noKey.err.strip());
        assertEquals(0, noKey.stdout.length, "no data without the key");
        Result wrongKey = run(with(new String[] {"fsck", "sec"}, wrong));
        assertEquals(1, wrongKey.code, wrongKey.out + wrongKey.err);
        assertTrue(wrongKey.err.startsWith("hyperfile: volume sec: wrong key: key file "), wrongKey.err);
        assertEquals(1, wrongKey.err.strip().lines().count(), "one line: " + wrongKey.err);
    }

    @Test
    void rotationAddsKeyVersionsAndMovesTheKeysUnderANewUserKey() throws Exception {
        String k1 = "--key-file=" + key("k1", 1);
        Path k2file = key("k2", 2);
        String k2 = "--key-file=" + k2file;
        ok(with(new String[] {"volume", "create", "r", "--size", "2M", "--encryption", "aes-256-gcm"}, k1));
        byte[] first = image(4, 1 << 20);
        ok(with(new String[] {"import", Files.write(dir.resolve("a.img"), first).toString(), "r", "-q"}, k1));
        Result rotated = ok(with(new String[] {"volume", "rotate-key", "r"}, k1));
        assertTrue(rotated.out.contains("new segments use key version 2"), rotated.out);
        byte[] second = image(5, 1 << 20);
        byte[] expected = Arrays.copyOf(first, 2 << 20);
        System.arraycopy(second, 0, expected, 1 << 20, second.length);
        Path all = Files.write(dir.resolve("b.img"), expected);
        ok(with(new String[] {"import", all.toString(), "r", "-q"}, k1));

        Result moved = ok(with(new String[] {"volume", "rotate-key", "r", "--new-key-file", k2file.toString()}, k1));
        assertTrue(moved.out.contains("key versions [1, 2] now wrapped by key file"), moved.out);
        assertTrue(moved.out.contains("new segments use key version 3"), moved.out);
        Result old = run(with(new String[] {"export", "r", "-", "-q"}, k1));
        assertEquals(1, old.code, "the old key opens nothing: " + old.err);
        assertTrue(old.err.startsWith("hyperfile: volume r: wrong key"), old.err);
        assertArrayEquals(expected, run(with(new String[] {"export", "r", "-", "-q"}, k2)).stdout);
        Result info = ok(with(new String[] {"volume", "info", "r"}, k2));
        for (int v = 1; v <= 3; v++) {
            assertTrue(info.out.contains("key version " + v + ":"), info.out);
        }
        assertEquals(0, run(with(new String[] {"fsck", "r"}, k2)).code);
    }

    @Test
    void clonesOfAnEncryptedVolumeReadItsSegmentsAndFlattenUnderTheirOwnKeys() throws Exception {
        String k = "--key-file=" + key("k", 7);
        ok(with(new String[] {"volume", "create", "base", "--size", "2M", "--encryption", "aes-256-gcm"}, k));
        byte[] image = image(6, 2 << 20);
        ok(with(new String[] {"import", Files.write(dir.resolve("i.img"), image).toString(), "base", "-q"}, k));
        ok(with(new String[] {"snapshot", "create", "base", "s"}, k));
        ok(with(new String[] {"volume", "clone", "base@s", "copy"}, k));
        assertArrayEquals(image, run(with(new String[] {"export", "copy", "-", "-q"}, k)).stdout);
        ok(with(new String[] {"volume", "flatten", "copy"}, k));
        ok(with(new String[] {"snapshot", "delete", "base", "s"}, k));
        ok(with(new String[] {"volume", "delete", "base"}, k));
        assertArrayEquals(image, run(with(new String[] {"export", "copy", "-", "-q"}, k)).stdout);
        assertEquals(0, run(with(new String[] {"fsck", "copy"}, k)).code);
    }

    @Test
    void badKeyOptionsAreOneLineErrors() throws Exception {
        Result noKey = run(with(new String[] {"volume", "create", "x", "--size", "1M", "--encryption", "aes-256-gcm"}));
        assertEquals(2, noKey.code);
        assertTrue(noKey.err.startsWith("hyperfile: --encryption aes-256-gcm needs a key"), noKey.err);
        Path shortKey = Files.write(dir.resolve("short"), new byte[16]);
        Result bad = run(with(new String[] {"volume", "create", "x", "--size", "1M", "--encryption", "aes-256-gcm",
                "--key-file", shortKey.toString()}));
        assertEquals(1, bad.code);
        assertTrue(bad.err.startsWith("hyperfile: key file " + shortKey + " holds 16 bytes; a key is 32 raw bytes"), bad.err);
        Result two = run(with(new String[] {"volume", "list", "--key-file", shortKey.toString(), "--key-env", "X"}));
        assertEquals(2, two.code);
        assertTrue(two.err.startsWith("hyperfile: give one key"), two.err);
        Result cipher = run(with(new String[] {"volume", "create", "x", "--size", "1M", "--encryption", "rot13"}));
        assertEquals(2, cipher.code);
        assertTrue(cipher.err.startsWith("hyperfile: unknown encryption 'rot13'"), cipher.err);
        assertEquals(List.of(), List.of(run(with(new String[] {"volume", "list"})).out.strip()).stream()
                .filter(s -> !s.isEmpty()).toList(), "nothing was created");
    }

    @Test
    void aKmsWrappedVolumeOpensWithItsKmsKeyAndNotWithALocalOne() throws Exception {
        try (io.hyperfile.core.crypto.FakeKms kms = new io.hyperfile.core.crypto.FakeKms()) {
            String arn = kms.createKey();
            System.setProperty("aws.accessKeyId", "test");
            System.setProperty("aws.secretAccessKey", "test");
            System.setProperty("aws.region", "us-east-1");
            try {
                String[] key = {"--kms-key-id=" + arn, "--kms-endpoint=" + kms.uri()};
                ok(with(new String[] {"volume", "create", "kv", "--size", "1M", "--encryption", "aes-256-gcm"}, key));
                byte[] image = image(8, 1 << 20);
                ok(with(new String[] {"import", Files.write(dir.resolve("k.img"), image).toString(), "kv", "-q"}, key));
                int decrypts = kms.calls("Decrypt");
                assertArrayEquals(image, run(with(new String[] {"export", "kv", "-", "-q"}, key)).stdout);
                assertEquals(decrypts + 1, kms.calls("Decrypt"), "one Decrypt per key version and open");
                Result info = ok(with(new String[] {"volume", "info", "kv"}, key));
                assertTrue(info.out.contains("key version 1:   wrapped by the KMS key " + arn), info.out);
                Result local = run(with(new String[] {"export", "kv", "-", "-q"}, "--key-file=" + key("l", 3)));
                assertEquals(1, local.code);
                assertTrue(local.err.startsWith("hyperfile: volume kv: key version 1 is wrapped by the KMS key " + arn),
                        local.err);
                // Move the volume under a local key, after which KMS is no longer asked.
                Path moved = key("m", 4);
                ok(with(new String[] {"volume", "rotate-key", "kv", "--new-key-file", moved.toString()}, key));
                int calls = kms.calls("Decrypt");
                assertArrayEquals(image, run(with(new String[] {"export", "kv", "-", "-q"}, "--key-file=" + moved)).stdout);
                assertEquals(calls, kms.calls("Decrypt"));
            } finally {
                System.clearProperty("aws.accessKeyId");
                System.clearProperty("aws.secretAccessKey");
                System.clearProperty("aws.region");
            }
        }
    }
}
