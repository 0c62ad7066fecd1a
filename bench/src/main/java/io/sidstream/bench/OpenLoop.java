package io.sidstream.bench;

import java.util.concurrent.locks.LockSupport;

/**
 * Pacing of the open-loop generators: each send is due at a fixed time, whatever the system under
 * test does. The generator parks until then rather than spinning: on this project's 2-core machine
 * a spinning generator takes one of the two cores from the broker and the services it measures.
 */
final class OpenLoop {
    private OpenLoop() {}

    /** Returns at {@code dueNanos} ({@link System#nanoTime}) or just after; at once if past. */
    static void awaitDue(long dueNanos) {
        for (long left = dueNanos - System.nanoTime();
                left > 0;
                left = dueNanos - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }
}
