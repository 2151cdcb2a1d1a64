package io.hyperfile.nbd.protocol;

import io.netty.channel.ChannelHandlerContext;

/**
 * Installs the transmission-phase handlers once option haggling succeeded. Called on the channel's event loop by
 * {@link NbdOptionHandler}, which removes itself right after; bytes that arrived behind the final option are then
 * handed to the handlers installed here.
 */
@FunctionalInterface
public interface TransmissionStarter {
    /** Adds the transmission handlers to the pipeline after {@code optionHandlerCtx}. */
    void start(ChannelHandlerContext optionHandlerCtx, NbdSession session);
}
