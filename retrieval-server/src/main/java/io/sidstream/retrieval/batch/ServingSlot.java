package io.sidstream.retrieval.batch;

import io.sidstream.retrieval.beam.BatchSearch;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.SearchTraffic;
import io.sidstream.retrieval.beam.SidTrie;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The decoder a retrieval instance answers with, replaceable while requests flow: a search leases
 * the current model for one batch, a replacement applies from the next lease on, and the model it
 * replaced is closed once its last batch has finished. No batch ever sees its model closed, and no
 * request waits for a swap.
 */
public final class ServingSlot implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServingSlot.class);

    /**
     * One loaded model: the bundle version its answers name, its level-by-level search, optionally
     * the same search as one decoder graph, and what to close when it is no longer used (its ONNX
     * sessions).
     */
    public static final class Model {
        private final String version;
        private final BeamSearch search;
        private final BatchSearch graph;
        private final SearchTraffic traffic;
        private final AutoCloseable resources;
        // The slot holds one reference while the model is current; every lease holds another.
        private final AtomicInteger references = new AtomicInteger(1);

        public Model(String version, BeamSearch search, AutoCloseable resources) {
            this(version, search, null, null, resources);
        }

        /**
         * @param graph the whole search as one call (null: none), used for every batch it serves
         * @param traffic what this model's ONNX Runtime calls have cost so far (null: unknown)
         */
        public Model(
                String version,
                BeamSearch search,
                BatchSearch graph,
                SearchTraffic traffic,
                AutoCloseable resources) {
            this.version = version;
            this.search = search;
            this.graph = graph;
            this.traffic = traffic;
            this.resources = resources;
        }

        /** Calls and bytes of this model's searches so far, or null when unknown. */
        public SearchTraffic traffic() {
            return traffic;
        }

        public String version() {
            return version;
        }

        /** The level-by-level search. */
        public BeamSearch search() {
            return search;
        }

        /** Whether this model answers with its one-graph search. */
        public boolean hasGraph() {
            return graph != null;
        }

        /** {@code "graph"} when {@link #search(List, SidTrie)} runs the graph, else "levels". */
        public String engineFor(List<BeamRequest> requests) {
            return usesGraph(requests) ? "graph" : "levels";
        }

        /**
         * Searches the batch with the one graph when it serves every request of it (unsteered, one
         * beam width), else level by level: the same ranking either way.
         */
        public List<BeamResult> search(List<BeamRequest> requests, SidTrie trie) {
            return usesGraph(requests)
                    ? graph.search(requests, trie)
                    : search.search(requests, trie);
        }

        private boolean usesGraph(List<BeamRequest> requests) {
            if (graph == null || requests.isEmpty()) {
                return false;
            }
            int width = requests.get(0).beamWidth();
            for (BeamRequest request : requests) {
                if (request.beamWidth() != width || !graph.serves(request)) {
                    return false;
                }
            }
            return true;
        }

        boolean retain() {
            for (int n = references.get(); n > 0; n = references.get()) {
                if (references.compareAndSet(n, n + 1)) {
                    return true;
                }
            }
            return false;
        }

        void release() {
            if (references.decrementAndGet() == 0) {
                try {
                    resources.close();
                } catch (Exception e) {
                    LOG.warn("closing the decoder of bundle {} failed: {}", version, e.toString());
                }
            }
        }

        /** Whether its resources are closed (its last lease has ended after a swap). */
        public boolean closed() {
            return references.get() == 0;
        }
    }

    /** The model of one batch, held until {@link #close()}. */
    public static final class Lease implements AutoCloseable {
        private final Model model;
        private boolean released;

        private Lease(Model model) {
            this.model = model;
        }

        public Model model() {
            return model;
        }

        @Override
        public void close() {
            if (!released) {
                released = true;
                model.release();
            }
        }
    }

    private final AtomicReference<Model> current;

    public ServingSlot(Model initial) {
        this.current = new AtomicReference<>(initial);
    }

    /** A slot holding a search whose answers name {@code version}, with nothing to close. */
    public static ServingSlot of(String version, BeamSearch search) {
        return new ServingSlot(new Model(version, search, () -> {}));
    }

    /** The current model, kept open until the lease is closed. */
    public Lease lease() {
        while (true) {
            Model model = current.get();
            if (model.retain()) {
                return new Lease(model);
            }
            if (current.get() == model) {
                throw new IllegalStateException(
                        "retrieval is shutting down: the decoder is closed");
            }
            // Swapped out and closed between the read and the retain: read the new one.
        }
    }

    /** The model new batches use now. */
    public Model current() {
        return current.get();
    }

    /**
     * Makes {@code next} the model of every batch from now on and returns the one it replaces,
     * which closes as soon as the batches leasing it have finished.
     */
    public Model swap(Model next) {
        Model previous = current.getAndSet(next);
        previous.release();
        return previous;
    }

    @Override
    public void close() {
        current.get().release();
    }
}
