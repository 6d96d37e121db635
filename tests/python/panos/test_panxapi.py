"""pan-python's panxapi.py command line against the simulator."""

import re

import pytest

VSYS = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']"
DG = "/config/devices/entry[@name='localhost.localdomain']/device-group"


def test_keygen_and_op(firewall_sim, panxapi):
    _, out = panxapi(firewall_sim, "-l", "admin:admin", "-k")
    key = re.search(r'API key:\s+"([^"]+)"', out).group(1)
    assert key.startswith("LUFRPT")
    _, out = panxapi(firewall_sim, "-K", key, "-Xxro", "show system info")
    assert "<sw-version>11.1.2</sw-version>" in out
    assert f"<serial>{firewall_sim.serials[0]}</serial>" in out
    _, out = panxapi(firewall_sim, "-K", key, "-x", "--export", "configuration")
    assert "<config version=" in out and "vsys1" in out
    rc, out = panxapi(firewall_sim, "-l", "admin:nope", "-k", check=False)
    assert rc != 0 and "403" in out


def test_config_get_show_set_edit_delete(firewall_sim, panxapi):
    auth = ("-l", "admin:admin")
    addr = VSYS + "/address"
    panxapi(firewall_sim, *auth, "-S", "<entry name='srv1'><ip-netmask>10.5.5.5</ip-netmask></entry>", addr)
    _, out = panxapi(firewall_sim, *auth, "-xr", "-g", addr + "/entry[@name='srv1']")
    assert "10.5.5.5" in out
    # not committed yet: show (running) has no such node
    rc, out = panxapi(firewall_sim, *auth, "-s", addr + "/entry[@name='srv1']", check=False)
    assert rc != 0 and "No such node" in out
    panxapi(firewall_sim, *auth, "-e", "<ip-netmask>10.5.5.6</ip-netmask>", addr + "/entry[@name='srv1']/ip-netmask")
    _, out = panxapi(firewall_sim, *auth, "-xr", "-g", addr + "/entry[@name='srv1']")
    assert "10.5.5.6" in out and "10.5.5.5" not in out
    panxapi(firewall_sim, *auth, "--rename", "--dst", "srv2", addr + "/entry[@name='srv1']")
    panxapi(firewall_sim, *auth, "--clone", "--src", addr + "/entry[@name='srv2']", "--dst", "srv3", addr)
    _, out = panxapi(firewall_sim, *auth, "-xr", "-g", addr + "/entry/@name")
    assert 'name="srv2"' in out and 'name="srv3"' in out and 'name="srv1"' not in out
    panxapi(firewall_sim, *auth, "-d", addr + "/entry[@name='srv3']")
    _, out = panxapi(firewall_sim, *auth, "-xr", "-g", addr)
    assert "srv3" not in out
    # commit synchronously, then show sees it
    _, out = panxapi(firewall_sim, *auth, "-C", "", "--sync", "--interval", "0.2")
    assert "commit: success" in out
    _, out = panxapi(firewall_sim, *auth, "-xr", "-s", addr + "/entry[@name='srv2']")
    assert "10.5.5.6" in out


def test_move_rules(firewall_sim, panxapi):
    auth = ("-l", "admin:admin")
    rules = VSYS + "/rulebase/security/rules"
    panxapi(firewall_sim, *auth, "-S", "".join(
        f"<entry name='{n}'><from><member>any</member></from><to><member>any</member></to>"
        "<source><member>any</member></source><destination><member>any</member></destination>"
        "<application><member>any</member></application><service><member>any</member></service>"
        "<action>allow</action></entry>" for n in ["r1", "r2", "r3"]), rules)
    panxapi(firewall_sim, *auth, "--move", "top", rules + "/entry[@name='r3']")
    panxapi(firewall_sim, *auth, "--move", "after", "--dst", "r2", rules + "/entry[@name='r1']")
    _, out = panxapi(firewall_sim, *auth, "-xr", "-g", rules + "/entry/@name")
    assert re.findall(r'name="(r\d)"', out) == ["r3", "r2", "r1"]
    rc, out = panxapi(firewall_sim, *auth, "--move", "before", "--dst", "nope", rules + "/entry[@name='r1']", check=False)
    assert rc != 0


