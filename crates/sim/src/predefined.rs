//! The predefined (content-database) part of the configuration: `/config/predefined`.
//!
//! A real device ships thousands of applications from its App-ID content release; the
//! simulator carries a representative set of common ones with the attributes clients read
//! (category, subcategory, technology, risk, default ports) plus the predefined services.
//! The values follow what Applipedia shows for these applications in recent content
//! releases, written from memory: they may differ in detail from a given release.

use std::sync::LazyLock;

use crate::xml::Element;

/// How an application is identified by default, besides ports.
enum Ident {
    /// `default/port/member` values such as `tcp/80` or `tcp/139,445`.
    Ports(&'static [&'static str]),
    /// `default/ident-by-ip-protocol`.
    IpProtocol(&'static str),
    /// `default/ident-by-icmp-type/type`.
    IcmpType(&'static str),
}

/// (name, category, subcategory, technology, risk, default identification, description)
type App = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u8,
    Ident,
    &'static str,
);

use Ident::{IcmpType, IpProtocol, Ports};

#[rustfmt::skip]
const APPS: &[App] = &[
    ("web-browsing", "general-internet", "internet-utility", "browser-based", 4, Ports(&["tcp/80"]), "Web browsing over HTTP"),
    ("ssl", "networking", "encrypted-tunnel", "browser-based", 4, Ports(&["tcp/443"]), "TLS / SSL encrypted sessions"),
    ("dns", "networking", "infrastructure", "network-protocol", 3, Ports(&["tcp/53", "udp/53"]), "Domain Name System"),
    ("dns-base", "networking", "infrastructure", "network-protocol", 3, Ports(&["tcp/53", "udp/53"]), "Domain Name System queries and answers"),
    ("ping", "networking", "ip-protocol", "network-protocol", 2, IcmpType("8"), "ICMP echo request and reply"),
    ("icmp", "networking", "ip-protocol", "network-protocol", 2, IpProtocol("1"), "Internet Control Message Protocol"),
    ("traceroute", "networking", "ip-protocol", "network-protocol", 3, Ports(&["udp/33434-33534"]), "Path discovery with increasing TTLs"),
    ("ssh", "networking", "encrypted-tunnel", "client-server", 4, Ports(&["tcp/22"]), "Secure Shell remote login"),
    ("telnet", "networking", "remote-access", "client-server", 5, Ports(&["tcp/23"]), "Clear-text remote terminal"),
    ("ms-rdp", "networking", "remote-access", "client-server", 4, Ports(&["tcp/3389", "udp/3389"]), "Microsoft Remote Desktop Protocol"),
    ("ntp", "networking", "infrastructure", "network-protocol", 2, Ports(&["udp/123"]), "Network Time Protocol"),
    ("ntp-base", "networking", "infrastructure", "network-protocol", 2, Ports(&["udp/123"]), "Network Time Protocol time synchronisation"),
    ("snmp", "networking", "infrastructure", "network-protocol", 3, Ports(&["udp/161,162"]), "Simple Network Management Protocol"),
    ("syslog", "networking", "infrastructure", "network-protocol", 2, Ports(&["udp/514", "tcp/514"]), "System logging"),
    ("dhcp", "networking", "infrastructure", "network-protocol", 2, Ports(&["udp/67,68"]), "Dynamic Host Configuration Protocol"),
    ("netbios-ns", "networking", "infrastructure", "network-protocol", 3, Ports(&["udp/137"]), "NetBIOS name service"),
    ("msrpc", "networking", "infrastructure", "client-server", 4, Ports(&["tcp/135"]), "Microsoft RPC endpoint mapper"),
    ("ike", "networking", "encrypted-tunnel", "network-protocol", 2, Ports(&["udp/500,4500"]), "Internet Key Exchange for IPsec"),
    ("ipsec-esp", "networking", "encrypted-tunnel", "network-protocol", 2, IpProtocol("50"), "IPsec Encapsulating Security Payload"),
    ("http-proxy", "networking", "proxy", "browser-based", 4, Ports(&["tcp/80,3128,8080"]), "Web traffic sent through an HTTP proxy"),
    ("smtp", "collaboration", "email", "client-server", 5, Ports(&["tcp/25,587"]), "Simple Mail Transfer Protocol"),
    ("smtp-base", "collaboration", "email", "client-server", 5, Ports(&["tcp/25,587"]), "Simple Mail Transfer Protocol sessions"),
    ("imap", "collaboration", "email", "client-server", 4, Ports(&["tcp/143,993"]), "Internet Message Access Protocol"),
    ("pop3", "collaboration", "email", "client-server", 4, Ports(&["tcp/110,995"]), "Post Office Protocol"),
    ("sip", "collaboration", "voip-video", "peer-to-peer", 2, Ports(&["tcp/5060,5061", "udp/5060"]), "Session Initiation Protocol"),
    ("slack-base", "collaboration", "instant-messaging", "browser-based", 2, Ports(&["tcp/80,443"]), "Slack team messaging"),
    ("zoom-base", "collaboration", "voip-video", "client-server", 2, Ports(&["tcp/80,443,8801,8802", "udp/3478,3479,8801-8810"]), "Zoom video meetings"),
    ("facebook-base", "collaboration", "social-networking", "browser-based", 4, Ports(&["tcp/80,443"]), "Facebook social network"),
    ("ftp", "general-internet", "file-sharing", "client-server", 5, Ports(&["tcp/21"]), "File Transfer Protocol"),
    ("tftp", "general-internet", "file-sharing", "client-server", 4, Ports(&["udp/69"]), "Trivial File Transfer Protocol"),
    ("bittorrent", "general-internet", "file-sharing", "peer-to-peer", 5, Ports(&["tcp/6881-6889", "udp/6881-6889"]), "BitTorrent peer-to-peer file sharing"),
    ("google-base", "general-internet", "internet-utility", "browser-based", 4, Ports(&["tcp/80,443"]), "Google web services"),
    ("youtube-base", "media", "photo-video", "browser-based", 3, Ports(&["tcp/80,443"]), "YouTube video streaming"),
    ("ldap", "business-systems", "auth-service", "client-server", 4, Ports(&["tcp/389,636", "udp/389"]), "Lightweight Directory Access Protocol"),
    ("kerberos", "business-systems", "auth-service", "client-server", 2, Ports(&["tcp/88", "udp/88"]), "Kerberos authentication"),
    ("radius", "business-systems", "auth-service", "client-server", 3, Ports(&["udp/1812,1813"]), "RADIUS authentication and accounting"),
    ("ms-ds-smb", "business-systems", "storage-backup", "client-server", 4, Ports(&["tcp/139,445"]), "Microsoft SMB file sharing"),
    ("mysql", "business-systems", "database", "client-server", 3, Ports(&["tcp/3306"]), "MySQL database"),
    ("mssql-db", "business-systems", "database", "client-server", 3, Ports(&["tcp/1433"]), "Microsoft SQL Server database"),
    ("oracle", "business-systems", "database", "client-server", 3, Ports(&["tcp/1521"]), "Oracle database"),
    ("postgres", "business-systems", "database", "client-server", 3, Ports(&["tcp/5432"]), "PostgreSQL database"),
    ("ms-update", "business-systems", "software-update", "client-server", 2, Ports(&["tcp/80,443"]), "Microsoft Windows Update"),
    ("ms-office365", "business-systems", "office-programs", "browser-based", 2, Ports(&["tcp/80,443"]), "Microsoft 365 office applications"),
    ("git", "business-systems", "general-business", "client-server", 3, Ports(&["tcp/9418"]), "Git version control protocol"),
];

