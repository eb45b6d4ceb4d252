//! `duo_child_account`: a child account of an MSP parent, made and deleted through the
//! Accounts API, with its edition and telephony credits set through the billing endpoints the
//! parent calls on the child.
//!
//! Outside the provider's `account_id` scope: a child account belongs to the parent, so every
//! call goes through the parent's own client (its Accounts API key pair). Deleting a child
//! deletes everything in it, which Duo cannot undo, so `deletion_protection` (on unless turned
//! off) makes a destroy fail with how to opt out. Duo has no rename: a new name replaces the
//! account, which that protection then stops.

use async_trait::async_trait;

use super::{Action, Op, create_once, diagnose, id, matching};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind};
use crate::plugin::{
    Diagnostic, Diagnostics, Failed, Obj, Resource, Schema, State, Take, Validator,
};

pub const KIND: Kind = Kind {
    type_name: "duo_child_account",
    noun: "child account",
    plural: "child accounts",
    read: Grant::AccountsApi,
    write: None,
    read_by: &["duo_child_accounts"],
    natural_key: &[ChildAccountState::name],
    unique_in_duo: false,
    import: ImportId::Id,
    export: None,
};

/// Duo's editions, lowest first: Duo Essentials, Advantage and Premier.
pub const EDITIONS: &[&str] = &["ENTERPRISE", "PLATFORM", "BEYOND"];

pub struct ChildAccount;

crate::plugin::state! {
    /// A `duo_child_account`'s state, plan and configuration.
    pub struct ChildAccountState {
        id: Option<String> {
            .computed()
            .use_state_for_unknown()
            .describe("The child's account ID, as `account_id`.")
        },
        account_id: Option<String> {
            .computed()
            .use_state_for_unknown()
            .describe(
                "The child's account ID (`DA…`): give it as `account_id` to the resources and \
                 data sources that belong in this child.",
            )
        },
        name: Option<String> {
            .required()
            .force_new()
            .validate(Validator::length_between(1, 255))
            .describe(
                "The child account's name. Duo cannot rename an account: a new name replaces it \
                 (which `deletion_protection` stops).",
            )
        },
        api_hostname: Option<String> {
            .computed()
            .use_state_for_unknown()
            .describe("The API hostname the child's Admin API is called on.")
        },
        edition: Option<String> {
            .optional_computed()
            .use_state_for_unknown()
            .validate(Validator::one_of(EDITIONS))
            .describe(
                "The child's edition: `ENTERPRISE` (Duo Essentials), `PLATFORM` (Duo Advantage) \
                 or `BEYOND` (Duo Premier). It decides which policy sections the child accepts. \
                 When omitted, Duo's value is kept. Set through the billing endpoint, which Duo \
                 Support enables for a parent on request.",
            )
        },
        telephony_credits: Option<i64> {
            .optional_computed()
            .use_state_for_unknown()
            .validate(Validator::at_least(0))
            .describe(
                "The child's telephony credits. Raising them takes the difference from the \
                 parent's credits (and lowering gives it back). When omitted, Duo's value is kept.",
            )
        },
        deletion_protection: Option<bool> {
            .default(true)
            .local()
            .describe(
                "While true (the default), destroying this resource fails: deleting a child \
                 account deletes every user, group, application and policy in it, and Duo cannot \
                 undo it. Set it to false and apply before destroying.",
            )
        },
    }
}

impl ChildAccount {
    pub fn schema() -> Schema {
        Schema::new(
            "A child account of an MSP parent account, managed with the parent's Accounts API \
             application. Give its `account_id` to the resources that belong in it.",
        )
        .attrs(ChildAccountState::attributes())
        .unscoped()
    }
}

/// The only place `duo_child_account` values and Duo's child accounts meet; the edition and
/// credits come from the child's own billing endpoints.
pub fn to_state(a: &duo::ChildAccount, billing: Option<(String, i64)>) -> ChildAccountState {
    let (edition, credits) = billing.unzip();
    ChildAccountState {
        id: Some(a.account_id.clone()),
        account_id: Some(a.account_id.clone()),
        name: Some(a.name.clone()),
        api_hostname: Some(a.api_hostname.clone()),
        edition,
        telephony_credits: credits,
        // What an import gives; a plan's or the prior state's value replaces it otherwise.
        deletion_protection: Some(true),
    }
}

/// A child with its billing, read through the child's own client.
async fn with_billing(
    duo: &duo::Client,
    a: &duo::ChildAccount,
) -> Result<ChildAccountState, duo::Error> {
    let child = duo.for_account(&a.account_id).await?;
    let edition = child.edition().await?;
    let credits = child.telephony_credits().await?;
    Ok(to_state(a, Some((edition, credits))))
}

