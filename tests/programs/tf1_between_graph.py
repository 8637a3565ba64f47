"""A TF1 between-graph training script as TF1 users wrote them, unchanged but for the
import: flags name the cluster and the task, a Server per task, replica_device_setter,
MonitoredTrainingSession with the chief on task 0. Run by `psflow submit`."""

import argparse

import psflow as tf

parser = argparse.ArgumentParser()
parser.add_argument("--ps_hosts", default="")
parser.add_argument("--worker_hosts", default="")
parser.add_argument("--job_name", default="")
parser.add_argument("--task_index", type=int, default=0)
parser.add_argument("--last_step", type=int, default=100)
FLAGS = parser.parse_args()

cluster = tf.train.ClusterSpec(
    {"ps": FLAGS.ps_hosts.split(","), "worker": FLAGS.worker_hosts.split(",")}
)
server = tf.train.Server(cluster, job_name=FLAGS.job_name, task_index=FLAGS.task_index)

if FLAGS.job_name == "ps":
    server.join()
elif FLAGS.job_name == "worker":
    with tf.device(
        tf.train.replica_device_setter(
            worker_device="/job:worker/task:%d" % FLAGS.task_index, cluster=cluster
        )
    ):
        global_step = tf.train.get_or_create_global_step()
        w = tf.Variable(0.0, name="w")
        loss = tf.square(w - 3.0)
        train_op = tf.train.AdagradOptimizer(0.5).minimize(loss, global_step=global_step)
    hooks = [tf.train.StopAtStepHook(last_step=FLAGS.last_step)]
    runs = 0
    with tf.train.MonitoredTrainingSession(
        master=server.target, is_chief=(FLAGS.task_index == 0), hooks=hooks
    ) as mon_sess:
        while not mon_sess.should_stop():
            mon_sess.run(train_op)
            runs += 1
    print("task %d ran %d steps" % (FLAGS.task_index, runs))
    if FLAGS.task_index == 0:
        with tf.Session(server.target) as sess:
            print("final_step %d w %.3f" % tuple(sess.run([global_step, w])))
