package io.hyperfile.nbd.access;

import io.netty.channel.Channel;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts a server's connections, and each export's connections from GO/EXPORT_NAME until they close, against the
 * limits of an {@link AccessConfig}. A slot taken for a channel is given back when the channel closes (its close
 * future). Thread-safe: channels of every event loop share it.
 */
public final class ConnectionLimits {
    private final AccessConfig config;
    private final AtomicInteger connections = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> byExport = new ConcurrentHashMap<>();

    public ConnectionLimits(AccessConfig config) {
        this.config = config;
    }

    /** At accept: counts the channel until it closes and returns true, or false (nothing counted) if the server is full. */
    public boolean tryOpen(Channel channel) {
        if (!tryTake(connections, config.maxConnections())) {
            return false;
        }
        channel.closeFuture().addListener(f -> connections.decrementAndGet());
        return true;
    }

    /**
     * On GO/EXPORT_NAME: counts the channel against {@code export} until it closes and returns true, or false
     * (nothing counted) if the export has its limit of connections.
     */
    public boolean tryAdmit(Channel channel, String export) {
        AtomicInteger count = byExport.computeIfAbsent(export, k -> new AtomicInteger());
        if (!tryTake(count, config.maxConnectionsOf(export))) {
            return false;
        }
        channel.closeFuture().addListener(f -> count.decrementAndGet());
        return true;
    }

    private static boolean tryTake(AtomicInteger count, int limit) {
        while (true) {
            int n = count.get();
            if (limit > 0 && n >= limit) {
                return false;
            }
            if (count.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Open connections of the server (those counted by {@link #tryOpen}). */
    public int connections() {
        return connections.get();
    }

    /** Connections in transmission on {@code export}. */
    public int connections(String export) {
        AtomicInteger n = byExport.get(export);
        return n == null ? 0 : n.get();
    }

    /** The limits counted against. */
    public AccessConfig config() {
        return config;
    }
}
