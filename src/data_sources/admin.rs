//! `duo_admin` data source: one administrator, by `admin_id` or `email`.

use super::lookup::{Added, Key, Lookup, by_id};
use crate::duo;
use crate::plugin::State;
use crate::resources::admin::{Admin, AdminState, KIND, to_state};

/// Settings of the resource that Duo does not return.
pub const NOT_READ: &[&str] = &[AdminState::send_activation_email];

pub fn data_source() -> Lookup<duo::Admin> {
    Lookup {
        type_name: KIND.type_name,
        description: "Looks up one Duo administrator by `admin_id` or `email` (ignoring case).",
        kind: &KIND,
        resource: Admin::schema,
        omit: NOT_READ,
        keys: &[
            Key {
                attr: "admin_id",
                added: Some(Added::Text("The administrator's Duo ID.")),
                what: |id| format!("administrator with ID {id:?}"),
                find: |duo, id| Box::pin(by_id(duo.get_admin(id))),
            },
            Key {
                attr: AdminState::email,
                added: None,
                what: |email| format!("administrator with email {email:?}"),
                find: |duo, email| {
                    Box::pin(async move {
                        let all = duo.list_admins().await?;
                        Ok(all
                            .into_iter()
                            .filter(|a| a.email.eq_ignore_ascii_case(email))
                            .collect())
                    })
                },
            },
        ],
        id_of: |a| &a.admin_id,
        to_state: |a| to_state(a).to_obj(),
    }
}
