package io.hyperfile.nbd.export;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The exports a server offers, by name. Adding or removing an export affects new handshakes only: connections
 * already in transmission keep the export they chose. The registry does not own the devices: whoever added them
 * closes what is behind them (after the server stopped). Thread-safe; lookups never block.
 */
public final class ExportRegistry {
    private final ConcurrentSkipListMap<String, Export> exports = new ConcurrentSkipListMap<>();

    /** Adds an export; fails if the name is taken. */
    public ExportRegistry add(Export export) {
        if (exports.putIfAbsent(export.name(), export) != null) {
            throw new IllegalArgumentException("an export named '" + export.name() + "' already exists");
        }
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

    /** All exports, ordered by name. */
    public List<Export> list() {
        return new ArrayList<>(exports.values());
    }

    public int size() {
        return exports.size();
    }
}
