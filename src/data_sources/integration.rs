//! `duo_integration` data source: one application, by `integration_key` or exact `name`. Its
//! secret key is not exposed: manage the application with `duo_integration` to hold it.

use async_trait::async_trait;

use super::{exactly_one_of, single};
use crate::duo;
use crate::plugin::{DataSource, Diagnostics, Obj, Schema};
use crate::resources::integration::{Integration, to_state};
use crate::resources::{Action, Op, diagnose};

pub struct IntegrationLookup;

/// Never shown by data sources.
pub const SECRET: &[&str] = &["secret_key", "secret_key_rotation"];
const KEYS: &[&str] = &["integration_key", "name"];

#[async_trait]
impl DataSource<duo::Client> for IntegrationLookup {
    fn type_name(&self) -> &'static str {
        "duo_integration"
    }

    fn schema(&self) -> Schema {
        Integration::schema().without(SECRET).as_data_source(
            "Looks up one Duo application by `integration_key` or exact `name`. Its secret key is not \
             exposed.",
            KEYS,
        )
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        exactly_one_of(config, KEYS)
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let fail = |e: duo::Error| {
            diagnose(
                Op::new(Action::Read, &crate::resources::integration::KIND),
                &e,
            )
        };
        let (matches, what, attr) = match config.str("integration_key") {
            Some(k) => (
                duo::gone_is_none(duo.get_integration(k).await)
                    .map_err(fail)?
                    .into_iter()
                    .collect(),
                format!("integration with key {k:?}"),
                "integration_key",
            ),
            None => {
                let name = config.str("name").unwrap_or_default();
                let all = duo.list_integrations().await.map_err(fail)?;
                (
                    all.into_iter().filter(|i| i.name == name).collect(),
                    format!("integration named {name:?}"),
                    "name",
                )
            }
        };
        let found = single(
            matches,
            |i: &duo::Integration| &i.integration_key,
            &what,
            attr,
        )?;
        let mut state = to_state(&found);
        for s in SECRET {
            state.0.remove(*s);
        }
        Ok(state)
    }
}
