"""Tags, addresses, address groups and services through pan-scm-sdk."""

import pytest
from scm.exceptions import (
    InvalidObjectError,
    NameNotUniqueError,
    ObjectNotPresentError,
    ReferenceNotZeroError,
)
from scm.models.objects import (
    AddressGroupUpdateModel,
    AddressUpdateModel,
    ServiceUpdateModel,
    TagUpdateModel,
)

from conftest import unique


def test_tags(scm, folder):
    tag = scm.tag.create({"name": "web", "color": "Red", "comments": "c", "folder": folder})
    assert tag.folder == folder
    assert scm.tag.fetch(name="web", folder=folder).id == tag.id
    updated = scm.tag.update(TagUpdateModel(id=str(tag.id), name="web", color="Blue"))
    assert updated.color == "Blue"
    assert [t.name for t in scm.tag.list(folder=folder, exact_match=True)] == ["web"]
    scm.tag.delete(tag.id)
    with pytest.raises(ObjectNotPresentError):
        scm.tag.get(tag.id)


def test_addresses_full_lifecycle(scm, folder):
    created = scm.address.create(
        {"name": "web1", "ip_netmask": "10.0.0.1/32", "description": "first", "folder": folder}
    )
    assert created.folder == folder and created.ip_netmask == "10.0.0.1/32"

    fetched = scm.address.fetch(name="web1", folder=folder)
    assert fetched.id == created.id
    assert scm.address.get(created.id).name == "web1"

    update = AddressUpdateModel(**fetched.model_dump(exclude_none=True))
    update.description = "changed"
    updated = scm.address.update(update)
    assert updated.description == "changed"
    assert updated.folder == folder
    assert scm.address.get(created.id).description == "changed"

    with pytest.raises(NameNotUniqueError):
        scm.address.create({"name": "web1", "fqdn": "dup.example.com", "folder": folder})

    scm.address.delete(created.id)
    with pytest.raises(ObjectNotPresentError):
        scm.address.get(created.id)
    with pytest.raises(ObjectNotPresentError):
        scm.address.delete(created.id)


def test_address_list_pages_through_everything(scm, folder):
    names = [f"h{i:02d}" for i in range(23)]
    for i, name in enumerate(names):
        scm.address.create({"name": name, "ip_netmask": f"10.9.0.{i}/32", "folder": folder})
    # Force several pages: the SDK loops on limit/offset until a short page.
    scm.address.max_limit = 5
    try:
        listed = scm.address.list(folder=folder, exact_match=True)
    finally:
        scm.address.max_limit = scm.address.DEFAULT_MAX_LIMIT
    assert [a.name for a in listed] == names
    # Client-side filters work on the simulator's objects.
    one = scm.address.list(folder=folder, values=["10.9.0.3/32"])
    assert [a.name for a in one] == ["h03"]


def test_invalid_address_is_rejected_by_the_simulator(scm, folder):
    # Bypass the SDK's own model checks to see the simulator's validation.
    with pytest.raises(InvalidObjectError):
        scm.post(
            "/config/objects/v1/addresses",
            json={"name": "bad", "folder": folder, "ip_netmask": "10.0.0.1/32", "fqdn": "x.example.com"},
        )


def test_address_groups_and_references(scm, folder):
    a = scm.address.create({"name": "m1", "ip_netmask": "10.1.0.1/32", "folder": folder})
    b = scm.address.create({"name": "m2", "fqdn": "m2.example.com", "folder": folder})
    group = scm.address_group.create({"name": "grp", "static": ["m1", "m2"], "folder": folder})
    assert group.static == ["m1", "m2"]
    assert scm.address_group.fetch(name="grp", folder=folder).id == group.id
    with pytest.raises(ReferenceNotZeroError):
        scm.address.delete(a.id)
    updated = scm.address_group.update(
        AddressGroupUpdateModel(id=str(group.id), name="grp", static=["m2"], description="one left")
    )
    assert updated.static == ["m2"]
    scm.address.delete(a.id)
    dynamic = scm.address_group.create(
        {"name": "dyn", "dynamic": {"filter": "'web' and 'prod'"}, "folder": folder}
    )
    assert dynamic.dynamic.filter == "'web' and 'prod'"
    groups = {g.name for g in scm.address_group.list(folder=folder, exact_match=True)}
    assert groups == {"grp", "dyn"}
    scm.address_group.delete(group.id)
    scm.address_group.delete(dynamic.id)
    scm.address.delete(b.id)


def test_services(scm, folder):
    svc = scm.service.create(
        {"name": "https-alt", "protocol": {"tcp": {"port": "8443"}}, "folder": folder}
    )
    assert svc.protocol.tcp.port == "8443"
    assert scm.service.fetch(name="https-alt", folder=folder).id == svc.id
    updated = scm.service.update(
        ServiceUpdateModel(id=str(svc.id), name="https-alt", protocol={"udp": {"port": "53"}})
    )
    assert updated.protocol.udp.port == "53"
    with pytest.raises(NameNotUniqueError):
        scm.service.create({"name": "https-alt", "protocol": {"tcp": {"port": "1"}}, "folder": folder})
    assert [s.name for s in scm.service.list(folder=folder, exact_match=True)] == ["https-alt"]
    scm.service.delete(svc.id)
    assert scm.service.list(folder=folder, exact_match=True) == []


def test_objects_are_scoped_by_folder(scm, folder):
    other = unique("other")
    scm.folder.create({"name": other, "parent": "Shared"})
    scm.address.create({"name": "same", "fqdn": "a.example.com", "folder": folder})
    # Same name in a sibling folder is allowed.
    scm.address.create({"name": "same", "fqdn": "b.example.com", "folder": other})
    assert scm.address.fetch(name="same", folder=other).fqdn == "b.example.com"
