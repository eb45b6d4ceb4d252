//! `duo_bypass_codes`: the bypass codes of one user.
//!
//! Codes are generated (or given) once, shown once by Duo, and kept in state as a sensitive
//! attribute; codes given write-only (`codes_wo`, Terraform 1.11 and later) are sent and
//! never kept. Every input forces replacement, so a plan never regenerates codes unless the
//! configuration changes. Codes used up or deleted in Duo are not regenerated behind the
//! user's back: `bypass_code_ids` shrinks instead. Duo clears a user's other codes when it
//! generates new ones, so keep one `duo_bypass_codes` per user.

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::{Action, Hint, Op, deleted, diagnose, diagnose_with, id};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{
    AttrPath, Diagnostic, Diagnostics, Failed, Obj, Resource, Schema, State, Take, Validator,
};

/// What `duo_bypass_codes` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_bypass_codes",
    noun: "bypass codes",
    plural: "bypass codes",
    read: Grant::ReadResource,
    write: Some(Grant::WriteResource),
    read_by: &[],
    natural_key: &[],
    unique_in_duo: false,
    import: ImportId::Id,
    export: Some(Naming {
        from: &[CodesState::user_id],
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
        attr: CodesState::code_count,
        advice: "A user may have at most 100 bypass codes.",
    },
    Hint {
        field: "codes",
        attr: CodesState::codes,
        advice: "Codes must be digits only, at most 20 each.",
    },
];

crate::plugin::state! {
    /// A `duo_bypass_codes`' state, plan and configuration.
    pub struct CodesState {
        id: Option<String> { .computed().use_state_for_unknown().describe("The user's ID.") },
        user_id: Option<String> {
            .required()
            .force_new()
            .references(crate::resources::user::KIND.type_name)
            .describe("The user the codes are for.")
        },
        code_count: Option<i64> {
            .optional()
            .force_new()
            .validate(Validator::new(format!("1 to {MAX}."), |v| match v.as_i64() {
                Some(n) if (1..=MAX).contains(&n) => Ok(()),
                _ => Err(format!("must be a whole number from 1 to {MAX}.")),
            }))
            .describe("How many random codes to generate. Give this or `codes`.")
        },
        codes: Option<Vec<String>> {
            .optional_computed()
            .validate(Validator::each(Validator::digits()))
            .sensitive()
            .force_new()
            .use_state_for_unknown()
            .describe(
                "The codes: given (digits only), or the ones Duo generated for `code_count`. \
                 Sensitive; kept in state, because Duo shows generated codes only once. To keep \
                 codes out of state, choose them and give them as `codes_wo`.",
            )
        },
        codes_wo: Option<Vec<String>> {
            .optional()
            .sensitive()
            .write_only()
            .validate(Validator::each(Validator::digits()))
            .describe(
                "Codes you choose (digits only), sent to Duo and never stored; `codes` stays null. \
                 Give one of `code_count`, `codes` and `codes_wo`.",
            )
        },
        codes_wo_version: Option<i64> {
            .optional()
            .force_new()
            .describe(
                "Any number; changing it replaces the codes with the current `codes_wo` \
                 (Terraform cannot see a write-only value change).",
            )
        },
        reuse_count: Option<i64> {
            .default(1)
            .force_new()
            .validate(Validator::at_least(0))
            .describe("How many times each code can be used; 0 for unlimited.")
        },
        valid_secs: Option<i64> {
            .default(0)
            .force_new()
            .validate(Validator::at_least(0))
            .describe("Seconds until the codes expire; 0 for never.")
        },
        bypass_code_ids: Option<Vec<String>> {
            .computed().describe("Duo's IDs of the codes not yet used up or deleted.")
        },
        expiration: Option<i64> {
            .computed()
            .use_state_for_unknown()
            .describe("When the codes expire (Unix seconds); null if never.")
        },
    }
}

