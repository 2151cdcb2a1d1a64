package io.hyperfile.core.store.local;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The table of kept files on its own: its bound holds when many readers open new files at the same moment. */
class OpenFilesTest {
    @TempDir
    Path dir;

    @Test
    void readersOpeningFilesAtOnceNeverKeepMoreThanTheCapacity() throws Exception {
        int threads = 8;
        int capacity = 2;
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < threads * 4; i++) {
            paths.add(Files.write(dir.resolve("f" + i), new byte[] {(byte) i}));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (OpenFiles files = new OpenFiles(capacity)) {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<Integer>> runs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                runs.add(pool.submit(() -> {
                    int worst = 0;
                    for (int round = 0; round < 300; round++) {
                        start.await();
                        int i = (round * threads + thread) % paths.size();
                        OpenFiles.Handle h = files.acquire("k" + i, k -> paths.get(Integer.parseInt(k.substring(1))));
                        h.release();
                        worst = Math.max(worst, files.size());
                    }
                    return worst;
                }));
            }
            for (Future<Integer> run : runs) {
                int worst = run.get();
                assertTrue(worst <= capacity, "the table kept " + worst + " files, capacity " + capacity);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
