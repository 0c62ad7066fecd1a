package io.sidstream.retrieval.beam;

/**
 * ONNX Runtime calls a model's searches have made so far, and the bytes of their inputs and
 * outputs: on a GPU, what crosses between host and device (the Java API has no I/O binding).
 */
public interface SearchTraffic {
    long calls();

    long hostToDeviceBytes();

    long deviceToHostBytes();

    /** The counts now, to subtract from a later reading. */
    default Totals totals() {
        return new Totals(calls(), hostToDeviceBytes(), deviceToHostBytes());
    }

    /** Calls and bytes at one moment. */
    record Totals(long calls, long hostToDeviceBytes, long deviceToHostBytes) {
        public static final Totals NONE = new Totals(0, 0, 0);

        /** What happened between {@code earlier} and this reading. */
        public Totals since(Totals earlier) {
            return new Totals(
                    calls - earlier.calls,
                    hostToDeviceBytes - earlier.hostToDeviceBytes,
                    deviceToHostBytes - earlier.deviceToHostBytes);
        }
    }

    /** Both sources added up. */
    static SearchTraffic sum(SearchTraffic a, SearchTraffic b) {
        return new SearchTraffic() {
            @Override
            public long calls() {
                return a.calls() + b.calls();
            }

            @Override
            public long hostToDeviceBytes() {
                return a.hostToDeviceBytes() + b.hostToDeviceBytes();
            }

            @Override
            public long deviceToHostBytes() {
                return a.deviceToHostBytes() + b.deviceToHostBytes();
            }
        };
    }
}
