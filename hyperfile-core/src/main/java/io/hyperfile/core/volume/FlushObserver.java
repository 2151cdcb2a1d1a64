package io.hyperfile.core.volume;

/**
 * Told how long each FLUSH (or FUA write) waited until what it covers was durable in the store. Called under the
 * volume's lock on the volume thread: it must be quick and must not block or call back into the volume.
 */
@FunctionalInterface
public interface FlushObserver {
    FlushObserver NONE = nanos -> { };

    /** A flush succeeded {@code nanos} after it was queued. */
    void flushed(long nanos);
}
