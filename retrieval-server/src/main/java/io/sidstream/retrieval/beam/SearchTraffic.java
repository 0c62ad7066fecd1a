package io.sidstream.retrieval.beam;

/**
 * ONNX Runtime calls a model's searches have made so far, and the bytes of their inputs and
 * outputs: on a GPU, what crosses between host and device (the Java API has no I/O binding).
 */
public interface SearchTraffic {
    long calls();

    long hostToDeviceBytes();

    long deviceToHostBytes();

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
