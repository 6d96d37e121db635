#!/usr/bin/env python3
"""Builds the index `panops` ConfigIndex builds, in Python, for the parse benchmark.

Same task on both sides: addresses, address groups, services, service groups, tags and
security rules with their location (shared, vsys, device group; local/pre/post rulebase),
and the reverse index "where is this name used" over address-group static members,
service-group members and rule source / destination / service / application members.
The same elements are read as in crates/panos/src/config_index/parse.rs: only
/config/shared, /config/devices/entry/device-group/entry and /config/devices/entry/vsys/entry
are scopes, entries without a name are skipped, texts are trimmed.

Usage: parse_index.py {xmltodict|iterparse} CONFIG.xml WHERE_USED_NAME
Prints one line of key=value pairs (parsed by benches/parse_bench.sh).
"""

import resource
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict

# Imported before the clock starts, like the Rust side's code is loaded before it does.
import xmltodict

OBJECT_CONTAINERS = ("address", "address-group", "service", "service-group", "tag")
RULEBASES = {"rulebase": "local", "pre-rulebase": "pre", "post-rulebase": "post"}
ADDRESS_TYPES = ("ip-netmask", "ip-range", "ip-wildcard", "fqdn")
REF_FIELDS = ("source", "destination", "service", "application")
RULE_LISTS = ("from", "to", "source", "destination", "service", "application", "tag")


class Index:
    """The records and the reverse index (name -> list of (referrer kind, name, location))."""

    def __init__(self):
        self.addresses = []
        self.address_groups = []
        self.services = []
        self.service_groups = []
        self.tags = []
        self.rules = []
        self.used = defaultdict(list)

    def add(self, kind, loc, name, fields):
        """Adds one entry of container `kind` ("address", ..., or "rule") at `loc`."""
        if kind == "address":
            self.addresses.append((name, loc, fields.get("type"), fields.get("value"), fields["tag"]))
        elif kind == "address-group":
            rec = (name, loc, fields["members"], fields.get("filter"), fields["tag"])
            self.address_groups.append(rec)
            for m in fields["members"]:
                self.used[m].append(("address-group", name, loc))
        elif kind == "service":
            self.services.append(
                (name, loc, fields.get("protocol"), fields.get("port"), fields.get("source-port"), fields["tag"])
            )
        elif kind == "service-group":
            self.service_groups.append((name, loc, fields["members"], fields["tag"]))
            for m in fields["members"]:
                self.used[m].append(("service-group", name, loc))
        elif kind == "tag":
            self.tags.append((name, loc, fields.get("color")))
        else:
            rulebase = kind[1]
            self.rules.append((name, loc, rulebase, fields, fields.get("action"), fields.get("disabled") == "yes"))
            for field in REF_FIELDS:
                for m in fields[field]:
                    self.used[m].append(("rule", field, rulebase, name, loc))

    def where_used(self, name):
        return self.used.get(name, [])


# ---- xmltodict: the whole document as nested dicts, then a walk -----------------------


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def text_of(v):
    if v is None:
        return ""
    if isinstance(v, dict):
        v = v.get("#text") or ""
    return v.strip()


def members_of(d, key):
    holder = d.get(key) if isinstance(d, dict) else None
    if not isinstance(holder, dict):
        return []
    return [text_of(m) for m in as_list(holder.get("member"))]


def dict_fields(kind, e):
    f = {"tag": members_of(e, "tag") if kind != "tag" else []}
    if kind == "address":
        for t in ADDRESS_TYPES:
            if t in e:
                f["type"], f["value"] = t, text_of(e[t])
    elif kind == "address-group":
        f["members"] = members_of(e, "static")
        dyn = e.get("dynamic")
        if isinstance(dyn, dict) and "filter" in dyn:
            f["filter"] = text_of(dyn["filter"])
    elif kind == "service":
        proto = e.get("protocol")
        if isinstance(proto, dict):
            for p in ("tcp", "udp", "sctp"):
                if isinstance(proto.get(p), dict):
                    f["protocol"] = p
                    for k in ("port", "source-port"):
                        if k in proto[p]:
                            f[k] = text_of(proto[p][k])
    elif kind == "service-group":
        f["members"] = members_of(e, "members")
    elif kind == "tag":
        if "color" in e:
            f["color"] = text_of(e["color"])
    else:
        for field in RULE_LISTS:
            f[field] = members_of(e, field)
        for k in ("action", "disabled"):
            if k in e:
                f[k] = text_of(e[k])
    return f


def dict_scope(index, loc, scope):
    if not isinstance(scope, dict):
        return
    for kind in OBJECT_CONTAINERS:
        container = scope.get(kind)
        if isinstance(container, dict):
            for e in as_list(container.get("entry")):
                if isinstance(e, dict) and "@name" in e:
                    index.add(kind, loc, e["@name"], dict_fields(kind, e))
    for tag, rulebase in RULEBASES.items():
        rb = scope.get(tag)
        sec = rb.get("security") if isinstance(rb, dict) else None
        rules = sec.get("rules") if isinstance(sec, dict) else None
        if isinstance(rules, dict):
            for e in as_list(rules.get("entry")):
                if isinstance(e, dict) and "@name" in e:
                    index.add(("rule", rulebase), loc, e["@name"], dict_fields("rule", e))


