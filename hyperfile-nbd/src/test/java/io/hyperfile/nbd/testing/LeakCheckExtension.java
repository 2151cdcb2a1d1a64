package io.hyperfile.nbd.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class if Netty reported a buffer leak while it ran. Registered for every test class through
 * {@code META-INF/services} (auto-detection is on in {@code junit-platform.properties}); the tests run with
 * {@code -Dio.netty.leakDetection.level=paranoid}, so every buffer is tracked. After the class, it provokes a few GCs
 * and allocations so that leaked buffers are noticed, then asserts that none was reported.
 */
public final class LeakCheckExtension implements BeforeAllCallback, AfterAllCallback {
    private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
                return new ResourceLeakDetector<T>(resource, samplingInterval, maxActive) {
                    @Override
                    protected boolean needReport() {
                        return true;
                    }

                    @Override
                    protected void reportTracedLeak(String resourceType, String records) {
                        LEAKS.add(resourceType + " leaked:" + records);
                    }

                    @Override
                    protected void reportUntracedLeak(String resourceType) {
                        LEAKS.add(resourceType + " leaked (untraced)");
                    }
                };
            }
        });
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        collect();
        LEAKS.clear();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        collect();
        List<String> leaks = new ArrayList<>(LEAKS);
        LEAKS.clear();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty buffer leak(s) in " + context.getDisplayName() + ":\n"
                    + String.join("\n", leaks));
        }
    }

    /** Lets the leak detector see buffers that became unreachable: GC, then allocate so it polls its queue. */
    public static void collect() {
        for (int i = 0; i < 4; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            for (int j = 0; j < 64; j++) {
                ByteBuf b = ByteBufAllocator.DEFAULT.buffer(16);
                b.release();
                Unpooled.directBuffer(16).release();
            }
        }
    }
}
