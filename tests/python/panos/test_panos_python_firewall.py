"""pan-os-python against a simulated firewall."""

import pytest
from panos.errors import PanDeviceXapiError, PanLockError
from panos.firewall import Firewall
from panos.network import EthernetInterface, VirtualWire, Zone
from panos.objects import AddressGroup, AddressObject, ServiceGroup, ServiceObject, Tag
from panos.policies import Rulebase, SecurityRule
from panos.userid import UserId


@pytest.fixture
def fw(firewall_sim):
    dev = Firewall(firewall_sim.host, "admin", "admin", port=firewall_sim.port)
    return dev


def test_keygen_and_system_info(fw, firewall_sim):
    info = fw.refresh_system_info()
    assert info.version == "11.1.2"
    assert info.platform == "PA-VM"
    assert info.serial == firewall_sim.serials[0]
    assert fw.api_key.startswith("LUFRPT")
    assert fw.multi_vsys is False
    res = fw.show_system_resources()
    assert res["mem_total"] > res["mem_free"] > 0
    assert 0 <= res["cpu"] <= 100


def test_bad_password_is_rejected(firewall_sim):
    dev = Firewall(firewall_sim.host, "admin", "wrong", port=firewall_sim.port)
    with pytest.raises(Exception) as e:
        dev.refresh_system_info()
    assert "403" in str(e.value)


def test_address_crud(fw):
    a = AddressObject("web-1", "10.1.1.1/32", description="first", tag=[])
    fw.add(a)
    a.create()
    got = AddressObject("web-1")
    fw.add(got)
    got.refresh()
    assert got.value == "10.1.1.1/32"
    assert got.description == "first"
    got.description = "changed"
    got.apply()
    again = AddressObject.refreshall(fw, add=False)
    assert [x.description for x in again if x.name == "web-1"] == ["changed"]
    got.value = "10.1.1.2"
    got.update("value")
    third = AddressObject("web-1")
    fw.add(third)
    third.refresh()
    assert third.value == "10.1.1.2"
    third.delete()
    assert [x.name for x in AddressObject.refreshall(fw, add=False)] == []


def test_invalid_address_value_refused(fw):
    a = AddressObject("bad", "10.1.1.300")
    fw.add(a)
    with pytest.raises(PanDeviceXapiError) as e:
        a.create()
    assert "not a valid" in str(e.value)


def test_tags_groups_services(fw):
    t = Tag("quarantine", color="color1", comments="bad hosts")
    fw.add(t)
    t.create()
    members = []
    for i in range(3):
        a = AddressObject(f"h{i}", f"192.0.2.{i + 1}", tag=["quarantine"])
        fw.add(a)
        a.create()
        members.append(a.name)
    g = AddressGroup("hosts", static_value=members, tag=["quarantine"])
    fw.add(g)
    g.create()
    s = ServiceObject("tcp-8443", protocol="tcp", destination_port="8443")
    fw.add(s)
    s.create()
    sg = ServiceGroup("web-svcs", value=["tcp-8443"])
    fw.add(sg)
    sg.create()
    groups = AddressGroup.refreshall(fw, add=False)
    assert sorted(groups[0].static_value) == ["h0", "h1", "h2"]
    assert ServiceObject.refreshall(fw, add=False)[0].destination_port == "8443"
    assert Tag.refreshall(fw, add=False)[0].color == "color1"
    # an address still in a group cannot be deleted, and the error names the group
    h0 = [x for x in fw.children if getattr(x, "name", None) == "h0"][0]
    with pytest.raises(PanDeviceXapiError) as e:
        h0.delete()
    assert "hosts" in str(e.value)
    g.delete()
    h0.delete()
    sg.delete()
    s.delete()


def test_create_similar_and_delete_similar_500(fw):
    objs = [AddressObject(f"bulk-{i:04d}", f"10.{i // 250}.{i % 250}.1") for i in range(500)]
    for o in objs:
        fw.add(o)
    objs[0].create_similar()
    names = AddressObject.refreshall(fw, name_only=True, add=False)
    assert len(names) == 500
    objs[0].delete_similar()
    assert AddressObject.refreshall(fw, name_only=True, add=False) == []


def test_security_rules_create_move_commit(fw):
    for n in ["a1", "a2"]:
        o = AddressObject(n, "198.51.100.7")
        fw.add(o)
        o.create()
    rb = Rulebase()
    fw.add(rb)
    rules = []
    for n in ["r1", "r2", "r3"]:
        r = SecurityRule(n, fromzone=["trust"], tozone=["untrust"], source=["a1"], destination=["a2"],
                         application=["any"], service=["application-default"], action="allow")
        rb.add(r)
        r.create()
        rules.append(r)
    rules[2].move("top")
    rules[0].move("after", ref="r2")
    names = [r.name for r in SecurityRule.refreshall(rb, add=False)]
    # rule1 is the factory-default allow rule
    assert names == ["r3", "rule1", "r2", "r1"]
    result = fw.commit(sync=True)
    assert result["success"] is True
    assert result["result"] == "OK"
    # nothing left to commit
    assert fw.commit(sync=True) is None
    # running config now has the rules
    running = SecurityRule.refreshall(rb, running_config=True, add=False)
    assert [r.name for r in running] == ["r3", "rule1", "r2", "r1"]


