"""pan-os-upgrade-assurance's FirewallProxy against a simulated firewall.

Each call sends the op command exactly as ``firewall_proxy.py`` sends it and parses the reply
with that library's own code, so a shape the simulator gets wrong fails here.
"""

import datetime

import pytest
from panos.firewall import Firewall
from panos.policies import Rulebase, SecurityRule

fp = pytest.importorskip("panos_upgrade_assurance.firewall_proxy")


@pytest.fixture
def fw(firewall_sim):
    return Firewall(firewall_sim.host, "admin", "admin", port=firewall_sim.port)


@pytest.fixture
def proxy(fw):
    return fp.FirewallProxy(firewall=fw)


def test_content_and_software_versions(proxy):
    installed = proxy.get_content_db_version()
    latest = proxy.get_latest_available_content_version()
    # the update server lists the installed release and what came out since boot
    assert installed == "8841-8997"
    assert tuple(map(int, latest.split("-"))) >= (8841, 8997)
    images = proxy.get_available_image_data()
    assert images["11.1.2"]["current"] == "yes"
    assert images["11.1.2"]["downloaded"] == "yes"
    assert [v for v, i in images.items() if i["latest"] == "yes"] == ["11.1.3"]
    assert str(proxy.get_device_software_version()) == "11.1.2"


def test_clocks_follow_the_simulator(proxy):
    mp = proxy.get_mp_clock()
    (dp,) = proxy.get_dp_clock()
    now = datetime.datetime.utcnow()
    assert abs((mp - now).total_seconds()) < 120
    assert abs((dp - mp).total_seconds()) < 120


def test_ntp_reports_the_configured_servers(proxy, fw):
    assert proxy.get_ntp_servers() == {"synched": "LOCAL"}
    fw.xapi.set(
        xpath="/config/devices/entry[@name='localhost.localdomain']/deviceconfig/system/ntp-servers",
        element="<primary-ntp-server><ntp-server-address>0.pool.ntp.org</ntp-server-address>"
        "<authentication-type><none/></authentication-type></primary-ntp-server>"
        "<secondary-ntp-server><ntp-server-address>1.pool.ntp.org</ntp-server-address>"
        "<authentication-type><none/></authentication-type></secondary-ntp-server>",
    )
    fw.commit(sync=True)
    ntp = proxy.get_ntp_servers()
    assert ntp["synched"] == "0.pool.ntp.org"
    assert ntp["ntp-server-1"]["name"] == "0.pool.ntp.org"
    assert ntp["ntp-server-1"]["status"] == "synched"
    assert ntp["ntp-server-2"]["status"] == "available"


def test_state_queries_parse(proxy):
    assert proxy.is_pending_changes() is False
    assert proxy.is_full_commit_required() is False
    assert isinstance(proxy.get_arp_table(), dict)
    stats = proxy.get_session_stats()
    assert "num-max" in stats and "num-active" in stats
    assert isinstance(proxy.get_jobs(), dict)
    assert proxy.get_licenses()
    disks = proxy.get_disk_utilization()
    assert disks and all(isinstance(v, int) for v in disks.values())
    assert isinstance(proxy.get_routes(), dict)
    assert isinstance(proxy.get_fib(), dict)


def test_security_policy_match_evaluates_the_rulebase(fw):
    rb = Rulebase()
    fw.add(rb)
    # start from an empty rulebase (the factory config has an allow-all rule)
    for r in SecurityRule.refreshall(rb):
        r.delete()
    rb.add(
        SecurityRule(
            "block-dns-out",
            fromzone=["trust"],
            tozone=["untrust"],
            source=["10.0.0.0/24"],
            destination=["any"],
            application=["dns"],
            service=["application-default"],
            action="deny",
        )
    )
    rb.add(
        SecurityRule(
            "web-out",
            fromzone=["trust"],
            tozone=["untrust"],
            source=["any"],
            destination=["any"],
            application=["any"],
            service=["service-https"],
            action="allow",
        )
    )
    for r in rb.children:
        r.create()
    fw.commit(sync=True)
    dns = fw.test_security_policy_match(
        "10.0.0.5", "8.8.8.8", 17, application="dns", port=53, from_zone="trust", to_zone="untrust"
    )
    assert [(r["name"], r["action"]) for r in dns] == [("block-dns-out", "deny")]
    # another source skips the first rule; https is the second
    web = fw.test_security_policy_match(
        "10.9.0.5", "8.8.8.8", 6, application="ssl", port=443, from_zone="trust", to_zone="untrust"
    )
    assert [r["name"] for r in web] == ["web-out"]
    # port 80 is not service-https: no rule matches, the interzone default answers
    none = fw.test_security_policy_match(
        "10.9.0.5", "8.8.8.8", 6, port=80, from_zone="trust", to_zone="untrust"
    )
    assert [(r["name"], r["action"]) for r in none] == [("interzone-default", "deny")]


def test_locks_as_the_library_asks_for_them(proxy, fw):
    # firewall_proxy.py asks `<show><config-locks><vsys>all</vsys></config-locks></show>`
    assert proxy.get_config_locks() == []
    fw.op(
        "<request><config-lock><add><comment>upgrade window</comment></add></config-lock></request>",
        cmd_xml=False,
    )
    try:
        (lock,) = proxy.get_config_locks()
        assert lock["name"] == "admin"
        assert lock["comment"] == "upgrade window"
        assert proxy.get_commit_locks() == []
    finally:
        fw.op("<request><config-lock><remove/></config-lock></request>", cmd_xml=False)
    assert proxy.get_config_locks() == []
