//! `duo_account` data source: the account's edition and counts (`/info/summary`,
//! `/billing/edition`).

use async_trait::async_trait;

use crate::duo;
use crate::kinds::{Grant, ImportId, Kind};
use crate::plugin::{Attribute, DataSource, Diagnostics, Obj, Schema, Value};
use crate::resources::{Action, Op, diagnose};

/// What `duo_account` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_account",
    noun: "account information",
    plural: "account information",
    read: Grant::ReadInformation,
    write: None,
    data_sources: &[],
    natural_key: &[],
    import: ImportId::Id,
    export: None,
};

pub struct Account;

const COUNTS: [(&str, &str); 5] = [
    ("user_count", "Users in the account."),
    ("admin_count", "Administrators."),
    ("integration_count", "Applications."),
    ("user_pending_deletion_count", "Users in the trash."),
    ("telephony_credits_remaining", "Telephony credits left."),
];

#[async_trait]
impl DataSource<duo::Client> for Account {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        let mut s = Schema::new(
            "The Duo account's edition and counts, e.g. to check a license limit in CI.",
        )
        .attr(
            Attribute::string("edition")
                .computed()
                .describe("The account's edition, e.g. `ENTERPRISE`."),
        );
        for (name, description) in COUNTS {
            s = s.attr(Attribute::number(name).computed().describe(description));
        }
        s
    }

    async fn read(&self, duo: &duo::Client, _: &Obj) -> Result<Obj, Diagnostics> {
        let info = duo
            .account_info()
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        let mut o = Obj::default().with(
            "edition",
            info.get("edition")
                .and_then(|e| e.as_str())
                .map_or(Value::Null, Value::from),
        );
        for (name, _) in COUNTS {
            o.set(
                name,
                info.get(name)
                    .and_then(serde_json::Value::as_i64)
                    .map_or(Value::Null, Value::from),
            );
        }
        Ok(o)
    }
}
