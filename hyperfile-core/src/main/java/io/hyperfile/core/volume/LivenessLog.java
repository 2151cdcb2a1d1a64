package io.hyperfile.core.volume;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link WindowLiveness} of every window indexed since tracking began, in seq order, kept until the garbage
 * collector has folded them into its table ({@link #discardThrough}). Tracking starts at the first call of
 * {@link Volume#liveness()}; before that nothing is kept. Thread-safe.
 */
public final class LivenessLog {
    private final ArrayDeque<WindowLiveness> windows = new ArrayDeque<>();
    private boolean enabled;

    synchronized void enable() {
        enabled = true;
    }

    synchronized void record(WindowLiveness w) {
        if (enabled) {
            windows.add(w);
        }
    }

    /** The windows with a seq above {@code seq}, in seq order. */
    public synchronized List<WindowLiveness> after(long seq) {
        List<WindowLiveness> out = new ArrayList<>();
        for (WindowLiveness w : windows) {
            if (w.seq() > seq) {
                out.add(w);
            }
        }
        return out;
    }

    /** Forgets the windows up to and including {@code seq}. */
    public synchronized void discardThrough(long seq) {
        while (!windows.isEmpty() && windows.peekFirst().seq() <= seq) {
            windows.pollFirst();
        }
    }
}
