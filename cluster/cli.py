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
import time

import click
from psflow.graph import console, errors

from .config import ConfigError, load_config
from .launch import connect, launch

_DEBUG = False  # --debug: errors show their traceback


@click.group()
@click.version_option(package_name="psflow")
@click.option("--verbose", "-v", is_flag=True, help="show psflow's debug lines and Ray's logging")
@click.option("--debug", is_flag=True, help="show the traceback of an error")
def main(verbose: bool, debug: bool) -> None:
    """psflow: the TensorFlow 1.x graph model on a Ray parameter-server cluster."""
    global _DEBUG
    _DEBUG = debug
    console.use_console_logging(verbose or debug)


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
        raise _ops_error(e) from None
    try:
        statuses = cluster.run(
            run_script, source, os.path.abspath(path), argv[1:], show_progress=console.enabled()
        )
    finally:
        if launched:
            cluster.shutdown()
    for task, status in enumerate(statuses):
        if status:
            click.echo(f"psflow: /job:worker/task:{task} exited with status {status}", err=True)
    sys.exit(statuses[0])


# Checkpoint tools --------------------------------------------------------------------------
@main.group()
def checkpoint() -> None:
    """List and inspect checkpoints (TF1's inspect_checkpoint)."""


def _checkpoint_files(prefix: str) -> list[str]:
    """The index and the data files of a checkpoint prefix."""
    from psflow.graph import checkpoint as ckpt

    directory = os.path.dirname(prefix) or "."
    shards = ckpt.read_index(prefix).get("shards", [])
    return [f"{prefix}.index"] + [os.path.join(directory, s) for s in shards]


@checkpoint.command("ls")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def checkpoint_ls(directory: str) -> None:
    """The checkpoints in DIRECTORY: step, time, size and shards; * marks the latest."""
    import datetime
    import glob

    from psflow.graph import checkpoint as ckpt, saver

    state = saver.get_checkpoint_state(directory)
    latest = state.model_checkpoint_path if state is not None else None
    prefixes = sorted(
        (p[: -len(".index")] for p in glob.glob(os.path.join(directory, "*.index"))),
        key=lambda p: os.path.getmtime(f"{p}.index"),
    )
    if not prefixes:
        raise click.ClickException(f"no checkpoints in {directory}")
    click.echo(f"  {'CHECKPOINT':32s} {'STEP':>8s}  {'WRITTEN':19s} {'SIZE':>10s} SHARDS")
    for prefix in prefixes:
        try:
            files = _checkpoint_files(prefix)
            size = sum(os.path.getsize(f) for f in files)
            shards = str(len(files) - 1)
        except (errors.OpError, OSError):
            size, shards = 0, "broken"
        step = ckpt.checkpoint_step(prefix)
        written = datetime.datetime.fromtimestamp(os.path.getmtime(f"{prefix}.index"))
        mark = (
            "*"
            if latest is not None and os.path.samefile(f"{latest}.index", f"{prefix}.index")
            else " "
        )
        click.echo(
            f"{mark} {os.path.basename(prefix):32s} {'-' if step is None else str(step):>8s}  "
            f"{written:%Y-%m-%d %H:%M:%S} {_size(size):>10s} {shards}"
        )


def _size(n: float) -> str:
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            break
    return f"{n:.1f} {unit}"


@checkpoint.command("inspect")
@click.argument("path", type=click.Path())
@click.option("--tensor", "tensor", default=None, help="print this tensor's values")
@click.option("--all-values", is_flag=True, help="print every tensor's values")
def checkpoint_inspect(path: str, tensor: str | None, all_values: bool) -> None:
    """Names, dtypes, shapes and sizes of the tensors in the checkpoint PATH (a prefix, or
    a directory for its latest checkpoint); values on request."""
    import numpy as np
    from psflow.graph import saver

    try:
        reader = saver.NewCheckpointReader(path)
        shapes = reader.get_variable_to_shape_map()
        dtypes = reader.get_variable_to_dtype_map()
        names = [tensor] if tensor is not None else sorted(shapes)
        for name in names:
            if name not in shapes:
                raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint {path}")
            count = int(np.prod(shapes[name])) if shapes[name] else 1
            size = count * (
                np.dtype(dtypes[name].as_numpy_dtype).itemsize
                if dtypes[name].name != "string"
                else 0
            )
            click.echo(
                f"tensor_name: {name}  dtype: {dtypes[name].name}  shape: {shapes[name]}"
                + (f"  size: {_size(size)}" if size else "")
            )
            if tensor is not None or all_values:
                with np.printoptions(threshold=1000 if not all_values else sys.maxsize):
                    click.echo(reader.get_tensor(name))
    except errors.OpError as e:
        raise _ops_error(e) from None


@checkpoint.command("convert")
@click.argument("source", type=click.Path())
@click.argument("dest", type=click.Path())
@click.option(
    "--to",
    "fmt",
    type=click.Choice(["tensorflow", "psflow"]),
    default="tensorflow",
    show_default=True,
    help="the format to write",
)
def checkpoint_convert(source: str, dest: str, fmt: str) -> None:
    """Writes the checkpoint SOURCE (a prefix, or a directory for its latest checkpoint;
    psflow's format or TensorFlow's) as DEST in the other format, name for name. DEST is a
    prefix; its directory's `checkpoint` state file names it when there was none."""
    from psflow.graph import checkpoint as ckpt, saver

    try:
        if os.path.isdir(source):
            latest = saver.latest_checkpoint(source)
            if latest is None:
                raise click.ClickException(f"no checkpoints in {source}")
            source = latest
        directory = os.path.dirname(dest) or "."
        os.makedirs(directory, exist_ok=True)
        count = ckpt.convert(source, dest, fmt)
        if ckpt.read_state(directory) is None:
            ckpt.write_state(directory, dest, [dest], "checkpoint")
    except errors.OpError as e:
        raise _ops_error(e) from None
    click.echo(f"wrote {count} tensors to {dest} ({fmt} format)")