fn ids(codes: &[duo::BypassCode]) -> Option<Vec<String>> {
    Some(codes.iter().map(|c| c.bypass_code_id.clone()).collect())
}

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
        .attrs(CodesState::attributes())
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        let sources = [
            CodesState::code_count,
            CodesState::codes,
            CodesState::codes_wo,
        ];
        let set: Vec<&str> = sources
            .into_iter()
            .filter(|a| !config.get(a).is_null())
            .collect();
        match set.as_slice() {
            [] => Diagnostic::error(
                "Missing code_count or codes",
                "Give `code_count` to generate codes, or `codes` (or write-only `codes_wo`) to set them.",
            )
            .into(),
            [_] => Diagnostics::default(),
            [.., last] => Diagnostic::error(
                "Conflicting attributes",
                format!(
                    "Give one of `code_count`, `codes` and `codes_wo`, not {}.",
                    set.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(" and ")
                ),
            )
            .at(AttrPath::root(last))
            .into(),
        }
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let plan = CodesState::from_obj(plan)?;
        let user = plan.user_id.clone().unwrap_or_default();
        let op = Op::new(Action::Create, &KIND);
        let given = plan.codes.clone().or_else(|| plan.codes_wo.clone());
        let total = given
            .as_ref()
            .map_or(plan.code_count.unwrap_or(PER_CALL), |g| g.len() as i64);
        let mut codes = Vec::new();
        // Duo makes at most 10 per call; later calls keep the earlier codes.
        while (codes.len() as i64) < total {
            let batch = (total - codes.len() as i64).min(PER_CALL);
            let params = duo::BypassParams {
                count: given.is_none().then_some(batch),
                codes: given
                    .as_ref()
                    .map(|g| g[codes.len()..codes.len() + batch as usize].to_vec()),
                reuse_count: plan.reuse_count.unwrap_or(1),
                valid_secs: plan.valid_secs.unwrap_or(0),
                preserve_existing: !codes.is_empty(),
            };
            match duo.create_bypass_codes(&user, &params).await {
                Ok(new) => codes.extend(new),
                Err(e) => {
                    let partial = if codes.is_empty() {
                        None
                    } else {
                        self.state(duo, &plan, &user, &codes).await.ok()
                    };
                    return Err(Failed {
                        diags: diagnose_with(op, &e, HINTS).into(),
                        partial,
                    });
                }
            }
        }
        self.state(duo, &plan, &user, &codes)
            .await
            .map_err(Failed::from)
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let listed = duo::gone_is_none(duo.user_bypass_codes(id(state)).await)
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        let Some(listed) = listed else {
            return Ok(None);
        };
        let mut state = CodesState::from_obj(state)?;
        // In the state's order: Duo's listings need not keep one.
        let left: BTreeSet<&str> = listed.iter().map(|c| c.bypass_code_id.as_str()).collect();
        if let Some(ours) = &mut state.bypass_code_ids {
            ours.retain(|id| left.contains(id.as_str()));
        }
        Ok(Some(state.to_obj()))
    }

    async fn update(&self, _: &duo::Client, _: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        // Every input forces replacement.
        Ok(plan.clone())
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        for code in CodesState::from_obj(state)?
            .bypass_code_ids
            .unwrap_or_default()
        {
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

    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
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
        Ok(take.from_all(
            by_user
                .iter()
                .map(|(u, codes)| imported(u, codes))
                .collect(),
        ))
    }
}

impl BypassCodes {
    /// The state after generating `codes`: their IDs are the user's codes Duo now lists.
    async fn state(
        &self,
        duo: &duo::Client,
        plan: &CodesState,
        user: &str,
        codes: &[String],
    ) -> Result<Obj, Diagnostics> {
        let listed = duo
            .user_bypass_codes(user)
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        Ok(CodesState {
            id: Some(user.to_owned()),
            codes: plan.codes_wo.is_none().then(|| codes.to_vec()),
            bypass_code_ids: ids(&listed),
            expiration: listed.iter().find_map(|c| c.expiration),
            ..plan.clone()
        }
        .to_obj())
    }
}

/// The state of codes made outside Terraform, as far as Duo lists them.
fn imported(user: &str, codes: &[duo::BypassCode]) -> Obj {
    let first = codes.first();
    CodesState {
        id: Some(user.to_owned()),
        user_id: Some(user.to_owned()),
        code_count: Some(codes.len() as i64),
        codes: None,
        codes_wo: None,
        codes_wo_version: None,
        reuse_count: Some(first.and_then(|c| c.reuse_count).unwrap_or(1)),
        valid_secs: Some(
            first
                .and_then(|c| Some(c.expiration? - c.created?))
                .unwrap_or(0),
        ),
        // Sorted: Duo's listings keep no order, and an import (by ID or from a list query)
        // must give the same state however it found the codes.
        bypass_code_ids: ids(codes).map(|mut ids| {
            ids.sort();
            ids
        }),
        expiration: first.and_then(|c| c.expiration),
    }
    .to_obj()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_exactly_one_of_count_codes_and_write_only_codes() {
        let r = BypassCodes;
        let config = |pairs: &[(&str, crate::plugin::Value)]| {
            let mut o = Obj::null_for(&r.schema());
            for (k, v) in pairs {
                o.set(k, v.clone());
            }
            o
        };
        let codes = || crate::plugin::Value::List(vec!["123".into()]);
        assert!(r.validate(&config(&[("codes_wo", codes())])).is_empty());
        assert_eq!(
            r.validate(&config(&[])).0[0].summary,
            "Missing code_count or codes"
        );
        let d = r.validate(&config(&[("codes", codes()), ("codes_wo", codes())]));
        assert!(
            d.0[0].detail.contains("not `codes` and `codes_wo`"),
            "{d:?}"
        );
    }

    #[test]
    fn codes_made_outside_terraform_import_as_what_duo_lists() {
        let codes: Vec<duo::BypassCode> = serde_json::from_value(serde_json::json!([
            {"bypass_code_id": "DB1", "created": 100, "expiration": 400, "reuse_count": 3,
             "user": {"user_id": "DU1", "username": "ann"}},
            {"bypass_code_id": "DB2", "created": 100, "expiration": 400, "reuse_count": 3}
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        let state = CodesState::from_obj(&imported("DU1", &codes)).unwrap_or_default();
        assert_eq!(
            (
                state.code_count,
                state.reuse_count,
                state.valid_secs,
                state.expiration
            ),
            (Some(2), Some(3), Some(300), Some(400))
        );
        assert_eq!(
            state.bypass_code_ids,
            Some(vec!["DB1".into(), "DB2".into()])
        );
        assert_eq!((state.codes, state.user_id.as_deref()), (None, Some("DU1")));
        let never = CodesState::from_obj(&imported("DU2", &[])).unwrap_or_default();
        assert_eq!((never.valid_secs, never.reuse_count), (Some(0), Some(1)));
    }
}
