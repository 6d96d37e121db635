"""pan-os-upgrade-assurance's FirewallProxy against a simulated firewall.

Each call sends the op command exactly as ``firewall_proxy.py`` sends it and parses the reply
with that library's own code, so a shape the simulator gets wrong fails here.
"""

import datetime
import json
import ssl
import urllib.request

import pytest
from panos.firewall import Firewall
from panos.network import EthernetInterface, Layer3Subinterface
from panos.panorama import Panorama
from panos.policies import Rulebase, SecurityRule

fp = pytest.importorskip("panos_upgrade_assurance.firewall_proxy")


@pytest.fixture
def fw(firewall_sim):
    return Firewall(firewall_sim.host, "admin", "admin", port=firewall_sim.port)


@pytest.fixture
def proxy(fw):
    return fp.FirewallProxy(firewall=fw)


DEVICE = "/config/devices/entry[@name='localhost.localdomain']"


def steer(sim, doc):
    """Change the simulator's monitoring state (POST /sim/monitor)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    req = urllib.request.Request(
        sim.url + "/sim/monitor",
        data=json.dumps(doc).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        return r.read().decode()


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


def test_panorama_status_follows_the_configuration(proxy, fw):
    # a new firewall has no Panorama
    assert proxy.is_panorama_configured() is False
    with pytest.raises(Exception, match="not configured with Panorama"):
        proxy.is_panorama_connected()
    # pan-os-python's SystemSettings.panorama path on 9.1 and later
    fw.xapi.set(
        xpath=DEVICE + "/deviceconfig/system/panorama/local-panorama",
        element="<panorama-server>192.0.2.10</panorama-server>",
    )
    fw.commit(sync=True)
    assert proxy.is_panorama_configured() is True
    # 192.0.2.10 is no Panorama the simulator has: configured, never connected
    assert proxy.is_panorama_connected() is False


def test_panorama_status_of_a_managed_firewall(sim_factory):
    sim = sim_factory("--kind", "panorama", "--firewalls", "1")
    pano = Panorama(sim.host, "admin", "admin", port=sim.port)
    (serial,) = sim.serials
    managed = Firewall(serial=serial)
    pano.add(managed)
    proxy = fp.FirewallProxy(firewall=managed)
    assert proxy.is_panorama_configured() is True
    assert proxy.is_panorama_connected() is True
    steer(sim, {"serial": serial, "panorama_connected": False})
    # Panorama no longer reaches it, so a question through Panorama is refused
    from panos.errors import PanDeviceXapiError

    with pytest.raises(PanDeviceXapiError, match="not connected"):
        proxy.is_panorama_connected()
    steer(sim, {"serial": serial, "panorama_connected": True})
    assert proxy.is_panorama_connected() is True


def test_jumbo_frame_follows_the_configuration(proxy, fw):
    assert proxy.is_global_jumbo_frame_set() is False
    fw.xapi.set(
        xpath=DEVICE + "/deviceconfig/setting/jumbo-frame",
        element="<mtu>9000</mtu>",
    )
    # the running configuration counts: nothing changes before the commit
    assert proxy.is_global_jumbo_frame_set() is False
    fw.commit(sync=True)
    assert proxy.is_global_jumbo_frame_set() is True
    # interfaces without an MTU of their own take the jumbo MTU
    assert proxy.get_interfaces_mtu()["ethernet1/1"] == {"mtu": 9000}
    fw.xapi.delete(xpath=DEVICE + "/deviceconfig/setting/jumbo-frame")
    fw.commit(sync=True)
    assert proxy.is_global_jumbo_frame_set() is False


def test_nics_follow_the_configured_interfaces(proxy, fw):
    nics = proxy.get_nics()
    assert nics == {"ethernet1/1": "up", "ethernet1/2": "up"}
    eth = EthernetInterface("ethernet1/2", mode="layer3", link_state="down")
    fw.add(eth)
    eth.apply()
    fw.add(EthernetInterface("ethernet1/3", mode="layer3")).create()
    fw.commit(sync=True)
    assert proxy.get_nics() == {"ethernet1/1": "up", "ethernet1/2": "down", "ethernet1/3": "up"}


def test_interfaces_mtu_follows_the_configuration(proxy, fw):
    assert proxy.get_interfaces_mtu() == {"ethernet1/1": {"mtu": 1500}, "ethernet1/2": {"mtu": 1500}}
    eth = EthernetInterface("ethernet1/2", mode="layer3", mtu=1400)
    fw.add(eth)
    eth.apply()
    eth.add(Layer3Subinterface("ethernet1/2.100", tag=100)).create()
    eth.add(Layer3Subinterface("ethernet1/2.200", tag=200, mtu=1300)).create()
    fw.commit(sync=True)
    assert proxy.get_interfaces_mtu() == {"ethernet1/1": {"mtu": 1500}, "ethernet1/2": {"mtu": 1400}}
    # a subinterface's MTU comes from `show interface NAME`: its own, else its parent's
    mtus = proxy.get_interfaces_mtu(include_subinterfaces=True)
    assert mtus["ethernet1/2.100"] == {"mtu": 1400}
    assert mtus["ethernet1/2.200"] == {"mtu": 1300}


def test_mp_cpu_follows_the_load(proxy):
    cpu = proxy.get_mp_cpu_utilization()
    # the same figure `show system resources` reports (100 - idle)
    top = proxy.op_parser(cmd="show system resources")
    idle = float(top.split(" id,")[0].rsplit(",", 1)[1])
    assert abs(cpu - (100 - idle)) <= 1, (cpu, idle)


def test_support_license_is_the_support_licence(proxy):
    support = proxy.get_support_license()
    licences = proxy.get_licenses()
    assert support["support_level"] == "Premium"
    # the same date `request license info` gives the support licence, on the simulator clock
    assert support["support_expiry_date"] == licences["Premium"]["expires"]
    assert datetime.datetime.strptime(support["support_expiry_date"], "%B %d, %Y") > datetime.datetime.now()


def test_tunnels_follow_the_monitor_state(proxy, firewall_sim):
    tunnels = proxy.get_tunnels()
    assert tunnels["IPSec"]["to-branch"]["state"] == "active"
    assert tunnels["IPSec"]["to-branch"]["peerip"] == "203.0.113.5"
    assert tunnels["SSL-VPN"] == {} and tunnels["GlobalProtect-Gateway"] == {}
    steer(firewall_sim, {"tunnel": {"name": "to-branch", "up": False}})
    assert proxy.get_tunnels()["IPSec"]["to-branch"]["state"] == "init"


def test_user_id_service_and_redistribution(proxy, firewall_sim):
    assert proxy.get_user_id_service_status() == {"status": "down"}
    status = proxy.get_redistribution_status()
    assert status["clients"] == []
    # the agents this firewall reads from: its User-ID agents
    assert [(a["@name"], a["state"]) for a in status["agents"]] == [
        ("dc1-agent", "conn:idle"),
        ("dc2-agent", "non-conn:idle"),
    ]
    steer(firewall_sim, {"redistribution_service": {"up": True}})
    steer(firewall_sim, {"redistribution_client": {"host": "10.0.0.60", "connected": True}})
    assert proxy.get_user_id_service_status() == {"status": "up"}
    (client,) = proxy.get_redistribution_status()["clients"]
    assert client["host"] == "10.0.0.60" and client["vsys"] == "vsys1"
    steer(firewall_sim, {"redistribution_client": {"host": "10.0.0.60", "connected": False}})
    assert proxy.get_redistribution_status()["clients"] == []


def test_advanced_routing_follows_the_engine_and_logical_routers(proxy, fw):
    # the simulated firewall starts on the legacy engine (`show system info`: advanced-routing
    # off), which has no advanced-routing commands
    from panos.errors import PanDeviceXapiError

    with pytest.raises(PanDeviceXapiError, match="advanced-routing"):
        proxy.get_are_routes()
    with pytest.raises(PanDeviceXapiError, match="advanced-routing"):
        proxy.get_are_fib()
    fw.xapi.set(xpath=DEVICE + "/deviceconfig/setting", element="<advance-routing>yes</advance-routing>")
    fw.xapi.set(
        xpath=DEVICE + "/network/logical-router/entry[@name='lr-edge']/vrf/entry[@name='default']",
        element="<routing-table><ip><static-route><entry name='default'><destination>0.0.0.0/0</destination>"
        "<interface>ethernet1/1</interface><nexthop><ip-address>198.51.100.1</ip-address></nexthop>"
        "</entry></static-route></ip></routing-table>",
    )
    fw.commit(sync=True)
    routes = proxy.get_are_routes()
    (route,) = routes["lr-edge"]["0.0.0.0/0"]
    assert route["protocol"] == "static" and route["nexthops"][0]["ip"] == "198.51.100.1"
    fib = proxy.get_are_fib()
    assert fib["0.0.0.0/0_ethernet1/1_198.51.100.1"]["Flags"] == "ug"


def test_legacy_fib_parses_with_one_virtual_router(proxy, fw):
    fw.xapi.set(
        xpath=DEVICE + "/network/virtual-router/entry[@name='default']/routing-table/ip/static-route",
        element="<entry name='up'><destination>0.0.0.0/0</destination><interface>ethernet1/1</interface>"
        "<nexthop><ip-address>192.0.2.1</ip-address></nexthop></entry>",
    )
    fw.commit(sync=True)
    # the device lists an IPv4 and an IPv6 table per virtual router; with only one table
    # the library's parser could not read it
    fib = proxy.get_fib()
    assert fib["0.0.0.0/0_ethernet1/1_192.0.2.1"]["Next Hop"] == "192.0.2.1"


def test_software_download_is_a_job_that_fills_the_repository(proxy, fw):
    before = proxy.get_disk_utilization()["/opt/panrepo"]
    assert proxy.get_available_image_data()["11.1.3"]["downloaded"] == "no"
    fw.software.check()
    result = fw.software.download("11.1.3", sync=True)
    assert result["success"] is True
    assert proxy.get_available_image_data()["11.1.3"]["downloaded"] == "yes"
    # the ~500 MB image is in /opt/panrepo: less space available there
    after = proxy.get_disk_utilization()["/opt/panrepo"]
    assert before - after >= 400, (before, after)
    # a version the update server does not list is refused
    from panos.errors import PanDeviceXapiError

    with pytest.raises(PanDeviceXapiError):
        fw.software.download("12.9.9", sync=True)


@pytest.fixture
def checks(proxy):
    cf = pytest.importorskip("panos_upgrade_assurance.check_firewall")
    # the library forces en_US.UTF-8, which minimal hosts lack; the simulator's dates are English
    return cf.CheckFirewall(proxy, skip_force_locale=True)


def test_readiness_checks_and_snapshots_run_against_the_simulator(checks):
    from panos_upgrade_assurance.utils import CheckType, SnapType

    wanted = [
        CheckType.ACTIVE_SUPPORT,
        CheckType.CANDIDATE_CONFIG,
        CheckType.CONFIG_LOCKS,
        CheckType.CONTENT_VERSION,
        CheckType.DP_CPU_UTILIZATION,
        CheckType.EXPIRED_LICENSES,
        CheckType.FREE_DISK_SPACE,
        CheckType.GLOBAL_JUMBO_FRAME,
        CheckType.JOBS,
        CheckType.MP_CPU_UTILIZATION,
        CheckType.MP_DP_CLOCK_SYNC,
        CheckType.NTP_SYNC,
        CheckType.PANORAMA,
        CheckType.SYSTEM_ENVIRONMENTALS,
        CheckType.UPDATES,
    ]
    results = checks.run_readiness_checks(wanted)
    status = {k: v["status"] for k, v in results.items()}
    for name in [
        "active_support",
        "candidate_config",
        "config_locks",
        "content_version",
        "dp_cpu_utilization",
        "free_disk_space",
        "mp_cpu_utilization",
        "planes_clock_sync",
        "environmentals",
        "dynamic_updates",
    ]:
        assert status[name] == "SUCCESS", results[name]
    # what the factory state is: one licence expired a month ago, no NTP, no Panorama
    assert status["expired_licenses"] == "FAIL"
    assert "GlobalProtect Gateway" in results["expired_licenses"]["reason"]
    assert results["panorama"]["reason"] == "Device not configured with Panorama."
    snaps = checks.run_snapshots(
        [
            SnapType.NICS,
            SnapType.ROUTES,
            SnapType.LICENSE,
            SnapType.ARP_TABLE,
            SnapType.CONTENT_VERSION,
            SnapType.SESSION_STATS,
            SnapType.IPSEC_TUNNELS,
            SnapType.BGP_PEERS,
            SnapType.FIB_ROUTES,
            SnapType.GLOBAL_JUMBO_FRAME,
            SnapType.INTERFACES_MTU,
        ]
    )
    failed = {k: v["reason"] for k, v in snaps.items() if v["status"] != "SUCCESS"}
    assert failed == {}
    assert snaps["ip_sec_tunnels"]["snapshot"]["to-branch"]["state"] == "active"


def test_tunnel_status_check_follows_the_tunnel(checks, firewall_sim):
    from panos_upgrade_assurance.utils import CheckType

    check = [{CheckType.IPSEC_TUNNEL_STATUS: {"tunnel_name": "to-branch"}}]
    assert checks.run_readiness_checks(check)["ip_sec_tunnel_status"]["status"] == "SUCCESS"
    steer(firewall_sim, {"tunnel": {"name": "to-branch", "up": False}})
    assert checks.run_readiness_checks(check)["ip_sec_tunnel_status"]["status"] == "FAIL"


@pytest.mark.xfail(
    strict=True,
    reason="get_mp_mem_utilization reads the `MiB Mem :` line of newer PAN-OS `top`; the "
    "simulator prints the `KiB Mem :` form that pan-os-python's show_system_resources parses",
)
def test_mp_memory_check(checks):
    from panos_upgrade_assurance.utils import CheckType

    result = checks.run_readiness_checks([CheckType.MP_MEM_UTILIZATION])
    assert result["mp_mem_utilization"]["status"] == "SUCCESS"
