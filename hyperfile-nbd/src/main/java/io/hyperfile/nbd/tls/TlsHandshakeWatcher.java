package io.hyperfile.nbd.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.nio.channels.ClosedChannelException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits right behind the {@link SslHandler} of an upgraded connection. On a successful handshake it records the
 * verified client certificate as {@link TlsPeer#ATTRIBUTE}; on a failed one it logs one line and closes that
 * connection (nothing else is affected). TLS errors later in the connection are logged the same way and close it,
 * instead of reaching the end of the pipeline as stack traces. Not sharable: one per channel.
 */
final class TlsHandshakeWatcher extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(TlsHandshakeWatcher.class);

    private final boolean verifyPeer;
    private boolean failed;

    TlsHandshakeWatcher(boolean verifyPeer) {
        this.verifyPeer = verifyPeer;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                succeeded(ctx);
            } else if (done.cause() instanceof ClosedChannelException) {
                LOG.debug("{}: connection closed before its TLS handshake finished", ctx.channel());
            } else {
                fail(ctx, "TLS handshake failed", done.cause());
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    private void succeeded(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        TlsPeer peer = null;
        if (verifyPeer) {
            try {
                Certificate[] certs = ssl.engine().getSession().getPeerCertificates();
                if (certs.length > 0 && certs[0] instanceof X509Certificate x509) {
                    peer = TlsPeer.of(x509);
                    ctx.channel().attr(TlsPeer.ATTRIBUTE).set(peer);
                }
            } catch (SSLPeerUnverifiedException e) {
                // ClientAuth.REQUIRE makes this impossible; without a peer the connection just has no identity
            }
        }
        LOG.debug("{}: TLS established ({}, {}){}", ctx.channel(), ssl.engine().getSession().getProtocol(),
                ssl.engine().getSession().getCipherSuite(), peer == null ? "" : " with client " + peer.subject());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && !(root instanceof SSLException)) {
            root = root.getCause();
        }
        if (root instanceof SSLException) {
            fail(ctx, "TLS error", root);
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    private void fail(ChannelHandlerContext ctx, String what, Throwable cause) {
        if (!failed) {
            failed = true;
            LOG.info("{}: {}, closing the connection: {}", ctx.channel(), what, describe(cause));
        }
        ctx.close();
    }

    private static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message;
    }
}
