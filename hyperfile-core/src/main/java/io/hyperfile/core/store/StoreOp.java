package io.hyperfile.core.store;

import java.util.Locale;

/** The request kinds of an {@link ObjectStore}, as counted by {@link StoreStats}. */
public enum StoreOp {
    GET, PUT, CREATE, HEAD, LIST, DELETE, DELETE_ALL;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The lower-case name used in metric labels: {@code get}, {@code delete_all}... */
    public String label() {
        return label;
    }
}
