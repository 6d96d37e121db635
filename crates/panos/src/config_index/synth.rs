//! Deterministic synthetic Panorama configurations, for benchmarks and tests.
//!
//! The layout follows an exported Panorama running config: shared objects and rules,
//! device groups with their own objects and pre/post rules, a template (skipped by the
//! index) and the `readonly` device-group hierarchy.

use std::io::{self, Write};

/// Shape of the generated configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthParams {
    /// Number of device groups.
    pub device_groups: usize,
    /// Address objects in shared.
    pub shared_addresses: usize,
    /// Address objects per device group.
    pub addresses_per_group: usize,
    /// Address groups per device group (and in shared).
    pub address_groups_per_group: usize,
    /// Services per device group (and in shared).
    pub services_per_group: usize,
    /// Security rules per device group, split between pre and post rulebases.
    pub rules_per_group: usize,
    /// Seed of the pseudo-random generator.
    pub seed: u64,
}

impl SynthParams {
    /// About 200 MB: 350k addresses, 42k security rules over 60 device groups.
    pub fn large() -> Self {
        Self {
            device_groups: 60,
            shared_addresses: 20_000,
            addresses_per_group: 5_500,
            address_groups_per_group: 400,
            services_per_group: 200,
            rules_per_group: 700,
            seed: 0x005e_ed0f_c0f1,
        }
    }

    /// A few hundred kilobytes, for tests.
    pub fn small() -> Self {
        Self {
            device_groups: 3,
            shared_addresses: 50,
            addresses_per_group: 40,
            address_groups_per_group: 5,
            services_per_group: 4,
            rules_per_group: 10,
            seed: 7,
        }
    }
}

/// What was generated (the expected counts of an index of it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SynthStats {
    /// Address objects.
    pub addresses: usize,
    /// Address groups.
    pub address_groups: usize,
    /// Services.
    pub services: usize,
    /// Service groups.
    pub service_groups: usize,
    /// Tags.
    pub tags: usize,
    /// Security rules.
    pub security_rules: usize,
    /// Bytes written.
    pub bytes: u64,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

const TAGS: [&str; 8] = [
    "env-prod",
    "env-dev",
    "pci",
    "dmz",
    "quarantine",
    "web",
    "db",
    "managed-by-panops",
];
const APPS: [&str; 10] = [
    "web-browsing",
    "ssl",
    "dns",
    "ntp",
    "ssh",
    "ms-rdp",
    "ldap",
    "smtp",
    "snmp",
    "panorama",
];
const ZONES: [&str; 4] = ["trust", "untrust", "dmz", "guest"];
const ACTIONS: [&str; 4] = ["allow", "allow", "deny", "drop"];

fn dg_name(i: usize) -> String {
    format!("DG-{i:03}")
}

fn address_name(scope: &str, i: usize) -> String {
    format!("h-{scope}-{i:06}")
}

/// Writes a synthetic Panorama configuration to `out`.
pub fn write_synthetic_panorama<W: Write>(out: W, params: &SynthParams) -> io::Result<SynthStats> {
    let mut w = Counting {
        inner: io::BufWriter::with_capacity(1 << 20, out),
        bytes: 0,
    };
    let mut rng = Rng(params.seed | 1);
    let mut stats = SynthStats::default();
    writeln!(w, "<?xml version=\"1.0\"?>")?;
    writeln!(w, "<config version=\"11.1.0\" urldb=\"paloaltonetworks\">")?;
    writeln!(
        w,
        "  <mgt-config>\n    <users>\n      <entry name=\"admin\">\n        <phash>*</phash>\n        <permissions><role-based><superuser>yes</superuser></role-based></permissions>\n      </entry>\n    </users>\n  </mgt-config>"
    )?;
    writeln!(w, "  <shared>")?;
    write_objects(
        &mut w,
        &mut rng,
        "shr",
        2,
        params.shared_addresses,
        params,
        &mut stats,
        true,
    )?;
    write_rules(
        &mut w,
        &mut rng,
        "shr",
        2,
        params.rules_per_group / 4,
        params.shared_addresses,
        params,
        &mut stats,
    )?;
    writeln!(w, "  </shared>")?;
    writeln!(w, "  <devices>\n    <entry name=\"localhost.localdomain\">")?;
    writeln!(w, "      <device-group>")?;
    for g in 0..params.device_groups {
        let dg = dg_name(g);
        let scope = format!("{g:03}");
        writeln!(w, "        <entry name=\"{dg}\">")?;
        writeln!(
            w,
            "          <devices>\n            <entry name=\"0079010{g:05}\"/>\n          </devices>"
        )?;
        write_objects(
            &mut w,
            &mut rng,
            &scope,
            10,
            params.addresses_per_group,
            params,
            &mut stats,
            false,
        )?;
        write_rules(
            &mut w,
            &mut rng,
            &scope,
            10,
            params.rules_per_group,
            params.addresses_per_group,
            params,
            &mut stats,
        )?;
        writeln!(w, "        </entry>")?;
    }
    writeln!(w, "      </device-group>")?;
    writeln!(
        w,
        "      <template>\n        <entry name=\"T-branch\">\n          <config>\n            <devices>\n              <entry name=\"localhost.localdomain\">\n                <vsys>\n                  <entry name=\"vsys1\">\n                    <address>\n                      <entry name=\"template-only\"><ip-netmask>192.0.2.1</ip-netmask></entry>\n                    </address>\n                  </entry>\n                </vsys>\n              </entry>\n            </devices>\n          </config>\n        </entry>\n      </template>"
    )?;
    writeln!(w, "    </entry>\n  </devices>")?;
    writeln!(
        w,
        "  <readonly>\n    <devices>\n      <entry name=\"localhost.localdomain\">\n        <device-group>"
    )?;
    for g in 0..params.device_groups {
        write!(
            w,
            "          <entry name=\"{}\">\n            <id>{}</id>\n",
            dg_name(g),
            g + 11
        )?;
        // Every fifth device group is a parent of the next four.
        if g % 5 != 0 {
            writeln!(
                w,
                "            <parent-dg>{}</parent-dg>",
                dg_name(g - g % 5)
            )?;
        }
        writeln!(w, "          </entry>")?;
    }
    writeln!(
        w,
        "        </device-group>\n      </entry>\n    </devices>\n  </readonly>"
    )?;
    writeln!(w, "</config>")?;
    w.flush()?;
    stats.bytes = w.bytes;
    Ok(stats)
}

