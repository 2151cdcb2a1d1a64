package io.hyperfile.core.store.fault;

import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongPredicate;
import java.util.regex.Pattern;

/**
 * One fault rule of a {@link FlakyObjectStore}: it watches calls of {@code ops} whose key (the prefix, for a list)
 * matches {@code keyPattern} in full, numbers them 1, 2, 3… and acts on those whose number {@code when} accepts.
 * {@link #onStoreCall} rules instead test the store-wide call number, for "crash at the N-th request" tests.
 */
public final class FaultRule {
    private final Set<Op> ops;
    private final Pattern keyPattern;
    private final LongPredicate when;
    private final boolean storeWide;
    private final FaultAction action;
    private final AtomicLong matched = new AtomicLong();
    private final AtomicLong acted = new AtomicLong();

    private FaultRule(Set<Op> ops, Pattern keyPattern, LongPredicate when, boolean storeWide, FaultAction action) {
        this.ops = ops;
        this.keyPattern = keyPattern;
        this.when = when;
        this.storeWide = storeWide;
        this.action = action;
    }

    /** Acts on the matching calls of {@code ops} to keys matching {@code keyRegex} that {@code when} accepts. */
    public static FaultRule on(Set<Op> ops, String keyRegex, LongPredicate when, FaultAction action) {
        return new FaultRule(EnumSet.copyOf(ops), Pattern.compile(keyRegex), when, false, action);
    }

    public static FaultRule on(Op op, String keyRegex, LongPredicate when, FaultAction action) {
        return on(EnumSet.of(op), keyRegex, when, action);
    }

    /** Acts on every store call (any operation, any key) whose store-wide call number {@code when} accepts. */
    public static FaultRule onStoreCall(LongPredicate when, FaultAction action) {
        return new FaultRule(EnumSet.allOf(Op.class), Pattern.compile(".*", Pattern.DOTALL), when, true, action);
    }

    /** Accepts only call number {@code n}. */
    public static LongPredicate nth(long n) {
        return i -> i == n;
    }

    /** Accepts calls 1..n. */
    public static LongPredicate first(long n) {
        return i -> i <= n;
    }

    /** Accepts calls after the first n. */
    public static LongPredicate after(long n) {
        return i -> i > n;
    }

    public static LongPredicate always() {
        return i -> true;
    }

    /** How many calls matched this rule's operations and keys. */
    public long matched() {
        return matched.get();
    }

    /** How many calls this rule acted on. */
    public long acted() {
        return acted.get();
    }

    FaultAction action() {
        return action;
    }

    boolean acts(Op op, String key, long storeCallNo) {
        if (!ops.contains(op) || !keyPattern.matcher(key).matches()) {
            return false;
        }
        long n = matched.incrementAndGet();
        if (when.test(storeWide ? storeCallNo : n)) {
            acted.incrementAndGet();
            return true;
        }
        return false;
    }
}
