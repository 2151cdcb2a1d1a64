package io.hyperfile.core.lease;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.format.Crc32c;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;

/**
 * The content of a lease object {@code P/lease}: which server holds the volume for writing and when it last renewed
 * the lease. Little-endian, variable length:
 *
 * <pre>
 * offset   size field
 *   0       8   magic "HFVLEASE"
 *   8       2   record version (1)
 *  10       2   flags (0)
 *  12      16   holder id: a random UUID per server process (most significant 8 bytes first, each half LE)
 *  28       8   holder's process id
 *  36       8   when the holder first wrote the lease, ms since 1970-01-01 UTC (holder's clock)
 *  44       8   when the holder last renewed it, ms since 1970-01-01 UTC (holder's clock)
 *  52       4   renewal period in ms (positive): the lease is stale after {@value #STALE_PERIODS} periods
 *  56       2   host name length h (0..255), then h bytes of UTF-8
 *  58+h     2   listen address length l (0..255), then l bytes of UTF-8
 *  60+h+l   4   CRC32C of every byte before it
 * </pre>
 *
 * A reader refuses (as {@link CorruptionException} naming the key) an object whose magic, length, CRC32C, version or
 * flags do not match. Immutable.
 *
 * @param holderId random id of the holding server process; a server recognises its own lease by it
 * @param host the holder's host name (at most 255 UTF-8 bytes)
 * @param pid the holder's process id
 * @param listenAddress where the holder serves NBD, {@code HOST:PORT} (at most 255 UTF-8 bytes)
 * @param startedMillis when the holder first wrote the lease
 * @param renewedMillis when the holder last wrote the lease
 * @param renewPeriodMillis how often the holder renews it
 */
public record VolumeLease(UUID holderId, String host, long pid, String listenAddress, long startedMillis,
        long renewedMillis, int renewPeriodMillis) {
    /** The record version this build writes and the newest it reads. */
    public static final int VERSION = 1;
    /** A lease not renewed for this many renewal periods is stale: its holder is taken to be gone. */
    public static final int STALE_PERIODS = 3;
    private static final byte[] MAGIC = "HFVLEASE".getBytes(StandardCharsets.US_ASCII);
    private static final int FIXED_BYTES = 56;
    private static final int MAX_TEXT_BYTES = 255;

    public VolumeLease {
        Objects.requireNonNull(holderId, "holderId");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(listenAddress, "listenAddress");
        if (renewPeriodMillis <= 0) {
            throw new IllegalArgumentException("renewPeriodMillis must be positive. renewPeriodMillis=" + renewPeriodMillis);
        }
        host = truncate(host);
        listenAddress = truncate(listenAddress);
    }

    /** The same lease, renewed at {@code nowMillis}. */
    public VolumeLease renewedAt(long nowMillis) {
        return new VolumeLease(holderId, host, pid, listenAddress, startedMillis, nowMillis, renewPeriodMillis);
    }

    /** The same lease, naming another listen address. */
    public VolumeLease withListenAddress(String address) {
        return new VolumeLease(holderId, host, pid, address, startedMillis, renewedMillis, renewPeriodMillis);
    }

    /** How long before {@code now} the lease was last renewed (negative when the holder's clock is ahead). */
    public Duration age(Instant now) {
        return Duration.ofMillis(now.toEpochMilli() - renewedMillis);
    }

    /**
     * Whether the holder is taken to be alive at {@code now}: it renewed the lease less than {@value #STALE_PERIODS}
     * renewal periods ago (or in the future, as seen from a clock behind the holder's).
     */
    public boolean isFresh(Instant now) {
        return age(now).toMillis() <= (long) STALE_PERIODS * renewPeriodMillis;
    }

    /** Who holds it, for messages: {@code host H, pid P, serving on ADDRESS}. */
    public String holder() {
        return "host " + host + ", pid " + pid + (listenAddress.isEmpty() ? "" : ", serving on " + listenAddress);
    }

    public ByteBuffer encode() {
        byte[] h = host.getBytes(StandardCharsets.UTF_8);
        byte[] l = listenAddress.getBytes(StandardCharsets.UTF_8);
        int length = FIXED_BYTES + 2 + h.length + 2 + l.length + 4;
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putShort((short) VERSION).putShort((short) 0)
                .putLong(holderId.getMostSignificantBits()).putLong(holderId.getLeastSignificantBits())
                .putLong(pid).putLong(startedMillis).putLong(renewedMillis).putInt(renewPeriodMillis)
                .putShort((short) h.length).put(h).putShort((short) l.length).put(l);
        b.putInt(Crc32c.of(b.array(), 0, length - 4));
        return b.flip();
    }

    /** Decodes a lease; {@link CorruptionException} naming {@code key} for anything that is not one. */
    public static VolumeLease decode(String key, ByteBuffer src) {
        ByteBuffer b = src.slice().order(ByteOrder.LITTLE_ENDIAN);
        int n = b.remaining();
        if (n < FIXED_BYTES + 8 || !Arrays.equals(MAGIC, bytes(b, 0, MAGIC.length))) {
            throw new CorruptionException(key, 0, "not a lease record (bad magic or " + n + " bytes)");
        }
        int stored = b.getInt(n - 4);
        int computed = Crc32c.ofRange(b, 0, n - 4);
        if (stored != computed) {
            throw CorruptionException.checksum(key, n - 4, "lease record", stored, computed);
        }
        int version = b.getShort(8) & 0xffff;
        if (version != VERSION) {
            throw new CorruptionException(key, 8, "lease record version " + version + " is not supported; this build reads version " + VERSION);
        }
        int flags = b.getShort(10) & 0xffff;
        if (flags != 0) {
            throw new CorruptionException(key, 10, "lease record has unknown flags 0x" + Integer.toHexString(flags));
        }
        int hostLength = b.getShort(FIXED_BYTES) & 0xffff;
        int listenAt = FIXED_BYTES + 2 + hostLength;
        if (hostLength > MAX_TEXT_BYTES || listenAt + 2 + 4 > n) {
            throw new CorruptionException(key, FIXED_BYTES, "lease record host length " + hostLength + " does not fit its " + n + " bytes");
        }
        int listenLength = b.getShort(listenAt) & 0xffff;
        if (listenLength > MAX_TEXT_BYTES || listenAt + 2 + listenLength + 4 != n) {
            throw new CorruptionException(key, listenAt, "lease record listen address length " + listenLength + " does not fit its "
                    + n + " bytes");
        }
        int period = b.getInt(52);
        if (period <= 0) {
            throw new CorruptionException(key, 52, "lease record renewal period " + period + " ms is not positive");
        }
        return new VolumeLease(new UUID(b.getLong(12), b.getLong(20)),
                new String(bytes(b, FIXED_BYTES + 2, hostLength), StandardCharsets.UTF_8), b.getLong(28),
                new String(bytes(b, listenAt + 2, listenLength), StandardCharsets.UTF_8), b.getLong(36), b.getLong(44), period);
    }

    private static byte[] bytes(ByteBuffer b, int from, int length) {
        byte[] out = new byte[length];
        b.get(from, out);
        return out;
    }

    /** At most {@value #MAX_TEXT_BYTES} UTF-8 bytes, cut at a character boundary. */
    private static String truncate(String s) {
        if (s.getBytes(StandardCharsets.UTF_8).length <= MAX_TEXT_BYTES) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        int bytes = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int size = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + size > MAX_TEXT_BYTES) {
                break;
            }
            b.appendCodePoint(cp);
            bytes += size;
            i += Character.charCount(cp);
        }
        return b.toString();
    }
}
