"""Classic TF1 programs (tests/programs/*.py, written in the style of the TF 0.12-1.x
tutorials with only the import changed) run end to end as scripts, in-process; the
fully-connected-feed one also on a local cluster through `--master` and `--ps_tasks`.
Their outputs are checked for what the program computed (accuracies, restored values,
nearest words) and the files they wrote (events read by the tensorboard package's reader,
checkpoints)."""

import glob
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

pytest.importorskip("sklearn")


def _run(name, *args, timeout=300):
    out = subprocess.run(
        [sys.executable, os.path.join(HERE, name), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()


def _value(lines, key):
    return float(next(line for line in reversed(lines) if line.startswith(key)).split()[-1])


def _events(logdir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(logdir, size_guidance={"histograms": 0, "images": 0, "scalars": 0})
    acc.Reload()
    return acc


def test_beginners_softmax_regression():
    assert _value(_run("mnist_softmax.py"), "accuracy") >= 0.9


def test_summaries_program_writes_what_tensorboard_shows(tmp_path):
    lines = _run("mnist_with_summaries.py", f"--log_dir={tmp_path}", "--max_steps=100")
    assert float(lines[-1].split(": ")[1]) >= 0.85
    for run in ("train", "test"):
        acc = _events(str(tmp_path / run))
        tags = acc.Tags()
        # Summary names uniquified as TF 1.x names them (the ops' name scopes come first).
        for tag in (
            "accuracy_1",
            "cross_entropy_1",
            "layer1/weights/summaries/mean_1",
            "layer2/biases/summaries/stddev_1",
            "dropout/dropout_keep_probability",
        ):
            assert tag in tags["scalars"], (run, tag)
        assert "layer1/weights/summaries/histogram" in tags["histograms"]
        assert "layer2/Wx_plus_b/pre_activations" in tags["histograms"]
        assert len(tags["images"]) == 10
    train = _events(str(tmp_path / "train"))
    assert train.Tags()["graph"] and train.Tags()["run_metadata"][:2] == ["step009", "step019"]
    assert [e.step for e in train.Scalars("accuracy_1")][:3] == [1, 2, 3]
    assert [e.step for e in _events(str(tmp_path / "test")).Scalars("accuracy_1")][-1] == 90


def test_fully_connected_feed_with_app_flags_and_gfile(tmp_path):
    (tmp_path / "stale").write_text("removed by tf.gfile.DeleteRecursively")
    lines = _run("fully_connected_feed.py", f"--log_dir={tmp_path}", "--max_steps=600")
    assert _value(lines, "precision") >= 0.93
    assert sum("Precision @ 1" in line for line in lines) == 4
    assert not (tmp_path / "stale").exists()
    latest = (tmp_path / "checkpoint").read_text().split('"')[1]
    assert os.path.basename(latest) == "model.ckpt-599"
    assert [e.step for e in _events(str(tmp_path)).Scalars("loss")] == [0, 100, 200, 300, 400, 500]


def test_word2vec_embeddings_group_words_by_topic():
    lines = _run("word2vec_basic.py")
    losses = [float(line.split(":")[-1]) for line in lines if line.startswith("Average loss")]
    assert losses[-1] < losses[1]
    assert _value(lines, "same_topic") >= 0.75


def test_save_restore_resumes_and_renames(tmp_path):
    lines = _run("save_restore.py", tmp_path)
    # These are the lines TensorFlow 1.x printed for the same program.
    assert lines == ["kept model-200 model-300", "resumed_at 300", "w 2.996 b 2.001",
                     "renamed 2.996"]  # fmt: skip


def test_queue_fed_program_trains_until_the_epochs_run_out(tmp_path):
    lines = _run("queue_input.py", tmp_path)
    assert lines[0] == "Done training for 8 epochs, 216 steps."  # ceil(8 * 1347 / 50)
    assert _value(lines, "accuracy") >= 0.9
    assert len(glob.glob(str(tmp_path / "train-*.tfrecords"))) == 2


@pytest.mark.ray
def test_fully_connected_feed_on_a_cluster(local_cluster, tmp_path):
    """Variables on the cluster's 2 PS tasks (replica_device_setter(ps_tasks=2)), the
    session opened on the cluster's target from the program's own process."""
    local_cluster.reset()
    lines = _run(
        "fully_connected_feed.py",
        f"--log_dir={tmp_path}",
        "--max_steps=300",
        f"--master={local_cluster.target}",
        "--ps_tasks=2",
    )
    assert _value(lines, "precision") >= 0.9
    report = local_cluster.variables_report()
    names = {name for task in report.values() for name in task}
    assert re.compile(r"hidden1/weights").search(" ".join(names)), report


def test_premade_estimators_train_evaluate_predict_and_resume(tmp_path):
    lines = _run("premade_estimator.py", f"--model_dir={tmp_path}", "--train_steps=400")
    assert _value(lines, "dnn_accuracy") >= 0.9
    assert _value(lines, "linear_accuracy") >= 0.9
    assert _value(lines, "dnn_global_step") == 400
    predicted = [line.split() for line in lines if line.startswith("predicted")]
    assert len(predicted) == 5 and sum(p[1] == p[3] for p in predicted) >= 4
    assert glob.glob(str(tmp_path / "dnn" / "model.ckpt-400*"))
    evals = _events(str(tmp_path / "dnn" / "eval"))
    assert "accuracy" in evals.Tags()["scalars"]
    assert evals.Scalars("accuracy")[-1].step == 400
    # Run again: training resumes from step 400's checkpoint and goes 400 steps further.
    again = _run("premade_estimator.py", f"--model_dir={tmp_path}", "--train_steps=400")
    assert _value(again, "dnn_global_step") == 800