#[allow(clippy::too_many_arguments)]
fn write_objects<W: Write>(
    w: &mut W,
    rng: &mut Rng,
    scope: &str,
    indent: usize,
    addresses: usize,
    params: &SynthParams,
    stats: &mut SynthStats,
    with_tags: bool,
) -> io::Result<()> {
    let pad = " ".repeat(indent);
    let scope_num = scope
        .bytes()
        .fold(0usize, |a, b| a.wrapping_mul(31).wrapping_add(b as usize))
        % 250;
    if with_tags {
        writeln!(w, "{pad}<tag>")?;
        for (i, tag) in TAGS.iter().enumerate() {
            writeln!(
                w,
                "{pad}  <entry name=\"{tag}\">\n{pad}    <color>color{}</color>\n{pad}    <comments>synthetic</comments>\n{pad}  </entry>",
                i + 1
            )?;
            stats.tags += 1;
        }
        writeln!(w, "{pad}</tag>")?;
    }
    writeln!(w, "{pad}<address>")?;
    for i in 0..addresses {
        let name = address_name(scope, i);
        let tag = TAGS[rng.below(TAGS.len())];
        writeln!(w, "{pad}  <entry name=\"{name}\">")?;
        match i % 10 {
            0 => writeln!(w, "{pad}    <fqdn>host{i}.{scope}.example.com</fqdn>")?,
            1 => writeln!(
                w,
                "{pad}    <ip-range>10.{scope_num}.{}.1-10.{scope_num}.{}.20</ip-range>",
                (i / 256) % 256,
                (i / 256) % 256
            )?,
            _ => writeln!(
                w,
                "{pad}    <ip-netmask>10.{scope_num}.{}.{}/32</ip-netmask>",
                (i / 256) % 256,
                i % 256
            )?,
        }
        writeln!(
            w,
            "{pad}    <description>synthetic host {i} of {scope}, owner team-{}</description>",
            rng.below(40)
        )?;
        writeln!(
            w,
            "{pad}    <tag>\n{pad}      <member>{tag}</member>\n{pad}    </tag>\n{pad}  </entry>"
        )?;
        stats.addresses += 1;
    }
    writeln!(w, "{pad}</address>")?;
    writeln!(w, "{pad}<address-group>")?;
    for i in 0..params.address_groups_per_group {
        writeln!(w, "{pad}  <entry name=\"grp-{scope}-{i:04}\">")?;
        if i % 7 == 6 {
            writeln!(
                w,
                "{pad}    <dynamic>\n{pad}      <filter>'{}' and 'env-prod'</filter>\n{pad}    </dynamic>",
                TAGS[rng.below(TAGS.len())]
            )?;
        } else {
            writeln!(w, "{pad}    <static>")?;
            for _ in 0..(3 + rng.below(10)) {
                writeln!(
                    w,
                    "{pad}      <member>{}</member>",
                    address_name(scope, rng.below(addresses.max(1)))
                )?;
            }
            writeln!(w, "{pad}    </static>")?;
        }
        writeln!(w, "{pad}  </entry>")?;
        stats.address_groups += 1;
    }
    writeln!(w, "{pad}</address-group>")?;
    writeln!(w, "{pad}<service>")?;
    for i in 0..params.services_per_group {
        let proto = if i % 3 == 2 { "udp" } else { "tcp" };
        let port = 1024 + rng.below(60000);
        writeln!(
            w,
            "{pad}  <entry name=\"svc-{scope}-{proto}-{port}-{i}\">\n{pad}    <protocol>\n{pad}      <{proto}>\n{pad}        <port>{port}</port>\n{pad}        <override>\n{pad}          <no/>\n{pad}        </override>\n{pad}      </{proto}>\n{pad}    </protocol>\n{pad}  </entry>"
        )?;
        stats.services += 1;
    }
    writeln!(w, "{pad}</service>")?;
    writeln!(
        w,
        "{pad}<service-group>\n{pad}  <entry name=\"svcgrp-{scope}\">\n{pad}    <members>\n{pad}      <member>service-http</member>\n{pad}      <member>service-https</member>\n{pad}    </members>\n{pad}  </entry>\n{pad}</service-group>"
    )?;
    stats.service_groups += 1;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn write_rules<W: Write>(
    w: &mut W,
    rng: &mut Rng,
    scope: &str,
    indent: usize,
    rules: usize,
    addresses: usize,
    params: &SynthParams,
    stats: &mut SynthStats,
) -> io::Result<()> {
    let pad = " ".repeat(indent);
    for (rulebase, count) in [
        ("pre-rulebase", rules - rules / 3),
        ("post-rulebase", rules / 3),
    ] {
        writeln!(w, "{pad}<{rulebase}>\n{pad}  <security>\n{pad}    <rules>")?;
        let p = format!("{pad}      ");
        for i in 0..count {
            let uuid = format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                rng.next() as u32,
                rng.next() as u16,
                rng.below(0xfff),
                rng.below(0xfff),
                rng.next() & 0xffff_ffff_ffff
            );
            writeln!(
                w,
                "{p}<entry name=\"rule-{scope}-{rulebase}-{i:05}\" uuid=\"{uuid}\">"
            )?;
            let list = |w: &mut W, name: &str, items: &[String]| -> io::Result<()> {
                writeln!(w, "{p}  <{name}>")?;
                for item in items {
                    writeln!(w, "{p}    <member>{item}</member>")?;
                }
                writeln!(w, "{p}  </{name}>")
            };
            list(w, "from", &[ZONES[rng.below(4)].to_string()])?;
            list(w, "to", &[ZONES[rng.below(4)].to_string()])?;
            let mut pick = |n: usize| -> Vec<String> {
                (0..n)
                    .map(|_| match rng.below(8) {
                        0 => format!(
                            "grp-{scope}-{:04}",
                            rng.below(params.address_groups_per_group.max(1))
                        ),
                        _ => address_name(scope, rng.below(addresses.max(1))),
                    })
                    .collect()
            };
            let sources = pick(1 + i % 6);
            let destinations = pick(1 + (i * 7) % 9);
            list(w, "source", &sources)?;
            list(w, "destination", &destinations)?;
            list(w, "source-user", &["any".to_string()])?;
            list(w, "category", &["any".to_string()])?;
            list(
                w,
                "application",
                &[
                    APPS[rng.below(APPS.len())].to_string(),
                    APPS[rng.below(APPS.len())].to_string(),
                ],
            )?;
            list(w, "service", &["application-default".to_string()])?;
            list(w, "source-hip", &["any".to_string()])?;
            list(w, "destination-hip", &["any".to_string()])?;
            writeln!(
                w,
                "{p}  <action>{}</action>",
                ACTIONS[rng.below(ACTIONS.len())]
            )?;
            writeln!(w, "{p}  <log-setting>default</log-setting>")?;
            writeln!(
                w,
                "{p}  <profile-setting>\n{p}    <group>\n{p}      <member>default</member>\n{p}    </group>\n{p}  </profile-setting>"
            )?;
            writeln!(
                w,
                "{p}  <description>synthetic rule {i} of {scope}: change CHG{:07} approved</description>",
                rng.below(10_000_000)
            )?;
            list(w, "tag", &[TAGS[rng.below(TAGS.len())].to_string()])?;
            if i % 13 == 12 {
                writeln!(w, "{p}  <disabled>yes</disabled>")?;
            }
            writeln!(w, "{p}</entry>")?;
            stats.security_rules += 1;
        }
        writeln!(
            w,
            "{pad}    </rules>\n{pad}  </security>\n{pad}</{rulebase}>"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let stats = write_synthetic_panorama(&mut a, &SynthParams::small()).unwrap();
        write_synthetic_panorama(&mut b, &SynthParams::small()).unwrap();
        assert_eq!(a, b);
        assert_eq!(stats.bytes as usize, a.len());
        assert_eq!(stats.addresses, 50 + 3 * 40);
    }
}
