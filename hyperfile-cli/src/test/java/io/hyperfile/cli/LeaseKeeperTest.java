package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.lease.Leases;
import io.hyperfile.core.lease.VolumeLease;
import io.hyperfile.core.store.ManualScheduler;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeOptions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link LeaseKeeper} in virtual time: what the lease says, when it is renewed, and what ends it. */
class LeaseKeeperTest {
    private static final Duration PERIOD = Duration.ofSeconds(30);
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    private final InMemoryObjectStore backing = new InMemoryObjectStore();
    private final FlakyObjectStore store = new FlakyObjectStore(backing);
    private final ManualScheduler timer = new ManualScheduler();
    private final TestClock clock = new TestClock(START);
    private final List<String> deleted = new ArrayList<>();
    private final LeaseKeeper keeper = new LeaseKeeper(store, clock, timer, PERIOD, "127.0.0.1:0");

    @BeforeEach
    void create() {
        new VolumeCatalog(backing).create("v", VolumeOptions.ofSize(1 << 20), Clock.systemUTC()).join();
        keeper.onDeleted(name -> {
            deleted.add(name);
            return CompletableFuture.completedFuture(null);
        });
    }

    private VolumeLease lease() {
        return Leases.read(backing, "v/").join().orElseThrow(() -> new AssertionError("no lease v/lease"));
    }

    /** Moves both clocks one renewal period on. */
    private void tick() {
        clock.advance(PERIOD);
        timer.advance(PERIOD);
    }

    @Test
    void theLeaseNamesThisServerAndIsRenewedEveryPeriod() {
        keeper.hold("v").join();
        VolumeLease first = lease();
        assertEquals(ProcessHandle.current().pid(), first.pid());
        assertEquals(START.toEpochMilli(), first.startedMillis());
        assertEquals(START.toEpochMilli(), first.renewedMillis());
        assertEquals(30_000, first.renewPeriodMillis());
        assertFalse(first.host().isEmpty());
        assertEquals(List.of(PERIOD.toNanos()), timer.delays());

        keeper.listeningOn("127.0.0.1:5555").join();
        assertEquals("127.0.0.1:5555", lease().listenAddress(), "rewritten once the server listens");
        tick();
        tick();
        VolumeLease later = lease();
        assertEquals(START.plus(PERIOD.multipliedBy(2)).toEpochMilli(), later.renewedMillis());
        assertEquals(first.startedMillis(), later.startedMillis());
        assertEquals(first.holderId(), later.holderId());
        assertTrue(later.isFresh(clock.instant().plus(PERIOD.multipliedBy(3))));
    }

    @Test
    void releaseStopsRenewingAndDeletesTheLease() {
        keeper.hold("v").join();
        keeper.release("v").join();
        assertEquals(Optional.empty(), Leases.read(backing, "v/").join());
        tick();
        assertEquals(Optional.empty(), Leases.read(backing, "v/").join(), "no renewal after release");
        assertFalse(keeper.isHeld("v"));
    }

    @Test
    void releaseLeavesAnotherServersLeaseAlone() {
        keeper.hold("v").join();
        VolumeLease other = new VolumeLease(UUID.randomUUID(), "elsewhere", 9, "10.0.0.1:10809", 1, 2, 30_000);
        Leases.write(backing, "v/", other).join(); // a server that opened the volume after this one
        keeper.releaseAll().join();
        assertEquals(other, lease());
        keeper.hold("v").join();
        assertEquals(other, lease(), "a keeper that released everything holds nothing more");
    }

    @Test
    void aRenewalThatFindsTheVolumeDeletedWritesNothingAndSaysSo() {
        keeper.hold("v").join();
        new VolumeCatalog(backing).delete("v", n -> { }).join();
        tick();
        assertEquals(List.of("v"), deleted);
        assertEquals(List.of(), backing.listAll("v/", null).join(), "the renewal did not bring the prefix back");
        assertEquals(0, timer.pending(), "no further renewal");
        assertFalse(keeper.isHeld("v"));
    }

    @Test
    void aFailedRenewalIsRetriedNextPeriod() {
        keeper.hold("v").join();
        FaultRule down = store.add(FaultRule.on(FlakyObjectStore.Op.PUT, "v/lease", FaultRule.always(),
                FaultAction.fail(() -> FaultAction.serviceUnavailable("v/lease"))));
        tick();
        assertEquals(START.toEpochMilli(), lease().renewedMillis(), "the store refused the renewal");
        assertEquals(1, timer.pending(), "the next renewal is scheduled anyway");
        store.remove(down);
        tick();
        assertEquals(START.plus(PERIOD.multipliedBy(2)).toEpochMilli(), lease().renewedMillis());
        assertEquals(List.of(), deleted);
    }

    @Test
    void aDisabledKeeperWritesNothing() {
        LeaseKeeper off = LeaseKeeper.disabled();
        off.hold("v").join();
        off.releaseAll().join();
        assertFalse(off.isHeld("v"));
        assertEquals(Optional.empty(), Leases.read(backing, "v/").join());
    }

    @Test
    void aFencedServerStopsRenewingAndLeavesTheNewWritersLeaseAlone() {
        boolean[] writer = {true};
        keeper.hold("v", () -> writer[0]).join();
        writer[0] = false; // another writer claimed the volume
        VolumeLease other = new VolumeLease(UUID.randomUUID(), "elsewhere", 9, "10.0.0.1:10809", 1, 2, 30_000);
        Leases.write(backing, "v/", other).join();
        tick();
        assertEquals(other, lease());
        assertFalse(keeper.isHeld("v"));
        assertEquals(0, timer.pending());
    }

    @Test
    void aReleaseWaitsForARenewalInFlightSoThatTheLeaseDoesNotComeBack() {
        keeper.hold("v").join();
        CompletableFuture<Void> storeAnswers = new CompletableFuture<>();
        store.add(FaultRule.on(FlakyObjectStore.Op.PUT, "v/lease", FaultRule.first(1), FaultAction.holdUntil(storeAnswers)));
        tick(); // the renewal's PUT hangs in the store
        CompletableFuture<Void> released = keeper.release("v");
        assertFalse(released.isDone(), "the delete waits for the renewal");
        storeAnswers.complete(null);
        released.join();
        assertEquals(Optional.empty(), Leases.read(backing, "v/").join(), "the renewal landed first, then the delete");
    }
}
