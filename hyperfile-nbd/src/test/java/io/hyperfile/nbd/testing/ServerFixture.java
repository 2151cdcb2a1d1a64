package io.hyperfile.nbd.testing;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeBlockDevice;
import io.hyperfile.nbd.access.AccessConfig;
import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.server.NbdServer;
import io.hyperfile.nbd.server.ServerConfig;
import io.hyperfile.nbd.tls.ServerTls;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A running {@link NbdServer} on 127.0.0.1 (any free port) serving real volumes on an in-memory store, for tests.
 * Close it to stop the server and close the volumes.
 */
public final class ServerFixture implements AutoCloseable {
    public final ObjectStore store;
    public final ExportRegistry exports = new ExportRegistry();
    private final List<Volume> volumes = new ArrayList<>();
    private NbdServer server;

    public ServerFixture() {
        this(new InMemoryObjectStore());
    }

    public ServerFixture(ObjectStore store) {
        this.store = store;
    }

    /** Adds a writable export backed by a new volume of {@code size} bytes. */
    public Volume addVolume(String name, long size) {
        Volume v = TestVolumes.create(store, name, name, size);
        volumes.add(v);
        exports.add(Export.of(name, new VolumeBlockDevice(v)));
        return v;
    }

    /** Registers another export, e.g. a read-only one of a device already added (the caller closes what else it opened). */
    public void addExport(Export e) {
        exports.add(e);
    }

    public ServerFixture start() throws IOException {
        return start(ServerConfig.builder().port(0).build());
    }

    public ServerFixture start(ServerConfig config) throws IOException {
        return start(config, AccessConfig.OPEN);
    }

    /** Starts the server with an allow-list, connection limits or a default export. */
    public ServerFixture start(ServerConfig config, AccessConfig access) throws IOException {
        server = new NbdServer(config, exports, access).start();
        return this;
    }

    /** Starts the server with TLS as {@code tls} says. */
    public ServerFixture startWith(ServerConfig config, ServerTls tls) throws IOException {
        server = new NbdServer(config, exports, tls).start();
        return this;
    }

    /** Starts the server with TLS as {@code tls} says and an allow-list, limits or default export as {@code access} says. */
    public ServerFixture start(ServerConfig config, AccessConfig access, ServerTls tls) throws IOException {
        server = new NbdServer(config, exports, access, tls).start();
        return this;
    }

    public NbdServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    public String uri(String export) {
        return "nbd://127.0.0.1:" + port() + "/" + export;
    }

    /** Stops the server only (volumes stay open). */
    public void stopServer() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    @Override
    public void close() {
        stopServer();
        for (Volume v : volumes) {
            try {
                TestVolumes.close(v);
            } catch (RuntimeException e) {
                // already closed or aborted by the test
            }
        }
        volumes.clear();
    }
}
