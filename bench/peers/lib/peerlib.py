"""Shared pieces of bench/peers: the lab, the peers' command lines, timing, tables, JSON.

Every figure is the wall time of the command a user of that peer would run,
start-up included, measured from this process with time.monotonic().
"""
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

PEERS = Path(__file__).resolve().parent.parent
ROOT = PEERS.parent.parent
LAB = ROOT / "topology" / "lab"
BIN = Path(sys.executable).parent
ANSIBLE_DIR = PEERS / "ansible"
PYINFRA_DIR = PEERS / "pyinfra"
PSSH_RUN = PEERS / "lib" / "pssh_run.py"
LAB_DIR = Path("/run/rhizome-lab")

VERSIONS = {name: version(name) for name in
            ("ansible-core", "mitogen", "pyinfra", "parallel-ssh", "ssh2-python", "gevent", "paramiko")}

# Peers, in table order. "ansible-warm" reuses one ControlPersist directory
# across runs (after an unmeasured warm-up run), which is what Ansible's
# defaults give a user who runs commands back to back within 60 s.
LABELS = {
    "ansible": "Ansible (pipelining)",
    "ansible-warm": "Ansible (pipelining, warm ControlPersist)",
    "mitogen": "Ansible+Mitogen",
    "mitogen-via": "Ansible+Mitogen (mitogen_via)",
    "pyinfra": "pyinfra",
    "parallel-ssh": "parallel-ssh",
}


class BenchError(Exception):
    pass


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


signal.signal(signal.SIGTERM, _terminate)


def run(argv, timeout, env=None, check=True):
    """Runs argv in its own process group, bounded by timeout; returns (seconds, returncode, output).
    On timeout or interruption the whole group (the peer's workers and ssh clients) is killed."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=PEERS, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except BaseException as error:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = proc.communicate()
        if isinstance(error, subprocess.TimeoutExpired):
            raise BenchError(f"timed out after {timeout} s: {' '.join(map(str, argv))}\n"
                             f"{tail(out.decode(errors='replace'))}")
        raise
    elapsed = time.monotonic() - start
    out = out.decode(errors="replace")
    if check and proc.returncode != 0:
        raise BenchError(f"exit {proc.returncode}: {' '.join(map(str, argv))}\n{tail(out)}")
    return elapsed, proc.returncode, out


def tail(text, lines=12):
    return "\n".join(text.rstrip().splitlines()[-lines:])


# ----------------------------------------------------------------------------- lab

class Topology:
    """One lab topology: brought up if needed, and put back down afterwards
    only if every host was down before."""

    def __init__(self, name):
        self.name = name
        self.file = ROOT / "topology" / f"{name}.yml"
        self.was_down = None
        self.hosts = {}

    def status(self):
        proc = subprocess.run([str(LAB), "status", str(self.file)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=30, text=True)
        hosts = {}
        for line in proc.stdout.splitlines():
            fields = line.split()
            if len(fields) < 5:
                continue
            extra = dict(f.split("=", 1) for f in fields[5:] if "=" in f)
            hosts[fields[0]] = {"namespace": fields[1], "address": fields[2], "state": fields[4],
                                "via": extra.get("via", "-"), "iface": extra.get("iface")}
        return proc.returncode, hosts

    def up(self):
        rc, hosts = self.status()
        if not hosts:
            raise BenchError(f"lab status {self.file} listed no hosts")
        self.was_down = all(h["state"] == "down" for h in hosts.values())
        if rc != 0:
            proc = subprocess.run([str(LAB), "up", str(self.file)], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=150, text=True)
            if proc.returncode != 0:
                raise BenchError(f"lab up {self.name} failed:\n{tail(proc.stdout)}")
            rc, hosts = self.status()
            if rc != 0:
                raise BenchError(f"lab {self.name} is not alive after up")
        self.hosts = hosts
        return self

    def restore(self):
        if self.was_down:
            subprocess.run([str(LAB), "down", str(self.file)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=150)

    def address(self, host):
        return self.hosts[host]["address"]

    def exec(self, host, *argv, timeout=60):
        proc = subprocess.run([str(LAB), "exec", str(self.file), host, "--", *argv],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, text=True)
        return proc.returncode, proc.stdout

    def link_counter(self, host):
        """A function returning tx_bytes + rx_bytes of the link from host's parent to host."""
        iface = subprocess.run([str(LAB), "iface", str(self.file), host], stdout=subprocess.PIPE,
                               timeout=30, text=True, check=True).stdout.strip()
        ns = subprocess.run([str(LAB), "parent-ns", str(self.file), host], stdout=subprocess.PIPE,
                            timeout=30, text=True, check=True).stdout.strip()
        if ns:
            raise BenchError(f"{host} is not a first hop; this script reads root-namespace links only")
        stats = Path("/sys/class/net") / iface / "statistics"

        def read():
            return int((stats / "tx_bytes").read_text()) + int((stats / "rx_bytes").read_text())
        read.iface = iface
        return read


