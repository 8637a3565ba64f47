"""The fast path: a session's repeated step run as one Ray compiled graph.

Plain actor calls cost about a millisecond a hop here; a compiled graph (`ray.dag`,
`experimental_compile`) measured ~0.2 ms for a two-hop chain. Its limits shape this
design: an actor can be in one compiled graph at a time, only the compiling process may
execute it, compiling costs ~0.3 s, and executions in flight are bounded. So:

- One graph per session, for its hottest signature: the first run signature executed
  `COMPILE_AFTER` times on the plain path (the training step of a training loop) is
  compiled, node per stage, from the same stage plans and routes the plain path uses (a
  node is the task's `run_dag_node(plan_id, deps, StepInput, *upstream stage returns)`).
  Every other signature -- initializers, restores, evaluation -- keeps the plain path.
- One owner per cluster, and only while it is alone. Measured with Ray 2.60: a second client
  process that compiled its own graph over the same actors stalled indefinitely (600 s);
  an earlier Ray also stalled plain calls from another session to a live graph's actors.
  So the graph belongs to a client that has the cluster to itself. In a process, the
  session that compiles takes the cluster's fast lock, and another session's step makes
  the owner tear its graph down first (after its step in flight). Across processes, the
  cluster's ClientRegistry actor (cluster/actors.py) grants the graph only to a process
  that is the only active client, and every client process reports itself there when it
  opens its first session and then every PRESENCE_SECS; the owner's reporter tears its
  graph down as soon as it hears of another client (its stepping thread does it before its
  next step; the reporter itself when the owner is idle). The newcomer never compiles
  while another client is active, so its steps never wait on another's graph for longer
  than the owner's step in flight; the owner stays on plain calls until it is alone again
  (asking at most every GRAPH_RETRY_SECS). Hosted between-graph clients (Cluster.run) never
  compile: the PS tasks they share must stay callable by all of them. Closing the session
  tears the graph down and releases it.
- One step at a time per session once it has a graph: every step of the session (fast or
  plain) holds the graph's lock, for the same reason. Every wait is bounded: Ray's submit
  timeout or STEP_TIMEOUT_S end in DeadlineExceededError and the session drops its graph.
- Errors: an exception in a node comes back from `ray.get` as the same tf.errors class; the
  step is rolled back on every task through plain calls, as on the plain path -- after the
  graph is torn down, since plain calls to actors of a live graph were seen to stall it --
  and the signature is compiled again once it repeats. A timeout (`STEP_TIMEOUT_S`) raises
  DeadlineExceededError and tears the graph down; the session goes on on the plain path.
- Traced runs (`RunOptions(trace_level=FULL_TRACE)`) take the plain path, which has the
  per-stage traces.
- Signals: a SIGINT or SIGTERM that lands while a compiled-graph execution is in flight
  interrupts Ray mid-read (a semaphore wait interrupted is a failed check in Ray, and the
  process exits). So during a step the stepping thread blocks them (another thread of the
  process takes them), and while a graph exists psflow's handlers hold them until the
  step in flight has finished (steps are short and bounded), then act. SIGINT raises
  KeyboardInterrupt (or calls the program's own handler), so `with` blocks close sessions
  and tear graphs down on the way out. SIGTERM
  (unless the program has its own handler) tears every live graph down, runs the atexit
  handlers (Ray's shutdown) and ends the process by the signal. Even after a clean
  teardown and Ray's shutdown, the interpreter's final clean-up crashed (rc -11) in a
  process that had received a signal during a graph execution; so a process that leaves
  by an uncaught KeyboardInterrupt, or by SIGTERM, skips it, after the atexit handlers ran,
  and ends by the signal itself (status 128 + signal number in a shell).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
import weakref

import ray
from psflow.graph import console
from psflow.graph.route import NO_STEP_INPUT, FromFeed, StepInput, resolve_fetches

COMPILE_AFTER = 3
# Tests set this to run every step through a graph: the graph follows the signature being
# run (compiled anew when it changes), so a suite covers the fast path, not only the plain.
EVERY_SIGNATURE = False


class _StepSignals:
    """Holds SIGINT and SIGTERM while a compiled-graph step is in flight (see above)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self._in_step = 0
        self._pending: tuple | None = None
        self._previous: dict = {}
        self.graphs: weakref.WeakSet = weakref.WeakSet()  # live FastPaths of this process
        self._received: int | None = None

    def install(self) -> None:
        """Takes over the handlers, from the main thread (elsewhere signals cannot land)."""
        if self._previous or threading.current_thread() is not threading.main_thread():
            return
        for signum in self.SIGNALS:
            self._previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._handle)
        atexit.register(self._at_exit)

    def _handle(self, signum, frame) -> None:
        if self._in_step:
            self._pending = (signum, frame)
            return
        self._act(signum, frame)

    def _act(self, signum, frame) -> None:
        previous = self._previous.get(signum)
        if previous == signal.SIG_IGN:
            return
        ours = previous in (None, signal.SIG_DFL, signal.default_int_handler) or (
            getattr(previous, "__module__", "") or ""
        ).startswith("ray")  # ray.init's SIGTERM handler exits with status 15
        if not ours and callable(previous):
            previous(signum, frame)
        elif signum == signal.SIGINT:
            self._received = signum
            raise KeyboardInterrupt
        else:
            for graph in list(self.graphs):
                graph.teardown()
            atexit._run_exitfuncs()  # Ray's shutdown among them
            self._die(signum)

    def _at_exit(self) -> None:
        """Leaving by an uncaught KeyboardInterrupt after a SIGINT: by the signal, skipping
        the interpreter's final clean-up (see above); the other atexit handlers ran."""
        if self._received is None or not isinstance(
            getattr(sys, "last_value", None), KeyboardInterrupt
        ):
            return
        atexit.unregister(self._at_exit)
        atexit._run_exitfuncs()
        self._die(self._received)

    @staticmethod
    def _die(signum: int) -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)

    @contextlib.contextmanager
    def step(self):
        # Blocked in this thread for the step: a signal delivered to it would interrupt
        # the semaphore waits of the graph's channels, which Ray treats as a fatal error
        # (a failed check, and the process exits with status 1). Another thread takes
        # it, and the Python handler runs once this thread runs Python again.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, self.SIGNALS)
        self._in_step += 1
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            self._in_step -= 1
            if not self._in_step and self._pending is not None:
                (signum, frame), self._pending = self._pending, None
                self._act(signum, frame)


