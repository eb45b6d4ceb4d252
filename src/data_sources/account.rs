//! `duo_account` data source: the account's edition and counts (`/info/summary`,
//! `/billing/edition`).

use async_trait::async_trait;

use crate::duo;
use crate::kinds::{Grant, ImportId, Kind};
use serde_json::Value as Json;

use crate::plugin::{DataSource, Diagnostics, Obj, Schema, State};
use crate::resources::{Action, Op, diagnose};

/// What `duo_account` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_account",
    noun: "account information",
    plural: "account information",
    read: Grant::ReadInformation,
    write: None,
    read_by: &[],
    natural_key: &[],
    unique_in_duo: false,
    import: ImportId::Id,
    export: None,
};

pub struct Account;

crate::plugin::state! {
    /// `duo_account`'s values: the same names Duo's `/info/summary` and `/billing/edition` use.
    struct AccountState {
        edition: Option<String> {
            .computed().describe("The account's edition, e.g. `ENTERPRISE`.")
        },
        user_count: Option<i64> { .computed().describe("Users in the account.") },
        admin_count: Option<i64> { .computed().describe("Administrators.") },
        integration_count: Option<i64> { .computed().describe("Applications.") },
        user_pending_deletion_count: Option<i64> { .computed().describe("Users in the trash.") },
        telephony_credits_remaining: Option<i64> { .computed().describe("Telephony credits left.") },
    }
}

#[async_trait]
impl DataSource<duo::Client> for Account {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        Schema::new("The Duo account's edition and counts, e.g. to check a license limit in CI.")
            .attrs(AccountState::attributes())
    }

    async fn read(&self, duo: &duo::Client, _: &Obj) -> Result<Obj, Diagnostics> {
        let info = duo
            .account_info()
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        Ok(to_state(&Json::Object(info)).to_obj())
    }
}

/// Duo's answers, each field under the name the attribute has; anything not a number (or, for
/// the edition, not a string) reads as unknown to Duo: null.
fn to_state(info: &Json) -> AccountState {
    let count = |name: &str| info[name].as_i64();
    AccountState {
        edition: info[AccountState::edition].as_str().map(str::to_owned),
        user_count: count(AccountState::user_count),
        admin_count: count(AccountState::admin_count),
        integration_count: count(AccountState::integration_count),
        user_pending_deletion_count: count(AccountState::user_pending_deletion_count),
        telephony_credits_remaining: count(AccountState::telephony_credits_remaining),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duos_summary_and_edition_become_the_counts() {
        let info = serde_json::json!({
            "edition": "ENTERPRISE", "user_count": 12, "admin_count": 2,
            "integration_count": "3", "telephony_credits_remaining": 100
        });
        let state = to_state(&info);
        assert_eq!(state.edition.as_deref(), Some("ENTERPRISE"));
        assert_eq!((state.user_count, state.admin_count), (Some(12), Some(2)));
        assert_eq!(state.integration_count, None, "not a number");
        assert_eq!(state.user_pending_deletion_count, None, "not answered");
        assert_eq!(
            state
                .to_obj()
                .i64(AccountState::telephony_credits_remaining),
            Some(100)
        );
    }
}
