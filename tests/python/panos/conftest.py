"""Fixtures: start the PAN-OS simulator (``panops sim`` or the sim_server example) on a free port.

The simulator prints ``panops-sim ready url=<url> kind=<kind> serials=<s1,s2>`` on stdout when ready.
"""

import os
import pathlib
import subprocess
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
VENV_BIN = ROOT / "target" / "venv" / "bin"


def _sim_command():
    """$PANOPS_SIM_CMD, else the panops binary when it has `sim`, else the example server."""
    override = os.environ.get("PANOPS_SIM_CMD")
    if override:
        return override.split()
    panops = ROOT / "target" / "debug" / "panops"
    if panops.exists():
        probe = subprocess.run([str(panops), "sim", "--help"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return [str(panops), "sim"]
    example = ROOT / "target" / "debug" / "examples" / "sim_server"
    if not example.exists():
        subprocess.run(
            ["cargo", "build", "-q", "-p", "panops-sim", "--example", "sim_server"],
            cwd=ROOT,
            check=True,
        )
    return [str(example)]


class Sim:
    """A running simulator process."""

    def __init__(self, *args):
        cmd = _sim_command() + ["--listen", "127.0.0.1:0", "--job-ms", "300"] + list(args)
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
        )
        self.stderr_lines = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        deadline = time.time() + 30
        line = ""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("panops-sim ready"):
                break
            if self.proc.poll() is not None:
                raise RuntimeError("simulator exited: " + "".join(self.stderr_lines))
        fields = dict(kv.split("=", 1) for kv in line.split()[2:] if "=" in kv)
        self.url = fields["url"]
        self.kind = fields["kind"]
        self.serials = [s for s in fields.get("serials", "").split(",") if s]
        self.ca = fields.get("ca")
        self.host = self.url.split("://")[1].rsplit(":", 1)[0]
        self.port = int(self.url.rsplit(":", 1)[1])

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def sim_factory():
    started = []

    def start(*args):
        s = Sim(*args)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def firewall_sim(sim_factory):
    return sim_factory("--kind", "firewall")


@pytest.fixture
def panorama_sim(sim_factory):
    return sim_factory("--kind", "panorama", "--firewalls", "2")


@pytest.fixture
def panxapi():
    """Run pan-python's panxapi.py; returns (returncode, stdout+stderr)."""

    def run(sim, *args, check=True):
        cmd = [
            str(VENV_BIN / "python"),
            str(VENV_BIN / "panxapi.py"),
            "-h",
            sim.host,
            "-P",
            str(sim.port),
        ]
        if sim.url.startswith("http://"):
            cmd.append("-H")
        cmd += list(args)
        env = dict(os.environ, HOME=str(ROOT / "target"))
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, cwd="/")
        out = p.stdout + p.stderr
        if check and p.returncode != 0:
            raise AssertionError(f"panxapi {' '.join(args)} failed ({p.returncode}):\n{out}")
        return p.returncode, out

    return run
