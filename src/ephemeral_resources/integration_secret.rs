//! `ephemeral "duo_integration_secret"`: an application's secret key and the account's API
//! hostname, read from Duo (`/skey`) when Terraform opens it, so that a configuration can hand
//! an application's credentials to another provider block or a write-only argument without
//! the key ever reaching a plan or a state.

use async_trait::async_trait;

use crate::duo;
use crate::plugin::{Diagnostics, EphemeralResource, Obj, Schema, State};
use crate::resources::integration::{self, KIND};

crate::plugin::state! {
    /// What `duo_integration_secret` is opened with and returns.
    pub struct IntegrationSecretState {
        integration_key: Option<String> {
            .required()
            .references(KIND.type_name)
            .describe("The integration key (`DI…`) of the application whose secret key to read.")
        },
        secret_key: Option<String> {
            .computed()
            .sensitive()
            .describe("The application's secret key, as Duo holds it when Terraform opens this. Never in plan or state.")
        },
        api_hostname: Option<String> {
            .computed()
            .describe(
                "The account's API hostname as the provider's `api_host` argument takes it \
                 (`api-xxxxxxxx.duosecurity.com`), so the three values configure a provider block \
                 or a client of the application.",
            )
        },
    }
}

/// Its type name; the registry ([`crate::kinds`]) lists it among what reads applications.
pub const TYPE_NAME: &str = "duo_integration_secret";

pub struct IntegrationSecret;

#[async_trait]
impl EphemeralResource<duo::Client> for IntegrationSecret {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The secret key of one Duo application, read when Terraform opens it and never stored \
             in a plan or state (Terraform 1.10 and later). Use it to configure a second `duo` \
             provider block with an application the same configuration creates, or to pass the key \
             to another provider's write-only argument.",
        )
        .attrs(IntegrationSecretState::attributes())
    }

    async fn open(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let config = IntegrationSecretState::from_obj(config)?;
        let ikey = config.integration_key.as_deref().unwrap_or_default();
        let secret_key = integration::secret_key(duo, ikey).await?;
        let endpoint = duo.endpoint();
        let api_hostname = match endpoint.base_url.strip_prefix("https://") {
            Some(_) => endpoint.sign_host.clone(),
            None => endpoint.base_url.clone(),
        };
        Ok(IntegrationSecretState {
            secret_key: Some(secret_key),
            api_hostname: Some(api_hostname),
            ..config
        }
        .to_obj())
    }
}
