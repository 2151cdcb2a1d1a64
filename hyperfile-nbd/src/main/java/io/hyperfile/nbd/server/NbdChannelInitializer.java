package io.hyperfile.nbd.server;

import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.protocol.NbdOptionHandler;
import io.hyperfile.nbd.protocol.NbdReplyEncoder;
import io.hyperfile.nbd.protocol.NbdRequestDecoder;
import io.hyperfile.nbd.protocol.NbdSession;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flow.FlowControlHandler;

/**
 * Builds each connection's pipeline. Handshake: {@code options} ({@link NbdOptionHandler}) alone. Transmission,
 * installed when haggling ends (the option handler then removes itself):
 * <pre>
 *   decoder (NbdRequestDecoder) → encoder (NbdReplyEncoder, outbound) → flow (FlowControlHandler) → transmission
 * </pre>
 * The FlowControlHandler sits after the decoder so that "auto-read off" also holds back requests already decoded
 * from bytes that were read before it was switched off.
 */
final class NbdChannelInitializer extends ChannelInitializer<SocketChannel> {
    private static final NbdReplyEncoder ENCODER = new NbdReplyEncoder();

    private final ServerConfig config;
    private final ExportRegistry exports;
    private final ServerState state;
    /** Null when the server counts nothing. */
    private final NbdStats stats;

    NbdChannelInitializer(ServerConfig config, ExportRegistry exports, ServerState state, NbdStats stats) {
        this.config = config;
        this.exports = exports;
        this.state = state;
        this.stats = stats;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        state.connections().add(ch);
        if (stats != null) {
            stats.accepted();
        }
        ch.pipeline().addLast("options", new NbdOptionHandler(exports, config.handshake(), state::isDraining, this::startTransmission));
    }

    private void startTransmission(ChannelHandlerContext optionsCtx, NbdSession session) {
        ChannelPipeline p = optionsCtx.pipeline();
        p.addAfter(optionsCtx.name(), "decoder", new NbdRequestDecoder(config.maxPayloadBytes()));
        p.addAfter("decoder", "encoder", ENCODER);
        p.addAfter("encoder", "flow", new FlowControlHandler());
        p.addAfter("flow", "transmission", new NbdTransmissionHandler(session, config, state,
                stats == null ? null : stats.export(session.export().name())));
    }
}
