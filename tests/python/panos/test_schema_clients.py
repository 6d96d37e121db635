"""The simulator's schema validation against real clients.

What pan-os-python sends for ordinary objects must be accepted (an over-strict schema breaks
real clients); what the device refuses must be refused with its message; deleting a missing
node answers as the device does (status success, code 7).
"""

import pytest
from panos.device import SyslogServer, SyslogServerProfile
from panos.errors import PanDeviceXapiError
from panos.firewall import Firewall
from panos.network import EthernetInterface, StaticRoute, VirtualRouter, Zone
from panos.objects import (
    AddressGroup,
    AddressObject,
    ApplicationGroup,
    ApplicationObject,
    Edl,
    ScheduleObject,
    ServiceObject,
    Tag,
)
from panos.policies import NatRule, Rulebase, SecurityRule

VSYS = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']"


@pytest.fixture
def fw(firewall_sim):
    return Firewall(firewall_sim.host, "admin", "admin", port=firewall_sim.port)


def _objects():
    """Objects with many of their parameters set, the way scripts and Ansible build them."""
    tag = Tag("prod", color="color3", comments="production")
    addrs = [
        AddressObject("h1", "192.0.2.1", description="host", tag=["prod"]),
        AddressObject("n1", "192.0.2.0/24", type="ip-netmask"),
        AddressObject("r1", "192.0.2.1-192.0.2.9", type="ip-range"),
        AddressObject("f1", "www.example.com", type="fqdn", description="web"),
    ]
    groups = [
        AddressGroup("static", static_value=["h1", "n1"], description="s", tag=["prod"]),
        AddressGroup("dynamic", dynamic_value="'prod'", description="d"),
    ]
    services = [
        ServiceObject("tcp-8443", protocol="tcp", destination_port="8443", source_port="1024-65535",
                      description="alt https", tag=["prod"]),
        ServiceObject("udp-53", protocol="udp", destination_port="53",
                      enable_override_timeout="yes", override_timeout=60),
        ServiceObject("tcp-22", protocol="tcp", destination_port="22", enable_override_timeout="no"),
        ServiceObject("tcp-25", protocol="tcp", destination_port="25", enable_override_timeout="yes",
                      override_timeout=3600, override_half_close_timeout=120,
                      override_time_wait_timeout=15),
    ]
    apps = [
        ApplicationObject("custom-app", category="networking", subcategory="infrastructure",
                          technology="client-server", risk=2, description="in-house",
                          default_type="port", default_port=["tcp/7000"], tag=["prod"],
                          tunnel_applications=["web-browsing"], evasive_behavior=False),
        ApplicationGroup("app-grp", value=["custom-app"], tag=["prod"]),
    ]
    other = [
        ScheduleObject("office", type="recurring", recurrence="daily",
                       daily_time=["08:00-18:00"]),
        Edl("blocklist", edl_type="ip", source="https://lists.example/ip.txt",
            description="bad ips", repeat="hourly"),
    ]
    return [tag] + addrs + groups + services + apps + other


def test_pan_os_python_objects_are_accepted(fw):
    for o in _objects():
        fw.add(o)
        o.create()
    # and read back the way they were sent
    got = ServiceObject.refreshall(fw, add=False)
    by_name = {s.name: s for s in got}
    assert by_name["udp-53"].override_timeout == 60
    assert by_name["tcp-22"].enable_override_timeout == "no"
    assert ApplicationGroup.refreshall(fw, add=False)[0].tag == ["prod"]


def test_pan_os_python_network_and_policy_are_accepted(fw):
    eth = EthernetInterface("ethernet1/1", mode="layer3", ip=["192.0.2.10/24"],
                            comment="outside", mtu=1500, adjust_tcp_mss=True)
    fw.add(eth)
    eth.create()
    z = Zone("untrust", mode="layer3", interface=["ethernet1/1"], enable_user_identification=False)
    fw.add(z)
    z.create()
    vr = VirtualRouter("vr1", interface=["ethernet1/1"])
    fw.add(vr)
    vr.create()
    sr = StaticRoute("default", destination="0.0.0.0/0", nexthop="192.0.2.1", interface="ethernet1/1",
                     metric=10)
    vr.add(sr)
    sr.create()
    prof = SyslogServerProfile("syslog-1")
    fw.add(prof)
    prof.add(SyslogServer("s1", server="192.0.2.50", transport="UDP", port=514, format="BSD",
                          facility="LOG_USER"))
    prof.create()
    rb = Rulebase()
    fw.add(rb)
    r = SecurityRule("allow-web", fromzone=["untrust"], tozone=["any"], source=["any"],
                     destination=["any"], application=["web-browsing"], service=["application-default"],
                     action="allow", description="web", log_end=True, tag=[], disabled=False,
                     negate_source=False, icmp_unreachable=False)
    rb.add(r)
    r.create()
    n = NatRule("snat", fromzone=["untrust"], tozone=["untrust"], source=["any"], destination=["any"],
                service="any", source_translation_type="dynamic-ip-and-port",
                source_translation_address_type="interface-address",
                source_translation_interface="ethernet1/1", description="outbound")
    rb.add(n)
    n.create()
    assert "allow-web" in [x.name for x in SecurityRule.refreshall(rb, add=False)]


def test_unknown_child_is_refused_with_the_devices_message(fw):
    # a misspelt element, sent the way pan-python sends any xpath/element pair
    with pytest.raises(PanDeviceXapiError) as e:
        fw.xapi.set(
            VSYS + "/address",
            "<entry name='typo'><ip-netmsk>10.0.0.1</ip-netmsk></entry>",
        )
    assert str(e.value).strip() == "typo -> ip-netmsk unexpected here"
    with pytest.raises(PanDeviceXapiError) as e:
        fw.xapi.set("/config/shared/adress", "<entry name='a'><ip-netmask>10.0.0.1</ip-netmask></entry>")
    assert "shared -> adress unexpected here" in str(e.value)
    with pytest.raises(PanDeviceXapiError) as e:
        fw.xapi.set("/config/shared/tag", "<entry name='t'><color>purple</color></entry>")
    assert "t -> color 'purple' is invalid" in str(e.value)
    assert AddressObject.refreshall(fw, add=False) == []


def test_deleting_a_missing_object_succeeds_as_on_the_device(fw, firewall_sim, panxapi):
    # pan-python reports the device's status: success, code 7
    _, out = panxapi(firewall_sim, "-l", "admin:admin", "-d", VSYS + "/address/entry[@name='nope']")
    assert 'delete: success [code="7"]' in out and "Object doesn't exist" in out
    # pan-os-python's delete() of an object that is not there does not raise
    a = AddressObject("nope", "10.0.0.1")
    fw.add(a)
    a.delete()
