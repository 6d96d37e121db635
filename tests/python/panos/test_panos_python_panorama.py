"""pan-os-python against a simulated Panorama with two managed firewalls."""

import pytest
from panos.firewall import Firewall
from panos.objects import AddressObject
from panos.panorama import DeviceGroup, Panorama
from panos.policies import PostRulebase, PreRulebase, Rulebase, SecurityRule


@pytest.fixture
def pano(panorama_sim):
    return Panorama(panorama_sim.host, "admin", "admin", port=panorama_sim.port)


def _dg_with_rules(pano, serials, name="branch"):
    dg = DeviceGroup(name)
    pano.add(dg)
    dg.create()
    for s in serials:
        fw = Firewall(serial=s)
        dg.add(fw)
        fw.create()
    web = AddressObject("web-srv", "203.0.113.10")
    dg.add(web)
    web.create()
    pre = PreRulebase()
    dg.add(pre)
    r = SecurityRule("pre-allow-web", fromzone=["any"], tozone=["any"], source=["any"],
                     destination=["web-srv"], application=["web-browsing"],
                     service=["application-default"], action="allow")
    pre.add(r)
    r.create()
    post = PostRulebase()
    dg.add(post)
    d = SecurityRule("post-deny-all", fromzone=["any"], tozone=["any"], source=["any"],
                     destination=["any"], application=["any"], service=["any"], action="deny")
    post.add(d)
    d.create()
    return dg


def test_system_info_and_devices(pano, panorama_sim):
    info = pano.refresh_system_info()
    assert info.platform == "Panorama"
    devices = pano.refresh_devices(include_device_groups=False)
    assert sorted(d.serial for d in devices) == sorted(panorama_sim.serials)


def test_commit_all_to_device_group(pano, panorama_sim):
    pano.refresh_system_info()
    _dg_with_rules(pano, panorama_sim.serials)
    result = pano.commit(sync=True)
    assert result["success"] is True
    push = pano.commit_all(sync=True, sync_all=True, devicegroup="branch")
    assert push["success"] is True
    assert sorted(push["devices"]) == sorted(panorama_sim.serials)
    for serial, dev in push["devices"].items():
        assert dev["result"] == "OK"
        assert dev["name"].startswith("fw-")
    # the pushed rules are in each firewall's running config, pre first, post last
    for serial in panorama_sim.serials:
        fw = Firewall(serial=serial)
        pano.add(fw)
        rb = Rulebase()
        fw.add(rb)
        rules = SecurityRule.refreshall(rb, running_config=True, add=False)
        # the firewall's own rules (the factory rule1) sit between pre and post rules
        assert [r.name for r in rules] == ["pre-allow-web", "rule1", "post-deny-all"]
    # device-group membership and sync status come back through refresh_devices
    dgs = pano.refresh_devices()
    dg = [x for x in dgs if isinstance(x, DeviceGroup)][0]
    assert sorted(f.serial for f in dg.children) == sorted(panorama_sim.serials)
    assert all(f.state.shared_policy_synced for f in dg.children)


def test_panorama_commit_fails_on_unresolved_reference(pano, panorama_sim):
    pano.refresh_system_info()
    dg = _dg_with_rules(pano, panorama_sim.serials[:1])
    pre = [c for c in dg.children if isinstance(c, PreRulebase)][0]
    bad = SecurityRule("uses-missing", fromzone=["any"], tozone=["any"], source=["missing-obj"],
                       destination=["any"], application=["any"], service=["any"], action="allow")
    pre.add(bad)
    bad.create()
    result = pano.commit(sync=True)
    assert result["success"] is False
    assert any("missing-obj" in m for m in result["messages"])


def test_commit_all_reports_per_device_failure(pano, panorama_sim):
    pano.refresh_system_info()
    _dg_with_rules(pano, panorama_sim.serials)
    assert pano.commit(sync=True)["success"] is True
    locked = panorama_sim.serials[0]
    fw = Firewall(serial=locked)
    pano.add(fw)
    fw.op('request commit-lock add comment "maintenance"')
    push = pano.commit_all(sync=True, sync_all=True, devicegroup="branch")
    assert push["success"] is False
    assert push["devices"][locked]["result"] == "FAIL"
    assert "maintenance" in str(push["devices"][locked]["messages"])
    assert push["devices"][panorama_sim.serials[1]]["result"] == "OK"


def test_userid_through_panorama(pano, panorama_sim):
    serial = panorama_sim.serials[1]
    fw = Firewall(serial=serial)
    pano.add(fw)
    fw.userid.login("corp\\guest1", "10.20.0.5")
    fw.userid.register("10.20.0.5", ["guest"])
    fw.userid.tag_user("corp\\guest1", ["visitor"])
    assert fw.userid.get_registered_ip() == {"10.20.0.5": ["guest"]}
    assert fw.userid.get_user_tags() == {"corp\\guest1": ["visitor"]}
    fw.userid.untag_user("corp\\guest1", ["visitor"])
    fw.userid.unregister("10.20.0.5", "guest")
    assert fw.userid.get_registered_ip() == {}
    # the other firewall saw none of it
    other = Firewall(serial=panorama_sim.serials[0])
    pano.add(other)
    assert other.op("show user ip-user-mapping all").find("./result/entry") is None
    mapping = fw.op("show user ip-user-mapping all")
    assert mapping.find("./result/entry/ip").text == "10.20.0.5"
    fw.userid.logout("corp\\guest1", "10.20.0.5")
    assert fw.op("show user ip-user-mapping all").find("./result/entry") is None


def test_device_group_hierarchy_push(pano, panorama_sim):
    pano.refresh_system_info()
    region = DeviceGroup("region")
    pano.add(region)
    region.create()
    robj = AddressObject("region-dns", "198.51.100.53")
    region.add(robj)
    robj.create()
    rpre = PreRulebase()
    region.add(rpre)
    rr = SecurityRule("region-first", fromzone=["any"], tozone=["any"], source=["any"],
                      destination=["any"], application=["any"], service=["any"], action="allow")
    rpre.add(rr)
    rr.create()
    branch = _dg_with_rules(pano, panorama_sim.serials[:1], name="branch")
    bpre = [c for c in branch.children if isinstance(c, PreRulebase)][0]
    uses_parent = SecurityRule("to-region-dns", fromzone=["any"], tozone=["any"], source=["any"],
                               destination=["region-dns"], application=["dns"],
                               service=["application-default"], action="allow")
    bpre.add(uses_parent)
    uses_parent.create()
    branch.opstate.dg_hierarchy.parent = "region"
    branch.opstate.dg_hierarchy.update()
    assert pano.opstate.dg_hierarchy.fetch() == {"region": None, "branch": "region"}
    assert pano.commit(sync=True)["success"] is True
    push = pano.commit_all(sync=True, sync_all=True, devicegroup="branch")
    assert push["success"] is True, push
    fw = Firewall(serial=panorama_sim.serials[0])
    pano.add(fw)
    rb = Rulebase()
    fw.add(rb)
    names = [r.name for r in SecurityRule.refreshall(rb, running_config=True, add=False)]
    assert names == ["region-first", "pre-allow-web", "to-region-dns", "rule1", "post-deny-all"]