# Operating a cluster ---------------------------------------------------------------------------
def _cluster_source(source: str | None):
    """A target string, a config path, or None (the Ray cluster on this machine)."""
    if source is None or source.startswith("psflow://"):
        return source
    if not os.path.isfile(source):
        raise click.UsageError(f"{source!r} is neither a config file nor a psflow:// target")
    return source


def _ops_error(e: Exception) -> click.ClickException:
    """The one-line error a command exits with (status 1); with --debug, the error itself,
    traceback and all."""
    if _DEBUG:
        raise e
    return click.ClickException(e.message if isinstance(e, errors.OpError) else str(e))


@main.command("up")
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
def up(config: str) -> None:
    """Start the cluster CONFIG describes (detached: it outlives this command), or report
    it when it runs already."""
    from . import control

    try:
        with console.activity("starting the cluster"):
            found, created, differences = control.up(config)
        report = control.status(found)
    except (ConfigError, errors.OpError) as e:
        raise _ops_error(e) from None
    click.echo(("started" if created else "already running:") + f" psflow cluster {found.target}")
    click.echo(f"  Ray address {found.address}, namespace {found.namespace}")
    cfg = found.config
    for row in report["tasks"]:
        res = cfg.ps if row["job"] == "ps" else cfg.worker
        resources = ", ".join(
            [f"{res.num_cpus:g} CPU"] + [f"{v:g} {k}" for k, v in res.resources.items()]
        )
        click.echo(
            f"  {row['task']:18s} {row['state']:10s} node {row['node_ip'] or '-'} "
            f"({(row['node'] or '-')[:8]})  {resources}"
        )
    for line in differences:
        click.echo(f"  differs from {config}: {line}")
    click.echo(f"connect with: tf.Session({found.target!r}) or psflow status {found.target}")


@main.command("status")
@click.argument("cluster", required=False)
@click.option("--json", "as_json", is_flag=True, help="print the status as JSON (README)")
@click.option("--watch", is_flag=True, help="print it again every --interval seconds")
@click.option("--interval", default=2.0, show_default=True, type=float)
def status(cluster: str | None, as_json: bool, watch: bool, interval: float) -> None:
    """The cluster's tasks, variables, traffic and checkpoint. CLUSTER is a config file or a
    psflow:// target (default: the cluster on this machine). Exits 1 if a task is not alive."""
    import json

    from . import control

    try:
        found = control.find(_cluster_source(cluster))
        while True:
            report = control.status(found)
            if as_json:
                click.echo(json.dumps(report, indent=2))
            else:
                click.echo(control.format_status(report))
            if not watch:
                break
            time.sleep(interval)
            click.echo()
    except (ConfigError, errors.OpError) as e:
        raise _ops_error(e) from None
    except KeyboardInterrupt:
        pass
    sys.exit(0 if report["healthy"] else 1)


@main.command("down")
@click.argument("cluster", required=False)
@click.option(
    "--checkpoint", "checkpoint_dir", default=None, help="save a final checkpoint into DIR first"
)
def down(cluster: str | None, checkpoint_dir: str | None) -> None:
    """Stop the cluster's actors, and Ray when `psflow up` started it."""
    from . import control

    try:
        found = control.find(_cluster_source(cluster))
        if checkpoint_dir is not None:
            prefix = control.save_final_checkpoint(found, checkpoint_dir)
            click.echo(f"saved {prefix}")
        stopped = control.down(found)
    except (ConfigError, errors.OpError) as e:
        raise _ops_error(e) from None
    click.echo(
        f"stopped psflow cluster {found.target}"
        + (f" and its Ray head ({len(stopped)} processes)" if found.info.get("started_ray") else "")
    )


@main.command("logs")
@click.argument("task")
@click.argument("cluster", required=False)
@click.option("--follow", "-f", is_flag=True, help="keep printing what the task writes")
def logs(task: str, cluster: str | None, follow: bool) -> None:
    """What TASK (/job:ps/task:0) wrote to its stdout and stderr (Ray's log files)."""
    from . import control

    try:
        found = control.find(_cluster_source(cluster))
        for text in control.log_lines(found, task, follow):
            click.echo(text, nl=False)
    except (ConfigError, errors.OpError) as e:
        raise _ops_error(e) from None
    except KeyboardInterrupt:
        pass


@main.command("kill")
@click.argument("task")
@click.argument("cluster", required=False)
@click.option("--config", "config", default=None, type=click.Path(exists=True, dir_okay=False))
@click.option("--target", default=None, help="the cluster's target string (psflow://...)")
@click.option("--no-restart", is_flag=True, help="kill for good (no Ray restart)")
def kill(
    task: str, cluster: str | None, config: str | None, target: str | None, no_restart: bool
) -> None:
    """Kill TASK's actor (a fault drill): `psflow kill /job:ps/task:0 [CLUSTER]`."""
    from . import control

    given = [x for x in (cluster, config, target) if x is not None]
    if len(given) > 1:
        raise click.UsageError("give the cluster once (CLUSTER, --config or --target)")
    try:
        found = control.find(_cluster_source(given[0] if given else None))
        control.attach_found(found).kill(task, restart=not no_restart)
    except (ConfigError, errors.OpError) as e:
        raise _ops_error(e) from None
    click.echo(f"killed {task}" + ("" if no_restart else " (Ray restarts it)"))
