"""Multi-node: Ray's own harness (`ray.cluster_utils.Cluster`) starts a head and two more
raylets on this machine, one offering `psflow_ps`, one `psflow_worker`; the config pins the
roles by those custom resources. Each actor must run on the node its config names, and a
model must train across them. Runs in a fresh process: this one already hosts a Ray
instance for the other cluster tests."""

import subprocess
import sys
import textwrap

import pytest

pytestmark = [pytest.mark.ray, pytest.mark.multinode]

SCRIPT = textwrap.dedent("""
    import numpy as np
    from ray.cluster_utils import Cluster

    import psflow as tf
    from psflow import cluster as pscluster

    ray_cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    ps_node = ray_cluster.add_node(num_cpus=1, resources={"psflow_ps": 2})
    worker_node = ray_cluster.add_node(num_cpus=1, resources={"psflow_worker": 2})
    ray_cluster.wait_for_nodes()
    config = {
        "address": ray_cluster.address, "namespace": "psflow-multinode",
        "num_ps": 2, "num_workers": 2,
        "ps": {"num_cpus": 0.25, "resources": {"psflow_ps": 1}},
        "worker": {"num_cpus": 0.25, "resources": {"psflow_worker": 1}},
        "placement_strategy": "SPREAD", "connect_timeout_s": 60,
    }
    try:
        with pscluster.launch(config) as cluster:
            nodes = cluster.nodes()
            for task, node in sorted(nodes.items()):
                want = ps_node.node_id if task.startswith("/job:ps") else worker_node.node_id
                assert node == want, (task, node, want)
                print("placed", task, "on", "ps-node" if node == ps_node.node_id
                      else "worker-node")
            rng = np.random.RandomState(0)
            x_data = rng.randn(256, 8).astype(np.float32)
            y_data = (x_data @ rng.randn(8, 3)).argmax(1)
            with tf.device(cluster.device_setter()):
                x = tf.placeholder(tf.float32, [None, 8])
                y = tf.placeholder(tf.int64, [None])
                logits = tf.layers.dense(x, 3)
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=y, logits=logits))
                train = tf.train.AdamOptimizer(0.05).minimize(loss)
            with tf.Session(cluster) as sess:
                sess.run(tf.global_variables_initializer())
                first = sess.run(loss, {x: x_data, y: y_data})
                for _ in range(60):
                    sess.run(train, {x: x_data, y: y_data})
                last = sess.run(loss, {x: x_data, y: y_data})
            held = cluster.variables_report()
            assert any("dense/kernel" in names for names in held.values())
            print("loss", round(float(first), 3), "->", round(float(last), 3))
            assert last < 0.5 * first
    finally:
        ray_cluster.shutdown()
    print("MULTINODE OK")
""")


def test_actors_run_on_their_configured_nodes_and_training_works():
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=240
    )
    assert "MULTINODE OK" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert proc.stdout.count("on ps-node") == 2 and proc.stdout.count("on worker-node") == 2
