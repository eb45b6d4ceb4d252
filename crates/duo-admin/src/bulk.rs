//! User modifications and deletions and group membership changes gathered into Duo's
//! `POST /admin/v1/bulk`: up to 50 operations in one request, counted against the bulk
//! budget (50 a minute) instead of one write each against the 300 writes a minute.
//!
//! Every operation sent this way sets values or links ([`super::Write::Set`]): sent twice, it
//! leaves Duo as sent once. So a bulk request whose answer is lost is simply sent again, and
//! an operation whose outcome the answer does not give is sent again on its own. Creations
//! are not: they go to `users/bulk_create`, which Duo applies all or none.
//!
//! Duo does not document how `/bulk` answers (`duo-admin-api.md` marks it [U]). This module
//! takes each form the emulator's `--bulk-answers` offers:
//! - one envelope per operation, in order: each operation gets its own, and one without an
//!   envelope (Duo stopped at an earlier failure) is sent on its own;
//! - a refusal of the whole request (Duo applied all or none, or gave only the first
//!   failure): every operation is sent on its own, so each gets Duo's own answer;
//! - `OK` with no list: every operation succeeded; a modification's caller reads the user.

use serde_json::{Value, json};

use super::client::{Client, Params, segment};
use super::error::Error;
use super::gather::{Batched, Batching, GATHER};
use super::retry::RateClass;

/// Duo's cap on operations per `/bulk`.
const MAX_OPERATIONS: usize = 50;

/// The smallest batch worth a bulk call: Duo allows a sixth as many bulk calls as single
/// writes (50 a minute beside 300), so smaller batches are sent one by one, side by side.
pub(super) const MIN_BULK: usize = 6;

/// How long a batch waits for the next companion, at least (see `Gather::submit`, which
/// waits longer when calls have been coming further apart): Terraform starts a resource's
/// change only when another finishes, and with a large state (16,000 resources) one every two
/// seconds or so, so in a large apply they trickle in.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// How writes are gathered, at most `max` to a bulk call.
pub(super) const fn gathered(max: usize) -> Batching {
    Batching {
        max,
        min: MIN_BULK,
        window: GATHER,
        patience: PATIENCE,
    }
}

const ROUTE: &str = "/admin/v1/bulk";

/// One operation `/bulk` takes.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Op {
    ModifyUser { user_id: String, params: Params },
    DeleteUser { user_id: String },
    AddToGroup { user_id: String, group_id: String },
    RemoveFromGroup { user_id: String, group_id: String },
}

impl Op {
    fn method(&self) -> &'static str {
        match self {
            Op::ModifyUser { .. } | Op::AddToGroup { .. } => "POST",
            Op::DeleteUser { .. } | Op::RemoveFromGroup { .. } => "DELETE",
        }
    }

    fn path(&self) -> String {
        let user = |id: &str| format!("/admin/v1/users/{}", segment(id));
        match self {
            Op::ModifyUser { user_id, .. } | Op::DeleteUser { user_id } => user(user_id),
            Op::AddToGroup { user_id, .. } => format!("{}/groups", user(user_id)),
            Op::RemoveFromGroup { user_id, group_id } => {
                format!("{}/groups/{}", user(user_id), segment(group_id))
            }
        }
    }

    fn params(&self) -> Params {
        match self {
            Op::ModifyUser { params, .. } => params.clone(),
            Op::AddToGroup { group_id, .. } => vec![("group_id".into(), group_id.clone())],
            Op::DeleteUser { .. } | Op::RemoveFromGroup { .. } => Params::new(),
        }
    }

    /// The operation as `/bulk` takes it.
    fn to_json(&self) -> Value {
        let body: serde_json::Map<String, Value> = self
            .params()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        json!({"method": self.method(), "path": self.path(), "body": body})
    }

    /// The operation's outcome from its envelope in a `/bulk` answer; `None` when the entry is
    /// not an envelope, so the outcome is unknown.
    fn outcome(&self, entry: &Value) -> Option<Result<Value, Error>> {
        match entry.get("stat")?.as_str()? {
            "OK" => Some(Ok(entry.get("response").cloned().unwrap_or(Value::Null))),
            "FAIL" => {
                let code = match &entry["code"] {
                    Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                    Value::String(s) => s.parse().ok(),
                    _ => None,
                }
                .unwrap_or(40000);
                Some(Err(Error::Api {
                    status: u16::try_from(code / 100).unwrap_or(400),
                    code,
                    message: entry["message"].as_str().unwrap_or("no message").to_owned(),
                    detail: entry["message_detail"]
                        .as_str()
                        .filter(|d| !d.is_empty())
                        .map(str::to_owned),
                    route: format!("{} {} (in {ROUTE})", self.method(), self.path()),
                }))
            }
            _ => None,
        }
    }
}

/// A membership change, as a set of members or groups makes many at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub user_id: String,
    pub group_id: String,
    /// True to add the user to the group, false to remove it.
    pub add: bool,
}

impl Client {
    /// One operation: gathered with the others made at the same time into `/bulk` calls
    /// when batching is on, else sent on its own. Duo's `response` for it (`Null` when Duo's
    /// answer did not give it).
    pub(super) async fn write(&self, op: Op) -> Result<Value, Error> {
        self.write_all(vec![op]).await.pop().unwrap_or_else(|| {
            Err(Error::Stopped {
                route: format!("POST {ROUTE}"),
            })
        })
    }

