"""Security rules with moves, and candidate push with job status."""

import time

from scm.models.security import SecurityRuleUpdateModel


def _rule(name, folder, **extra):
    body = {
        "name": name,
        "folder": folder,
        "from_": ["any"],
        "to_": ["any"],
        "source": ["any"],
        "destination": ["any"],
        "application": ["any"],
        "service": ["any"],
        "action": "allow",
    }
    body.update(extra)
    return body


def _names(scm, folder, rulebase="pre"):
    return [r.name for r in scm.security_rule.list(folder=folder, rulebase=rulebase, exact_match=True)]


def test_security_rules_crud_and_move(scm, folder):
    r = {n: scm.security_rule.create(_rule(n, folder)) for n in ["a", "b", "c", "d"]}
    post = scm.security_rule.create(_rule("p", folder), rulebase="post")
    assert _names(scm, folder) == ["a", "b", "c", "d"]
    assert _names(scm, folder, "post") == ["p"]

    scm.security_rule.move(r["d"].id, {"destination": "top", "rulebase": "pre"})
    assert _names(scm, folder) == ["d", "a", "b", "c"]
    scm.security_rule.move(r["d"].id, {"destination": "bottom", "rulebase": "pre"})
    assert _names(scm, folder) == ["a", "b", "c", "d"]
    scm.security_rule.move(
        r["a"].id, {"destination": "after", "rulebase": "pre", "destination_rule": r["c"].id}
    )
    assert _names(scm, folder) == ["b", "c", "a", "d"]
    scm.security_rule.move(
        r["d"].id, {"destination": "before", "rulebase": "pre", "destination_rule": r["b"].id}
    )
    assert _names(scm, folder) == ["d", "b", "c", "a"]

    fetched = scm.security_rule.fetch(name="b", folder=folder)
    assert fetched.id == r["b"].id
    updated = scm.security_rule.update(
        SecurityRuleUpdateModel(**{**fetched.model_dump(exclude_none=True), "action": "deny", "description": "x"})
    )
    assert updated.action == "deny"
    assert scm.security_rule.get(r["b"].id).description == "x"

    scm.security_rule.delete(post.id, rulebase="post")
    assert _names(scm, folder, "post") == []


def test_push_and_job_status(scm, folder):
    scm.tag.create({"name": "pushed", "folder": folder})
    result = scm.commit(folders=[folder], description="pytest push", sync=False)
    assert result.success is True and result.job_id

    statuses = []
    deadline = time.time() + 20
    while time.time() < deadline:
        job = scm.get_job_status(result.job_id).data[0]
        if not statuses or statuses[-1] != job.status_str:
            statuses.append(job.status_str)
        if job.status_str == "FIN":
            break
        time.sleep(0.1)
    assert statuses[-1] == "FIN", statuses
    assert statuses[0] in ("PEND", "ACT")
    assert job.result_str == "OK"
    assert job.percent == "100"
    assert job.end_ts is not None

    jobs = scm.list_jobs(limit=50)
    assert any(j.id == result.job_id for j in jobs.data)

    # The SDK's own waiting helper sees the job finish.
    final = scm.wait_for_job(result.job_id, timeout=30, poll_interval=1)
    assert final.data[0].result_str == "OK"


def test_commit_sync(scm, folder):
    result = scm.commit(folders=[folder], description="sync push", sync=True, timeout=60)
    assert result.success is True
    assert scm.get_job_status(result.job_id).data[0].status_str == "FIN"
