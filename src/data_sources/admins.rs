//! `duo_admins` data source: every administrator.

use super::admin::NOT_READ;
use super::listing::Listing;
use crate::duo;
use crate::plugin::State;
use crate::resources::admin::{Admin, to_state};

pub fn data_source() -> Listing<duo::Admin> {
    Listing {
        type_name: "duo_admins",
        description: "Lists every Duo administrator.",
        attr: "admins",
        attr_description: "Every administrator, with the attributes of `duo_admin`.",
        kind: &crate::resources::admin::KIND,
        resource: Admin::schema,
        omit: NOT_READ,
        filter: None,
        list: |duo| Box::pin(duo.list_admins()),
        to_state: |a| to_state(a).to_obj(),
    }
}
