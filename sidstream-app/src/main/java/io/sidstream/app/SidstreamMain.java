package io.sidstream.app;

import io.sidstream.ingest.IngestMain;
import io.sidstream.retrieval.RetrievalMain;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Command-line entry of the all-in-one launcher: {@code sidstream <command> [options]}.
 *
 * <p>Exit codes: 0 success, 1 runtime failure, 2 usage error.
 */
public final class SidstreamMain {
    private SidstreamMain() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            usage(out);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "demo" -> LocalDemo.run(DemoOptions.parse(rest), out);
                case "embed" -> EmbedCommand.run(List.of(rest), out);
                case "bundle" -> BundleCommand.run(List.of(rest), out);
                case "k8s" -> K8sCommand.run(List.of(rest), out);
                case "produce" -> ClientCommands.produce(List.of(rest), out);
                case "tail" -> ClientCommands.tail(List.of(rest), out);
                case "recommend" -> ClientCommands.recommend(List.of(rest), out);
                case "eval" -> EvalCommand.run(List.of(rest), out);
                case "export-training" -> ExportCommand.run(List.of(rest), out);
                case "retire-space" -> RetireSpaceCommand.run(List.of(rest), out);
                case "tokenizers" -> TokenizerReport.run(List.of(rest), out);
                case "eval-steering" -> SteeringEval.run(List.of(rest), out);
                case "ingest" -> service(() -> IngestMain.run(rest));
                case "retrieval" -> service(() -> RetrievalMain.run(rest));
                case "config-table" -> {
                    out.print(ConfigTable.render());
                    yield 0;
                }
                default -> {
                    err.println("unknown command '" + args[0] + "'");
                    usage(err);
                    yield 2;
                }
            };
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("interrupted");
            return 1;
        } catch (IOException e) {
            err.println("failed: " + e);
            return 1;
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            err.println("failed: " + e);
            return 1;
        }
    }

    /** A standalone service's status; a failure to start is a runtime failure (1). */
    private static int service(java.util.concurrent.Callable<Integer> run) throws IOException {
        try {
            return run.call();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private static void usage(PrintStream out) {
        out.println(
                """
                usage: sidstream <command> [options]

                commands:
                  demo   run it all locally: embedded Kafka broker (or --bootstrap-servers), every
                         catalogued topic, ingest-stream and retrieval-server in this JVM, the demo
                         catalog listed (SIDs assigned), interactions replayed, and recommendations
                         for sample users printed; then serves until Ctrl-C
                         --data-dir DIR             catalog + interactions (default data/movietweetings-100k)
                         --bootstrap-servers HOSTS  use an external cluster instead of the embedded broker
                         --limit N                  replay at most N interactions (default: all)
                         --items N                  list at most N catalog items (default: all)
                         --bundle DIR               model bundle (default models/default)
                         --work-dir DIR             broker data, state, progress (default state/demo);
                                                    a rerun resumes there
                         --fresh                    discard the work directory first
                         --speedup X                replay interactions at X times their recorded
                                                    pace (default: as fast as possible)
                         --cold-start F             list items first seen in the last F of the
                                                    replay only then (default 0.05)
                         --dashboard-port N         dashboard port (default 8080; 0 = any)
                         --no-serve                 exit after the summary
                  produce items|interactions FILE   produce JSON lines (or .dat) to items.raw.v1 /
                         users.events.v1; the whole file is validated first and every bad line
                         reported  [--bootstrap-servers]
                  tail TOPIC   print a topic's records as JSON lines (Avro JSON encoding)
                         [--from-beginning] [--max N] [--idle-ms MS] [--bootstrap-servers]
                         (--from-beginning --max N returns once caught up, if the topic holds fewer)
                  recommend USER   recommendations for a user from retrieval-server (history
                         fetched from ingest-stream), with titles from the demo's catalog
                         [--k N] [--beam N] [--include P] [--exclude P] [--url URL] [--catalog FILE]
                  eval   offline evaluation of a bundle through the serving code on a time-ordered
                         replay (leave-last-out Recall@10/50/100, NDCG@10, overall and cold-start):
                         the decoder, the live popularity prior, popularity baselines, item-kNN
                         [--bundle DIR] [--data-dir DIR] [--beam N] [--users N] [--prior-weight W]
                         [--half-life-days D] [--tune [--tune-weights 1,2] [--tune-half-lives-hours 24,72]
                         [--save: record the chosen prior in the bundle]] [--split test|validation]
                         [--young-offsets 2,3 [--young-window-days 7] [--young-candidates 50]:
                         rows with newly listed items ranked by the prior]
                  export-training --out DIR   the training data of a running system from its topics:
                         catalog.jsonl (items.catalog.v1), interactions.jsonl (users.history.v1 and
                         users.events.v1, each once, in time order) and embeddings/ for
                         training/train.py  [--bootstrap-servers] [--threads N]
                  retire-space --sid-space NAME --application-id ID   a SID space that no
                         longer serves: its items.sid.v1.NAME table, the internal topics and group
                         of its re-tokenizing ingest; a dry run without --yes
                         [--bootstrap-servers] [--yes]
                  (produce, tail, recommend and export-training find a running demo by itself in
                   state/demo/endpoints.properties, or in DIR/endpoints.properties with --work-dir DIR)
                  eval-steering  what a sentence in a request does: the target's genres as the
                         query, share of the top 10 under the query's SID prefixes and Recall@10,
                         without the query, with soft steering at several weights and with the
                         hard include  [--users N] [--beam N] [--weights 1,2,4]
                  tokenizers  how the bundle's ranker tokenizers (SentencePiece over SIDs) and the
                         unigram/bigram baselines cut the catalog: vocabulary, tokens per head,
                         tail and cold-start item, cold-start items with every token known
                         [--bundle DIR] [--data-dir DIR]
                  ingest [FILE]     run ingest-stream alone against an external cluster, as its image
                         does: settings from the properties file FILE (SIDSTREAM_* keys, see
                         config-table), overridden by the environment; stops on Ctrl-C
                  retrieval [FILE]  run retrieval-server alone the same way
                  embed  write content embeddings of a catalog for the trainer
                         --catalog FILE --out DIR [--batch N] [--threads N]
                  config-table  print the configuration table of both services (markdown)
                  k8s topics    print the Strimzi KafkaTopics of the topic catalogue (k8s/base/kafka/topics.yaml)
                  k8s render DIR  render a kustomization (k8s/overlays/cpu|gpu|cpu-hpa) without kubectl
                  bundle verify [DIR]  check a model bundle's checksums and contract and reproduce
                         its parity vectors with ONNX Runtime (default DIR models/default)
                """);
    }
}