/// Predefined services (`service-http`, `service-https`).
const SERVICES: &[(&str, &str, &str)] = &[
    ("service-http", "tcp", "80,8080"),
    ("service-https", "tcp", "443"),
];

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn app_entry(id: usize, app: &App) -> Element {
    let (name, category, subcategory, technology, risk, ident, description) = app;
    let mut default = Element::new("default");
    match ident {
        Ports(ports) => {
            let mut port = Element::new("port");
            for p in *ports {
                port.children.push(Element::text_node("member", *p));
            }
            default.children.push(port);
        }
        IpProtocol(p) => default
            .children
            .push(Element::text_node("ident-by-ip-protocol", *p)),
        IcmpType(t) => default
            .children
            .push(Element::new("ident-by-icmp-type").with_text_child("type", *t)),
    }
    let risky = *risk >= 4;
    let file_sharing = *subcategory == "file-sharing" || *subcategory == "email";
    Element::entry(*name)
        .with_attr("id", (100 + id * 7).to_string())
        .with_text_child("category", *category)
        .with_text_child("subcategory", *subcategory)
        .with_text_child("technology", *technology)
        .with_text_child("description", *description)
        .with_child(default)
        .with_text_child("risk", risk.to_string())
        .with_text_child(
            "evasive-behavior",
            yes_no(*subcategory == "encrypted-tunnel" && risky),
        )
        .with_text_child(
            "consume-big-bandwidth",
            yes_no(*category == "media" || *technology == "peer-to-peer"),
        )
        .with_text_child("used-by-malware", yes_no(risky))
        .with_text_child(
            "able-to-transfer-file",
            yes_no(file_sharing || *subcategory == "remote-access"),
        )
        .with_text_child("has-known-vulnerability", yes_no(risky))
        .with_text_child(
            "tunnel-other-application",
            yes_no(*subcategory == "encrypted-tunnel" || *subcategory == "proxy"),
        )
        .with_text_child("prone-to-misuse", yes_no(*risk >= 5))
        .with_text_child(
            "pervasive-use",
            yes_no(*risk <= 3 || *technology == "browser-based"),
        )
}

