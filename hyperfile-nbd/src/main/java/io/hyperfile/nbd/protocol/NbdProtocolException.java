package io.hyperfile.nbd.protocol;

import io.netty.handler.codec.CorruptedFrameException;

/**
 * The peer broke the protocol in a way that leaves the stream unparseable (bad magic, an abusive length, unknown
 * handshake flags). The connection it came from is closed; nothing else is affected.
 */
public final class NbdProtocolException extends CorruptedFrameException {
    private static final long serialVersionUID = 1L;

    public NbdProtocolException(String message) {
        super(message);
    }
}