STEP_SIGNALS = _StepSignals()


class FastPath:
    """The compiled graph of one compiled signature (a CompiledStep of cluster/runtime.py)."""

    def __init__(self, cluster, compiled):
        from ray.dag import InputNode, MultiOutputNode

        self.compiled = compiled
        self.lock = threading.Lock()
        self.steps = 0  # steps run through the graph (introspectable)
        self._previous = ""
        consumed: set[int] = set()
        fetched = {stage for stage, _ in compiled.fetch_groups}
        with InputNode() as inp:
            nodes = []
            for call in compiled.calls:
                route = call.route
                deps = route.upstream_stages()
                consumed.update(deps)
                handle = cluster.handle(call.task)
                # Only stages with feeds, writes to journal, or nothing upstream read the
                # step input: every reader of a channel costs.
                reads_input = (
                    call.writes or not deps or any(isinstance(src, FromFeed) for src in route.args)
                )
                nodes.append(
                    handle.run_dag_node.bind(
                        call.plan_id,
                        deps,
                        inp if reads_input else NO_STEP_INPUT,
                        *[nodes[d] for d in deps],
                    )
                )
            self.outputs = [s for s in range(len(nodes)) if s not in consumed or s in fetched]
            dag = MultiOutputNode([nodes[s] for s in self.outputs])
        with console.activity("compiling the step graph"):
            self.graph = dag.experimental_compile()
        STEP_SIGNALS.install()
        STEP_SIGNALS.graphs.add(self)

    def execute(self, step_id: str, feed_values, timeout: float) -> list:
        step: StepInput = (step_id, tuple(feed_values), self._previous)
        got, error = [], None
        with STEP_SIGNALS.step():
            refs = self.graph.execute(step)
            self._previous = step_id
            # Every output is read, even after an error: an unread result keeps its
            # execution in flight, and the graph admits only a few of those before
            # submitting blocks.
            for ref in refs:
                try:
                    got.append(ref.get(timeout=timeout))
                except ray.exceptions.RayTaskError as err:
                    error = error or err
                    got.append(None)
        if error is not None:
            raise error
        self.steps += 1
        by_stage = dict(zip(self.outputs, got))
        groups = {(s, g): by_stage[s][g] for s, g in self.compiled.fetch_groups}
        return resolve_fetches(self.compiled.fetches, feed_values, groups)

    def teardown(self) -> None:
        with contextlib.suppress(Exception):  # the actors may already be gone
            self.graph.teardown()
