"""`tf.app`: `run` parses the command-line flags and calls the program's main, as TF1's."""

import sys

from psflow import flags  # noqa: F401 - tf.app.flags


def run(main=None, argv=None):
    """Parses `argv` (default sys.argv) into `tf.flags.FLAGS`, leaving arguments that are
    not defined flags to the program (TF1 tolerates them), then exits with
    main(remaining argv); `main` defaults to the `main` of the `__main__` module."""
    from absl.flags import FLAGS

    args = list(sys.argv if argv is None else argv)
    remaining = FLAGS(args, known_only=True)
    main = main or sys.modules["__main__"].main
    sys.exit(main(remaining))
