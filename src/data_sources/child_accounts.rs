//! `duo_child_accounts` data source: every child account of the MSP parent (one Accounts API
//! listing), to loop over with `for_each` and `account_id`.

use super::listing::{Filter, Listing};
use crate::duo;
use crate::plugin::State;
use crate::resources::child_account::{ChildAccount, ChildAccountState, KIND, to_state};

pub fn data_source() -> Listing<duo::ChildAccount> {
    Listing {
        type_name: "duo_child_accounts",
        description: "Lists the child accounts of the MSP parent whose Accounts API key pair the provider uses.",
        attr: "accounts",
        attr_description: "Every child account: its `account_id`, `name` and `api_hostname`.",
        kind: &KIND,
        resource: ChildAccount::schema,
        // Billing is read per child, through each child; a listing shows what the parent knows.
        omit: &[
            ChildAccountState::edition,
            ChildAccountState::telephony_credits,
        ],
        filter: Some(Filter {
            arg: ChildAccountState::name,
            description: "Only the child accounts with this name (ignoring case).",
            keep: |a, name| a.name.eq_ignore_ascii_case(name),
        }),
        list: |duo| Box::pin(duo.child_accounts()),
        to_state: |a| to_state(a, None).to_obj(),
    }
}
