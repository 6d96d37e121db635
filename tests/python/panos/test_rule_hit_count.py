"""pan-os-python's rule hit counts (RulebaseHitCount) against a simulated firewall."""

from panos.firewall import Firewall
from panos.policies import Rulebase, SecurityRule


def test_hit_counts_parse_and_name_the_rules_asked_for(firewall_sim):
    fw = Firewall(firewall_sim.host, "admin", "admin", port=firewall_sim.port)
    rb = Rulebase()
    fw.add(rb)
    rules = SecurityRule.refreshall(rb)
    assert rules, "the factory config has a rule"
    counts = rb.opstate.hit_count.refresh("security", all_rules=True)
    assert set(counts) == {r.name for r in rules}
    for hc in counts.values():
        assert hc.hit_count is not None and hc.hit_count >= 0
        assert hc.rule_creation_timestamp > 0
        # a rule that was hit has its first hit no later than its last
        if hc.hit_count:
            assert 0 < hc.first_hit_timestamp <= hc.last_hit_timestamp
    one = rb.opstate.hit_count.refresh("security", rules=[rules[0].name])
    assert list(one) == [rules[0].name]