def test_commit_fails_on_unresolved_reference(fw):
    rb = Rulebase()
    fw.add(rb)
    r = SecurityRule("dangling", fromzone=["any"], tozone=["any"], source=["no-such-object"],
                     destination=["any"], application=["any"], service=["any"], action="deny")
    rb.add(r)
    r.create()
    result = fw.commit(sync=True)
    assert result["success"] is False
    assert any("no-such-object" in m for m in result["messages"])


def test_userid_login_logout_tags(fw):
    fw.refresh_system_info()
    uid = fw.userid
    uid.login("corp\\alice", "10.9.0.1", timeout=30)
    uid.register("10.9.0.1", ["quarantine", "guest"])
    assert uid.get_registered_ip(tags="quarantine") == {"10.9.0.1": ["quarantine"]}
    reg = uid.get_registered_ip()
    assert sorted(reg["10.9.0.1"]) == ["guest", "quarantine"]
    # duplicate registration is silently ignored by pan-os-python
    uid.register("10.9.0.1", "guest")
    uid.unregister("10.9.0.1", "guest")
    uid.unregister("10.9.0.1", "guest")
    assert uid.get_registered_ip() == {"10.9.0.1": ["quarantine"]}
    uid.tag_user("corp\\alice", ["vip"])
    assert uid.get_user_tags() == {"corp\\alice": ["vip"]}
    uid.untag_user("corp\\alice", ["vip"])
    assert uid.get_user_tags() == {}
    uid.set_group("admins", ["corp\\alice", "corp\\bob"])
    assert uid.get_group_members("admins") == ["corp\\alice", "corp\\bob"]
    mapping = fw.op("show user ip-user-mapping all")
    assert mapping.find("./result/entry/user").text == "corp\\alice"
    uid.logout("corp\\alice", "10.9.0.1")
    mapping = fw.op("show user ip-user-mapping all")
    assert mapping.find("./result/entry") is None


def test_locks_pending_changes_and_revert(fw):
    assert fw.pending_changes() is False
    fw.add_commit_lock(comment="change window")
    assert fw.check_commit_locks() is True
    fw.remove_commit_lock()
    assert fw.check_commit_locks() is False
    fw.add_config_lock(comment="editing")
    assert fw.check_config_locks() is True
    fw.remove_config_lock()
    t = Tag("temporary")
    fw.add(t)
    t.create()
    assert fw.pending_changes() is True
    fw.revert_to_running_configuration()
    assert fw.pending_changes() is False
    assert Tag.refreshall(fw, add=False) == []


def test_hostname_and_dns_update(fw):
    fw.refresh_system_info()
    fw.set_hostname("edge-fw-01")
    fw.set_dns_servers("192.0.2.53", "198.51.100.53")
    fw.commit(sync=True)
    fw.refresh_system_info()
    info = fw.op("show system info")
    assert info.find("./result/system/hostname").text == "edge-fw-01"


def test_restart_and_syncreboot(fw):
    fw.refresh_system_info()
    a = AddressObject("kept-across-reboot", "10.44.0.1")
    fw.add(a)
    a.create()
    fw.commit(sync=True)
    fw.restart()
    assert fw.syncreboot(interval=0.2, timeout=30) == "11.1.2"
    assert [x.name for x in AddressObject.refreshall(fw, add=False, running_config=True)] == ["kept-across-reboot"]


def test_factory_default_layout(fw):
    zones = {z.name: z for z in Zone.refreshall(fw, add=False)}
    assert sorted(zones) == ["trust", "untrust"]
    assert zones["trust"].mode == "virtual-wire"
    assert zones["trust"].interface == ["ethernet1/2"]
    assert zones["untrust"].interface == ["ethernet1/1"]
    vwires = VirtualWire.refreshall(fw, add=False)
    assert [(v.name, v.interface1, v.interface2) for v in vwires] == [
        ("default-vwire", "ethernet1/1", "ethernet1/2")
    ]
    assert sorted(i.name for i in EthernetInterface.refreshall(fw, add=False)) == [
        "ethernet1/1",
        "ethernet1/2",
    ]
    rb = Rulebase()
    fw.add(rb)
    (rule1,) = SecurityRule.refreshall(rb, add=False)
    assert (rule1.name, rule1.action, rule1.fromzone, rule1.tozone, rule1.service) == (
        "rule1",
        "allow",
        ["trust"],
        ["untrust"],
        ["application-default"],
    )
    # the whole running configuration parses and holds the same layout
    running = fw.op("show config running")
    vsys = running.find("./result/config/devices/entry/vsys/entry")
    assert vsys.get("name") == "vsys1"
    assert vsys.find("./rulebase/security/rules/entry").get("name") == "rule1"


