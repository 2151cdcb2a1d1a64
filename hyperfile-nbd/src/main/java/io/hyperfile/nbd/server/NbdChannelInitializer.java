package io.hyperfile.nbd.server;

import io.hyperfile.nbd.access.ConnectionLimits;
import io.hyperfile.nbd.access.ExportAccess;
import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.protocol.NbdOptionHandler;
import io.hyperfile.nbd.protocol.NbdReplyEncoder;
import io.hyperfile.nbd.protocol.NbdRequestDecoder;
import io.hyperfile.nbd.protocol.NbdSession;
import io.netty.channel.Channel;
import io.hyperfile.nbd.tls.ServerTls;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.flow.FlowControlHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds each connection's pipeline. Handshake: {@code options} ({@link NbdOptionHandler}) alone; after STARTTLS,
 * {@code tls} (SslHandler) and {@code tls-watch} in front of it (see {@link ServerTls}). Transmission,
 * installed when haggling ends (the option handler then removes itself):
 * <pre>
 *   decoder (NbdRequestDecoder) → encoder (NbdReplyEncoder, outbound) → flow (FlowControlHandler) → transmission
 * </pre>
 * The FlowControlHandler sits after the decoder so that "auto-read off" also holds back requests already decoded
 * from bytes that were read before it was switched off.
 */
final class NbdChannelInitializer extends ChannelInitializer<Channel> {
    private static final Logger LOG = LoggerFactory.getLogger(NbdChannelInitializer.class);
    private static final NbdReplyEncoder ENCODER = new NbdReplyEncoder();

    private final ServerConfig config;
    private final ExportRegistry exports;
    private final ServerState state;
    private final ConnectionLimits limits;
    private final ExportAccess access;
    private final ServerTls tls;
    /** Null when the server counts nothing. */
    private final NbdStats stats;

    NbdChannelInitializer(ServerConfig config, ExportRegistry exports, ServerState state, ConnectionLimits limits,
            ServerTls tls, NbdStats stats) {
        this.config = config;
        this.exports = exports;
        this.state = state;
        this.limits = limits;
        this.access = new ExportAccess(exports, limits);
        this.tls = tls;
        this.stats = stats;
    }

    /** Closes a connection over the server's limit at once (before the greeting); else installs the handshake. */
    @Override
    protected void initChannel(Channel ch) {
        if (!limits.tryOpen(ch)) {
            LOG.warn("refused a connection from {}: the server has its maximum of {} connections", ch.remoteAddress(),
                    limits.config().maxConnections());
            ch.close();
            return;
        }
        state.connections().add(ch);
        if (stats != null) {
            stats.accepted();
        }
        ch.pipeline().addLast("options", new NbdOptionHandler(exports, config.handshake(), state::isDraining, this::startTransmission,
                access, tls));
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
