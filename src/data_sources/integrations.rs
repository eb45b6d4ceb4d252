//! `duo_integrations` data source: every application, without secret keys.

use async_trait::async_trait;

use super::integration::SECRET;
use super::{object_list, row};
use crate::duo;
use crate::plugin::{DataSource, Diagnostics, Obj, Schema, Value};
use crate::resources::integration::{Integration, to_state};
use crate::resources::{Action, Op, diagnose};

pub struct Integrations;

#[async_trait]
impl DataSource<duo::Client> for Integrations {
    fn type_name(&self) -> &'static str {
        "duo_integrations"
    }

    fn schema(&self) -> Schema {
        Schema::new("Lists every Duo application, without secret keys. Requires the Admin API permission \"Grant applications\".")
            .attr(object_list("integrations", "Every application, with the attributes of `duo_integration` but the secret key.", &Integration::schema(), SECRET))
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let all = duo
            .list_integrations()
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, "integrations"), &e))?;
        Ok(config.clone().with(
            "integrations",
            Value::List(all.iter().map(|i| row(to_state(i), SECRET)).collect()),
        ))
    }
}
