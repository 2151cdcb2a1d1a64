package io.hyperfile.nbd.protocol;

/**
 * Limits and advertised values of the handshake.
 *
 * @param maxOptionBytes longest option data accepted; longer options are skipped unread and answered with
 *     {@code ERR_TOO_BIG} (an over-long {@code EXPORT_NAME}, which cannot be answered, closes the connection)
 * @param handshakeTimeoutMillis a connection still haggling after this long is closed (0: never)
 * @param minimumBlockSize advertised minimum block size (1: any byte range is served)
 * @param preferredBlockSize advertised preferred block size
 * @param maximumPayload advertised maximum payload of one request
 */
public record HandshakeSettings(int maxOptionBytes, long handshakeTimeoutMillis, int minimumBlockSize,
        int preferredBlockSize, int maximumPayload) {

    public static final HandshakeSettings DEFAULT = new HandshakeSettings(64 << 10, 30_000, 1, 4096,
            NbdConstants.MAX_PAYLOAD_BYTES);

    public HandshakeSettings {
        if (maxOptionBytes < 4 * 1024 + 64) {
            throw new IllegalArgumentException("maxOptionBytes must fit an export name (at least 4160). maxOptionBytes=" + maxOptionBytes);
        }
        if (handshakeTimeoutMillis < 0) {
            throw new IllegalArgumentException("handshakeTimeoutMillis must be non-negative. handshakeTimeoutMillis=" + handshakeTimeoutMillis);
        }
        if (Integer.bitCount(minimumBlockSize) != 1 || minimumBlockSize > 65536) {
            throw new IllegalArgumentException("minimumBlockSize must be a power of two up to 65536. minimumBlockSize=" + minimumBlockSize);
        }
        if (Integer.bitCount(preferredBlockSize) != 1 || preferredBlockSize < Math.max(512, minimumBlockSize)) {
            throw new IllegalArgumentException("preferredBlockSize must be a power of two, at least max(512, minimum). preferredBlockSize="
                    + preferredBlockSize);
        }
        if (maximumPayload < preferredBlockSize) {
            throw new IllegalArgumentException("maximumPayload must be at least preferredBlockSize. maximumPayload=" + maximumPayload);
        }
    }
}
