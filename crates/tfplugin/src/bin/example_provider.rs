//! The smallest provider built on this crate: `example_memo` objects kept in memory. It
//! exists to test the protocol harness (`client`) against a provider that can be told to
//! misbehave as Terraform would catch: `EXAMPLE_PROVIDER_FAULT=identity-drift` makes every
//! refresh give the object another ID (so another identity), `inconsistent-apply` makes a
//! create store other text than planned.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use tfplugin::{
    Attribute, DataSource, Diagnostics, Failed, Obj, Provider, Resource, Schema, serve,
};

#[derive(Default)]
struct Memos(Mutex<BTreeMap<String, String>>);

impl Memos {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn fault() -> String {
    std::env::var("EXAMPLE_PROVIDER_FAULT").unwrap_or_default()
}

struct Memo;

#[async_trait]
impl Resource<Memos> for Memo {
    fn type_name(&self) -> &'static str {
        "example_memo"
    }

    fn schema(&self) -> Schema {
        Schema::new("A memo.")
            .attr(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .describe("The memo's ID."),
            )
            .attr(
                Attribute::string("text")
                    .required()
                    .describe("What it says."),
            )
    }

    async fn create(&self, memos: &Memos, plan: &Obj) -> Result<Obj, Failed> {
        let mut m = memos.lock();
        let id = format!("M{}", m.len());
        let mut text = plan.str("text").unwrap_or_default().to_owned();
        if fault() == "inconsistent-apply" {
            text.push_str(" (edited)");
        }
        m.insert(id.clone(), text.clone());
        Ok(plan.clone().with("id", id).with("text", text))
    }

    async fn read(&self, memos: &Memos, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let id = state.str("id").unwrap_or_default();
        let text = memos.lock().get(id).cloned();
        Ok(text.map(|t| {
            let id = match fault().as_str() {
                "identity-drift" => format!("{id}-again"),
                _ => id.to_owned(),
            };
            Obj::default().with("id", id).with("text", t)
        }))
    }

    async fn update(&self, memos: &Memos, _: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let id = plan.str("id").unwrap_or_default().to_owned();
        let text = plan.str("text").unwrap_or_default().to_owned();
        memos.lock().insert(id, text);
        Ok(plan.clone())
    }

    async fn delete(&self, memos: &Memos, state: &Obj) -> Result<(), Diagnostics> {
        memos.lock().remove(state.str("id").unwrap_or_default());
        Ok(())
    }
}

struct Example;

#[async_trait]
impl Provider for Example {
    type Client = Memos;
    const DISPLAY_NAME: &'static str = "Example";

    fn schema(&self) -> Schema {
        Schema::new("An example provider.")
    }

    async fn configure(&self, _: &Obj, _: &str) -> Result<Memos, Diagnostics> {
        Ok(Memos::default())
    }

    fn resources(&self) -> Vec<Box<dyn Resource<Memos>>> {
        vec![Box::new(Memo)]
    }

    fn data_sources(&self) -> Vec<Box<dyn DataSource<Memos>>> {
        Vec::new()
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match serve(Example).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
