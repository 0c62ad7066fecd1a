package io.sidstream.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sidstream.contracts.InternalTopic;
import io.sidstream.contracts.TopicSpec;
import io.sidstream.contracts.Topics;
import io.sidstream.ingest.IngestConfig;
import io.sidstream.ingest.IngestService;
import io.sidstream.ingest.IngestSetting;
import io.sidstream.ingest.topology.ItemTopology;
import io.sidstream.ingest.topology.RelayTopology;
import io.sidstream.ingest.topology.UserHistoryTopology;
import io.sidstream.platform.kafka.WireFormatSelection;
import io.sidstream.platform.settings.Setting;
import io.sidstream.platform.settings.SettingsReader;
import io.sidstream.retrieval.RetrievalConfig;
import io.sidstream.retrieval.RetrievalSetting;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Keeps k8s/ true: every overlay renders, every resource parses strictly against the Kubernetes
 * model (fabric8) or its CRD's model, selectors select, probes hit endpoints the apps serve on the
 * ports they listen on, every setting exists in the apps' typed config and validates there, and
 * topics match the catalogue.
 */
class ManifestsTest {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static final Path K8S = REPO.resolve("k8s");
    static final String INGEST_MAIN = "io.sidstream.ingest.IngestMain";
    static final String RETRIEVAL_MAIN = "io.sidstream.retrieval.RetrievalMain";

    /** Helper variables the manifests may define for $(VAR) expansion; the apps never read them. */
    static final Set<String> EXPANSION_ONLY = Set.of("POD_NAME", "POD_NAMESPACE");

