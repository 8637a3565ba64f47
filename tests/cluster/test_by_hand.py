"""TF1's own way, on one machine: one process per task started by hand with host:port
addresses (`--ps_hosts/--worker_hosts/--job_name/--task_index`), the classic distributed
tutorial script unchanged. The processes meet on the Ray instance RAY_ADDRESS names (here
one the test starts and stops) and get the same cluster from the same ClusterSpec."""

import os
import socket
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.ray

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tests", "programs", "tf1_between_graph.py")
RAY = os.path.join(os.path.dirname(sys.executable), "ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"Ray did not start on {host}:{port}")


def _wait_for_port_closed(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) != 0:
                return
        time.sleep(0.2)


def test_a_ps_process_and_two_worker_processes_started_by_hand():
    from ray._private.services import get_node_ip_address

    port, host = _free_port(), get_node_ip_address()  # where Ray binds on this machine
    env = {**os.environ, "RAY_ADDRESS": f"{host}:{port}"}
    head = subprocess.Popen(
        [
            RAY,
            "start",
            "--head",
            f"--port={port}",
            "--block",
            "--num-cpus=2",
            "--include-dashboard=false",
            "--disable-usage-stats",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    hosts = ["--ps_hosts=localhost:2222", "--worker_hosts=localhost:2223,localhost:2224"]
    ps = None
    try:
        _wait_for_port(host, port, 60)
        ps = subprocess.Popen(
            [sys.executable, SCRIPT, *hosts, "--job_name=ps", "--task_index=0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    SCRIPT,
                    *hosts,
                    "--job_name=worker",
                    f"--task_index={i}",
                    "--last_step=60",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                text=True,
            )
            for i in range(2)
        ]
        outs = [w.communicate(timeout=240) for w in workers]
        for w, (out, err) in zip(workers, outs):
            assert w.returncode == 0, out[-2000:] + err[-3000:]
        ran = [int(out.split("ran ")[1].split()[0]) for out, _ in outs]
        final = [line for line in outs[0][0].splitlines() if line.startswith("final_step")]
        step, w_value = int(final[0].split()[1]), float(final[0].split()[-1])
        # The chief reads the step when its own loop ends (the other may be finishing).
        assert 60 <= step <= sum(ran) and all(r > 0 for r in ran)
        assert abs(w_value - 3.0) < 0.5
        assert ps.poll() is None  # the ps process serves (server.join()) until stopped
    finally:
        if ps is not None:
            ps.kill()
        head.terminate()
        head.wait(120)
        _wait_for_port_closed(host, port, 60)  # the head's processes are gone too
