"""A real docker engine (Debian's ``dockerd``) per host identity, for the e2e tests.

The daemon, not the ``docker`` client, makes the registry connections, so each host a test acts as gets
a daemon of its own, started with that host's environment (``acrlink env --from HOST``: the proxy with
the host as proxy user, and acrlink's CA bundle as ``SSL_CERT_FILE``, which Go's TLS reads as the system
roots). Nothing is written outside the daemon's own directory: data-root, exec-root, pidfile, socket,
config file and trust key all live there, and neither ``/etc/docker`` nor the machine's trust store is
touched. A daemon is stopped by the PID this module started, and its directory removed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DOCKERD = "/usr/sbin/dockerd"
START_SECONDS = 60
STOP_SECONDS = 20


def requirements() -> str | None:
    """Why the docker engine cannot run here, or None. CI installs docker.io and runs as root."""
    problems = []
    if os.geteuid() != 0:
        problems.append("the docker engine tests must run as root (dockerd needs it)")
    if not os.access(DOCKERD, os.X_OK):
        problems.append(f"{DOCKERD} is missing: install Debian's docker.io (scripts/test.sh does)")
    if shutil.which("docker") is None:
        problems.append("the docker client is missing: install Debian's docker.io (scripts/test.sh does)")
    return "; ".join(problems) or None


def exported(text: str) -> dict[str, str]:
    """The variables of ``export NAME=VALUE`` lines (what ``acrlink env`` prints)."""
    variables = {}
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            variables[name] = value
    return variables


@dataclass
class Dockerd:
    """One running daemon and the environment a ``docker`` client needs to use it."""

    name: str
    root: Path
    process: subprocess.Popen[bytes]
    client_env: dict[str, str] = field(default_factory=dict)

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def log(self) -> str:
        path = self.root / "dockerd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def docker(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``docker ARGS`` against this daemon."""
        result = subprocess.run(["docker", *args], capture_output=True, text=True, env=self.client_env, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(
                f"docker {' '.join(args)} on the {self.name} daemon failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}\n--- dockerd log (tail) ---\n{self.log[-4000:]}"
            )
        return result


def start(name: str, daemon_env: dict[str, str]) -> Dockerd:
    """Start ``dockerd`` with ``daemon_env`` in a directory of its own and wait until it answers."""
    # A short directory under /tmp: unix socket paths (containerd's under exec-root too) must stay < 108 bytes.
    root = Path(tempfile.mkdtemp(prefix=f"acrlink-dockerd-{name}-", dir="/tmp"))
    # The trust key's default is /etc/docker/key.json, which dockerd 20.10 would create; it has no flag.
    (root / "daemon.json").write_text(json.dumps({"deprecated-key-path": str(root / "key.json")}) + "\n")
    (root / "docker-config").mkdir()
    command = [
        DOCKERD,
        "--iptables=false",
        "--ip6tables=false",
        "--bridge=none",
        "--storage-driver=vfs",
        f"--data-root={root / 'data'}",
        f"--exec-root={root / 'exec'}",
        f"--pidfile={root / 'docker.pid'}",
        f"--config-file={root / 'daemon.json'}",
        f"--host=unix://{root / 'docker.sock'}",
    ]
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), **daemon_env}
    with (root / "dockerd.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    client_env = {
        **os.environ,
        "DOCKER_HOST": f"unix://{root / 'docker.sock'}",
        "DOCKER_CONFIG": str(root / "docker-config"),
    }
    for variable in ("DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "DOCKER_CONTEXT"):
        client_env.pop(variable, None)
    daemon = Dockerd(name, root, process, client_env)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log_text = daemon.log
            stop(daemon)
            raise AssertionError(f"dockerd for {name} exited ({process.returncode}):\n{log_text[-4000:]}")
        if daemon.socket.exists() and daemon.docker("version", check=False, timeout=10).returncode == 0:
            return daemon
        time.sleep(0.2)
    log_text = daemon.log
    stop(daemon)
    raise AssertionError(f"dockerd for {name} did not answer within {START_SECONDS} s:\n{log_text[-4000:]}")


def stop(daemon: Dockerd) -> None:
    """Stop the daemon this module started (SIGTERM, then SIGKILL to the session it leads), then remove its
    directory. dockerd stops the containerd it started; should that one outlive it, it is killed by the
    PID in the daemon's own exec-root, after checking the process is that containerd."""
    process = daemon.process
    containerd = _managed_containerd(daemon)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_SECONDS)
    if containerd is not None and _is_ours(containerd, daemon.root):
        os.kill(containerd, signal.SIGKILL)
    shutil.rmtree(daemon.root, ignore_errors=True)


def _managed_containerd(daemon: Dockerd) -> int | None:
    path = daemon.root / "exec" / "containerd" / "containerd.pid"
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _is_ours(pid: int, root: Path) -> bool:
    """Whether ``pid`` is still a process started with this daemon's directory on its command line."""
    try:
        return str(root).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