    /// Many operations one resource makes at once (a set of members), one result each, in
    /// order: gathered with every other resource's into `/bulk` calls of up to 50 when
    /// batching is on, else sent one after another.
    pub(super) async fn write_all(&self, ops: Vec<Op>) -> Vec<Result<Value, Error>> {
        let mut out = Vec::with_capacity(ops.len());
        if !self.coalesce {
            for op in &ops {
                out.push(self.write_alone(op).await);
            }
            return out;
        }
        let answers = self
            .bulk_writes
            .submit_batched(ops.clone(), gathered(MAX_OPERATIONS), |batch| {
                self.write_batch(batch)
            })
            .await;
        let each = ops.iter().zip(answers).map(|(op, answer)| async move {
            match answer {
                Some(Batched::Done(result)) => result,
                Some(Batched::Alone) => self.write_alone(op).await,
                None => Err(Error::Stopped {
                    route: format!("POST {ROUTE}"),
                }),
            }
        });
        out.extend(futures_util::future::join_all(each).await);
        out
    }

    async fn write_alone(&self, op: &Op) -> Result<Value, Error> {
        match op.method() {
            "DELETE" => self.delete(&op.path()).await.map(|()| Value::Null),
            _ => self.set(&op.path(), op.params()).await,
        }
    }

    /// One `/bulk` call for the batch, if it is large enough to pay; see the module doc for
    /// how each form of Duo's answer is taken.
    async fn write_batch(&self, batch: Vec<Op>) -> Vec<Batched<Result<Value, Error>>> {
        if batch.len() < MIN_BULK {
            return batch.iter().map(|_| Batched::Alone).collect();
        }
        let body = json!({"operations": batch.iter().map(Op::to_json).collect::<Vec<_>>()});
        let answer = self
            .send_json_as::<Value>(RateClass::Bulk, "POST", super::Write::Set, ROUTE, &body)
            .await;
        match answer {
            Ok(Value::Array(entries)) => batch
                .iter()
                .enumerate()
                .map(|(i, op)| match entries.get(i).and_then(|e| op.outcome(e)) {
                    Some(result) => Batched::Done(result),
                    None => Batched::Alone,
                })
                .collect(),
            Ok(_) => batch
                .iter()
                .map(|_| Batched::Done(Ok(Value::Null)))
                .collect(),
            Err(e) if e.is_refusal() => {
                tracing::debug!(error = %e, operations = batch.len(), "bulk refused; sending each operation on its own");
                batch.iter().map(|_| Batched::Alone).collect()
            }
            Err(e) => batch
                .iter()
                .map(|_| Batched::Done(Err(e.clone())))
                .collect(),
        }
    }

    /// Adds and removes memberships, one result per change, in order: gathered into `/bulk`
    /// calls when batching is on.
    pub async fn change_memberships(&self, changes: &[Membership]) -> Vec<Result<(), Error>> {
        for c in changes {
            self.reads.users.written(&c.user_id);
            self.reads.members_changed(&c.group_id);
        }
        let ops = changes.iter().map(Membership::op).collect();
        self.write_all(ops)
            .await
            .into_iter()
            .map(|r| r.map(drop))
            .collect()
    }
}

impl Membership {
    pub(super) fn op(&self) -> Op {
        let (user_id, group_id) = (self.user_id.clone(), self.group_id.clone());
        if self.add {
            Op::AddToGroup { user_id, group_id }
        } else {
            Op::RemoveFromGroup { user_id, group_id }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_sent_as_their_single_requests_would_be() {
        let add = Op::AddToGroup {
            user_id: "DU/1".into(),
            group_id: "DG1".into(),
        };
        assert_eq!(
            add.to_json(),
            json!({"method": "POST", "path": "/admin/v1/users/DU%2F1/groups", "body": {"group_id": "DG1"}})
        );
        let remove = Op::RemoveFromGroup {
            user_id: "DU1".into(),
            group_id: "DG1".into(),
        };
        assert_eq!(
            remove.to_json(),
            json!({"method": "DELETE", "path": "/admin/v1/users/DU1/groups/DG1", "body": {}})
        );
        let modify = Op::ModifyUser {
            user_id: "DU1".into(),
            params: vec![("status".into(), "disabled".into())],
        };
        assert_eq!(modify.to_json()["body"], json!({"status": "disabled"}));
        assert_eq!(
            Op::DeleteUser {
                user_id: "DU1".into()
            }
            .method(),
            "DELETE"
        );
    }

    #[test]
    fn each_envelope_answers_its_own_operation() {
        let op = Op::DeleteUser {
            user_id: "DU1".into(),
        };
        assert!(matches!(
            op.outcome(&json!({"stat": "OK", "response": ""})),
            Some(Ok(Value::String(s))) if s.is_empty()
        ));
        let refused = op.outcome(&json!({"stat": "FAIL", "code": 40003, "message": "Cannot delete", "message_detail": "user_id"}));
        match refused {
            Some(Err(Error::Api {
                status,
                code,
                detail,
                route,
                ..
            })) => {
                assert_eq!((status, code), (400, 40003));
                assert_eq!(detail.as_deref(), Some("user_id"));
                assert_eq!(route, "DELETE /admin/v1/users/DU1 (in /admin/v1/bulk)");
            }
            other => panic!("{other:?}"),
        }
        assert!(op.outcome(&json!({"status": 200})).is_none());
        assert!(op.outcome(&json!("OK")).is_none());
    }
}