def test_address_groups_and_services_refresh_and_update(fw):
    for n in ["m1", "m2", "m3"]:
        a = AddressObject(n, "192.0.2.10")
        fw.add(a)
        a.create()
    g = AddressGroup("grp", static_value=["m1", "m2"], description="first")
    fw.add(g)
    g.create()
    got = AddressGroup("grp")
    fw.add(got)
    got.refresh()
    assert sorted(got.static_value) == ["m1", "m2"]
    assert got.description == "first"
    got.static_value = ["m3"]
    got.update("static_value")
    got.description = "second"
    got.update("description")
    again = AddressGroup("grp")
    fw.add(again)
    again.refresh()
    assert (again.static_value, again.description) == (["m3"], "second")

    s = ServiceObject("svc-1", protocol="tcp", destination_port="8080")
    fw.add(s)
    s.create()
    s2 = ServiceObject("svc-2", protocol="udp", destination_port="5353")
    fw.add(s2)
    s2.create()
    got = ServiceObject("svc-1")
    fw.add(got)
    got.refresh()
    assert (got.protocol, got.destination_port) == ("tcp", "8080")
    got.destination_port = "8081-8089"
    got.update("destination_port")
    again = ServiceObject("svc-1")
    fw.add(again)
    again.refresh()
    assert again.destination_port == "8081-8089"
    sg = ServiceGroup("svc-grp", value=["svc-1"])
    fw.add(sg)
    sg.create()
    sg.value = ["svc-1", "svc-2"]
    sg.update("value")
    got = ServiceGroup("svc-grp")
    fw.add(got)
    got.refresh()
    assert sorted(got.value) == ["svc-1", "svc-2"]


def test_tags_update_and_delete(fw):
    t = Tag("to-change", color="color1", comments="first")
    fw.add(t)
    t.create()
    t.color = "color5"
    t.update("color")
    t.comments = "second"
    t.update("comments")
    got = Tag("to-change")
    fw.add(got)
    got.refresh()
    assert (got.color, got.comments) == ("color5", "second")
    got.delete()
    assert [x.name for x in Tag.refreshall(fw, add=False)] == []


def test_group_named_like_an_address_is_refused(fw):
    a = AddressObject("dup", "10.3.3.3")
    fw.add(a)
    a.create()
    g = AddressGroup("dup", static_value=["dup"])
    fw.add(g)
    with pytest.raises(PanDeviceXapiError) as e:
        g.create()
    assert "already in use" in str(e.value)
    assert [x.name for x in AddressGroup.refreshall(fw, add=False)] == []


def test_locks_of_another_admin(sim_factory):
    sim = sim_factory("--kind", "firewall", "--admin", "alice:a-pass", "--admin", "bob:b-pass")
    alice = Firewall(sim.host, "alice", "a-pass", port=sim.port)
    bob = Firewall(sim.host, "bob", "b-pass", port=sim.port)
    assert alice.add_config_lock(comment="mine") is True
    t = Tag("from-bob")
    bob.add(t)
    with pytest.raises(PanLockError) as e:
        t.create()
    assert "locked by alice" in str(e.value)
    alice.remove_config_lock()
    t.create()
    alice.add_commit_lock(comment="window")
    with pytest.raises(PanDeviceXapiError) as e:
        bob.commit(sync=True)
    assert "Commit is locked by alice" in str(e.value)
    alice.remove_commit_lock()
    assert bob.commit(sync=True)["result"] == "OK"


def test_load_config_partial_from_a_saved_config(fw):
    """`load config partial` as iron-skillet style loaders send it, through pan-os-python."""
    vsys = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']"
    fw.add(AddressObject("golden-a", "10.10.0.1")).create()
    fw.op("<save><config><to>golden.xml</to></config></save>", cmd_xml=False)
    fw.commit(sync=True)
    fw.find("golden-a", AddressObject).delete()
    fw.add(AddressObject("local-b", "10.10.0.2")).create()
    load = (
        "<load><config><partial><from>golden.xml</from>"
        f"<from-xpath>{vsys}/address</from-xpath><to-xpath>{vsys}/address</to-xpath>"
        "<mode>{mode}</mode></partial></config></load>"
    )
    fw.op(load.replace("{mode}", "merge"), cmd_xml=False)
    names = {a.name for a in AddressObject.refreshall(fw, running_config=False, add=False)}
    assert {"golden-a", "local-b"} <= names
    fw.op(load.replace("{mode}", "replace"), cmd_xml=False)
    names = {a.name for a in AddressObject.refreshall(fw, running_config=False, add=False)}
    assert "golden-a" in names and "local-b" not in names
    with pytest.raises(PanDeviceXapiError, match="nope.xml"):
        fw.op(load.replace("golden.xml", "nope.xml").replace("{mode}", "merge"), cmd_xml=False)
