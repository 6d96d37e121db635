//! Times parsing an element with many attributes, and a `set` of it end to end: issue 14 item 3.
//!
//! `cargo run --release -p panops-sim --example attr_timing -- 10000 40000 100000`
use std::time::Instant;

fn body(n: usize) -> String {
    let mut s = String::from("<entry name='big'");
    for i in 0..n {
        s.push_str(&format!(" a{i}='v'"));
    }
    s.push_str("><ip-netmask>10.0.0.1</ip-netmask></entry>");
    s
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sim = panops_sim::Simulator::start(panops_sim::SimConfig::firewall().plain())
        .await
        .expect("simulator");
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/api/", sim.url()))
        .form(&[("type", "keygen"), ("user", "admin"), ("password", "admin")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let key = r
        .split("<key>")
        .nth(1)
        .unwrap()
        .split("</key>")
        .next()
        .unwrap()
        .to_string();
    for n in sizes {
        let el = body(n);
        let t = Instant::now();
        let p = panops_sim::xml::parse_fragment(&el).map(|v| v.len());
        let parse = t.elapsed();
        // the same element without the cap: the hash-set duplicate check is linear
        let t = Instant::now();
        let uncapped = panops_sim::xml::parse_limited(
            &el,
            panops_sim::xml::Limits {
                depth: panops_sim::xml::MAX_DEPTH,
                attrs: usize::MAX,
            },
        )
        .map(|e| e.attrs.len());
        let uncapped_t = t.elapsed();
        // what the parser did before: quick-xml's pairwise duplicate check
        let t = Instant::now();
        let mut r = quick_xml::Reader::from_str(&el);
        let mut checked = 0usize;
        if let Ok(quick_xml::events::Event::Start(s)) = r.read_event() {
            checked = s.attributes().filter(|a| a.is_ok()).count();
        }
        let checked_t = t.elapsed();
        println!(
            "{n} attrs: uncapped linear parse {uncapped_t:?} ({uncapped:?} attrs); quick-xml checked iteration (old) {checked_t:?} ({checked} attrs)"
        );
        let t = Instant::now();
        let r = http
            .post(format!("{}/api/", sim.url()))
            .header("X-PAN-KEY", &key)
            .form(&[
                ("type", "config"),
                ("action", "set"),
                ("xpath", "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/address"),
                ("element", &el),
            ])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        println!(
            "{n} attrs: parse {parse:?} ({}), set {:?}: {}",
            if p.is_ok() { "ok" } else { "err" },
            t.elapsed(),
            r.chars().take(160).collect::<String>()
        );
    }
}