def build_xmltodict(path):
    with open(path, "rb") as f:
        doc = xmltodict.parse(f)
    node = doc
    for wrapper in ("response", "result"):
        if isinstance(node, dict) and wrapper in node:
            node = node[wrapper]
    config = node.get("config") if isinstance(node, dict) else None
    if not isinstance(config, dict):
        raise SystemExit("no <config> element found")
    index = Index()
    dict_scope(index, ("shared", ""), config.get("shared"))
    devices = config.get("devices")
    for dev in as_list(devices.get("entry") if isinstance(devices, dict) else None):
        if not isinstance(dev, dict):
            continue
        for tag, kind in (("device-group", "device-group"), ("vsys", "vsys")):
            holder = dev.get(tag)
            for scope in as_list(holder.get("entry") if isinstance(holder, dict) else None):
                if isinstance(scope, dict) and "@name" in scope:
                    dict_scope(index, (kind, scope["@name"]), scope)
    return index


# ---- ElementTree iterparse: a stream of elements, each entry read and dropped ---------


def element_fields(kind, e):
    def members(tag):
        holder = e.find(tag)
        return [] if holder is None else [(m.text or "").strip() for m in holder.findall("member")]

    def text(tag):
        c = e.find(tag)
        return None if c is None else (c.text or "").strip()

    f = {"tag": members("tag") if kind != "tag" else []}
    if kind == "address":
        for t in ADDRESS_TYPES:
            v = text(t)
            if v is not None:
                f["type"], f["value"] = t, v
    elif kind == "address-group":
        f["members"] = members("static")
        v = text("dynamic/filter")
        if v is not None:
            f["filter"] = v
    elif kind == "service":
        proto = e.find("protocol")
        if proto is not None:
            for p in ("tcp", "udp", "sctp"):
                pe = proto.find(p)
                if pe is not None:
                    f["protocol"] = p
                    for k in ("port", "source-port"):
                        c = pe.find(k)
                        if c is not None:
                            f[k] = (c.text or "").strip()
    elif kind == "service-group":
        f["members"] = members("members")
    elif kind == "tag":
        v = text("color")
        if v is not None:
            f["color"] = v
    else:
        for field in RULE_LISTS:
            f[field] = members(field)
        for k in ("action", "disabled"):
            v = text(k)
            if v is not None:
                f[k] = v
    return f


def build_iterparse(path):
    index = Index()
    stack = []  # tags below the wrappers, from <config> down
    scopes = []  # (depth, location) of the open scopes
    seen_config = False
    for event, elem in ET.iterparse(path, events=("start", "end")):
        tag = elem.tag
        if event == "start":
            if not stack and tag in ("response", "result"):
                continue
            stack.append(tag)
            if stack[0] != "config":
                continue
            seen_config = True
            depth = len(stack)
            if depth == 2 and tag == "shared":
                scopes.append((depth, ("shared", "")))
            elif (
                depth == 5
                and tag == "entry"
                and stack[1:4] in (["devices", "entry", "device-group"], ["devices", "entry", "vsys"])
                and "name" in elem.attrib
            ):
                scopes.append((depth, (stack[3], elem.attrib["name"])))
            continue
        if not stack:
            continue
        depth = len(stack)
        if tag == "entry" and scopes and stack[0] == "config":
            sd, loc = scopes[-1]
            rel = stack[sd:]
            name = elem.attrib.get("name")
            if name is not None:
                if len(rel) == 2 and rel[0] in OBJECT_CONTAINERS:
                    index.add(rel[0], loc, name, element_fields(rel[0], elem))
                elif len(rel) == 4 and rel[0] in RULEBASES and rel[1:3] == ["security", "rules"]:
                    index.add(("rule", RULEBASES[rel[0]]), loc, name, element_fields("rule", elem))
        if scopes and scopes[-1][0] == depth:
            scopes.pop()
        stack.pop()
        # Entries are read once they end: drop them (and what they hold) to stream.
        if tag == "entry" or (depth <= 3 and tag in ("shared", "devices", "readonly")):
            elem.clear()
    if not seen_config:
        raise SystemExit("no <config> element found")
    return index


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("xmltodict", "iterparse"):
        raise SystemExit(__doc__)
    how, path, name = sys.argv[1:]
    start = time.perf_counter()
    index = build_xmltodict(path) if how == "xmltodict" else build_iterparse(path)
    used = len(index.where_used(name))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"seconds={seconds:.3f} peak_rss_kb={peak} addresses={len(index.addresses)} "
        f"address_groups={len(index.address_groups)} services={len(index.services)} "
        f"service_groups={len(index.service_groups)} tags={len(index.tags)} "
        f"security_rules={len(index.rules)} sample_usages={used}"
    )


if __name__ == "__main__":
    main()
