"""tf.app, tf.flags and tf.logging as a classic TF1 script uses them, in a subprocess."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import psflow as tf

    tf.flags.DEFINE_integer("steps", 3, "how many steps")
    tf.app.flags.DEFINE_string("name", "w", "a variable name")
    FLAGS = tf.flags.FLAGS


    def main(argv):
        tf.logging.set_verbosity(tf.logging.INFO)
        assert tf.logging.get_verbosity() == tf.logging.INFO
        v = tf.Variable(0, name=FLAGS.name)
        step = tf.assign_add(v, 1)
        with tf.Session() as sess:
            sess.run(v.initializer)
            for i in range(FLAGS.steps):
                tf.logging.log_every_n(tf.logging.INFO, "step %d", 2, sess.run(step))
        tf.logging.debug("not shown at INFO")
        print("argv", argv[1:], "name", v.op.name)
        return 3


    if __name__ == "__main__":
        tf.app.run()
    """
)


def test_a_tf1_script_with_flags_and_logging(tmp_path):
    path = tmp_path / "script.py"
    path.write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, str(path), "--steps=5", "--name", "counter", "rest", "--other=1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr  # main's return is the exit status
    assert done.stdout.strip() == "argv ['rest', '--other=1'] name counter"
    logged = [line.split(" psflow INFO ")[1] for line in done.stderr.splitlines()]
    assert logged == ["step 1", "step 3", "step 5"]
