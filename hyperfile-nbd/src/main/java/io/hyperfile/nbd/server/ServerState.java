package io.hyperfile.nbd.server;

import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;

/** What every connection of one server shares: the draining flag and the set of open connections. Thread-safe. */
final class ServerState {
    private volatile boolean draining;
    private final ChannelGroup connections = new DefaultChannelGroup("nbd-connections", GlobalEventExecutor.INSTANCE);

    boolean isDraining() {
        return draining;
    }

    void startDraining() {
        draining = true;
    }

    ChannelGroup connections() {
        return connections;
    }
}
