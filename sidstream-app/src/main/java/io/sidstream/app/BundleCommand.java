package io.sidstream.app;

import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.model.tokens.RankerTokenizers;
import io.sidstream.retrieval.onnx.BeamSearchParity;
import io.sidstream.retrieval.onnx.DecoderParity;
import io.sidstream.sid.onnx.EncoderParity;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code bundle verify [DIR] [--execution-provider auto|cuda|cpu]}: loads a model bundle
 * (checksums, contract consistency) and reproduces its parity vectors with ONNX Runtime. Exit 0
 * when the bundle is usable, 1 otherwise; the way to check a model exported by another team.
 */
final class BundleCommand {
    private BundleCommand() {}

    static int run(List<String> args, PrintStream out) {
        if (args.isEmpty() || !args.get(0).equals("verify")) {
            throw new IllegalArgumentException(
                    "usage: bundle verify [DIR] [--execution-provider auto|cuda|cpu]");
        }
        Path dir = ModelBundle.DEFAULT_DIRECTORY;
        ExecutionProvider provider = ExecutionProvider.CPU;
        for (int i = 1; i < args.size(); i++) {
            if (args.get(i).equals("--execution-provider") && i + 1 < args.size()) {
                provider = ExecutionProvider.parse(args.get(++i));
            } else if (args.get(i).startsWith("--")) {
                throw new IllegalArgumentException("unknown option " + args.get(i));
            } else {
                dir = Path.of(args.get(i));
            }
        }
        ModelBundle bundle = ModelBundle.load(dir);
        out.println("bundle " + bundle.version() + " at " + dir + ": checksums and contract OK");
        EncoderParity.Report encoder = EncoderParity.check(bundle);
        out.printf(
                Locale.ROOT,
                "encoder parity: %d rows, %s%n",
                encoder.rows(),
                encoder.passed() ? "codes identical" : "FAILED " + encoder.mismatches());
        DecoderParity.Report decoder = DecoderParity.check(bundle, provider);
        out.printf(
                Locale.ROOT,
                "decoder parity: %d values, max |diff| %.3g (tolerance %.1g) %s%n",
                decoder.values(),
                decoder.maxAbsDiff(),
                decoder.tolerance(),
                decoder.passed() ? "OK" : "FAILED " + decoder.mismatches());
        List<BeamSearchParity.Report> searches = new ArrayList<>();
        for (boolean beamCache :
                bundle.manifest().decoder().hasBeamCache()
                        ? List.of(true, false)
                        : List.of(false)) {
            BeamSearchParity.Report search = BeamSearchParity.check(bundle, provider, beamCache);
            searches.add(search);
            out.printf(
                    Locale.ROOT,
                    "beam search parity (%s): %d result items, %s%n",
                    beamCache ? "contract v2, beam-token cache" : "contract v1, decode_step",
                    search.items(),
                    search.passed()
                            ? "same items and scores as the trainer"
                            : "FAILED " + search.mismatches());
        }
        if (bundle.manifest().decoder().hasSearchGraph()) {
            BeamSearchParity.Report search = BeamSearchParity.checkSearchGraph(bundle, provider);
            searches.add(search);
            out.printf(
                    Locale.ROOT,
                    "beam search parity (one graph, %s): %d result items in %d calls, %s%n",
                    bundle.manifest().decoder().searchFile(),
                    search.items(),
                    search.beamCacheCalls(),
                    search.passed()
                            ? "same items and scores as the trainer"
                            : "FAILED " + search.mismatches());
        }
        RankerTokenizers.Parity tokens = RankerTokenizers.check(bundle);
        out.printf(
                Locale.ROOT,
                "ranker tokenizer parity: %d lines, %s%n",
                tokens.lines(),
                tokens.lines() == 0
                        ? "no tokenizers in this bundle"
                        : tokens.passed() ? "tokens identical" : "FAILED " + tokens.mismatches());
        return encoder.passed()
                        && decoder.passed()
                        && searches.stream().allMatch(BeamSearchParity.Report::passed)
                        && tokens.passed()
                ? 0
                : 1;
    }
}
