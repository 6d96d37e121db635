//! Every operation of the catalog is served: the driver of `common/drive.rs` sends each
//! operation of both families once, in a sensible order and with the objects it addresses in
//! place, and every one must answer 2xx — no 404 or 409 tolerated.

mod common;

use std::time::Duration;

use common::drive::drive;
use common::*;
use panops_scm::{Catalog, Family};

#[tokio::test]
async fn every_catalog_operation_is_served() {
    let catalog = Catalog::builtin();
    for family in Family::ALL {
        let sim = start(false).await;
        sim.handle().set_push_duration(Duration::from_millis(0));
        let api = Api::new(&sim).await;
        let driven = drive(&sim, &api, catalog, family).await;
        sim.shutdown().await;
        let total = catalog.operations_in(family).count();
        assert!(
            driven.unsynthesisable.is_empty(),
            "{family}: requests that could not be built: {:#?}",
            driven.unsynthesisable
        );
        let failures: Vec<String> = driven
            .exchanges
            .iter()
            .filter(|x| !(200..300).contains(&x.status))
            .map(|x| {
                format!(
                    "{} {} {} -> {} {}",
                    x.op.qualified_name(),
                    x.request.method,
                    x.request.path_and_query(),
                    x.status,
                    x.body
                )
            })
            .collect();
        let served = driven.exchanges.len() - failures.len();
        eprintln!("{family}: {served}/{total} operations served");
        assert!(
            failures.is_empty(),
            "{family}: {} operations not served:\n{}",
            failures.len(),
            failures.join("\n")
        );
        // Each operation exactly once, none skipped.
        let mut names: Vec<String> = driven
            .exchanges
            .iter()
            .map(|x| x.op.qualified_name())
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), total, "{family}: distinct operations sent");
        assert_eq!(served, total, "{family}: every operation answers 2xx");
    }
}
