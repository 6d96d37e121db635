"""Fixtures: start the SCM simulator and build pan-scm-sdk clients against it.

The simulator is started through ``panops sim --scm-listen`` when the panops binary has it
(ready line ``panops-sim ready url=... scm=<base> token_url=<url>``), else through the
``scm_sim_server`` example of crates/scm-sim (``scm-sim ready base=<url> token_url=<url>``).
Set ``PANOPS_SCM_SIM=example`` to force the example. pan-scm-sdk is used unchanged: only its
``api_base_url``, ``token_url`` and credentials are set.
"""

import os
import pathlib
import subprocess
import threading
import time
import uuid

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
CLIENT_ID = "panops-sim@1234567890.iam.panserviceaccount.com"
CLIENT_SECRET = "panops-sim-secret"
TSG_ID = "1234567890"

# oauthlib refuses plain-http token URLs unless told otherwise; the HTTPS scenario below
# runs without it.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _example_binary():
    example = ROOT / "target" / "debug" / "examples" / "scm_sim_server"
    if not example.exists():
        subprocess.run(
            ["cargo", "build", "-q", "-p", "panops-scm-sim", "--example", "scm_sim_server"],
            cwd=ROOT,
            check=True,
        )
    return example


def _panops_has_scm():
    panops = ROOT / "target" / "debug" / "panops"
    if not panops.exists() or os.environ.get("PANOPS_SCM_SIM") == "example":
        return None
    probe = subprocess.run([str(panops), "sim", "--help"], capture_output=True, text=True, timeout=30)
    if probe.returncode == 0 and "--scm-listen" in probe.stdout:
        return panops
    return None


class ScmSim:
    """A running simulator process with its SCM base URL and token URL."""

    def __init__(self, *scm_args, tls=False, ca_out=None):
        panops = _panops_has_scm()
        if panops is not None and tls:
            # HTTPS: the simulator writes its certificates for the clients to trust
            cmd = [str(panops), "sim", "--listen", "127.0.0.1:0",
                   "--scm-listen", "127.0.0.1:0", "--ca-out", str(ca_out), *scm_args]
        elif panops is not None:
            cmd = [str(panops), "sim", "--plain", "--listen", "127.0.0.1:0",
                   "--scm-listen", "127.0.0.1:0", *scm_args]
        else:
            cmd = [str(_example_binary()), "--scm-listen", "127.0.0.1:0", *scm_args]
            if tls:
                cmd += ["--tls", "--ca-out", str(ca_out)]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, cwd=ROOT,
        )
        self.stderr_lines = []
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.time() + 60
        line = ""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if "ready" in line and "token_url=" in line:
                break
            if self.proc.poll() is not None:
                raise RuntimeError("simulator exited: " + "".join(self.stderr_lines))
        fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        self.base = fields.get("scm") or fields["base"]
        self.token_url = fields["token_url"]
        self.ca = fields.get("ca")

    def _drain(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def client(self, **overrides):
        from scm.client import Scm

        kwargs = dict(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            tsg_id=TSG_ID,
            api_base_url=self.base,
            token_url=self.token_url,
        )
        kwargs.update(overrides)
        return Scm(**kwargs)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def sim():
    s = ScmSim()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def scm(sim):
    return sim.client()


@pytest.fixture
def folder(scm):
    """A fresh folder under Shared, so scenarios do not see each other's objects."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    scm.folder.create({"name": name, "parent": "Shared"})
    return name


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
