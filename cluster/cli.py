"""The `psflow` command line.

`psflow submit CONFIG -- python train.py ARGS...` runs an unchanged TF1 distributed training
script once per worker task of the cluster CONFIG describes (connecting to it when its
actors are up, else launching it for the duration of the run): each copy runs in its
worker task's process with TF_CONFIG set for that task, and `{task_index}`, `{job_name}`,
`{ps_hosts}`, `{worker_hosts}` in ARGS are filled in for scripts that take TF1's
`--job_name/--task_index/--ps_hosts/--worker_hosts` flags. Each task's output is printed
under its task name; the command exits with the chief's (task 0's) exit status.
"""

from __future__ import annotations

import os
import sys

import click
from psflow.graph import errors

from .config import ConfigError, load_config
from .launch import connect, launch


@click.group()
@click.version_option(package_name="psflow")
def main() -> None:
    """psflow: the TensorFlow 1.x graph model on a Ray parameter-server cluster."""


def _script_argv(command: tuple[str, ...]) -> list[str]:
    """The script and its arguments from `python train.py ARGS...` (or `train.py ARGS...`)."""
    argv = list(command)
    if argv and os.path.basename(argv[0]).startswith("python"):
        argv = argv[1:]
    if not argv or not argv[0].endswith(".py"):
        raise click.UsageError("expected `-- python SCRIPT.py [ARGS...]` after the config")
    return argv


def run_script(source: str, path: str, argv: list[str]) -> int:
    """Runs a script's source as `__main__` with `argv`, in this task's process (the
    client hosted by `Cluster.run`); returns its exit status."""
    from psflow.graph.placement import parse_tf_config

    spec, job, index = parse_tf_config()
    fill = {
        "task_index": index,
        "job_name": job,
        "ps_hosts": ",".join(a for a in spec.job_tasks("ps") if a) if "ps" in spec.jobs else "",
        "worker_hosts": ",".join(a for a in spec.job_tasks("worker") if a),
    }
    saved = sys.argv
    sys.argv = [path] + [arg.format(**fill) for arg in argv]
    try:
        exec(compile(source, path, "exec"), {"__name__": "__main__", "__file__": path})
    except SystemExit as stop:
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        sys.argv = saved
    return 0


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def submit(config: str, command: tuple[str, ...]) -> None:
    """Run `python SCRIPT.py ARGS...` once in every worker task of CONFIG's cluster."""
    argv = _script_argv(command)
    path = argv[0]
    try:
        with open(path) as f:
            source = f.read()
    except OSError as e:
        raise click.FileError(path, str(e)) from None
    try:
        if load_config(config).is_local:  # a local Ray starts with its cluster
            cluster, launched = launch(config), True
        else:
            try:
                cluster, launched = connect(config), False
            except errors.UnavailableError:
                cluster, launched = launch(config), True
    except (ConfigError, errors.OpError) as e:
        raise click.ClickException(str(e)) from None
    try:
        statuses = cluster.run(run_script, source, os.path.abspath(path), argv[1:])
    finally:
        if launched:
            cluster.shutdown()
    for task, status in enumerate(statuses):
        if status:
            click.echo(f"psflow: /job:worker/task:{task} exited with status {status}", err=True)
    sys.exit(statuses[0])
