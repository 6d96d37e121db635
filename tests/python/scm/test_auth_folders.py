"""Authentication (token + JWKS verification by the SDK) and folders."""

import time

import pytest
from scm.exceptions import APIError, NameNotUniqueError, ObjectNotPresentError

from conftest import CLIENT_ID, ScmSim, _panops_has_scm, unique


def test_sdk_gets_and_verifies_token(sim, scm):
    # The SDK fetched the JWKS next to the token URL and verifies the token with it.
    payload = scm.oauth_client.decode_token()
    assert payload["aud"] == CLIENT_ID
    assert payload["scope"] == "tsg_id:1234567890"
    assert payload["exp"] - payload["iat"] == 900
    assert scm.oauth_client.is_expired is False


def test_wrong_secret_is_refused(sim):
    with pytest.raises(APIError):
        sim.client(client_secret="wrong-secret")


def test_wrong_tsg_is_refused(sim):
    with pytest.raises(APIError):
        sim.client(tsg_id="999")


def test_expired_token_is_refreshed():
    s = ScmSim("--scm-token-lifetime-secs", "2")
    try:
        client = s.client()
        first = client.oauth_client.session.token["access_token"]
        assert client.folder.list()
        time.sleep(3)
        assert client.oauth_client.is_expired is True
        # The SDK notices the expiry, fetches a new token and the call succeeds.
        assert client.folder.list()
        assert client.oauth_client.session.token["access_token"] != first
    finally:
        s.stop()


def test_https_with_self_signed_certificate(tmp_path, monkeypatch):
    ca = tmp_path / "ca.pem"
    s = ScmSim(tls=True, ca_out=ca)
    try:
        assert s.base.startswith("https://")
        if _panops_has_scm() is not None:
            assert s.ca == str(ca), "the ready line names the written certificate file"
        monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
        # requests (token + API) and urllib (PyJWKClient) both trust the simulator's certificate.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        client = s.client()
        names = {f.name for f in client.folder.list()}
        assert "Shared" in names
    finally:
        s.stop()


def test_predefined_folders(scm):
    names = {f.name for f in scm.folder.list()}
    assert {
        "Shared",
        "Mobile Users",
        "Remote Networks",
        "Service Connections",
        "Mobile Users Container",
        "Mobile Users Explicit Proxy",
    } <= names


def test_folder_lifecycle(scm):
    name = unique("folder")
    created = scm.folder.create({"name": name, "parent": "Shared", "description": "x"})
    assert created.parent == "Shared"
    assert scm.folder.fetch(name).id == created.id
    assert scm.folder.get(created.id).name == name
    with pytest.raises(NameNotUniqueError):
        scm.folder.create({"name": name, "parent": "Shared"})
    from scm.models.setup.folder import FolderUpdateModel

    updated = scm.folder.update(
        FolderUpdateModel(id=created.id, name=name, parent="Shared", description="changed")
    )
    assert updated.description == "changed"
    scm.folder.delete(created.id)
    assert scm.folder.fetch(name) is None
    with pytest.raises(ObjectNotPresentError):
        scm.folder.get(created.id)
