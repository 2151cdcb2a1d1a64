package io.hyperfile.nbd.export;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The exports a server offers, by name. Exports may be added and removed while the server runs: that affects new
 * handshakes only, and connections already in transmission keep the export they chose. A name may also be marked
 * unavailable with a message (a volume the server is still trying to open): it is not an export, so clients asking
 * for it get the usual unknown-export error, but with that message as its text. The registry does not own the
 * devices: whoever added them closes what is behind them (after the server stopped). Thread-safe; lookups never block.
 */
public final class ExportRegistry {
    private final ConcurrentSkipListMap<String, Export> exports = new ConcurrentSkipListMap<>();
    private final ConcurrentHashMap<String, String> unavailable = new ConcurrentHashMap<>();
    private volatile OnDemand onDemand = name -> Optional.empty();

    /**
     * Opens exports that are not in the registry when a client asks for them by name (a volume's past checkpoint,
     * {@code NAME@seq:N}, say). Called on an event loop: must not block.
     */
    @FunctionalInterface
    public interface OnDemand {
        /**
         * Empty if {@code name} is not a name this opens (the client gets the usual unknown-export error); else a
         * future that completes once the export is in the registry (with empty) or could not be opened (with the
         * one-line message for the client). The future may complete on any thread.
         */
        Optional<CompletableFuture<Optional<String>>> open(String name);
    }

    /** Sets who opens exports on demand (by default nobody). */
    public void onDemand(OnDemand opener) {
        onDemand = opener;
    }

    /** Asks the {@link OnDemand} opener for {@code name}, which is not an export; empty if it does not open such names. */
    public Optional<CompletableFuture<Optional<String>>> openOnDemand(String name) {
        return exports.containsKey(name) ? Optional.empty() : onDemand.open(name);
    }

    /** Adds an export (which clears any unavailable mark of its name); fails if the name is taken. */
    public ExportRegistry add(Export export) {
        if (exports.putIfAbsent(export.name(), export) != null) {
            throw new IllegalArgumentException("an export named '" + export.name() + "' already exists");
        }
        unavailable.remove(export.name());
        return this;
    }

    /** Removes the export with this name, if any; returns it. */
    public Optional<Export> remove(String name) {
        return Optional.ofNullable(exports.remove(name));
    }

    /** The export a client's name selects, if any. */
    public Optional<Export> find(String name) {
        return Optional.ofNullable(exports.get(name));
    }

    /**
     * Marks {@code name}, which is not an export, as unavailable: clients asking for it are told {@code message}
     * (human-readable, one line; it should say why and whether it may become available). Ignored if the name is
     * an export.
     */
    public void markUnavailable(String name, String message) {
        if (!exports.containsKey(name)) {
            unavailable.put(name, message);
        }
    }

    /** Removes the unavailable mark of {@code name}, if any. */
    public void clearUnavailable(String name) {
        unavailable.remove(name);
    }

    /** Why {@code name} is not served, if it was marked unavailable (and is still not an export). */
    public Optional<String> unavailableMessage(String name) {
        return exports.containsKey(name) ? Optional.empty() : Optional.ofNullable(unavailable.get(name));
    }

    /** What to tell a client that asked for {@code name}, which is not an export. */
    public String unknownExportMessage(String name) {
        return unavailableMessage(name).orElse("no export named '" + name + "'");
    }

    /** All exports, ordered by name. */
    public List<Export> list() {
        return new ArrayList<>(exports.values());
    }

    public int size() {
        return exports.size();
    }
}
