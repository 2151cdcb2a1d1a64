package io.hyperfile.cli;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a shutdown action on SIGTERM or SIGINT, then lets the command return normally, so that a graceful stop
 * exits 0 (a plain JVM shutdown hook would exit 143). Falls back to a shutdown hook where signals cannot be caught.
 */
final class Signals {
    private Signals() {
    }

    /**
     * Runs {@code action} on a thread of its own at each SIGHUP (serve rescans the store), instead of the JVM's default
     * of exiting. Returns false where the signal cannot be caught: with {@code -Xrs}, or when the process was started
     * with SIGHUP ignored ({@code nohup}), which the JVM keeps (it then installs no handler and reports the old one
     * as {@code SIG_IGN}).
     */
    static boolean onHangup(Runnable action) {
        try {
            return sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> new Thread(action, "hf-sighup").start())
                    != sun.misc.SignalHandler.SIG_IGN;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return false;
        }
    }

    static void onTermination(Runnable action) {
        AtomicBoolean once = new AtomicBoolean();
        Runnable guarded = () -> {
            if (once.compareAndSet(false, true)) {
                action.run();
            }
        };
        try {
            for (String name : new String[] {"TERM", "INT"}) {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> new Thread(guarded, "hf-shutdown").start());
            }
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            Runtime.getRuntime().addShutdownHook(new Thread(guarded, "hf-shutdown"));
        }
    }
}
