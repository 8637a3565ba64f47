"""The digits example, in-process: the full MLP run reaches the issue's 95% on the held-out
quarter, prints `test_accuracy VALUE` last, and leaves summaries and checkpoints."""

import importlib.util
import os

import pytest

import psflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _example():
    spec = importlib.util.spec_from_file_location(
        "train_digits", os.path.join(ROOT, "examples", "train_digits.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits_mlp_reaches_95_percent(tmp_path, capsys):
    pytest.importorskip("sklearn")
    acc = _example().main(["--in-process", "--model", "mlp", "--logdir", str(tmp_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"test_accuracy {acc:.4f}"
    assert acc >= 0.95
    assert tf.train.latest_checkpoint(str(tmp_path / "mlp")).endswith("model.ckpt-630")
    assert any(f.startswith("events.out.tfevents") for f in os.listdir(tmp_path / "mlp"))


def test_digits_softmax_regression_learns(tmp_path, capsys):
    pytest.importorskip("sklearn")
    acc = _example().main(["--in-process", "--model", "softmax", "--epochs", "10",
                           "--logdir", str(tmp_path)])
    assert acc >= 0.9
