package io.sidstream.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The custom resources sidstream deploys, typed after their CRDs (Strimzi v1beta2, KEDA v1alpha1,
 * Prometheus Operator v1) as far as the manifests use them. Parsed with unknown fields failing, so
 * a misspelt or misplaced field cannot slip through as the fabric8 generic resource would let it.
 */
final class CrdModels {
    private CrdModels() {}

    static final ObjectMapper STRICT =
            JsonMapper.builder()
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                    .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
                    .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                    .build();

    /** The CRD model of a kind, or null for a built-in kind. */
    static Class<?> modelOf(String apiVersion, String kind) {
        return switch (apiVersion + " " + kind) {
            case "kafka.strimzi.io/v1beta2 KafkaTopic" -> KafkaTopic.class;
            case "kafka.strimzi.io/v1beta2 KafkaUser" -> KafkaUser.class;
            case "keda.sh/v1alpha1 ScaledObject" -> ScaledObject.class;
            case "keda.sh/v1alpha1 TriggerAuthentication" -> TriggerAuthentication.class;
            case "monitoring.coreos.com/v1 ServiceMonitor" -> ServiceMonitor.class;
            case "monitoring.coreos.com/v1 PrometheusRule" -> PrometheusRule.class;
            default -> null;
        };
    }

    record Metadata(String name, String namespace, Map<String, String> labels) {
        Metadata {
            Objects.requireNonNull(name, "metadata.name");
        }
    }

    record KafkaTopic(String apiVersion, String kind, Metadata metadata, KafkaTopicSpec spec) {}

    record KafkaTopicSpec(
            String topicName, int partitions, int replicas, Map<String, String> config) {}

    record KafkaUser(String apiVersion, String kind, Metadata metadata, KafkaUserSpec spec) {}

    record KafkaUserSpec(Authentication authentication, Authorization authorization) {}

    /** Strimzi's {@code simple} authorization: Kafka ACLs for this user. */
    record Authorization(String type, List<Acl> acls) {
        Authorization {
            if (!"simple".equals(type)) {
                throw new IllegalArgumentException("unknown KafkaUser authorization " + type);
            }
        }
    }

    record Acl(AclResource resource, List<String> operations) {
        static final List<String> OPERATIONS =
                List.of(
                        "Read",
                        "Write",
                        "Create",
                        "Delete",
                        "Alter",
                        "Describe",
                        "ClusterAction",
                        "AlterConfigs",
                        "DescribeConfigs",
                        "IdempotentWrite",
                        "All");

        Acl {
            Objects.requireNonNull(resource, "acl resource");
            for (String op : operations) {
                if (!OPERATIONS.contains(op)) {
                    throw new IllegalArgumentException("unknown ACL operation " + op);
                }
            }
        }
    }

    record AclResource(String type, String name, String patternType) {
        AclResource {
            if (!List.of("topic", "group", "cluster", "transactionalId").contains(type)) {
                throw new IllegalArgumentException("unknown ACL resource type " + type);
            }
            if (patternType != null && !List.of("literal", "prefix").contains(patternType)) {
                throw new IllegalArgumentException("unknown ACL pattern type " + patternType);
            }
        }
    }

    record Authentication(String type) {
        Authentication {
            if (!List.of("scram-sha-512", "tls", "tls-external").contains(type)) {
                throw new IllegalArgumentException("unknown KafkaUser authentication " + type);
            }
        }
    }

    record ScaledObject(String apiVersion, String kind, Metadata metadata, ScaledObjectSpec spec) {}

    record ScaledObjectSpec(
            ScaleTargetRef scaleTargetRef,
            Integer minReplicaCount,
            Integer maxReplicaCount,
            Integer pollingInterval,
            Integer cooldownPeriod,
            List<Trigger> triggers) {
        ScaledObjectSpec {
            Objects.requireNonNull(scaleTargetRef, "scaleTargetRef");
            if (triggers == null || triggers.isEmpty()) {
                throw new IllegalArgumentException("a ScaledObject needs triggers");
            }
        }
    }

    record ScaleTargetRef(String apiVersion, String kind, String name) {}

    /** Kafka scaler metadata keys (KEDA 2.x); all values are strings. */
    static final List<String> KAFKA_TRIGGER_KEYS =
            List.of(
                    "bootstrapServers",
                    "consumerGroup",
                    "topic",
                    "lagThreshold",
                    "activationLagThreshold",
                    "offsetResetPolicy",
                    "allowIdleConsumers",
                    "scaleToZeroOnInvalidOffset",
                    "excludePersistentLag",
                    "limitToPartitionsWithLag");

    record Trigger(String type, Map<String, String> metadata, AuthenticationRef authenticationRef) {
        Trigger {
            if (!"kafka".equals(type)) {
                throw new IllegalArgumentException("only kafka triggers are used, not " + type);
            }
            for (String key : metadata.keySet()) {
                if (!KAFKA_TRIGGER_KEYS.contains(key)) {
                    throw new IllegalArgumentException("unknown kafka trigger metadata " + key);
                }
            }
        }
    }

    record AuthenticationRef(String name) {}

    record TriggerAuthentication(
            String apiVersion, String kind, Metadata metadata, TriggerAuthenticationSpec spec) {}

    record TriggerAuthenticationSpec(List<SecretTargetRef> secretTargetRef) {}

    /** Authentication parameters of the KEDA Kafka scaler. */
    record SecretTargetRef(String parameter, String name, String key) {
        SecretTargetRef {
            if (!List.of("sasl", "username", "password", "tls", "ca", "cert", "key")
                    .contains(parameter)) {
                throw new IllegalArgumentException("unknown kafka auth parameter " + parameter);
            }
        }
    }

    record ServiceMonitor(
            String apiVersion, String kind, Metadata metadata, ServiceMonitorSpec spec) {}

    record ServiceMonitorSpec(Selector selector, List<Endpoint> endpoints) {}

    record Selector(Map<String, String> matchLabels) {}

    record Endpoint(
            String port, String path, String interval, List<RelabelConfig> metricRelabelings) {}

    record RelabelConfig(
            List<String> sourceLabels, String regex, String targetLabel, String replacement) {}

    record PrometheusRule(
            String apiVersion, String kind, Metadata metadata, PrometheusRuleSpec spec) {}

    record PrometheusRuleSpec(List<RuleGroup> groups) {}

    record RuleGroup(String name, List<Rule> rules) {}

    /** An alerting rule; sidstream ships no recording rules. */
    record Rule(
            String alert,
            String expr,
            @com.fasterxml.jackson.annotation.JsonProperty("for") String forDuration,
            Map<String, String> labels,
            Map<String, String> annotations) {}
}
