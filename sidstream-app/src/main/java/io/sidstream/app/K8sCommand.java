package io.sidstream.app;

import io.sidstream.contracts.Topics;
import io.sidstream.deploy.Kustomize;
import io.sidstream.deploy.SidSpaceRollout;
import io.sidstream.deploy.TopicManifests;
import io.sidstream.ingest.IngestService;
import io.sidstream.ingest.IngestSetting;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code sidstream k8s topics}: the Strimzi topics of the catalogue; {@code sidstream k8s render
 * DIR}: a kustomization rendered without kubectl (what CI checks); {@code sidstream k8s rollout DIR
 * --name N --bundle-dir D}: the green workloads of a blue/green rollout of a new SID space, derived
 * from that rendering ({@link SidSpaceRollout}).
 */
final class K8sCommand {
    private K8sCommand() {}

    static int run(List<String> args, PrintStream out) {
        if (args.size() == 1 && args.get(0).equals("topics")) {
            out.print(topicsYaml());
            return 0;
        }
        if (args.size() == 2 && args.get(0).equals("render")) {
            out.print(Kustomize.toYaml(Kustomize.render(Path.of(args.get(1)))));
            return 0;
        }
        if (args.size() == 6
                && args.get(0).equals("rollout")
                && args.get(2).equals("--name")
                && args.get(4).equals("--bundle-dir")) {
            out.print(
                    Kustomize.toYaml(
                            SidSpaceRollout.green(
                                    Kustomize.render(Path.of(args.get(1))),
                                    args.get(3),
                                    args.get(5))));
            return 0;
        }
        throw new IllegalArgumentException(
                "usage: sidstream k8s topics | sidstream k8s render DIR"
                        + " | sidstream k8s rollout DIR --name NAME --bundle-dir PATH_IN_POD");
    }

    /** The committed k8s/base/kafka/topics.yaml, for the default ingest application id. */
    static String topicsYaml() {
        return TopicManifests.yaml(
                Topics.all(),
                IngestService.internalTopics(IngestSetting.APPLICATION_ID.defaultValue()));
    }
}
