package org.cityexchange.esnode;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts one throwaway Elasticsearch node in this JVM and runs until killed (SIGTERM closes it).
 * Used by tools/elasticsearch/es-node; not a production setup.
 *
 * Why not bin/elasticsearch: the distribution is not downloadable here, only the server jar
 * and transport-netty4 from Maven Central. So we do what org.elasticsearch.bootstrap.Elasticsearch
 * does, minus the parts that need the distribution (security manager policy, keystore, CLI launcher).
 * Modules (transport-netty4, and cityex-dev from DevNodePlugin.java) are loaded by ES itself
 * from HOME/modules/, as in the distribution.
 *
 * Usage: EsNode HOME HTTP_PORT TRANSPORT_PORT CLUSTER_NAME [SEED_HOSTS INITIAL_MASTER_NODES]
 *   HOME must contain modules/ and config/; data and logs go to HOME/data and HOME/logs.
 *   Without SEED_HOSTS the node is a single-node cluster; with them (comma-separated
 *   host:transport_port, and the node names that elect the first master) it joins a cluster.
 */
public class EsNode {
    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            // a failed start can leave ES threads running; exit so es-node sees the failure at once
            t.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        Path home = Path.of(args[0]).toAbsolutePath();
        String nodeName = "cityex-es-" + args[1];
        Settings.Builder builder = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", args[3])
            .put("node.name", nodeName)
            // loopback only: keeps the node private and the production bootstrap checks off
            .put("network.host", "127.0.0.1")
            .put("http.port", args[1])
            .put("transport.port", args[2])
            .put("bootstrap.memory_lock", false)
            // a dev disk that is 90% full must not turn indices read-only
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // unlike ES 8's default, tests may delete indices by wildcard (DELETE cityex-test-*)
            .put("action.destructive_requires_name", false);
        if (args.length > 5) {
            builder.putList("discovery.seed_hosts", args[4].split(","))
                .putList("cluster.initial_master_nodes", args[5].split(","));
        } else {
            builder.put("discovery.type", "single-node");
        }
        Settings settings = builder.build();

        // same order as ES's own bootstrap: ES's logging must exist before settings are parsed,
        // then HOME/config/log4j2.properties configures it (stdout, which es-node sends to DIR/es.log)
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureESLogging();
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), home.resolve("config"), () -> nodeName);
        LogConfigurator.setNodeName(nodeName);
        LogConfigurator.configure(env, true); // true: keep the console appender
        Node node = new Node(env);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            }
            stopped.countDown();
        }));
        node.start();
        stopped.await();
    }
}