class BastionWatch:
    """Tells whether anything but the peer under test used a bastion during a run:
    SSH connections already open on it before the run, or more logins during
    the run than the peer makes (from the bastion's sshd log)."""

    def __init__(self, topology, host):
        self.topology, self.host = topology, host
        self.log = LAB_DIR / topology.name / "hosts" / host / "sshd.log"
        self.offset = 0

    def open_connections(self):
        rc, out = self.topology.exec(self.host, "ss", "-Htn", "state", "established", "( sport = :22 )")
        return len(out.splitlines()) if rc == 0 else 0

    def mark(self):
        self.offset = self.log.stat().st_size

    def logins(self):
        with open(self.log, "rb") as f:
            f.seek(self.offset)
            return f.read().count(b"Accepted publickey")


class Lab:
    """Context manager: brings the named topologies up and restores them on exit."""

    def __init__(self, *names):
        self.topologies = {name: Topology(name) for name in names}

    def __enter__(self):
        try:
            for topology in self.topologies.values():
                topology.up()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self.topologies

    def __exit__(self, *exc):
        for topology in self.topologies.values():
            if topology.was_down is not None:
                topology.restore()
        return False


# ----------------------------------------------------------------------------- peers

def ansible_env(scratch, mitogen=False, control_dir=None):
    env = dict(os.environ)
    env.update(ANSIBLE_CONFIG=str(ANSIBLE_DIR / "ansible.cfg"),
               ANSIBLE_SSH_CONTROL_PATH_DIR=str(control_dir or Path(scratch) / "cp"),
               ANSIBLE_LOCAL_TEMP=str(Path(scratch) / "ansible-local"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PATH=f"{BIN}:{env.get('PATH', '')}")
    if mitogen:
        import ansible_mitogen
        env["ANSIBLE_STRATEGY_PLUGINS"] = str(Path(ansible_mitogen.__file__).parent / "plugins" / "strategy")
        env["ANSIBLE_STRATEGY"] = "mitogen_linear"
    return env


def close_control_masters(control_dir):
    """Stops the ControlPersist masters Ansible left in control_dir."""
    control_dir = Path(control_dir)
    if not control_dir.is_dir():
        return
    for sock in control_dir.iterdir():
        subprocess.run(["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "peer-bench"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)


class Scratch:
    """A private temporary directory per measured run (so Ansible starts cold)."""

    def __enter__(self):
        self.path = Path(tempfile.mkdtemp(prefix="rhizome-peers-"))
        return self.path

    def __exit__(self, *exc):
        close_control_masters(self.path / "cp")
        shutil.rmtree(self.path, ignore_errors=True)
        return False


def settle(counter=None, quiet_for=0.3, limit=5.0):
    """Waits until the link counter stops moving (at most `limit` s); returns True if it went quiet."""
    if counter is None:
        return True
    deadline = time.monotonic() + limit
    last = counter()
    while time.monotonic() < deadline:
        time.sleep(quiet_for)
        now = counter()
        if now == last:
            return True
        last = now
    return False


# ----------------------------------------------------------------------------- output

def summarize(times):
    return {"median_s": round(statistics.median(times), 4), "min_s": round(min(times), 4),
            "max_s": round(max(times), 4)} if times else {"median_s": None, "min_s": None, "max_s": None}


def fmt_s(value):
    return "-" if value is None else f"{value:.2f} s"


def print_table(title, header, rows):
    print()
    print(title)
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    for i, row in enumerate([header] + rows):
        cells = [str(c).ljust(w) if j == 0 else str(c).rjust(w) for j, (c, w) in enumerate(zip(row, widths))]
        print("  " + "  ".join(cells))
    sys.stdout.flush()


def environment():
    return {"machine": platform.node() or socket.gethostname(), "cores": os.cpu_count(),
            "python": platform.python_version(), "kernel": platform.release(),
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def write_json(path, tool, results, **extra):
    doc = {"tool": tool, "schema": 1, "versions": VERSIONS, "environment": environment(),
           **extra, "results": results}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(doc, indent=2) + "\n")


def log(message):
    print(message, file=sys.stderr, flush=True)


def script_main(name, main):
    """Runs main() as the script `name`: a BenchError or Ctrl-C ends it with one line on stderr."""
    try:
        sys.exit(main())
    except BenchError as error:
        log(f"{name}: {error}")
        sys.exit(1)
    except KeyboardInterrupt:
        log(f"{name}: interrupted")
        sys.exit(130)
