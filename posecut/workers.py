"""Training on several workers: TF_CONFIG, checked and built, and N local worker processes.

`posecut train CONFIG --workers N` runs N copies of one command on this machine, each with a
TF_CONFIG naming all of them on free 127.0.0.1 ports and its own task index; worker 0 is the
chief, whose output passes through, while the others' is kept to show where one fails. When one
worker ends in failure the others cannot go on (each step needs all of them), so they are ended
too. No TensorFlow here: the command checks and starts before any worker imports it.
"""
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

from lib.errors import ConfigError

__all__ = ["WorkersResult", "free_ports", "require_cluster", "run_workers", "tf_config"]

LOCALHOST = "127.0.0.1"


def free_ports(count: int, host: str = LOCALHOST) -> list[int]:
    """``count`` distinct TCP ports free on ``host`` now (bound together, then released; another
    program could still take one before a worker binds it)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((host, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(addresses, index: int) -> str:
    """The TF_CONFIG (JSON) of worker ``index`` of the cluster of ``addresses`` ("host:port"),
    task 0 being the chief."""
    return json.dumps({"cluster": {"worker": list(addresses)},
                       "task": {"type": "worker", "index": int(index)}})


def require_cluster(environ, source: str = "distribute") -> dict:
    """The parsed TF_CONFIG of ``environ`` for distribute: multi_worker; ConfigError naming
    ``source`` and the field when it is missing or does not describe this worker's place."""
    text = environ.get("TF_CONFIG", "")
    hint = ("TF_CONFIG must name the cluster and this worker's task, e.g. "
            '{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker", '
            '"index": 0}}; posecut train CONFIG --workers N sets it for N workers on this machine')
    if not text.strip():
        raise ConfigError(f"{source}: multi_worker trains on the cluster TF_CONFIG names, and "
                          f"TF_CONFIG is not set; {hint}")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"TF_CONFIG: expected JSON ({err}); {hint}") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not any(cluster.get(k) for k in ("worker", "chief")):
        raise ConfigError(f"TF_CONFIG: cluster: expected a 'worker' (or 'chief') list of "
                          f"host:port, got {cluster!r}; {hint}")
    for kind, addresses in cluster.items():
        if not isinstance(addresses, list) or not all(
                isinstance(a, str) and a.rpartition(":")[2].isdigit() for a in addresses):
            raise ConfigError(f"TF_CONFIG: cluster: {kind}: expected a list of host:port, got "
                              f"{addresses!r}")
    task = config.get("task")
    if not isinstance(task, dict) or task.get("type") not in cluster:
        raise ConfigError(f"TF_CONFIG: task: expected a type among {sorted(cluster)} and an "
                          f"index, got {task!r}")
    index = task.get("index", 0)
    if not isinstance(index, int) or not 0 <= index < len(cluster[task["type"]]):
        raise ConfigError(f"TF_CONFIG: task: index: expected 0 to "
                          f"{len(cluster[task['type']]) - 1}, got {index!r}")
    return config


@dataclass(frozen=True)
class WorkersResult:
    """How a run of local workers ended: ``code`` 0 when all ended well; else the first worker
    seen to fail (``failed``, its exit ``status``: negative for a signal) and its last lines."""

    code: int
    failed: int | None = None
    status: int | None = None
    tail: str = ""

    def describe(self, count: int) -> str:
        """What the command shows when the run did not end well: one line, and the failing
        worker's last lines."""
        if self.failed is None:
            return (f"stopped by {signal.Signals(self.code - 128).name}: the {count} workers were "
                    f"ended; run the same command again to resume from the chief's last snapshot")
        if self.status < 0:
            how = f"was killed by {signal.Signals(-self.status).name}"
        else:
            how = f"ended with exit status {self.status}"
        text = (f"worker {self.failed} of {count} {how}, so the others were ended; run the "
                f"same command again to resume from the chief's last snapshot")
        return text + (f"\nworker {self.failed}'s last lines:\n{self.tail}" if self.tail else "")


def _tail(handle, lines: int = 20) -> str:
    if handle is None:
        return ""
    handle.flush()
    handle.seek(0)
    return "\n".join(handle.read().decode("utf-8", "replace").splitlines()[-lines:])


def _end(processes, grace: float):
    """SIGTERM to those still running, SIGKILL to those still running ``grace`` seconds later
    (a worker waiting for a lost peer cannot act on SIGTERM)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    limit = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(limit - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_workers(command, count: int, env=None, grace: float = 10.0, poll: float = 0.1,
                started=None) -> WorkersResult:
    """Run ``command`` (argv) as ``count`` local workers on free 127.0.0.1 ports, each with its
    TF_CONFIG in ``env`` (default: this process's environment), until all end or one fails.
    ``started(processes)`` is called once all are started. SIGINT or SIGTERM to this process
    ends the workers (code 128 + signal)."""
    if count < 1:
        raise ConfigError(f"--workers: expected at least 1, got {count}")
    addresses = [f"{LOCALHOST}:{port}" for port in free_ports(count)]
    base = dict(os.environ if env is None else env)
    logs = [None] + [tempfile.TemporaryFile() for _ in range(count - 1)]
    processes = []
    stopped = {}

    def on_signal(signum, frame):
        stopped.setdefault("signum", signum)
        raise KeyboardInterrupt

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_signal) if in_main_thread else None
    try:
        for index in range(count):
            processes.append(subprocess.Popen(
                list(command), env={**base, "TF_CONFIG": tf_config(addresses, index)},
                stdout=logs[index], stderr=subprocess.STDOUT if logs[index] else None))
        if started is not None:
            started(processes)
        while True:
            statuses = [p.poll() for p in processes]
            failed = next((i for i, s in enumerate(statuses) if s not in (None, 0)), None)
            if failed is not None:
                _end(processes, grace)
                return WorkersResult(1, failed, statuses[failed], _tail(logs[failed]))
            if all(s == 0 for s in statuses):
                return WorkersResult(0)
            time.sleep(poll)
    except KeyboardInterrupt:
        _end(processes, grace)
        return WorkersResult(128 + stopped.get("signum", signal.SIGINT))
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
        _end(processes, 0)
        for handle in logs:
            if handle is not None:
                handle.close()
