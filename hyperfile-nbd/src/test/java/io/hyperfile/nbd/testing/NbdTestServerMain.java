package io.hyperfile.nbd.testing;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeBlockDevice;
import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.server.NbdServer;
import io.hyperfile.nbd.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Test-scope launcher for manual and benchmark runs (fio, nbdinfo by hand): serves one volume until killed.
 *
 * <pre>
 * java -cp ... io.hyperfile.nbd.testing.NbdTestServerMain [--port 10809] [--bind 127.0.0.1] [--name vol]
 *      [--size 1073741824] [--dir /path/to/store]   (no --dir: an in-memory store)
 * </pre>
 * Prints {@code listening on PORT} once ready. SIGTERM shuts the server down gracefully and closes the volume.
 */
public final class NbdTestServerMain {
    private NbdTestServerMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = 10809;
        String bind = "127.0.0.1";
        String name = "vol";
        long size = 1L << 30;
        Path dir = null;
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(v);
                case "--bind" -> bind = v;
                case "--name" -> name = v;
                case "--size" -> size = Long.parseLong(v);
                case "--dir" -> dir = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        ObjectStore store;
        if (dir == null) {
            store = new InMemoryObjectStore();
        } else {
            Files.createDirectories(dir);
            store = new LocalDirectoryObjectStore(dir);
        }
        Volume volume = Files.exists(dir == null ? Path.of("/nonexistent") : dir.resolve(name))
                ? TestVolumes.open(store, name, name) : TestVolumes.create(store, name, name, size);
        ExportRegistry exports = new ExportRegistry().add(Export.of(name, new VolumeBlockDevice(volume)));
        NbdServer server = new NbdServer(ServerConfig.builder().bindAddress(bind).port(port).build(), exports).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            TestVolumes.close(volume);
            stopped.countDown();
        }));
        System.out.println("listening on " + server.port());
        System.out.flush();
        stopped.await();
    }
}
