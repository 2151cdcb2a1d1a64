package io.hyperfile.core.store.local;

import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.Exceptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A separate process for {@link LocalDirectoryCrossProcessTest}: says "ready", waits for a line on stdin, then tries
 * to create keys {@code race/0..n-1}, printing "won i" for each create it won.
 */
public final class CreateRacer {
    private CreateRacer() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        String me = args[1];
        int rounds = Integer.parseInt(args[2]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(root, 2)) {
            out.println("ready");
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            for (int i = 0; i < rounds; i++) {
                try {
                    store.create("race/" + i, ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8))).join();
                    out.println("won " + i);
                } catch (Exception e) {
                    if (!(Exceptions.unwrap(e) instanceof ObjectExistsException)) {
                        throw e;
                    }
                }
            }
        }
        out.println("done");
    }
}