    private static final KubernetesSerialization K8S_JSON = new KubernetesSerialization();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A rendered overlay, each resource both as a map and as a typed object. */
    record Rendered(String overlay, List<Map<String, Object>> raw, List<Object> typed) {
        <T> List<T> all(Class<T> type) {
            return typed.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    static Rendered render(String overlay) {
        List<Map<String, Object>> raw = Kustomize.render(K8S.resolve("overlays").resolve(overlay));
        List<Object> typed = new ArrayList<>();
        for (Map<String, Object> resource : raw) {
            typed.add(parseStrictly(resource));
        }
        return new Rendered(overlay, raw, typed);
    }

    static Object parseStrictly(Map<String, Object> resource) {
        String id = Kustomize.id(resource);
        Class<?> crd =
                CrdModels.modelOf(
                        String.valueOf(resource.get("apiVersion")),
                        String.valueOf(resource.get("kind")));
        try {
            if (crd != null) {
                return CrdModels.STRICT.convertValue(resource, crd);
            }
            HasMetadata parsed =
                    K8S_JSON.unmarshal(JSON.writeValueAsString(resource), HasMetadata.class);
            assertThat(parsed)
                    .as("%s has no model: unknown apiVersion/kind (add its CRD model)", id)
                    .isNotInstanceOf(GenericKubernetesResource.class);
            List<String> unknown = new ArrayList<>();
            collectUnknownFields(parsed, id, unknown);
            assertThat(unknown).as("fields the Kubernetes schema does not know").isEmpty();
            return parsed;
        } catch (IOException | IllegalArgumentException e) {
            throw new AssertionError(id + " does not match its schema: " + e.getMessage(), e);
        }
    }

    /** fabric8 keeps unknown fields in additionalProperties instead of failing: find them all. */
    static void collectUnknownFields(Object node, String path, List<String> unknown) {
        if (node == null) {
            return;
        }
        if (node instanceof Collection) {
            int i = 0;
            for (Object item : (Collection<?>) node) {
                collectUnknownFields(item, path + "[" + i++ + "]", unknown);
            }
            return;
        }
        if (node instanceof Map) {
            ((Map<?, ?>) node).forEach((k, v) -> collectUnknownFields(v, path + "." + k, unknown));
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method m : node.getClass().getMethods()) {
            if (m.getParameterCount() != 0
                    || !m.getName().startsWith("get")
                    || m.getName().equals("getClass")
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            try {
                Object value = m.invoke(node);
                if (m.getName().equals("getAdditionalProperties")) {
                    if (value instanceof Map && !((Map<?, ?>) value).isEmpty()) {
                        unknown.add(path + ": " + ((Map<?, ?>) value).keySet());
                    }
                } else {
                    collectUnknownFields(
                            value, path + "." + decapitalize(m.getName().substring(3)), unknown);
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static String decapitalize(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu", "cpu-hpa"})
    void overlayRendersAndEveryResourceMatchesItsSchema(String overlay) {
        Rendered r = render(overlay);
        assertThat(r.all(StatefulSet.class)).hasSize(1);
        assertThat(r.all(Deployment.class)).hasSize(1);
        assertThat(r.all(Service.class)).hasSize(3);
        assertThat(r.all(PodDisruptionBudget.class)).hasSize(2);
        assertThat(r.all(NetworkPolicy.class)).hasSize(2);
        assertThat(r.all(CrdModels.KafkaTopic.class)).hasSize(Topics.all().size() + 3);
        assertThat(r.all(CrdModels.ServiceMonitor.class)).hasSize(1);
        assertThat(r.all(CrdModels.PrometheusRule.class))
                .singleElement()
                .satisfies(
                        rule ->
                                assertThat(rule.spec().groups())
                                        .flatExtracting(CrdModels.RuleGroup::rules)
                                        .allSatisfy(
                                                a ->
                                                        assertThat(a.labels())
                                                                .containsKey("severity")));
        for (Map<String, Object> resource : r.raw()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> metadata = (Map<String, Object>) resource.get("metadata");
            assertThat(metadata.get("namespace"))
                    .as("%s namespace", Kustomize.id(resource))
                    .isEqualTo("sidstream");
        }
        if (overlay.equals("cpu-hpa")) {
            assertThat(r.all(CrdModels.ScaledObject.class)).isEmpty();
            assertThat(r.all(HorizontalPodAutoscaler.class)).hasSize(2);
        } else {
            assertThat(r.all(CrdModels.ScaledObject.class)).hasSize(2);
            assertThat(r.all(HorizontalPodAutoscaler.class)).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu", "cpu-hpa"})
    void selectorsSelectAndReferencesResolve(String overlay) {
        Rendered r = render(overlay);
        Map<String, PodTemplateSpec> workloads = workloads(r);
        for (Deployment d : r.all(Deployment.class)) {
            assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
                    .containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
        }
        for (StatefulSet s : r.all(StatefulSet.class)) {
            assertThat(s.getSpec().getTemplate().getMetadata().getLabels())
                    .containsAllEntriesOf(s.getSpec().getSelector().getMatchLabels());
            Service headless = service(r, s.getSpec().getServiceName());
            assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        }
        for (Service svc : r.all(Service.class)) {
            List<PodTemplateSpec> selected = selected(workloads, svc.getSpec().getSelector());
            assertThat(selected).as("pods of Service %s", name(svc)).isNotEmpty();
            for (ServicePort port : svc.getSpec().getPorts()) {
                for (PodTemplateSpec pod : selected) {
                    assertThat(containerPort(pod, port.getTargetPort().getStrVal()))
                            .as("Service %s targetPort %s", name(svc), port.getTargetPort())
                            .isNotNull();
                }
            }
        }
        for (PodDisruptionBudget pdb : r.all(PodDisruptionBudget.class)) {
            assertThat(selected(workloads, pdb.getSpec().getSelector().getMatchLabels()))
                    .as("pods of PDB %s", name(pdb))
                    .hasSize(1);
        }
        for (NetworkPolicy np : r.all(NetworkPolicy.class)) {
            assertThat(selected(workloads, np.getSpec().getPodSelector().getMatchLabels()))
                    .as("pods of NetworkPolicy %s", name(np))
                    .hasSize(1);
        }
        for (CrdModels.ServiceMonitor sm : r.all(CrdModels.ServiceMonitor.class)) {
            List<Service> scraped =
                    r.all(Service.class).stream()
                            .filter(
                                    s ->
                                            s.getMetadata()
                                                    .getLabels()
                                                    .entrySet()
                                                    .containsAll(
                                                            sm.spec()
                                                                    .selector()
                                                                    .matchLabels()
                                                                    .entrySet()))
                            .toList();
            assertThat(scraped)
                    .extracting(ManifestsTest::name)
                    .containsExactlyInAnyOrder("sidstream-ingest", "sidstream-retrieval");
            for (CrdModels.Endpoint e : sm.spec().endpoints()) {
                assertThat(e.path()).isEqualTo("/metrics");
                // Relabelled as Prometheus would: one spelling of every catalogued topic.
                for (TopicSpec<?, ?> topic : Topics.all()) {
                    assertThat(relabelTopic(e.metricRelabelings(), topic.name().replace('.', '_')))
                            .isEqualTo(topic.name());
                    assertThat(relabelTopic(e.metricRelabelings(), topic.name()))
                            .isEqualTo(topic.name());
                }
                assertThat(
                                relabelTopic(
                                        e.metricRelabelings(),
                                        "sidstream-ingest-items-by-id-repartition"))
                        .isEqualTo("sidstream-ingest-items-by-id-repartition");
                for (Service s : scraped) {
                    assertThat(s.getSpec().getPorts())
                            .extracting(ServicePort::getName)
                            .contains(e.port());
                }
            }
        }
        for (HorizontalPodAutoscaler hpa : r.all(HorizontalPodAutoscaler.class)) {
            var ref = hpa.getSpec().getScaleTargetRef();
            assertThat(workloads).containsKey(ref.getKind() + "/" + ref.getName());
        }
        Set<String> secrets = new HashSet<>();
        for (CrdModels.ScaledObject so : r.all(CrdModels.ScaledObject.class)) {
            var ref = so.spec().scaleTargetRef();
            assertThat(workloads).containsKey(ref.kind() + "/" + ref.name());
            for (CrdModels.Trigger t : so.spec().triggers()) {
                assertThat(r.all(CrdModels.TriggerAuthentication.class))
                        .extracting(a -> a.metadata().name())
                        .contains(t.authenticationRef().name());
            }
        }
        r.all(CrdModels.TriggerAuthentication.class)
                .forEach(a -> a.spec().secretTargetRef().forEach(s -> secrets.add(s.name())));
        assertThat(secrets).allMatch(s -> s.equals("sidstream-keda-kafka"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu", "cpu-hpa"})
    void everySettingExistsInTheAppsTypedConfigAndValidates(String overlay) {
        Rendered r = render(overlay);
        for (Map.Entry<String, PodTemplateSpec> w : workloads(r).entrySet()) {
            for (Container c : w.getValue().getSpec().getContainers()) {
                String main = mainClass(c);
                List<? extends Setting> settings =
                        List.of(
                                WireFormatSelection.withAppSettings(
                                        main.equals(INGEST_MAIN)
                                                ? IngestSetting.values()
                                                : RetrievalSetting.values()));
                Map<String, String> env = environment(r, c);
                Set<String> keys = settings.stream().map(Setting::key).collect(Collectors.toSet());
                for (String name : env.keySet()) {
                    if (name.startsWith(SettingsReader.KAFKA_PREFIX)) {
                        assertThat(isKafkaConfig(name))
                                .as("%s in %s: not a Kafka client/Streams config", name, w.getKey())
                                .isTrue();
                    } else if (name.startsWith("SIDSTREAM_")) {
                        assertThat(keys)
                                .as("%s in %s is not a setting of %s", name, w.getKey(), main)
                                .contains(name);
                    } else {
                        assertThat(EXPANSION_ONLY)
                                .as(
                                        "%s in %s: the apps read only SIDSTREAM_ keys",
                                        name, w.getKey())
                                .contains(name);
                    }
                }
                // The typed config validates every value (ranges, enums) as at start-up.
                Map<String, String> values = new HashMap<>(env);
                assertThat(values.get(IngestSetting.BUNDLE_DIR.key()))
                        .isEqualTo("/opt/sidstream/models/default");
                values.put(
                        IngestSetting.BUNDLE_DIR.key(), REPO.resolve("models/default").toString());
                // The APIs require bearer tokens in every overlay.
                assertThat(
                                values.get(
                                        main.equals(INGEST_MAIN)
                                                ? IngestSetting.HTTP_TOKENS_FILE.key()
                                                : RetrievalSetting.HTTP_TOKENS_FILE.key()))
                        .as("%s authenticates its HTTP API", w.getKey())
                        .isNotBlank();
                // Token files are keys of a Secret mounted in this pod; here they are local files.
                for (Setting tokens :
                        List.of(
                                IngestSetting.HTTP_TOKENS_FILE,
                                RetrievalSetting.HTTP_TOKENS_FILE,
                                RetrievalSetting.INGEST_TOKEN_FILE)) {
                    String path = values.get(tokens.key());
                    if (path != null && !path.isBlank()) {
                        assertThat(secretKeyMountedAt(w.getValue(), c, path))
                                .as(
                                        "%s=%s in %s is a key of a mounted Secret",
                                        tokens.key(), path, w.getKey())
                                .isTrue();
                        values.put(tokens.key(), localTokenFile().toString());
                    }
                }
                // Registry-aware clients can read what the deployed services write.
                WireFormatSelection wire;
                if (main.equals(INGEST_MAIN)) {
                    IngestConfig config = IngestConfig.fromEnv(values);
                    assertThat(config.kafkaOverrides()).containsKey("sasl.jaas.config");
                    wire = config.wireFormat();
                } else {
                    RetrievalConfig config = RetrievalConfig.fromEnv(values);
                    assertThat(config.kafkaOverrides()).containsKey("sasl.jaas.config");
                    wire = config.wireFormat();
                }
                assertThat(wire.registry())
                        .as("%s uses the registry wire format", w.getKey())
                        .isTrue();
                URI registry = wire.registryUrl();
                assertThat(egressAllowsPort(r, w.getValue(), registry.getPort()))
                        .as("%s may reach the schema registry at %s", w.getKey(), registry)
                        .isTrue();
            }
        }
    }

    /** A topic label after the relabelling rules, applied in order with Prometheus' semantics. */
    static String relabelTopic(List<CrdModels.RelabelConfig> rules, String topic) {
        String value = topic;
        for (CrdModels.RelabelConfig rule : rules) {
            assertThat(rule.sourceLabels()).containsExactly("topic");
            assertThat(rule.targetLabel()).isEqualTo("topic");
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("^(?:" + rule.regex() + ")$").matcher(value);
            if (m.matches()) {
                value = m.replaceFirst(rule.replacement().replaceAll("\\$\\{(\\d+)}", "\\$$1"));
            }
        }
        return value;
    }

    /** Whether the NetworkPolicy of this pod lets it open TCP connections to {@code port}. */
    static boolean egressAllowsPort(Rendered r, PodTemplateSpec pod, int port) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        return r.all(NetworkPolicy.class).stream()
                .filter(
                        np ->
                                labels.entrySet()
                                        .containsAll(
                                                np.getSpec()
                                                        .getPodSelector()
                                                        .getMatchLabels()
                                                        .entrySet()))
                .flatMap(np -> np.getSpec().getEgress().stream())
                .flatMap(rule -> rule.getPorts().stream())
                .anyMatch(
                        p ->
                                p.getPort() != null
                                        && p.getPort().getIntVal() != null
                                        && p.getPort().getIntVal() == port);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu", "cpu-hpa"})
    void probesAndPortsMatchWhatTheAppsServe(String overlay) throws Exception {
        Rendered r = render(overlay);
        for (Map.Entry<String, PodTemplateSpec> w : workloads(r).entrySet()) {
            for (Container c : w.getValue().getSpec().getContainers()) {
                String main = mainClass(c);
                Class.forName(main); // the image's entry point exists
                Map<String, String> env = environment(r, c);
                String portKey =
                        main.equals(INGEST_MAIN)
                                ? IngestSetting.HTTP_PORT.key()
                                : RetrievalSetting.HTTP_PORT.key();
                int listens = Integer.parseInt(env.get(portKey));
                for (Probe probe :
                        Arrays.asList(
                                c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe())) {
                    assertThat(probe).as("probes of %s", w.getKey()).isNotNull();
                    HTTPGetAction get = probe.getHttpGet();
                    boolean served =
                            main.equals(INGEST_MAIN)
                                    ? ProbeEndpoints.ingestServes(get.getPath())
                                    : ProbeEndpoints.retrievalServes(get.getPath());
                    assertThat(served)
                            .as("%s serves the probe path %s", main, get.getPath())
                            .isTrue();
                    ContainerPort port = containerPort(w.getValue(), get.getPort().getStrVal());
                    assertThat(port).isNotNull();
                    assertThat(port.getContainerPort()).isEqualTo(listens);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu", "cpu-hpa"})
    void podsAreLockedDownAndSized(String overlay) {
        Rendered r = render(overlay);
        for (Map.Entry<String, PodTemplateSpec> w : workloads(r).entrySet()) {
            var pod = w.getValue().getSpec();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
            for (Container c : pod.getContainers()) {
                var sc = c.getSecurityContext();
                assertThat(sc.getReadOnlyRootFilesystem()).as(w.getKey()).isTrue();
                assertThat(sc.getAllowPrivilegeEscalation()).as(w.getKey()).isFalse();
                assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
                assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
                assertThat(c.getResources().getLimits()).containsKey("memory");
                assertThat(c.getVolumeMounts())
                        .extracting(m -> m.getMountPath())
                        .as("native libraries unpack into /tmp")
                        .contains("/tmp");
                assertThat(c.getImage()).startsWith("ghcr.io/sidstream/sidstream");
            }
        }
    }

    @Test
    void gpuOverlayPutsRetrievalOnAGpuAndRequiresCuda() {
        Rendered r = render("gpu");
        Deployment d = r.all(Deployment.class).get(0);
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getImage()).isEqualTo("ghcr.io/sidstream/sidstream-gpu:0.1.0");
        assertThat(c.getResources().getLimits().get("nvidia.com/gpu").getAmount()).isEqualTo("1");
        assertThat(environment(r, c))
                .containsEntry(RetrievalSetting.EXECUTION_PROVIDER.key(), "cuda");
        assertThat(d.getSpec().getTemplate().getSpec().getTolerations())
                .anyMatch(t -> t.getKey().equals("nvidia.com/gpu"));
        Container cpu =
                render("cpu")
                        .all(Deployment.class)
                        .get(0)
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0);
        assertThat(cpu.getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");
        assertThat(cpu.getImage()).isEqualTo("ghcr.io/sidstream/sidstream:0.1.0");
    }

    @Test
    void topicsAreTheCatalogue() throws IOException {
        String app = IngestSetting.APPLICATION_ID.defaultValue();
        String confirmations = app + "-sid-confirmations";
        Map<String, TopicSpec<?, ?>> relays =
                Map.of(
                        RelayTopology.relayTopic(app, ItemTopology.ITEMS_ROUTE),
                        Topics.ITEMS,
                        RelayTopology.relayTopic(app, UserHistoryTopology.EVENTS_ROUTE),
                        Topics.INTERACTIONS);
        List<InternalTopic> internal = IngestService.internalTopics(app);
        assertThat(internal)
                .extracting(InternalTopic::name)
                .containsExactlyInAnyOrder(
                        confirmations,
                        RelayTopology.relayTopic(app, ItemTopology.ITEMS_ROUTE),
                        RelayTopology.relayTopic(app, UserHistoryTopology.EVENTS_ROUTE));
        String generated = TopicManifests.yaml(Topics.all(), internal);
        assertThat(Files.readString(K8S.resolve("base/kafka/topics.yaml")))
                .as(
                        "k8s/base/kafka/topics.yaml is stale: ./sidstream k8s topics > k8s/base/kafka/topics.yaml")
                .isEqualTo(generated);
        Map<String, CrdModels.KafkaTopic> declared = new LinkedHashMap<>();
        render("cpu")
                .all(CrdModels.KafkaTopic.class)
                .forEach(t -> declared.put(t.spec().topicName(), t));
        for (TopicSpec<?, ?> spec : Topics.all()) {
            CrdModels.KafkaTopic t = declared.get(spec.name());
            assertThat(t).as(spec.name()).isNotNull();
            assertThat(t.spec().partitions()).isEqualTo(spec.partitions());
            assertThat(t.spec().config()).containsAllEntriesOf(spec.configs());
            assertThat(t.metadata().labels())
                    .containsEntry("strimzi.io/cluster", "sidstream-kafka");
        }
        assertThat(declared.get(confirmations).spec().partitions())
                .isEqualTo(Topics.ITEMS.partitions());
        relays.forEach(
                (relay, input) -> {
                    assertThat(declared.get(relay).spec().partitions())
                            .as("%s is partitioned like %s", relay, input.name())
                            .isEqualTo(input.partitions());
                    assertThat(declared.get(relay).spec().config())
                            .containsAllEntriesOf(RelayTopology.TOPIC_CONFIGS);
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void autoscalersFollowTheConsumerGroupsAndPartitions(String overlay) {
        Rendered r = render(overlay);
        Map<String, PodTemplateSpec> workloads = workloads(r);
        for (CrdModels.ScaledObject so : r.all(CrdModels.ScaledObject.class)) {
            var ref = so.spec().scaleTargetRef();
            Container c =
                    workloads.get(ref.kind() + "/" + ref.name()).getSpec().getContainers().get(0);
            Map<String, String> env = environment(r, c);
            boolean ingest = mainClass(c).equals(INGEST_MAIN);
            String group =
                    ingest
                            ? env.getOrDefault(
                                    IngestSetting.APPLICATION_ID.key(),
                                    IngestSetting.APPLICATION_ID.defaultValue())
                            : env.getOrDefault(
                                    RetrievalSetting.APPLICATION_ID.key(),
                                    RetrievalSetting.APPLICATION_ID.defaultValue());
            // Ingest's owners read the relay topics (the default routing): their lag is the work
            // waiting; the relay's group reads the inputs. Group -> topic -> partitions.
            Map<String, Map<String, Integer>> consumed =
                    ingest
                            ? Map.of(
                                    group,
                                    Map.of(
                                            RelayTopology.relayTopic(
                                                    group, ItemTopology.ITEMS_ROUTE),
                                            Topics.ITEMS.partitions(),
                                            RelayTopology.relayTopic(
                                                    group, UserHistoryTopology.EVENTS_ROUTE),
                                            Topics.INTERACTIONS.partitions()),
                                    RelayTopology.applicationId(group),
                                    Map.of(
                                            Topics.ITEMS.name(),
                                            Topics.ITEMS.partitions(),
                                            Topics.INTERACTIONS.name(),
                                            Topics.INTERACTIONS.partitions()))
                            : Map.of(
                                    group,
                                    Map.of(
                                            Topics.RETRIEVAL_REQUESTS.name(),
                                            Topics.RETRIEVAL_REQUESTS.partitions()));
            for (CrdModels.Trigger t : so.spec().triggers()) {
                Map<String, String> m = t.metadata();
                assertThat(consumed).containsKey(m.get("consumerGroup"));
                assertThat(consumed.get(m.get("consumerGroup"))).containsKey(m.get("topic"));
                assertThat(m.get("bootstrapServers"))
                        .isEqualTo(env.get(IngestSetting.BOOTSTRAP_SERVERS.key()));
                int partitions = consumed.get(m.get("consumerGroup")).get(m.get("topic"));
                assertThat(so.spec().maxReplicaCount()).isLessThanOrEqualTo(partitions);
                Integer.parseInt(m.get("lagThreshold"));
            }
        }
    }

    @Test
    void rendersAsKubectlKustomizeDoesWhereKubectlIsInstalled() throws Exception {
        Path kubectl =
                Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                        .map(d -> Path.of(d, "kubectl"))
                        .filter(Files::isExecutable)
                        .findFirst()
                        .orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(
                kubectl != null, "kubectl is not installed: the renderer is checked by the others");
        for (String overlay : List.of("cpu", "gpu", "cpu-hpa")) {
            Path dir = K8S.resolve("overlays").resolve(overlay);
            Process p =
                    new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString())
                            .redirectErrorStream(true)
                            .start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                fail("kubectl kustomize " + overlay + " failed:\n" + out);
            }
            Path file = Files.createTempFile("kubectl-" + overlay, ".yaml");
            Files.writeString(file, out);
            Map<String, Map<String, Object>> theirs = byId(Kustomize.readDocuments(file));
            Map<String, Map<String, Object>> ours = byId(Kustomize.render(dir));
            Files.delete(file);
            assertThat(ours.keySet())
                    .as(overlay)
                    .containsExactlyInAnyOrderElementsOf(theirs.keySet());
            for (String id : theirs.keySet()) {
                assertThat(ours.get(id)).as("%s %s", overlay, id).isEqualTo(theirs.get(id));
            }
        }
    }

    @Test
    void dockerImagesMatchTheManifests() throws IOException {
        for (String name : List.of("Dockerfile", "Dockerfile.gpu")) {
            String dockerfile = Files.readString(REPO.resolve("docker").resolve(name));
            assertThat(dockerfile).as(name).contains("USER 10001:10001");
            assertThat(dockerfile).contains("COPY models/default /opt/sidstream/models/default");
            assertThat(dockerfile)
                    .contains("ENTRYPOINT [\"java\", \"-cp\", \"/opt/sidstream/lib/*\"]");
        }
        String gpu = Files.readString(REPO.resolve("docker/Dockerfile.gpu"));
        // onnxruntime_gpu 1.29 is built for CUDA 12 and cuDNN 9.
        assertThat(gpu).containsPattern("(?m)^FROM nvidia/cuda:12\\.[0-9.]+-cudnn-runtime-");
        assertThat(gpu).contains("-Pgpu");
        assertThat(Files.readString(REPO.resolve("pom.xml")))
                .containsPattern("<onnxruntime.version>1\\.29\\.");
    }

    // ---------------------------------------------------------------------------------------

    static Map<String, Map<String, Object>> byId(List<Map<String, Object>> resources) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        resources.forEach(r -> out.put(Kustomize.id(r), r));
        return out;
    }

    static Map<String, PodTemplateSpec> workloads(Rendered r) {
        Map<String, PodTemplateSpec> out = new LinkedHashMap<>();
        r.all(Deployment.class)
                .forEach(d -> out.put("Deployment/" + name(d), d.getSpec().getTemplate()));
        r.all(StatefulSet.class)
                .forEach(s -> out.put("StatefulSet/" + name(s), s.getSpec().getTemplate()));
        return out;
    }

    static List<PodTemplateSpec> selected(
            Map<String, PodTemplateSpec> workloads, Map<String, String> selector) {
        assertThat(selector).isNotEmpty();
        return workloads.values().stream()
                .filter(
                        t ->
                                t.getMetadata()
                                        .getLabels()
                                        .entrySet()
                                        .containsAll(selector.entrySet()))
                .toList();
    }

    static Service service(Rendered r, String name) {
        return r.all(Service.class).stream()
                .filter(s -> name(s).equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no Service " + name));
    }

    static ContainerPort containerPort(PodTemplateSpec pod, String name) {
        return pod.getSpec().getContainers().stream()
                .flatMap(c -> c.getPorts().stream())
                .filter(p -> name.equals(p.getName()))
                .findFirst()
                .orElse(null);
    }

    static String name(HasMetadata resource) {
        return resource.getMetadata().getName();
    }

    /** Whether {@code path} is an item of a Secret volume mounted in container {@code c}. */
    static boolean secretKeyMountedAt(PodTemplateSpec pod, Container c, String path) {
        for (var mount : c.getVolumeMounts()) {
            String dir =
                    mount.getMountPath().endsWith("/")
                            ? mount.getMountPath()
                            : mount.getMountPath() + "/";
            if (!path.startsWith(dir)) {
                continue;
            }
            String key = path.substring(dir.length());
            for (var volume : pod.getSpec().getVolumes()) {
                if (volume.getName().equals(mount.getName()) && volume.getSecret() != null) {
                    var items = volume.getSecret().getItems();
                    if (items == null
                            || items.isEmpty()
                            || items.stream().anyMatch(i -> i.getPath().equals(key))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static Path localTokenFile() {
        try {
            Path f = Files.createTempFile("sidstream-tokens", ".txt");
            Files.writeString(f, "manifest-test-token\n");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String mainClass(Container c) {
        assertThat(c.getArgs()).as("container %s runs one main class", c.getName()).hasSize(1);
        String main = c.getArgs().get(0);
        assertThat(main).isIn(INGEST_MAIN, RETRIEVAL_MAIN);
        return main;
    }

    /**
     * The container's environment as the app sees it: ConfigMaps of envFrom (which must exist),
     * then env entries; secret values stand in as placeholders; $(VAR) references must resolve to a
     * variable defined before.
     */
    static Map<String, String> environment(Rendered r, Container c) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvFromSource from : c.getEnvFrom()) {
            String name = from.getConfigMapRef().getName();
            Map<String, Object> configMap =
                    r.raw().stream()
                            .filter(x -> Kustomize.id(x).equals("ConfigMap/" + name))
                            .findFirst()
                            .orElseThrow(() -> new AssertionError("no ConfigMap " + name));
            @SuppressWarnings("unchecked")
            Map<String, Object> data = (Map<String, Object>) configMap.get("data");
            data.forEach((k, v) -> env.put(k, String.valueOf(v)));
        }
        Pattern ref = Pattern.compile("\\$\\(([A-Z_]+)\\)");
        for (EnvVar v : c.getEnv()) {
            String value;
            if (v.getValueFrom() == null) {
                value = v.getValue();
                Matcher m = ref.matcher(value);
                while (m.find()) {
                    assertThat(env)
                            .as("$(%s) in %s", m.group(1), v.getName())
                            .containsKey(m.group(1));
                }
            } else if (v.getValueFrom().getSecretKeyRef() != null) {
                value = "<secret " + v.getValueFrom().getSecretKeyRef().getName() + ">";
            } else {
                value = "<" + v.getValueFrom().getFieldRef().getFieldPath() + ">";
            }
            assertThat(env.put(v.getName(), value)).as("%s set twice", v.getName()).isNull();
        }
        return env;
    }

    /** SIDSTREAM_KAFKA_X_Y -> x.y, optionally behind a Streams client prefix. */
    static boolean isKafkaConfig(String setting) {
        // The apps' own translation of SIDSTREAM_KAFKA_X_Y, not a copy of it.
        String name =
                new SettingsReader(Map.of(setting, "")).kafkaOverrides().keySet().iterator().next();
        Set<String> known = new HashSet<>();
        known.addAll(ConsumerConfig.configNames());
        known.addAll(ProducerConfig.configNames());
        known.addAll(AdminClientConfig.configNames());
        known.addAll(StreamsConfig.configDef().names());
        for (String prefix :
                List.of(
                        "main.consumer.",
                        "restore.consumer.",
                        "global.consumer.",
                        "consumer.",
                        "producer.",
                        "admin.")) {
            if (name.startsWith(prefix)) {
                name = name.substring(prefix.length());
                break;
            }
        }
        return known.contains(name);
    }
}
