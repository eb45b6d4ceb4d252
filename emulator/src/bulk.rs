//! Duo's two bulk endpoints: `POST /admin/v1/users/bulk_create` (up to 100 users, all or
//! none) and `POST /admin/v1/bulk` (up to 50 user create/modify/delete and group add/remove
//! operations, run in order).
//!
//! How `/bulk` answers is not documented (`duo-admin-api.md` marks it [U]), so it is a switch,
//! [`BulkAnswers`] (`--bulk-answers`): clients tested against every form keep working whichever
//! one Duo turns out to use.

use serde_json::{Map, Value, json};

use crate::api::{self, ApiError, Params, Reply, Result, Route, param};
use crate::store::Tenant;

/// Duo's cap on users per `bulk_create`.
const MAX_CREATE: usize = 100;

/// Duo's cap on operations per `/bulk`.
const MAX_OPERATIONS: usize = 50;

/// How `/admin/v1/bulk` reports its operations' outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BulkAnswers {
    /// Every operation is run; `response` lists one envelope per operation, in order.
    #[default]
    Each,
    /// Operations run in order until one fails; `response` lists the envelopes of those run,
    /// ending with the failure, and the rest are not run.
    UntilFailure,
    /// Every operation or none: the first failure fails the whole request with that
    /// operation's error, and nothing is applied.
    AllOrNothing,
    /// Every operation is run; `response` is `""` when all succeeded, otherwise the request
    /// fails with the first failure's error while the other operations stay applied.
    Bare,
}

impl BulkAnswers {
    pub const NAMES: [&'static str; 4] = ["each", "until-failure", "all-or-nothing", "bare"];
}

impl std::str::FromStr for BulkAnswers {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "each" => Ok(BulkAnswers::Each),
            "until-failure" => Ok(BulkAnswers::UntilFailure),
            "all-or-nothing" => Ok(BulkAnswers::AllOrNothing),
            "bare" => Ok(BulkAnswers::Bare),
            _ => Err(format!(
                "unknown bulk answer form {s:?}; use one of {}",
                BulkAnswers::NAMES.join(", ")
            )),
        }
    }
}

/// Up to 100 users from one `users` parameter (a JSON-encoded array of user objects). All are
/// checked before any is created, so a bad entry creates nothing.
pub fn create_users(t: &mut Tenant, p: &Params) -> Result<Reply> {
    let raw = param(p, "users").ok_or_else(|| ApiError::missing("users"))?;
    let entries: Vec<Map<String, Value>> =
        serde_json::from_str(raw).map_err(|_| ApiError::invalid("users"))?;
    if entries.is_empty() || entries.len() > MAX_CREATE {
        return Err(ApiError::invalid("users"));
    }
    let mut staged = Tenant {
        groups: t.groups.clone(),
        users: t.users.clone(),
        ..Tenant::default()
    };
    let mut created = Vec::new();
    for entry in entries {
        let reply = api::handle(&mut staged, &Route::CreateUser, &string_params(&entry))?;
        created.push(reply.response);
    }
    t.users = staged.users;
    Ok(Reply::of(Value::Array(created)))
}

/// Up to 50 operations (`{"method", "path", "body"}`) from the `operations` field of a JSON
/// body, run in order, answered as `answers` says.
pub fn operations(t: &mut Tenant, p: &Params, answers: BulkAnswers) -> Result<Reply> {
    let raw = param(p, "operations").ok_or_else(|| ApiError::missing("operations"))?;
    let ops: Vec<Value> = serde_json::from_str(raw).map_err(|_| ApiError::invalid("operations"))?;
    if ops.is_empty() || ops.len() > MAX_OPERATIONS {
        return Err(ApiError::invalid("operations"));
    }
    let before = (answers == BulkAnswers::AllOrNothing).then(|| t.clone());
    let mut results = Vec::new();
    let mut first_failure = None;
    for op in &ops {
        let outcome = operation(t, op);
        let failed = outcome.is_err();
        results.push(match outcome {
            Ok(r) => json!({"stat": "OK", "response": r.response}),
            Err(e) => {
                let envelope = json!({"stat": "FAIL", "code": e.code, "message": e.message, "message_detail": e.detail});
                first_failure.get_or_insert(e);
                envelope
            }
        });
        if failed
            && matches!(
                answers,
                BulkAnswers::UntilFailure | BulkAnswers::AllOrNothing
            )
        {
            break;
        }
    }
    match (answers, first_failure) {
        (BulkAnswers::Each | BulkAnswers::UntilFailure, _) => Ok(Reply::of(Value::Array(results))),
        (_, Some(e)) => {
            if let Some(before) = before {
                *t = before;
            }
            Err(e)
        }
        (BulkAnswers::Bare, None) => Ok(Reply::of(json!(""))),
        (BulkAnswers::AllOrNothing, None) => Ok(Reply::of(Value::Array(results))),
    }
}