/// Sets what `plan` asks of the child's billing and differs from `now`.
async fn set_billing(
    duo: &duo::Client,
    account_id: &str,
    plan: &ChildAccountState,
    now: Option<&ChildAccountState>,
) -> Result<(), duo::Error> {
    let child = duo.for_account(account_id).await?;
    if let Some(e) = &plan.edition
        && now.and_then(|n| n.edition.as_ref()) != Some(e)
    {
        child.set_edition(e).await?;
    }
    if let Some(c) = plan.telephony_credits
        && now.and_then(|n| n.telephony_credits) != Some(c)
    {
        child.set_telephony_credits(c).await?;
    }
    Ok(())
}

#[async_trait]
impl Resource<duo::Client> for ChildAccount {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        ChildAccount::schema()
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let plan = ChildAccountState::from_obj(plan)?;
        let name = plan.name.clone().unwrap_or_default();
        let made = create_once(
            Op::new(Action::Create, &KIND),
            &[],
            &KIND.key_text(&[&name]),
            || duo.create_child_account(&name),
            || matching(duo.child_accounts(), |a| a.name == name),
            |_| true,
            |a| &a.account_id,
        )
        .await?;
        let billed = async {
            set_billing(duo, &made.account_id, &plan, None).await?;
            with_billing(duo, &made).await
        };
        match billed.await {
            Ok(state) => Ok(state.to_obj()),
            // The account exists: keep it in state, so the next apply finishes the billing.
            Err(e) => Err(Failed {
                diags: diagnose(Op::new(Action::Update, &KIND), &e).into(),
                partial: Some(to_state(&made, None).to_obj()),
            }),
        }
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let op = Op::new(Action::Read, &KIND);
        let Some(found) = duo
            .child_account(id(state))
            .await
            .map_err(|e| diagnose(op, &e))?
        else {
            return Ok(None);
        };
        match with_billing(duo, &found).await {
            Ok(state) => Ok(Some(state.to_obj())),
            // A child the parent lists but cannot reach (on another Duo deployment): the
            // account itself is as listed, its billing as last known, so the rest of the
            // configuration still plans; what is inside it says why it cannot.
            Err(e) if super::unreachable_child(&e) => {
                let known = ChildAccountState::from_obj(state)?;
                let billing = known.edition.zip(known.telephony_credits);
                Ok(Some(to_state(&found, billing).to_obj()))
            }
            Err(e) => Err(diagnose(op, &e).into()),
        }
    }

    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        let op = Op::all(Action::Read, &KIND);
        let all = duo.child_accounts().await.map_err(|e| diagnose(op, &e))?;
        let mut out = Vec::new();
        for a in &all {
            let state = with_billing(duo, a).await.map_err(|e| diagnose(op, &e))?;
            out.push(state.to_obj());
        }
        Ok(take.from_all(out))
    }

    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        crate::plugin::import_by_id(self, duo, id).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let prior = ChildAccountState::from_obj(prior)?;
        let plan = ChildAccountState::from_obj(plan)?;
        let account_id = prior.id.clone().unwrap_or_default();
        let updated = async {
            set_billing(duo, &account_id, &plan, Some(&prior)).await?;
            match duo.child_account(&account_id).await? {
                Some(found) => with_billing(duo, &found).await.map(Some),
                None => Ok(None),
            }
        };
        match updated.await {
            Ok(Some(state)) => Ok(state.to_obj()),
            Ok(None) => Err(Diagnostics::from(Diagnostic::error(
                "Cannot update child account",
                format!("The parent's Accounts API no longer lists child account {account_id}."),
            ))
            .into()),
            Err(e) => Err(Diagnostics::from(diagnose(Op::new(Action::Update, &KIND), &e)).into()),
        }
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        let s = ChildAccountState::from_obj(state)?;
        if s.deletion_protection != Some(false) {
            return Err(Diagnostic::error(
                "Child account is protected from deletion",
                format!(
                    "Destroying duo_child_account {:?} ({}) would delete every user, group, \
                     application and policy in it, and Duo cannot undo that, so \
                     `deletion_protection` stops it. To delete it, set `deletion_protection = \
                     false` on the resource, run `terraform apply`, then destroy it.",
                    s.name.unwrap_or_default(),
                    id(state),
                ),
            )
            .into());
        }
        match duo.delete_child_account(id(state)).await {
            // Already gone: Duo refuses an account_id it does not know.
            Err(e) if e.status() != Some(400) => {
                Err(diagnose(Op::new(Action::Delete, &KIND), &e).into())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_becomes_state_with_its_billing_and_is_protected_by_default() {
        let a = duo::ChildAccount {
            account_id: "DA1".into(),
            name: "Acme".into(),
            api_hostname: "api-1.duosecurity.com".into(),
        };
        let s = to_state(&a, Some(("PLATFORM".into(), 10)));
        assert_eq!(s.id.as_deref(), Some("DA1"));
        assert_eq!(s.account_id, s.id);
        assert_eq!(
            (s.edition.as_deref(), s.telephony_credits),
            (Some("PLATFORM"), Some(10))
        );
        assert_eq!(s.deletion_protection, Some(true));
        let stored = ChildAccountState::from_obj(&s.to_obj()).unwrap_or_default();
        assert_eq!(stored, s);
    }
}
