//! The protocol harness refuses what Terraform refuses: driven against the example provider
//! behaving, then told to misbehave in ways Terraform catches.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

use std::collections::BTreeMap;

use tfplugin::Value;
use tfplugin::client::{Object, Plugin};

/// The example provider, started with `fault`, configured, and one memo created.
async fn with_memo(
    fault: &str,
) -> (
    Plugin,
    Result<Option<Object>, tfplugin::client::ClientError>,
) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tfplugin-example-provider"));
    command.env("EXAMPLE_PROVIDER_FAULT", fault);
    let plugin = Plugin::start(command).await.unwrap();
    let config = Value::null_object(plugin.provider_type());
    plugin.configure("1.15.0", &config).await.unwrap();
    let memo = Value::Object(BTreeMap::from([
        ("id".to_owned(), Value::Null),
        ("text".to_owned(), Value::from("hello")),
    ]));
    let planned = plugin.plan("example_memo", None, &memo).await.unwrap();
    let created = plugin.apply("example_memo", None, &planned, &memo).await;
    (plugin, created)
}

#[tokio::test]
async fn a_provider_that_behaves_passes_every_check() {
    let (plugin, created) = with_memo("").await;
    let memo = created.unwrap().unwrap();
    let identity = memo.identity.clone().unwrap();
    let read = plugin.read(&memo).await.unwrap().unwrap();
    assert_eq!(read.identity, Some(identity.clone()));
    let imported = plugin
        .import_block("example_memo", None, Some(&identity))
        .await
        .unwrap();
    assert_eq!(imported.state, memo.state);
    plugin.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_identity_that_changes_across_a_refresh_is_refused() {
    let (plugin, created) = with_memo("identity-drift").await;
    let memo = created.unwrap().unwrap();
    let err = plugin.read(&memo).await.unwrap_err().to_string();
    assert!(err.starts_with("Unexpected Identity Change"), "{err}");
}

#[tokio::test]
async fn an_apply_that_stores_other_than_planned_is_refused() {
    let (_plugin, created) = with_memo("inconsistent-apply").await;
    let err = created.unwrap_err().to_string();
    assert!(
        err.starts_with("Provider produced inconsistent result after apply")
            && err.contains(".text"),
        "{err}"
    );
}