/// `<config><predefined>…</predefined></config>`, built once.
pub static PREDEFINED: LazyLock<Element> = LazyLock::new(|| {
    let mut apps = Element::new("application");
    for (i, a) in APPS.iter().enumerate() {
        apps.children.push(app_entry(i, a));
    }
    let mut services = Element::new("service");
    for (name, proto, port) in SERVICES {
        services.children.push(
            Element::entry(*name).with_child(
                Element::new("protocol")
                    .with_child(Element::new(*proto).with_text_child("port", *port)),
            ),
        );
    }
    Element::new("config").with_child(
        Element::new("predefined")
            .with_child(apps)
            .with_child(services),
    )
});

/// Whether an xpath addresses the predefined (read-only) part of the configuration.
pub fn is_predefined(xp: &crate::xpath::XPath) -> bool {
    xp.steps
        .get(1)
        .is_some_and(|s| s.name.as_deref() == Some("predefined"))
}

/// Names of the predefined applications.
#[cfg(test)]
pub fn application_names() -> impl Iterator<Item = &'static str> {
    APPS.iter().map(|a| a.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_application_has_the_attributes_clients_read() {
        let apps = PREDEFINED
            .find("predefined/application")
            .expect("applications");
        assert!(apps.children.len() >= 30);
        for a in &apps.children {
            for f in ["category", "subcategory", "technology", "risk"] {
                assert!(!a.find_text(f).unwrap_or("").is_empty(), "{a:?} lacks {f}");
            }
            assert!(a.child("default").is_some_and(|d| !d.children.is_empty()));
        }
        let web = apps.entry_child("web-browsing").expect("web-browsing");
        assert_eq!(
            web.find("default/port").map(Element::members),
            Some(vec!["tcp/80".to_string()])
        );
        let names: Vec<&str> = application_names().collect();
        let mut dedup = names.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(names.len(), dedup.len(), "names are unique");
    }
}
