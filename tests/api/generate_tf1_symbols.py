"""Writes tf1_symbols.json: the public names of TensorFlow's `tf.compat.v1` namespaces that
TF1 programs use (run once, with the `bench` extra installed; the file is committed, so the
coverage test never needs TensorFlow):

    .venv/bin/python tests/api/generate_tf1_symbols.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

NAMESPACES = [
    "tf", "nn", "train", "summary", "losses", "metrics", "data", "math", "strings", "linalg",
    "random", "errors", "initializers", "io", "image", "sparse", "app", "flags", "logging",
    "gfile",
]  # fmt: skip


def main() -> None:
    import tensorflow.compat.v1 as tf1

    out = {"tensorflow": tf1.__version__ if hasattr(tf1, "__version__") else "", "symbols": {}}
    for ns in NAMESPACES:
        module = tf1 if ns == "tf" else getattr(tf1, ns)
        out["symbols"][ns] = sorted(n for n in dir(module) if not n.startswith("_"))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf1_symbols.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(path, {ns: len(v) for ns, v in out["symbols"].items()})


if __name__ == "__main__":
    main()