/// One operation, if it is one `/bulk` takes.
fn operation(t: &mut Tenant, op: &Value) -> Result<Reply> {
    let method = op["method"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let path = op["path"].as_str().unwrap_or_default();
    let body = op["body"]
        .as_object()
        .map(string_params)
        .unwrap_or_default();
    match Route::parse(&method, path) {
        Some(
            route @ (Route::CreateUser
            | Route::ModifyUser(_)
            | Route::DeleteUser(_)
            | Route::AddUserGroup(_)
            | Route::RemoveUserGroup(..)),
        ) => api::handle(t, &route, &body),
        _ => Err(ApiError::invalid("operations")),
    }
}

/// A JSON object's fields as string parameters, as Duo reads form fields.
fn string_params(fields: &Map<String, Value>) -> Params {
    fields
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn bulk_create_makes_all_users_or_none() {
        let mut t = Tenant::default();
        let ok = create_users(
            &mut t,
            &p(&[(
                "users",
                r#"[{"username": "a"}, {"username": "b", "status": "disabled"}]"#,
            )]),
        );
        assert_eq!(
            ok.map(|r| r.response.as_array().map(Vec::len))
                .ok()
                .flatten(),
            Some(2)
        );
        let dup = create_users(
            &mut t,
            &p(&[("users", r#"[{"username": "c"}, {"username": "A"}]"#)]),
        );
        assert_eq!(
            dup.err().map(|e| e.detail),
            Some(Some("username".to_owned()))
        );
        assert_eq!(t.users.len(), 2, "c was not created");
    }

    /// Three operations: a creation, the same creation again (refused: the username is
    /// taken), and a creation after it.
    const OPS: &str = r#"[{"method": "POST", "path": "/admin/v1/users", "body": {"username": "a"}},
                          {"method": "POST", "path": "/admin/v1/users", "body": {"username": "a"}},
                          {"method": "POST", "path": "/admin/v1/users", "body": {"username": "c"}}]"#;

    /// The same with no refusal.
    const FINE: &str = r#"[{"method": "POST", "path": "/admin/v1/users", "body": {"username": "a"}},
                       {"method": "POST", "path": "/admin/v1/users", "body": {"username": "b"}},
                       {"method": "POST", "path": "/admin/v1/users", "body": {"username": "c"}}]"#;

    fn run(answers: BulkAnswers, ops: &str) -> (Tenant, Result<Value>) {
        let mut t = Tenant::default();
        let r = operations(&mut t, &p(&[("operations", ops)]), answers).map(|r| r.response);
        (t, r)
    }

    fn stats(response: &Value) -> Vec<Value> {
        response
            .as_array()
            .map(|a| a.iter().map(|x| x["stat"].clone()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn each_operation_is_answered_in_order() {
        let (t, r) = run(BulkAnswers::Each, OPS);
        let r = r.ok().unwrap_or_default();
        assert_eq!(stats(&r), [json!("OK"), json!("FAIL"), json!("OK")]);
        assert_eq!(r[1]["message_detail"], json!("username"));
        assert_eq!(t.users.len(), 2);
    }

    #[test]
    fn until_failure_stops_at_the_first_refusal() {
        let (t, r) = run(BulkAnswers::UntilFailure, OPS);
        assert_eq!(
            stats(&r.ok().unwrap_or_default()),
            [json!("OK"), json!("FAIL")]
        );
        assert_eq!(t.users.len(), 1, "c was not run");
    }

    #[test]
    fn all_or_nothing_applies_nothing_when_one_fails() {
        let (t, r) = run(BulkAnswers::AllOrNothing, OPS);
        assert_eq!(r.err().and_then(|e| e.detail), Some("username".to_owned()));
        assert!(t.users.is_empty());
        let (t, r) = run(BulkAnswers::AllOrNothing, FINE);
        assert_eq!(stats(&r.ok().unwrap_or_default()).len(), 3);
        assert_eq!(t.users.len(), 3);
    }

    #[test]
    fn bare_answers_nothing_but_the_first_failure() {
        let (t, r) = run(BulkAnswers::Bare, OPS);
        assert_eq!(r.err().map(|e| e.code), Some(40002));
        assert_eq!(t.users.len(), 2, "the others stay applied");
        let (_, ok) = run(BulkAnswers::Bare, FINE);
        assert_eq!(ok.ok(), Some(json!("")));
    }

    #[test]
    fn only_user_and_membership_operations_are_taken() {
        let (_, r) = run(
            BulkAnswers::Each,
            r#"[{"method": "GET", "path": "/admin/v1/phones"},
                {"method": "DELETE", "path": "/admin/v1/groups/DG1"}]"#,
        );
        assert_eq!(
            stats(&r.ok().unwrap_or_default()),
            [json!("FAIL"), json!("FAIL")]
        );
        let too_many = format!("[{}]", vec![r#"{"method": "GET"}"#; 51].join(","));
        assert_eq!(
            run(BulkAnswers::Each, &too_many)
                .1
                .err()
                .and_then(|e| e.detail),
            Some("operations".to_owned())
        );
    }

    #[test]
    fn answer_forms_are_named_as_the_flag_takes_them() {
        for name in BulkAnswers::NAMES {
            assert!(name.parse::<BulkAnswers>().is_ok(), "{name}");
        }
        assert!("partial".parse::<BulkAnswers>().is_err());
    }
}
