package io.sidstream.app;

import io.sidstream.contracts.Topics;
import io.sidstream.ingest.store.IngestStores;
import io.sidstream.ingest.topology.InputRouting;
import io.sidstream.ingest.topology.ItemTopology;
import io.sidstream.ingest.topology.RelayTopology;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code sidstream retire-space --sid-space S --application-id A}: removes a SID space that no
 * longer serves (a rolled-back green, or one a later rollout replaced): its SID table {@code
 * items.sid.v1.S}, the internal topics and the consumer group of its re-tokenizing ingest
 * application {@code A} (its relay's too). Without {@code --yes} it only lists what it would
 * delete. It refuses the shared table and the serving ingest's application id, and an application
 * whose group still has members (stop its instances first). Instance state directories are on their
 * own volumes.
 */
final class RetireSpaceCommand {
    private RetireSpaceCommand() {}

    /** The internal topics of a re-tokenizing ingest application (its SID assignment alone). */
    static List<String> internalTopics(String app) {
        return List.of(
                app + "-" + IngestStores.ITEM_STATE + "-changelog",
                app + "-" + IngestStores.ITEM_PENDING + "-changelog",
                app + "-" + IngestStores.PREFIX_SLOTS + "-changelog",
                InputRouting.REPARTITION.hopTopic(app, ItemTopology.ITEMS_ROUTE),
                InputRouting.RELAY.hopTopic(app, ItemTopology.ITEMS_ROUTE),
                app + "-" + RelayTopology.positionsStore(ItemTopology.ITEMS_ROUTE) + "-changelog",
                app + "-sid-prefix-repartition",
                app + "-sid-confirmations");
    }

    /** The consumer groups of a re-tokenizing ingest application: its owners' and its relay's. */
    static List<String> groups(String app) {
        return List.of(app, RelayTopology.applicationId(app));
    }

    static int run(List<String> args, PrintStream out) throws java.io.IOException {
        try {
            return retire(args, out);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the cluster refused: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static int retire(List<String> args, PrintStream out)
            throws java.io.IOException, ExecutionException, InterruptedException {
        boolean yes = args.contains("--yes");
        Map<String, String> opts =
                ClientCommands.options(
                        args.stream().filter(a -> !a.equals("--yes")).toList(),
                        List.of("--sid-space", "--application-id", "--bootstrap-servers"));
        String space = opts.get("--sid-space");
        String app = opts.get("--application-id");
        if (space == null || app == null) {
            throw new IllegalArgumentException(
                    "usage: sidstream retire-space --sid-space NAME --application-id ID"
                            + " [--bootstrap-servers HOSTS] [--yes]");
        }
        String table = Topics.spaceSids(space).name();
        if (app.equals(io.sidstream.ingest.IngestSetting.APPLICATION_ID.defaultValue())) {
            throw new IllegalArgumentException(
                    app
                            + " is the serving ingest's application id; retire-space removes a"
                            + " re-tokenizing one");
        }
        Properties props = new Properties();
        props.put(
                "bootstrap.servers",
                ClientCommands.readerProperties(opts).getProperty("bootstrap.servers"));
        try (Admin admin = Admin.create(props)) {
            for (String groupId : groups(app)) {
                try {
                    ConsumerGroupDescription group =
                            admin.describeConsumerGroups(List.of(groupId))
                                    .all()
                                    .get(30, TimeUnit.SECONDS)
                                    .get(groupId);
                    if (!group.members().isEmpty()) {
                        throw new IllegalStateException(
                                "application "
                                        + app
                                        + " still has "
                                        + group.members().size()
                                        + " running instance(s) in group "
                                        + groupId
                                        + "; stop them first");
                    }
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                        throw e;
                    }
                }
            }
            Set<String> all = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<String> doomed = new ArrayList<>();
            if (all.contains(table)) {
                doomed.add(table);
            }
            // Exact names only: another application's id may start with this one's.
            internalTopics(app).stream().filter(all::contains).forEach(doomed::add);
            for (String t : doomed) {
                out.println((yes ? "deleting " : "would delete ") + t);
            }
            if (!yes) {
                out.println("(dry run: add --yes to delete)");
                return 0;
            }
            admin.deleteTopics(doomed).all().get(60, TimeUnit.SECONDS);
            for (String groupId : groups(app)) {
                try {
                    admin.deleteConsumerGroups(List.of(groupId)).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                        throw e;
                    }
                }
            }
            out.println("retired SID space " + space + ": " + doomed.size() + " topics deleted");
            return 0;
        } catch (TimeoutException e) {
            throw new IllegalStateException("the cluster did not answer in time: " + e);
        }
    }
}
