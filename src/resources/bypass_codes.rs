//! `duo_bypass_codes`: the bypass codes of one user.
//!
//! Codes are generated (or given) once, shown once by Duo, and kept in state as a sensitive
//! attribute; every input forces replacement, so a plan never regenerates codes unless the
//! configuration changes. Codes used up or deleted in Duo are not regenerated behind the
//! user's back: `bypass_code_ids` shrinks instead. Duo clears a user's other codes when it
//! generates new ones, so keep one `duo_bypass_codes` per user.

use async_trait::async_trait;

use super::{Action, Hint, Op, deleted, diagnose, diagnose_with, id};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{
    AttrPath, Attribute, Diagnostic, Diagnostics, Failed, Obj, Resource, Schema, Type, Validator,
    Value,
};

/// What `duo_bypass_codes` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_bypass_codes",
    noun: "bypass codes",
    plural: "bypass codes",
    read: Grant::ReadResource,
    write: Some(Grant::WriteResource),
    data_sources: &[],
    natural_key: &[],
    import: ImportId::Id,
    export: Some(Naming {
        from: &["user_id"],
        prefix: "",
        user_side: true,
    }),
};

pub struct BypassCodes;

/// Duo generates at most 10 codes per call and keeps at most 100 per user.
const PER_CALL: i64 = 10;
const MAX: i64 = 100;

const HINTS: &[Hint] = &[
    Hint {
        field: "count",
        attr: "code_count",
        advice: "A user may have at most 100 bypass codes.",
    },
    Hint {
        field: "codes",
        attr: "codes",
        advice: "Codes must be digits only, at most 20 each.",
    },
];

#[async_trait]
impl Resource<duo::Client> for BypassCodes {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Bypass codes for one Duo user, for when they cannot use their device. Creating this clears the user's other \
             bypass codes, as Duo does. Not importable: Duo never shows existing codes.",
        )
        .attr(Attribute::string("id").computed().use_state_for_unknown().describe("The user's ID."))
        .attr(Attribute::string("user_id").required().force_new().references("duo_user").describe("The user the codes are for."))
        .attr(
            Attribute::number("code_count")
                .optional()
                .force_new()
                .validate(Validator::new(format!("1 to {MAX}."), |v| match v.as_i64() {
                    Some(n) if (1..=MAX).contains(&n) => Ok(()),
                    _ => Err(format!("must be a whole number from 1 to {MAX}.")),
                }))
                .describe("How many random codes to generate. Give this or `codes`."),
        )
        .attr(
            Attribute::list_of("codes", Type::String)
                .optional_computed()
                .validate(Validator::each(Validator::digits()))
                .sensitive()
                .force_new()
                .use_state_for_unknown()
                .describe("The codes: given (digits only), or the ones Duo generated for `code_count`. Sensitive; kept in state."),
        )
        .attr(Attribute::number("reuse_count").default(1).force_new().validate(Validator::at_least(0)).describe("How many times each code can be used; 0 for unlimited."))
        .attr(Attribute::number("valid_secs").default(0).force_new().validate(Validator::at_least(0)).describe("Seconds until the codes expire; 0 for never."))
        .attr(Attribute::list_of("bypass_code_ids", Type::String).computed().describe("Duo's IDs of the codes not yet used up or deleted."))
        .attr(Attribute::number("expiration").computed().use_state_for_unknown().describe("When the codes expire (Unix seconds); null if never."))
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        match (
            config.get("code_count").is_null(),
            config.get("codes").is_null(),
        ) {
            (true, true) => Diagnostic::error(
                "Missing code_count or codes",
                "Give `code_count` to generate codes, or `codes` to set them.",
            )
            .into(),
            (false, false) => Diagnostic::error(
                "Conflicting attributes",
                "Give `code_count` or `codes`, not both.",
            )
            .at(AttrPath::root("codes"))
            .into(),
            _ => Diagnostics::default(),
        }
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let user = plan.str("user_id").unwrap_or_default().to_owned();
        let op = Op::new(Action::Create, &KIND);
        let given: Option<Vec<String>> = match plan.get("codes") {
            Value::List(items) => Some(
                items
                    .iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        };
        let total = given
            .as_ref()
            .map_or(plan.i64("code_count").unwrap_or(PER_CALL), |g| {
                g.len() as i64
            });
        let mut codes = Vec::new();
        // Duo makes at most 10 per call; later calls keep the earlier codes.
        while (codes.len() as i64) < total {
            let batch = (total - codes.len() as i64).min(PER_CALL);
            let params = duo::BypassParams {
                count: given.is_none().then_some(batch),
                codes: given
                    .as_ref()
                    .map(|g| g[codes.len()..codes.len() + batch as usize].to_vec()),
                reuse_count: plan.i64("reuse_count").unwrap_or(1),
                valid_secs: plan.i64("valid_secs").unwrap_or(0),
                preserve_existing: !codes.is_empty(),
            };
            match duo.create_bypass_codes(&user, &params).await {
                Ok(new) => codes.extend(new),
                Err(e) => {
                    let partial = if codes.is_empty() {
                        None
                    } else {
                        self.state(duo, plan, &user, &codes).await.ok()
                    };
                    return Err(Failed {
                        diags: diagnose_with(op, &e, HINTS).into(),
                        partial,
                    });
                }
            }
        }
        self.state(duo, plan, &user, &codes)
            .await
            .map_err(Failed::from)
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let listed = duo::gone_is_none(duo.user_bypass_codes(id(state)).await)
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        let Some(listed) = listed else {
            return Ok(None);
        };
        let ours = state.get("bypass_code_ids").strings::<Vec<String>>();
        let remaining: Vec<Value> = listed
            .iter()
            .filter(|c| ours.contains(&c.bypass_code_id))
            .map(|c| Value::from(c.bypass_code_id.as_str()))
            .collect();
        Ok(Some(
            state
                .clone()
                .with("bypass_code_ids", Value::List(remaining)),
        ))
    }

    async fn update(&self, _: &duo::Client, _: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        // Every input forces replacement.
        Ok(plan.clone())
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        for code in state.get("bypass_code_ids").strings::<Vec<String>>() {
            deleted(&KIND, duo.delete_bypass_code(&code)).await?;
        }
        Ok(())
    }

    /// The user's existing codes, by user ID. Duo never shows codes again, so `codes` stays
    /// null; `code_count`, `reuse_count` and `valid_secs` are what Duo lists.
    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        let user = id.trim();
        let listed = duo::gone_is_none(duo.user_bypass_codes(user).await)
            .map_err(|e| diagnose(Op::new(Action::Import, &KIND), &e))?;
        let Some(listed) = listed else {
            return Err(Diagnostic::error(
                "Cannot import a missing object",
                format!(
                    "No user with ID {user:?} exists. Import bypass codes by the ID of their user."
                ),
            )
            .into());
        };
        if listed.is_empty() {
            return Err(Diagnostic::error(
                "No bypass codes to import",
                format!(
                    "User {user:?} has no bypass codes (or does not exist). Create a `duo_bypass_codes` \
                     resource to generate some instead."
                ),
            )
            .into());
        }
        Ok(imported(user, &listed))
    }

    async fn list(&self, duo: &duo::Client) -> Result<Vec<Obj>, Diagnostics> {
        let all = duo
            .list_bypass_codes()
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        let mut by_user: std::collections::BTreeMap<String, Vec<duo::BypassCode>> =
            Default::default();
        for code in all {
            if let Some(user) = code.user.clone() {
                by_user.entry(user.user_id).or_default().push(code);
            }
        }
        Ok(by_user
            .iter()
            .map(|(u, codes)| imported(u, codes))
            .collect())
    }
}

