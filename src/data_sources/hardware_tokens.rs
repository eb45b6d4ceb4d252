//! `duo_hardware_tokens` data source: every hardware token, or those of one type — including
//! Duo-D100 (`d1`) tokens, which only Duo can create.

use async_trait::async_trait;

use super::{object_list, row};
use crate::duo;
use crate::plugin::{Attribute, DataSource, Diagnostics, Obj, Schema, Value};
use crate::resources::hardware_token::{HardwareToken, to_state};
use crate::resources::{Action, Op, diagnose};

pub struct HardwareTokens;

/// Duo never returns these.
const SECRETS: &[&str] = &["secret", "counter", "private_id", "aes_key"];

#[async_trait]
impl DataSource<duo::Client> for HardwareTokens {
    fn type_name(&self) -> &'static str {
        "duo_hardware_tokens"
    }

    fn schema(&self) -> Schema {
        Schema::new("Lists Duo hardware tokens, all of them or those of one type. Requires the Admin API permission \"Grant read resource\".")
            .attr(Attribute::string("type").optional().describe("Only tokens of this type: `h6`, `h8`, `t6`, `t8`, `yk` or `d1`."))
            .attr(object_list("tokens", "The tokens, with the attributes of `duo_hardware_token` (no secrets: Duo never returns them).", &HardwareToken::schema(), SECRETS))
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let tokens = duo
            .list_tokens()
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, "hardware tokens"), &e))?;
        let kind = config.str("type");
        let rows = tokens
            .iter()
            .filter(|t| kind.is_none_or(|k| t.kind.as_deref() == Some(k)))
            .map(|t| row(to_state(t), SECRETS));
        Ok(config.clone().with("tokens", Value::List(rows.collect())))
    }
}
