"""Containment benchmark, pan-os-python side.

Contains N IOC addresses on a Panorama device group the way a pan-os-python user writes it:
a tag, N address objects created with ``create_similar`` (one ``set``), an address group with the
N addresses as static members, one deny rule at the top of the pre-rulebase, and a commit that
waits for its job. Prints one JSON line: seconds, API requests (job polls counted apart).

Usage: contain_pan_os_python.py --host 127.0.0.1 --port 8443 --count 10000 --device-group bench-py
"""

import argparse
import json
import time

import pan.xapi
from panos.objects import AddressGroup, AddressObject, Tag
from panos.panorama import DeviceGroup, Panorama
from panos.policies import PreRulebase, SecurityRule

COUNTS = {"requests": 0, "job_polls": 0}
_original = pan.xapi.PanXapi._PanXapi__api_request


def counting(self, query):
    cmd = query.get("cmd", "") if isinstance(query, dict) else ""
    if isinstance(cmd, bytes):
        cmd = cmd.decode("utf-8", "replace")
    if "<jobs>" in cmd:
        COUNTS["job_polls"] += 1
    else:
        COUNTS["requests"] += 1
    return _original(self, query)


pan.xapi.PanXapi._PanXapi__api_request = counting


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--user", default="admin")
    p.add_argument("--password", default="admin")
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--device-group", default="bench-py")
    a = p.parse_args()

    start = time.perf_counter()
    pano = Panorama(a.host, a.user, a.password, port=a.port)
    dg = DeviceGroup(a.device_group)
    pano.add(dg)
    dg.create()
    tag = Tag("ioc-bench", color="color1")
    dg.add(tag)
    tag.create()
    names = []
    for i in range(a.count):
        name = f"ioc-{i}"
        names.append(name)
        dg.add(AddressObject(name, f"198.{18 + i // 65536}.{(i // 256) % 256}.{i % 256}", tag=["ioc-bench"]))
    dg.children[1].create_similar()
    group = AddressGroup("ioc-bench-group", static_value=names, tag=["ioc-bench"])
    dg.add(group)
    group.create()
    rulebase = PreRulebase()
    dg.add(rulebase)
    rule = SecurityRule(
        "ioc-bench-deny",
        fromzone=["any"],
        tozone=["any"],
        source=["any"],
        destination=["ioc-bench-group"],
        application=["any"],
        service=["any"],
        action="deny",
    )
    rulebase.add(rule)
    rule.create()
    rule.move("top")
    pano.commit(sync=True)
    elapsed = time.perf_counter() - start
    print(json.dumps({"client": "pan-os-python", "count": a.count, "seconds": elapsed, **COUNTS}))


if __name__ == "__main__":
    main()
