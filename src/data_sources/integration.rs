//! `duo_integration` data source: one application, by `integration_key` or exact `name`. Its
//! secret key is not exposed: manage the application with `duo_integration` to hold it.

use super::lookup::{Key, Lookup, by_id};
use crate::duo;
use crate::plugin::State;
use crate::resources::integration::{Integration, IntegrationState, KIND, to_state};

/// Never shown by data sources.
pub const SECRET: &[&str] = &[
    IntegrationState::secret_key,
    IntegrationState::secret_key_rotation,
    IntegrationState::verify_secret_key,
];

pub fn data_source() -> Lookup<duo::Integration> {
    Lookup {
        type_name: KIND.type_name,
        description: "Looks up one Duo application by `integration_key` or exact `name`. Its secret key \
                      is not exposed.",
        kind: &KIND,
        resource: Integration::schema,
        omit: SECRET,
        keys: &[
            Key {
                attr: IntegrationState::integration_key,
                added: None,
                what: |key| format!("integration with key {key:?}"),
                find: |duo, key| Box::pin(by_id(duo.get_integration(key))),
            },
            Key {
                attr: IntegrationState::name,
                added: None,
                what: |name| format!("integration named {name:?}"),
                find: |duo, name| {
                    Box::pin(async move {
                        let all = duo.list_integrations().await?;
                        Ok(all.into_iter().filter(|i| i.name == name).collect())
                    })
                },
            },
        ],
        id_of: |i| &i.integration_key,
        to_state: |i| to_state(i).to_obj(),
    }
}
