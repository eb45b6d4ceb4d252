//! `duo_admin` data source: one administrator, by `admin_id` or `email`.

use async_trait::async_trait;

use super::{exactly_one_of, single};
use crate::duo;
use crate::plugin::{Attribute, DataSource, Diagnostics, Obj, Schema};
use crate::resources::admin::{Admin, to_state};
use crate::resources::{Action, Op, diagnose};

pub struct AdminLookup;

/// Settings of the resource that Duo does not return.
pub const NOT_READ: &[&str] = &["send_activation_email"];
const KEYS: &[&str] = &["admin_id", "email"];

#[async_trait]
impl DataSource<duo::Client> for AdminLookup {
    fn type_name(&self) -> &'static str {
        "duo_admin"
    }

    fn schema(&self) -> Schema {
        Admin::schema()
            .without(NOT_READ)
            .as_data_source(
                "Looks up one Duo administrator by `admin_id` or `email` (ignoring case).",
                &["email"],
            )
            .attr(
                Attribute::string("admin_id")
                    .optional_computed()
                    .describe("The administrator's Duo ID."),
            )
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        exactly_one_of(config, KEYS)
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let fail =
            |e: duo::Error| diagnose(Op::new(Action::Read, &crate::resources::admin::KIND), &e);
        let (matches, what, attr) = match config.str("admin_id") {
            Some(id) => (
                duo::gone_is_none(duo.get_admin(id).await)
                    .map_err(fail)?
                    .into_iter()
                    .collect(),
                format!("administrator with ID {id:?}"),
                "admin_id",
            ),
            None => {
                let email = config.str("email").unwrap_or_default();
                let all = duo.list_admins().await.map_err(fail)?;
                (
                    all.into_iter()
                        .filter(|a| a.email.eq_ignore_ascii_case(email))
                        .collect(),
                    format!("administrator with email {email:?}"),
                    "email",
                )
            }
        };
        let admin = single(matches, |a: &duo::Admin| &a.admin_id, &what, attr)?;
        let mut state = to_state(&admin);
        state.0.remove("send_activation_email");
        Ok(state.with("admin_id", admin.admin_id.as_str()))
    }
}