impl BypassCodes {
    /// The state after generating `codes`: their IDs are the user's codes Duo now lists.
    async fn state(
        &self,
        duo: &duo::Client,
        plan: &Obj,
        user: &str,
        codes: &[String],
    ) -> Result<Obj, Diagnostics> {
        let listed = duo
            .user_bypass_codes(user)
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        let expiration = listed
            .iter()
            .find_map(|c| c.expiration)
            .map_or(Value::Null, Value::from);
        Ok(plan
            .clone()
            .with("id", user)
            .with(
                "codes",
                Value::List(codes.iter().map(|c| Value::from(c.as_str())).collect()),
            )
            .with(
                "bypass_code_ids",
                Value::List(
                    listed
                        .iter()
                        .map(|c| Value::from(c.bypass_code_id.as_str()))
                        .collect(),
                ),
            )
            .with("expiration", expiration))
    }
}

/// The state of codes made outside Terraform, as far as Duo lists them.
fn imported(user: &str, codes: &[duo::BypassCode]) -> Obj {
    let first = codes.first();
    let valid_secs = first
        .and_then(|c| Some(c.expiration? - c.created?))
        .unwrap_or(0);
    Obj::default()
        .with("id", user)
        .with("user_id", user)
        .with("code_count", codes.len() as i64)
        .with("codes", Value::Null)
        .with(
            "reuse_count",
            first.and_then(|c| c.reuse_count).unwrap_or(1),
        )
        .with("valid_secs", valid_secs)
        .with(
            "bypass_code_ids",
            Value::List(
                codes
                    .iter()
                    .map(|c| Value::from(c.bypass_code_id.as_str()))
                    .collect(),
            ),
        )
        .with(
            "expiration",
            first
                .and_then(|c| c.expiration)
                .map_or(Value::Null, Value::from),
        )
}