def test_commit_all_group(panorama_sim, panxapi):
    auth = ("-l", "admin:admin")
    s1, s2 = panorama_sim.serials
    panxapi(panorama_sim, *auth, "-S",
            f"<entry name='DG1'><devices><entry name='{s1}'/><entry name='{s2}'/></devices></entry>", DG)
    panxapi(panorama_sim, *auth, "-S", "<entry name='pushed'><fqdn>www.example.com</fqdn></entry>",
            DG + "/entry[@name='DG1']/address")
    _, out = panxapi(panorama_sim, *auth, "-C", "", "--sync", "--interval", "0.2")
    assert "commit: success" in out
    _, out = panxapi(panorama_sim, *auth, "-A", "", "--group", "DG1", "--sync", "--interval", "0.2", "-xr")
    assert "<result>OK</result>" in out
    assert s1 in out and s2 in out
    # the object reached each firewall's running config (Panorama redirection with --serial)
    _, out = panxapi(panorama_sim, *auth, "--serial", s2, "-xr", "-s", VSYS + "/address/entry[@name='pushed']")
    assert "www.example.com" in out


def test_user_id_and_log(firewall_sim, panxapi):
    auth = ("-l", "admin:admin")
    msg = ("<uid-message><version>1.0</version><type>update</type><payload>"
           "<login><entry name='corp\\carol' ip='10.7.7.7' timeout='20'/></login>"
           "<register><entry ip='10.7.7.7'><tag><member>watch</member></tag></entry></register>"
           "</payload></uid-message>")
    panxapi(firewall_sim, *auth, "-U", msg)
    _, out = panxapi(firewall_sim, *auth, "-Xxro", "show user ip-user-mapping all")
    assert "corp\\carol" in out
    _, out = panxapi(firewall_sim, *auth, "-Xxro", "show object registered-ip all")
    assert "watch" in out
    rc, out = panxapi(firewall_sim, *auth, "-U", msg, check=False)
    assert rc != 0 and "already exists, ignore" in out
    _, out = panxapi(firewall_sim, *auth, "--log", "system", "--nlogs", "5", "--interval", "0.2", "-xr")
    assert "<logs count=" in out and "SYSTEM" in out
    _, out = panxapi(firewall_sim, *auth, "--log", "traffic", "--nlogs", "10", "--skip", "5", "--interval", "0.2", "-xr")
    assert '<logs count="10"' in out and "<session_end_reason>" in out
    rc, out = panxapi(firewall_sim, *auth, "--log", "traffic", "--nlogs", "5001", check=False)
    assert rc != 0 and "400" in out


def test_pan_python_verifies_the_simulator_certificate(sim_factory, tmp_path):
    """`panops sim --ca-out FILE`: pan-python with TLS verification on trusts the simulator."""
    import ssl

    import pan.xapi

    ca = tmp_path / "sim-ca.pem"
    sim = sim_factory("--kind", "firewall", "--ca-out", str(ca))
    assert sim.url.startswith("https://")
    assert sim.ca == str(ca), "the ready line names the written certificate file"
    assert "BEGIN CERTIFICATE" in ca.read_text()
    xapi = pan.xapi.PanXapi(
        hostname=sim.host, port=sim.port, api_username="admin", api_password="admin",
        cafile=str(ca),
    )
    xapi.op(cmd="show system info", cmd_xml=True)
    assert xapi.status == "success"
    assert "<hostname>" in xapi.xml_result()
    # verification really is on: without the certificate the same call is refused
    strict = pan.xapi.PanXapi(
        hostname=sim.host, port=sim.port, api_username="admin", api_password="admin",
        ssl_context=ssl.create_default_context(),
    )
    with pytest.raises(pan.xapi.PanXapiError) as refused:
        strict.op(cmd="show system info", cmd_xml=True)
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
