//! Op commands over HTTP: the grammar refuses words the device does not know, naming where it
//! stopped, and the commands public tools send are answered from the simulator's state.

mod common;

use common::{Client, start};
use panops_sim::SimConfig;

async fn firewall() -> (panops_sim::RunningSim, Client) {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    (sim, c)
}

/// The text of the error reply's single `<msg><line>`, as a client parser reads it.
fn error_line(body: &str) -> String {
    let doc = panops_sim::xml::parse(body).expect("reply is XML");
    assert_eq!(doc.attr("status"), Some("error"), "{body}");
    assert_eq!(doc.attr("code"), Some("17"), "{body}");
    doc.find_text("msg/line").expect("a msg line").to_string()
}

fn op<'a>(cmd: &'a str) -> [(&'a str, &'a str); 2] {
    [("type", "op"), ("cmd", cmd)]
}

#[tokio::test]
async fn unknown_and_extra_words_get_the_devices_error() {
    let (sim, c) = firewall().await;
    let typo = c.fails(&op("<show><sytem><info/></sytem></show>")).await;
    assert_eq!(error_line(&typo), " show -> sytem  is unexpected");
    let extra = c
        .fails(&op("<show><system><info><bogus/></info></system></show>"))
        .await;
    assert_eq!(
        error_line(&extra),
        " show -> system -> info -> bogus  is unexpected"
    );
    let text = c.fails(&op("<show><clock>more</clock></show>")).await;
    assert_eq!(error_line(&text), " show -> clock has unexpected text.");
    // a routing subcommand the device does not have is refused, not answered with routes
    let bad = c
        .fails(&op("<show><routing><rute/></routing></show>"))
        .await;
    assert_eq!(error_line(&bad), " show -> routing -> rute  is unexpected");
    // the same commands spelt right are answered
    c.op("<show><system><info/></system></show>").await;
    c.op("<show><clock/></show>").await;
    sim.shutdown().await;
}
