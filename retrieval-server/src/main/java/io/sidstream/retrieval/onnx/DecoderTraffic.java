package io.sidstream.retrieval.onnx;

import io.sidstream.retrieval.beam.SearchTraffic;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the decoder graphs cost in calls and in bytes that would cross between host and device on a
 * GPU: ONNX Runtime's Java API has no I/O binding, so every input is copied to the device and every
 * output back, the history and beam caches included, on each call. On the CPU these are the bytes
 * the calls read and write.
 */
public final class DecoderTraffic implements SearchTraffic {
    private final LongAdder calls = new LongAdder();
    private final LongAdder beamCacheCalls = new LongAdder();
    private final LongAdder hostToDevice = new LongAdder();
    private final LongAdder deviceToHost = new LongAdder();

    void call(long inBytes, long outBytes) {
        calls.increment();
        hostToDevice.add(inBytes);
        deviceToHost.add(outBytes);
    }

    /** ONNX Runtime calls so far. */
    @Override
    public long calls() {
        return calls.sum();
    }

    /** Calls of contract v2's beam-cache graphs ({@code decode_start}, {@code decode_next}). */
    public long beamCacheCalls() {
        return beamCacheCalls.sum();
    }

    void beamCacheCall() {
        beamCacheCalls.increment();
    }

    /** Bytes of the calls' inputs so far. */
    @Override
    public long hostToDeviceBytes() {
        return hostToDevice.sum();
    }

    /** Bytes of the calls' outputs so far. */
    @Override
    public long deviceToHostBytes() {
        return deviceToHost.sum();
    }
}
