package io.sidstream.sid.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.sidstream.model.bundle.BundleException;
import io.sidstream.model.bundle.BundleManifest;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.bundle.ModelException;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.model.onnx.OrtSessions;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs a bundle's exported RQ-VAE encoder: content embeddings {@code float[B, D]} in, L semantic
 * codes per row out. The residual quantization happens inside the graph, so Java and the trainer
 * produce the same codes by construction.
 *
 * <p>Thread-safe: one instance is meant to be shared by all stream threads of a process. Owns a
 * native ONNX Runtime session; close it.
 */
public final class RqVaeEncoder implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final int dimension;
    private final int levels;

    private RqVaeEncoder(OrtEnvironment env, OrtSession session, int dimension, int levels) {
        this.env = env;
        this.session = session;
        this.dimension = dimension;
        this.levels = levels;
    }

    /**
     * Opens the encoder of a verified bundle on the CPU and checks its graph against the manifest.
     *
     * @param intraOpThreads ONNX Runtime intra-op threads, 0 for its default
     * @throws BundleException when the graph's inputs or outputs are not the contract's
     */
    public static RqVaeEncoder open(ModelBundle bundle, int intraOpThreads) {
        BundleManifest.Encoder spec = bundle.manifest().encoder();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try {
            // Encoding is a few small matmuls per item: the CPU is the right place for it.
            OrtSession session =
                    OrtSessions.DEFAULT
                            .open(bundle.file(spec.file()), ExecutionProvider.CPU, intraOpThreads)
                            .session();
            List<String> problems = validate(session, spec);
            if (!problems.isEmpty()) {
                session.close();
                throw new BundleException(bundle.directory(), problems);
            }
            return new RqVaeEncoder(env, session, spec.embeddingDim(), spec.levels());
        } catch (OrtException e) {
            throw new ModelException("cannot open encoder " + spec.file() + " of " + bundle, e);
        }
    }

    private static List<String> validate(OrtSession session, BundleManifest.Encoder spec)
            throws OrtException {
        List<String> problems = new ArrayList<>();
        Map<String, NodeInfo> in = session.getInputInfo();
        Map<String, NodeInfo> out = session.getOutputInfo();
        if (!in.keySet().equals(java.util.Set.of("embedding"))) {
            problems.add(
                    spec.file() + " inputs are " + in.keySet() + ", the contract says [embedding]");
        } else {
            long[] shape = ((TensorInfo) in.get("embedding").getInfo()).getShape();
            if (shape.length != 2 || shape[1] != spec.embeddingDim()) {
                problems.add(
                        spec.file()
                                + " input embedding has shape "
                                + java.util.Arrays.toString(shape)
                                + ", expected [batch, "
                                + spec.embeddingDim()
                                + "]");
            }
        }
        if (!out.keySet().containsAll(List.of("codes", "residual_norm"))) {
            problems.add(
                    spec.file()
                            + " outputs are "
                            + out.keySet()
                            + ", the contract says [codes, residual_norm]");
        } else {
            long[] shape = ((TensorInfo) out.get("codes").getInfo()).getShape();
            if (shape.length != 2 || (shape[1] > 0 && shape[1] != spec.levels())) {
                problems.add(
                        spec.file()
                                + " output codes has shape "
                                + java.util.Arrays.toString(shape)
                                + ", expected [batch, "
                                + spec.levels()
                                + "]");
            }
        }
        return problems;
    }

    /** Embedding dimension the encoder accepts. */
    public int dimension() {
        return dimension;
    }

    /** Number of semantic levels L it emits. */
    public int levels() {
        return levels;
    }

    /**
     * Encodes a batch; every row must have {@link #dimension()} finite values (callers validate
     * input and route bad rows to a dead-letter topic before calling).
     */
    public EncodedBatch encode(float[][] embeddings) {
        int batch = embeddings.length;
        if (batch == 0) {
            return new EncodedBatch(new int[0][], new float[0]);
        }
        FloatBuffer flat = FloatBuffer.allocate(batch * dimension);
        for (float[] row : embeddings) {
            if (row.length != dimension) {
                throw new IllegalArgumentException(
                        "embedding has "
                                + row.length
                                + " values, the encoder expects "
                                + dimension);
            }
            flat.put(row);
        }
        flat.flip();
        try (OnnxTensor input = OnnxTensor.createTensor(env, flat, new long[] {batch, dimension});
                OrtSession.Result result = session.run(Map.of("embedding", input))) {
            long[][] codes = (long[][]) result.get("codes").orElseThrow().getValue();
            float[] norms = (float[]) result.get("residual_norm").orElseThrow().getValue();
            int[][] out = new int[batch][levels];
            for (int b = 0; b < batch; b++) {
                for (int l = 0; l < levels; l++) {
                    out[b][l] = Math.toIntExact(codes[b][l]);
                }
            }
            return new EncodedBatch(out, norms);
        } catch (OrtException e) {
            throw new ModelException("RQ-VAE encoder failed on a batch of " + batch, e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new ModelException("cannot close the encoder session", e);
        }
    }
}
