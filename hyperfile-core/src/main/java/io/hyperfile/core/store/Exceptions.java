package io.hyperfile.core.store;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Helpers for exceptions that arrive through futures. */
public final class Exceptions {
    private Exceptions() {
    }

    /** Strips {@link CompletionException} and {@link ExecutionException} wrappers. */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
