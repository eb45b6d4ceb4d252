//! Terraform resources, one file per `duo_*` type, and what they share: turning Duo errors
//! into diagnostics, and the CRUD steps every type takes.
//!
//! **Adding a resource:** write `src/resources/<name>.rs` shaped like `group.rs`: its `KIND`
//! (the registry entry: permissions, natural key, import IDs, export naming; add it to
//! [`crate::kinds::all`]), its typed state with documented attributes (`state!`), CRUD, and the
//! one mapping between Duo's model and that state. Add it to [`all`], add any missing client
//! calls in `crates/duo-admin/` and routes in the emulator, then `examples/resources/duo_<name>/`,
//! an acceptance test in `acceptance-tests/`, and regenerate the docs
//! (`cargo run -p xtask -- docs`).

pub mod admin;
pub mod admin_allowed_auth_methods;
pub mod admin_unit;
pub mod bypass_codes;
pub mod child_account;
pub mod global_policy;
pub mod group;
pub mod group_member;
pub mod group_members;
pub mod hardware_token;
pub mod integration;
pub mod link;
pub mod phone;
pub mod policy;
pub mod policy_assignment;
pub mod settings;
pub mod singleton;
pub mod user;
pub mod user_groups;
pub mod user_hardware_token;
pub mod user_phone;

use std::future::Future;

use crate::duo;
use crate::kinds::{Grant, Kind};
use crate::plugin::{
    AttrPath, Diagnostic, Diagnostics, Failed, ID, IntoObj, Managed, Obj, Resource, Take,
};

/// Every resource type the provider serves.
pub fn all() -> Vec<Box<dyn Resource<duo::Client>>> {
    vec![
        Box::new(group::Group),
        Box::new(user::User),
        Box::new(group_member::RESOURCE),
        Box::new(group_members::RESOURCE),
        Box::new(user_groups::RESOURCE),
        Box::new(phone::Phone),
        Box::new(user_phone::RESOURCE),
        Box::new(hardware_token::HardwareToken),
        Box::new(user_hardware_token::RESOURCE),
        Box::new(bypass_codes::BypassCodes),
        Box::new(integration::Integration),
        Box::new(admin::Admin),
        Box::new(admin_unit::AdminUnit),
        Box::new(policy::Policy),
        Box::new(policy_assignment::PolicyAssignment),
        Box::new(global_policy::GlobalPolicy),
        Box::new(settings::RESOURCE),
        Box::new(admin_allowed_auth_methods::RESOURCE),
        Box::new(child_account::ChildAccount),
    ]
}

/// What the provider was doing when Duo said no: shapes the advice in the diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    Import,
}

#[derive(Debug, Clone, Copy)]
pub struct Op {
    pub action: Action,
    /// What was acted on, e.g. "group".
    pub what: &'static str,
    kind: &'static Kind,
}

impl Op {
    /// An action on one object of `kind`.
    pub fn new(action: Action, kind: &'static Kind) -> Op {
        Op {
            action,
            what: kind.noun,
            kind,
        }
    }

    /// An action on every object of `kind` (a listing).
    pub fn all(action: Action, kind: &'static Kind) -> Op {
        Op {
            what: kind.plural,
            ..Op::new(action, kind)
        }
    }

    /// The same action, naming the part of the object it is on ("integration secret key").
    pub fn on(self, what: &'static str) -> Op {
        Op { what, ..self }
    }

    fn verb(self) -> &'static str {
        match self.action {
            Action::Create => "create",
            Action::Read => "read",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Import => "import",
        }
    }

    /// The Admin API permission the action needs, as the type's kind declares it.
    fn grant(self) -> Grant {
        match (self.action, self.kind.write) {
            (Action::Create | Action::Update | Action::Delete, Some(write)) => write,
            _ => self.kind.read,
        }
    }
}

/// The Duo ID of the object in a state or plan (`id`).
pub fn id(o: &Obj) -> &str {
    o.str(ID).unwrap_or_default()
}

/// A create or update: one Duo call whose answer is the new object.
pub async fn written<T, S: IntoObj>(
    op: Op,
    hints: &[Hint],
    call: impl Future<Output = Result<T, duo::Error>>,
    to_state: impl FnOnce(&T) -> S,
) -> Result<Obj, Failed> {
    call.await
        .map(|t| to_state(&t).into_obj())
        .map_err(|e| diagnose_with(op, &e, hints).into())
}

/// How often a create whose answer is lost, and which a lookup shows Duo did not make, is sent.
const CREATE_ATTEMPTS: usize = 5;

/// How often the lookup after a lost create is tried before giving up.
const LOOKUP_ATTEMPTS: usize = 3;

/// The object a create made, even when Duo's answer to it was lost.
///
/// A create is never blindly sent again: it could make a second object. When its outcome is
/// unknown (dropped connection, server error), the objects holding its natural key (`key`, as
/// the user reads it, e.g. `username "ann"`) are listed with `find`: none means Duo did not
/// act, so the create is sent again (at most [`CREATE_ATTEMPTS`] in all); exactly one that
/// `is_ours` (it holds what the create sent) is adopted; anything else fails with the IDs found
/// and how to import the right one.
pub async fn create_once<T, C, F>(
    op: Op,
    hints: &[Hint],
    key: &str,
    create: impl Fn() -> C,
    find: impl Fn() -> F,
    is_ours: impl Fn(&T) -> bool,
    id_of: impl Fn(&T) -> &str,
) -> Result<T, Failed>
where
    C: Future<Output = Result<T, duo::Error>>,
    F: Future<Output = Result<Vec<T>, duo::Error>>,
{
    let summary = format!("Cannot {} {}", op.verb(), op.what);
    let mut lost = Vec::new();
    while lost.len() < CREATE_ATTEMPTS {
        let err = match create().await {
            Err(e) if e.outcome_unknown() => e,
            Err(e) if e.is_refusal() && op.kind.unique_in_duo => {
                return Err(refused(op, hints, key, &e, find().await, &id_of).into());
            }
            other => return other.map_err(|e| diagnose_with(op, &e, hints).into()),
        };
        tracing::warn!(error = %err, "the answer to a create was lost; looking for the {} with {key}", op.what);
        let lost_detail = |found: String| {
            format!(
                "Duo's answer to creating the {} was lost ({err}), so Duo may or may not have \
                 made it. {found}",
                op.what
            )
        };
        // What the lookup says decides whether a second object could be made: worth asking
        // again when the lookup itself fails (the client has already retried it).
        let mut found = find().await;
        for _ in 1..LOOKUP_ATTEMPTS {
            if found.is_ok() {
                break;
            }
            found = find().await;
        }
        let found = found.map_err(|e| {
            Diagnostic::error(
                &summary,
                lost_detail(format!(
                    "Looking for a {what} with {key} failed too ({e}). Check Duo for a {what} \
                     with {key}: if there is one, import it into this resource (an `import` \
                     block with its ID); if not, run `terraform apply` again.",
                    what = op.what
                )),
            )
        })?;
        let (mut ours, others): (Vec<T>, Vec<T>) = found.into_iter().partition(|t| is_ours(t));
        if ours.is_empty() && others.is_empty() {
            tracing::info!("Duo has no {} with {key}: it did not act", op.what);
            lost.push(err);
            continue;
        }
        if ours.len() == 1
            && let Some(adopted) = ours.pop()
        {
            tracing::info!(
                "adopting the {} with {key} that the lost create made",
                op.what
            );
            return Ok(adopted);
        }
        let ids: Vec<&str> = ours.iter().chain(&others).map(&id_of).collect();
        return Err(Diagnostic::error(
            summary,
            lost_detail(format!(
                "Duo now has {} {} with {key} ({}), and the provider cannot tell which, if any, \
                 this apply made. Import the right one into this resource (an `import` block \
                 with its ID), or delete the extra one in Duo, then run `terraform apply` again.",
                ids.len(),
                op.what,
                ids.join(", ")
            )),
        )
        .into());
    }
    let reasons: Vec<String> = lost.iter().map(ToString::to_string).collect();
    Err(Diagnostic::error(
        summary,
        format!(
            "Duo's answer to creating the {} was lost {CREATE_ATTEMPTS} times ({}), and each time \
             Duo had not made it. Nothing was created; run `terraform apply` again.",
            op.what,
            reasons.join("; ")
        ),
    )
    .into())
}

/// A create of a type whose key Duo keeps unique, refused: when an object holds the key
/// (`found`), the error names it and gives the import block that adopts it; otherwise Duo's
/// refusal is about something else, and says so.
fn refused<T>(
    op: Op,
    hints: &[Hint],
    key: &str,
    refusal: &duo::Error,
    found: Result<Vec<T>, duo::Error>,
    id_of: impl Fn(&T) -> &str,
) -> Diagnostic {
    match found {
        Ok(found) if !found.is_empty() => {
            let ids: Vec<&str> = found.iter().map(id_of).collect();
            taken(op.kind, key, &ids, Some(refusal))
        }
        _ => diagnose_with(op, refusal, hints),
    }
}

/// A creation guard: nothing when no object outside Terraform's state (`managed`) holds `key`
/// yet (what `found` lists, from one listing per run or gathered lookups) or when the planned
/// object sets `opt_out`; otherwise the error that names the objects found and gives the
/// import block that adopts one. Without it, the objects an apply made but could not record
/// (Terraform killed mid-apply) are made again, silently, where Duo does not keep the key
/// unique (group and unit names, …; these have an `opt_out`); where Duo does (usernames, …;
/// no `opt_out`), the plan says at once what the apply would only find one refusal at a time.
pub async fn unique<T>(
    kind: &'static Kind,
    planned: &Obj,
    managed: Managed<'_>,
    opt_out: Option<&str>,
    key: &str,
    found: impl Future<Output = Result<Vec<T>, duo::Error>>,
    id_of: impl Fn(&T) -> &str,
) -> Diagnostics {
    if opt_out.is_some_and(|o| planned.bool(o) == Some(true)) {
        return Diagnostics::default();
    }
    match found.await {
        Ok(found) => {
            let ids: Vec<&str> = found
                .iter()
                .map(id_of)
                .filter(|id| !managed.contains(id))
                .collect();
            if ids.is_empty() {
                return Diagnostics::default();
            }
            match opt_out {
                Some(opt_out) => duplicate(kind, key, &ids, opt_out),
                None => taken(kind, key, &ids, None),
            }
            .into()
        }
        Err(e) => diagnose(Op::all(Action::Read, kind), &e).into(),
    }
}

/// [`unique`] for a type whose key is one name (`name_attr`, compared ignoring case, as Duo
/// compares names): `find` lists the objects holding a name. Nothing to check while the name
/// is unknown.
pub async fn unique_name<T, F>(
    kind: &'static Kind,
    planned: &Obj,
    managed: Managed<'_>,
    name_attr: &str,
    opt_out: Option<&str>,
    find: impl FnOnce(String) -> F,
    id_of: impl Fn(&T) -> &str,
) -> Diagnostics
where
    F: Future<Output = Result<Vec<T>, duo::Error>>,
{
    let Some(name) = planned.str(name_attr) else {
        return Diagnostics::default();
    };
    let key = kind.key_text(&[name]);
    unique(
        kind,
        planned,
        managed,
        opt_out,
        &key,
        find(name.to_owned()),
        id_of,
    )
    .await
}

/// The description of a creation guard's opt-out attribute: `what` the key is ("name").
pub fn allow_duplicate_text(noun: &str, what: &str) -> String {
    format!(
        "`true` creates this {noun} even when Duo already has one with the same {what}. By \
         default the create fails instead, naming the existing {noun} and giving the `import` \
         block that adopts it: after an apply that was killed before Terraform recorded what it \
         made, that keeps the next apply from making a duplicate. Set it only where the {what} \
         is meant to repeat. Kept in state only; never sent to Duo."
    )
}

/// What a creation guard says when `ids` already hold `key`. The import block and the
/// command are indented so that Terraform prints them unwrapped, ready to paste.
pub fn duplicate(kind: &Kind, key: &str, ids: &[&str], opt_out: &str) -> Diagnostic {
    let (noun, plural) = (kind.noun, kind.plural);
    Diagnostic::error(
        already_exists(kind, key),
        format!(
            "Duo already has {}. Duo does not keep {plural} unique by this, so creating \
             this one would make a duplicate; the existing one may have been made by an apply \
             that was stopped before Terraform could record it.\n\n{}\n\n\
             If a second {noun} with {key} is what you want, set this on the resource:\n\n\
             \x20 {opt_out} = true",
            held(kind, key, ids),
            adopting(kind, ids),
        ),
    )
}

/// What a plan (or a create Duo `refused`) says when Duo, which keeps `key` unique
/// ([`Kind::unique_in_duo`]), already has `ids` holding it: which object, and the import
/// block that adopts it.
pub fn taken(kind: &Kind, key: &str, ids: &[&str], refused: Option<&duo::Error>) -> Diagnostic {
    let noun = kind.noun;
    let unique_by = kind.natural_key.join(" and ").replace('_', " ");
    let at = kind.natural_key.first().copied().map(AttrPath::root);
    let held = held(kind, key, ids);
    let said = match refused {
        Some(refusal) => format!(
            "Duo refused to create this {noun} ({refusal}): it already has {held} and allows \
             one {noun} per {unique_by}."
        ),
        None => format!(
            "Duo already has {held} and allows one {noun} per {unique_by}, so it would refuse \
             to create this one."
        ),
    };
    let diag = Diagnostic::error(
        already_exists(kind, key),
        format!(
            "{said} If no resource of this configuration manages it (it may have been made by \
             an apply that was stopped before Terraform could record it), adopt it here.\n\n\
             {}\n\n\
             If it is another {noun}, give this one another {unique_by}.",
            adopting(kind, ids),
        ),
    );
    match at {
        Some(at) => diag.at(at),
        None => diag,
    }
}

/// "A group with name "eng" already exists": the summary of a guard's or a refusal's error.
fn already_exists(kind: &Kind, key: &str) -> String {
    format!(
        "{} {} with {key} already exists",
        article(kind.noun),
        kind.noun
    )
}

/// "A" or "An" before `noun` (the nouns here that start with a "u" say "you": "a user").
fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o']) {
        "An"
    } else {
        "A"
    }
}

/// "a group with name "eng" (DG1)", or "2 groups with name "eng" (DG1, DG2)".
fn held(kind: &Kind, key: &str, ids: &[&str]) -> String {
    let noun = kind.noun;
    match ids {
        [one] => format!("{} {noun} with {key} ({one})", article(noun).to_lowercase()),
        many => format!(
            "{} {} with {key} ({})",
            many.len(),
            kind.plural,
            many.join(", ")
        ),
    }
}

/// How to bring the first of `ids` under this resource: the import block (Terraform 1.5 and
/// later) and the command (before), indented so that Terraform prints them unwrapped.
fn adopting(kind: &Kind, ids: &[&str]) -> String {
    let first = ids.first().copied().unwrap_or_default();
    let (noun, ty) = (kind.noun, kind.type_name);
    format!(
        "To manage the existing {noun} with this resource, add this import block \
         (Terraform 1.5 or later), with `to` set to this resource's address shown above:\n\n\
         \x20 import {{\n    to = {ty}.NAME\n    id = \"{first}\"\n  }}\n\n\
         With an older Terraform, run:\n\n\
         \x20 terraform import '{ty}.NAME' {first}"
    )
}

/// The listed objects `keep` holds for: how [`create_once`] finds objects by natural key.
pub async fn matching<T>(
    list: impl Future<Output = Result<Vec<T>, duo::Error>>,
    keep: impl Fn(&T) -> bool,
) -> Result<Vec<T>, duo::Error> {
    Ok(list.await?.into_iter().filter(|t| keep(t)).collect())
}

/// Whether Duo's `got` holds what a create `sent` (ignoring case, as Duo compares names and
/// emails); anything holds a value that was not sent, or sent empty.
pub fn holds(sent: Option<&str>, got: Option<&str>) -> bool {
    match sent.unwrap_or_default() {
        "" => true,
        s => got.unwrap_or_default().eq_ignore_ascii_case(s),
    }
}

/// A read of one object by ID: `None` when Duo no longer has it.
pub async fn found<T, S: IntoObj>(
    kind: &'static Kind,
    call: impl Future<Output = Result<T, duo::Error>>,
    to_state: impl FnOnce(&T) -> S,
) -> Result<Option<Obj>, Diagnostics> {
    let found =
        duo::gone_is_none(call.await).map_err(|e| diagnose(Op::new(Action::Read, kind), &e))?;
    Ok(found.as_ref().map(|t| to_state(t).into_obj()))
}

/// The states of the listed objects `take` asks for, each made as a read makes it (see
/// [`listing`]).
pub async fn listed<T: duo::Listed, S: IntoObj>(
    kind: &'static Kind,
    duo: &duo::Client,
    take: &Take<'_>,
    full: impl Future<Output = Result<Vec<T>, duo::Error>>,
    to_state: impl Fn(&T) -> S + Send + Sync,
) -> Result<Vec<Obj>, Diagnostics> {
    let found = listing(kind, duo, take, full, &to_state).await?;
    Ok(found.iter().map(|t| to_state(t).into_obj()).collect())
}

/// The listed objects `take` asks for, as Duo gives them, judged by the states `to_state`
/// makes of them: from the whole listing `full` (which also answers the run's later reads)
/// when it asks for all, else from pages read only until there are enough.
pub async fn listing<T: duo::Listed, S: IntoObj>(
    kind: &'static Kind,
    duo: &duo::Client,
    take: &Take<'_>,
    full: impl Future<Output = Result<Vec<T>, duo::Error>>,
    to_state: impl Fn(&T) -> S + Send + Sync,
) -> Result<Vec<T>, Diagnostics> {
    let fail = |e: duo::Error| Diagnostics::from(diagnose(Op::all(Action::Read, kind), &e));
    if take.is_all() {
        return full.await.map_err(fail);
    }
    let keep = |t: &T| take.keeps(&to_state(t).into_obj());
    let keep: &(dyn Fn(&T) -> bool + Send + Sync) = &keep;
    let limit = take.limit.unwrap_or(usize::MAX);
    duo.list_first(limit, take.keep.map(|_| keep))
        .await
        .map_err(fail)
}

/// Import by a natural key (`name:<name>`, …): the one listed state for which `matches`
/// holds, or an error saying there is none, or which IDs compete for it.
pub async fn import_by_key<R: Resource<duo::Client> + ?Sized>(
    resource: &R,
    duo: &duo::Client,
    key: &str,
    matches: impl Fn(&Obj) -> bool,
) -> Result<Obj, Diagnostics> {
    let mut found: Vec<Obj> = resource
        .list(duo, &Take::ALL)
        .await?
        .into_iter()
        .filter(|o| matches(o))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Diagnostic::error(
            "Cannot import a missing object",
            format!(
                "No {} matches {key:?}. Check the spelling and that the credentials see that object, or import by ID.",
                resource.type_name()
            ),
        )
        .into()),
        n => Err(Diagnostic::error(
            "Ambiguous import ID",
            format!(
                "{n} {} objects match {key:?}: {}. Import one of them by ID.",
                resource.type_name(),
                found.iter().filter_map(|o| o.str(ID)).collect::<Vec<_>>().join(", ")
            ),
        )
        .into()),
    }
}

/// Import by Duo's ID, or by the natural key `kind` declares (`name:<name>`,
/// `<type>:<serial>`): the first key attribute is compared ignoring case, as Duo compares names
/// and emails, the others exactly.
pub async fn import_by_natural_key<R: Resource<duo::Client> + ?Sized>(
    resource: &R,
    kind: &Kind,
    duo: &duo::Client,
    id: &str,
) -> Result<Obj, Diagnostics> {
    let Some(values) = kind.import_key(id) else {
        return crate::plugin::import_by_id(resource, duo, id).await;
    };
    import_by_key(resource, duo, id, |o| {
        kind.natural_key
            .iter()
            .zip(&values)
            .enumerate()
            .all(|(i, (attr, value))| match o.str(attr) {
                Some(v) if i == 0 => v.eq_ignore_ascii_case(value),
                v => v == Some(*value),
            })
    })
    .await
}

/// A delete: an object already gone is fine.
pub async fn deleted(
    kind: &'static Kind,
    call: impl Future<Output = Result<(), duo::Error>>,
) -> Result<(), Diagnostics> {
    match call.await {
        Err(e) if !e.is_not_found() => Err(diagnose(Op::new(Action::Delete, kind), &e).into()),
        _ => Ok(()),
    }
}

/// Splits a two-part import ID `<first>/<second>`, or says what was expected.
pub fn split_import_id<'a>(
    id: &'a str,
    first: &str,
    second: &str,
) -> Result<(&'a str, &'a str), Diagnostics> {
    id.split_once('/')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| {
            Diagnostic::error(
                "Invalid import ID",
                format!("Expected `<{first}>/<{second}>`, got {id:?}."),
            )
            .into()
        })
}

/// Keeps the user's spelling of a field: `new` (Duo's answer) takes `ours` (the plan's or the
/// prior state's) when `same` says they mean the same, so that normalisation never shows as
/// a diff.
pub fn keep(new: &mut Option<String>, ours: &Option<String>, same: fn(&str, &str) -> bool) {
    if let (Some(ours), Some(duos)) = (ours, new.as_deref())
        && ours != duos
        && same(ours, duos)
    {
        *new = Some(ours.clone());
    }
}

/// Whether JSON `theirs` (Duo's answer) says everything `ours` (the configuration) says:
/// objects may have more keys in `theirs`, lists are compared as sets, anything else exactly.
/// This is how JSON settings "manage only the keys given".
pub fn json_within(ours: &serde_json::Value, theirs: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (ours, theirs) {
        (J::Object(o), J::Object(t)) => o
            .iter()
            .all(|(k, v)| t.get(k).is_some_and(|tv| json_within(v, tv))),
        (J::Array(o), J::Array(t)) => {
            let set = |v: &Vec<J>| {
                v.iter()
                    .map(J::to_string)
                    .collect::<std::collections::BTreeSet<_>>()
            };
            set(o) == set(t)
        }
        _ => ours == theirs,
    }
}

/// [`json_within`] for two JSON texts; false when either does not parse.
pub fn json_text_within(ours: &str, theirs: &str) -> bool {
    match (serde_json::from_str(ours), serde_json::from_str(theirs)) {
        (Ok(o), Ok(t)) => json_within(&o, &t),
        _ => false,
    }
}

/// Case-insensitive equality, for the enums Duo answers in Title Case.
pub fn same_ignoring_case(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// What a resource knows about one parameter Duo may reject: which attribute it is and what
/// to do about it.
pub struct Hint {
    /// Duo's parameter name (`message_detail`).
    pub field: &'static str,
    /// The attribute to point at.
    pub attr: &'static str,
    pub advice: &'static str,
}

/// Duo refused a child account the parent reaches only through a listing of its children: the
/// child is on another Duo deployment than its parent (or was deleted since).
pub fn unreachable_child(err: &duo::Error) -> bool {
    matches!(err, duo::Error::Api { status: 400, detail: Some(field), .. }
        if field == crate::provider::ProviderConfig::account_id)
}

/// The one place a Duo error becomes what a Terraform user reads.
pub fn diagnose(op: Op, err: &duo::Error) -> Diagnostic {
    diagnose_with(op, err, &[])
}

/// [`diagnose`], with a resource's advice for the parameters Duo may reject.
pub fn diagnose_with(op: Op, err: &duo::Error, hints: &[Hint]) -> Diagnostic {
    let summary = format!("Cannot {} {}", op.verb(), op.what);
    if let duo::Error::Api {
        status: 400,
        detail: Some(field),
        message,
        ..
    } = err
        && let Some(hint) = hints.iter().find(|h| h.field == field)
    {
        return Diagnostic::error(
            summary,
            format!("Duo rejected `{}`: {message}. {}", hint.attr, hint.advice),
        )
        .at(AttrPath::root(hint.attr));
    }
    match err {
        e if unreachable_child(e) => Diagnostic::error(
            summary,
            format!(
                "Duo refused the child account ({err}). A child account on a different Duo \
                 deployment than its parent answers HTTP 400 to every Admin API call made through \
                 the parent's Accounts API key pair, and only Duo Support can move it to the \
                 parent's deployment: open a support case naming the child's account ID. Until \
                 then, manage it with an Admin API application made in the child itself (a \
                 second provider block with the child's own `api_host`, `ikey` and `skey`). If \
                 the child was deleted, remove its objects from the configuration."
            ),
        ),
        duo::Error::Api { status: 403, .. } if op.grant() == Grant::AccountsApi => {
            Diagnostic::error(
                summary,
                format!(
                    "Duo refused: {err}. Child accounts are managed with the MSP parent's Accounts \
                     API application: `ikey` and `skey` must be its key pair, not an Admin API \
                     application's (Duo Admin Panel of the parent: Applications, Protect an \
                     Application, Accounts API)."
                ),
            )
        }
        duo::Error::Api { status: 403, .. } => Diagnostic::error(
            summary,
            format!(
                "Duo refused: {err}. The Admin API application lacks the \"{}\" permission (or the \
                 key is not an Admin API application's). In the Duo Admin Panel, open the \
                 application, enable that permission, save, and run again.",
                op.grant().name()
            ),
        ),
        duo::Error::Api {
            status: 400,
            detail: Some(field),
            message,
            ..
        } => Diagnostic::error(
            summary,
            format!("Duo rejected `{field}`: {message}. {err}. Correct the value and run again."),
        )
        .at(AttrPath::root(field)),
        duo::Error::Api { status: 404, .. } => Diagnostic::error(
            summary,
            format!(
                "Duo has no such {}: {err}. It may have been deleted outside Terraform; run `terraform refresh` or remove it from the configuration.",
                op.what
            ),
        ),
        duo::Error::Api { status: 429, .. } => Diagnostic::error(
            summary,
            format!(
                "Duo kept rate-limiting this account after every retry: {err}. Other tools may be \
                 sharing the account's limits. Run again later, or lower `rate_limit_scale` in the \
                 provider block so the provider paces itself more."
            ),
        ),
        duo::Error::Api { status, .. } if *status >= 500 => Diagnostic::error(
            summary,
            format!(
                "Duo had a server error: {err}. Run again; if it persists, check status.duo.com."
            ),
        ),
        // The client stops when told to; here we know who told it.
        duo::Error::Stopped { route } => Diagnostic::error(
            summary,
            format!(
                "stopped by Terraform before {route} could be sent. Nothing was changed by this \
                 request."
            ),
        ),
        other => Diagnostic::error(summary, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`create_once`] did: how many creates it sent, and its outcome (an ID or the
    /// diagnostic's detail).
    async fn create_once_with(
        first: Result<&'static str, duo::Error>,
        found: Result<Vec<&'static str>, duo::Error>,
    ) -> (usize, Result<String, String>) {
        run_create_once(&group::KIND, first, Ok("resent"), found).await
    }

    /// Every create answers `every`.
    async fn create_once_with_all(
        every: Result<&'static str, duo::Error>,
        found: Result<Vec<&'static str>, duo::Error>,
    ) -> (usize, Result<String, String>) {
        run_create_once(&group::KIND, every.clone(), every, found).await
    }

    async fn run_create_once(
        kind: &'static Kind,
        first: Result<&'static str, duo::Error>,
        later: Result<&'static str, duo::Error>,
        found: Result<Vec<&'static str>, duo::Error>,
    ) -> (usize, Result<String, String>) {
        let sent = std::sync::atomic::AtomicUsize::new(0);
        let outcome = create_once(
            Op::new(Action::Create, kind),
            &[],
            "name \"eng\"",
            || {
                let n = sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                std::future::ready(if n == 0 { first.clone() } else { later.clone() })
            },
            || std::future::ready(found.clone()),
            |id: &&str| id.starts_with("ours"),
            |id| id,
        )
        .await;
        (
            sent.into_inner(),
            outcome
                .map(str::to_owned)
                .map_err(|f| f.diags.0[0].detail.clone()),
        )
    }

    #[test]
    fn every_secret_attribute_is_sensitive() {
        const SECRETS: &[&str] = &["secret", "secret_key", "aes_key", "private_id", "codes"];
        let mut seen = 0;
        for r in all() {
            for a in r.schema().attributes {
                if SECRETS.contains(&a.name.as_str()) {
                    seen += 1;
                    assert!(
                        a.sensitive,
                        "{}.{} must be sensitive",
                        r.type_name(),
                        a.name
                    );
                }
            }
        }
        assert_eq!(seen, SECRETS.len(), "each secret attribute was found");
        const WRITE_ONLY: &[&str] = &["secret_wo", "private_id_wo", "aes_key_wo", "codes_wo"];
        let write_only: Vec<String> = all()
            .iter()
            .flat_map(|r| r.schema().attributes)
            .filter(|a| a.write_only)
            .inspect(|a| assert!(a.sensitive, "{} must be sensitive", a.name))
            .map(|a| a.name)
            .collect();
        assert_eq!(write_only, WRITE_ONLY, "the write-only secrets");
        let provider = crate::plugin::Provider::schema(&crate::provider::DuoProvider);
        let skey = provider.attributes.iter().find(|a| a.name == "skey");
        assert!(skey.is_some_and(|a| a.sensitive));
    }

    #[test]
    fn what_was_not_sent_is_held_by_anything() {
        assert!(holds(None, Some("x")));
        assert!(holds(Some(""), None));
        assert!(holds(Some("Ann@Example.com"), Some("ann@example.com")));
        assert!(!holds(Some("ann@example.com"), None));
        assert!(!holds(Some("ann"), Some("bob")));
    }

    fn dropped() -> duo::Error {
        duo::Error::Transport {
            host: "api-x.duosecurity.com".into(),
            reason: "connection reset".into(),
            connected: true,
        }
    }

    #[test]
    fn a_guard_names_what_exists_and_gives_the_import_block_that_adopts_it() {
        let d = duplicate(
            &admin_unit::KIND,
            "name \"ops\"",
            &["DU1"],
            "allow_duplicate_name",
        );
        assert_eq!(
            d.summary,
            "An administrative unit with name \"ops\" already exists"
        );
        for line in [
            "Duo already has an administrative unit with name \"ops\" (DU1).",
            "\n  import {\n    to = duo_admin_unit.NAME\n    id = \"DU1\"\n  }\n",
            "\n  terraform import 'duo_admin_unit.NAME' DU1\n",
            "\n  allow_duplicate_name = true",
        ] {
            assert!(d.detail.contains(line), "{line:?} in {}", d.detail);
        }
        let many = duplicate(
            &group::KIND,
            "name \"eng\"",
            &["DG1", "DG2"],
            "allow_duplicate_name",
        );
        assert!(many.summary.starts_with("A group"), "{}", many.summary);
        assert!(
            many.detail
                .contains("2 groups with name \"eng\" (DG1, DG2)"),
            "{}",
            many.detail
        );
        assert!(many.detail.contains("id = \"DG1\""), "{}", many.detail);
    }

    /// Whether the guard refuses `planned` when Duo's listing answers `found`.
    async fn refuses(
        planned: &Obj,
        managed: &(dyn Fn(&str) -> bool + Sync),
        found: Result<Vec<String>, duo::Error>,
    ) -> bool {
        let found = async { found };
        unique(
            &group::KIND,
            planned,
            Managed(managed),
            Some("allow_duplicate_name"),
            "name \"eng\"",
            found,
            |s| s.as_str(),
        )
        .await
        .has_errors()
    }

    #[tokio::test]
    async fn a_guard_passes_when_nothing_holds_the_key_or_the_resource_opts_out() {
        let planned = Obj::default().with("name", "eng");
        let nobody = |_: &str| false;
        let dg1 = || Ok(vec!["DG1".to_owned()]);
        assert!(!refuses(&planned, &nobody, Ok(Vec::new())).await);
        assert!(refuses(&planned, &nobody, dg1()).await);
        assert!(
            !refuses(&planned, &|id| id == "DG1", dg1()).await,
            "an object Terraform manages is not a duplicate"
        );
        let opted_out = planned.clone().with("allow_duplicate_name", true);
        assert!(!refuses(&opted_out, &nobody, dg1()).await);
        let forbidden = duo::Error::Api {
            status: 403,
            code: 40301,
            message: "Access forbidden".into(),
            detail: None,
            route: "GET /admin/v1/groups".into(),
        };
        assert!(
            refuses(&planned, &nobody, Err(forbidden)).await,
            "a guard that cannot look does not let the create through"
        );
    }

    #[tokio::test]
    async fn a_lost_create_is_looked_up_before_anything_is_sent_again() {
        // Answered: nothing looked up.
        let (sent, got) = create_once_with(Ok("new"), Err(dropped())).await;
        assert_eq!((sent, got), (1, Ok("new".to_owned())));
        // Duo did not make it: sent once more.
        let (sent, got) = create_once_with(Err(dropped()), Ok(vec![])).await;
        assert_eq!((sent, got), (2, Ok("resent".to_owned())));
        // Lost every time, and never made: given up after a few, saying nothing was created.
        let (sent, got) = create_once_with_all(Err(dropped()), Ok(vec![])).await;
        assert_eq!(sent, CREATE_ATTEMPTS);
        assert!(got.unwrap_err().contains("Nothing was created"));
        // A server error is as unknown as a lost answer; the one it made is adopted.
        let (sent, got) =
            create_once_with(Err(api(503, 50301, None)), Ok(vec!["ours1", "x"])).await;
        assert_eq!((sent, got), (1, Ok("ours1".to_owned())));
        // Two candidates, or one that is not what was sent: nothing guessed, IDs named.
        for found in [vec!["ours1", "ours2"], vec!["theirs"]] {
            let (sent, got) = create_once_with(Err(dropped()), Ok(found.clone())).await;
            let detail = got.unwrap_err();
            assert_eq!(sent, 1);
            assert!(
                detail.contains("answer to creating the group was lost"),
                "{detail}"
            );
            assert!(detail.contains(&found.join(", ")), "{detail}");
            assert!(detail.contains("`import` block"), "{detail}");
        }
        // The lookup fails too: say how to check by hand.
        let (sent, got) = create_once_with(Err(dropped()), Err(api(503, 50301, None))).await;
        let detail = got.unwrap_err();
        assert_eq!(sent, 1);
        assert!(
            detail.contains("Check Duo for a group with name \"eng\""),
            "{detail}"
        );
        // A refusal proves Duo did nothing: reported as usual, not looked up.
        let (sent, got) = create_once_with(Err(api(400, 40002, None)), Err(dropped())).await;
        assert_eq!(sent, 1);
        assert!(got.unwrap_err().contains("Invalid request parameters"));
    }

    #[tokio::test]
    async fn a_create_refused_for_a_key_duo_keeps_unique_gives_the_import_block() {
        let refusal = || Err(api(400, 40002, Some("username")));
        let (sent, got) = run_create_once(&user::KIND, refusal(), Ok("x"), Ok(vec!["DU1"])).await;
        let detail = got.unwrap_err();
        assert_eq!(sent, 1, "a refused create is not sent again");
        for part in [
            "Duo refused to create this user (Invalid request parameters (Duo error 40002, HTTP \
             400, username)): it already has a user with name \"eng\" (DU1) and allows one user \
             per username.",
            "\n  import {\n    to = duo_user.NAME\n    id = \"DU1\"\n  }\n",
            "\n  terraform import 'duo_user.NAME' DU1",
            "give this one another username.",
        ] {
            assert!(detail.contains(part), "{part:?} in {detail}");
        }
        assert!(!detail.contains("= true"), "no opt-out: {detail}");
        // Nobody holds the key: the refusal was about something else, reported as usual.
        let (_, got) = run_create_once(&user::KIND, refusal(), Ok("x"), Ok(vec![])).await;
        assert!(got.unwrap_err().starts_with("Duo rejected `username`"));
        let (_, got) = run_create_once(&user::KIND, refusal(), Ok("x"), Err(dropped())).await;
        assert!(got.unwrap_err().starts_with("Duo rejected `username`"));
        // A type whose key Duo does not keep unique is not looked up: its guard ran at plan.
        let (_, got) = run_create_once(&group::KIND, refusal(), Ok("x"), Ok(vec!["DG1"])).await;
        assert!(!got.unwrap_err().contains("DG1"));
    }

    #[test]
    fn a_refusal_points_at_the_first_key_attribute() {
        let d = taken(
            &hardware_token::KIND,
            "type \"h6\" and serial \"1\"",
            &["DH1", "DH2"],
            Some(&api(400, 40002, Some("serial"))),
        );
        assert_eq!(d.path, Some(AttrPath::root("type")));
        assert_eq!(
            d.summary,
            "A hardware token with type \"h6\" and serial \"1\" already exists"
        );
        assert!(
            d.detail
                .contains("2 hardware tokens with type \"h6\" and serial \"1\" (DH1, DH2)")
                && d.detail.contains("one hardware token per type and serial")
                && d.detail.contains("id = \"DH1\""),
            "{}",
            d.detail
        );
    }

    /// Each guard against a real listing (the emulator's): silent while Duo holds nothing
    /// with the key, then refusing with the import block of the object made, unless the
    /// object is one Terraform manages or the resource opts out.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_guard_finds_what_duo_holds_and_lets_managed_or_opted_out_ones_pass() {
        let emulator = duo_emulator::Background::start(
            duo_emulator::Options::default(),
            duo_emulator::Tenant::default(),
        )
        .expect("the emulator starts");
        let options = duo_emulator::Options::default();
        let client = || {
            duo::Client::new(&duo::Config {
                api_host: format!("http://{}", emulator.addr),
                ikey: options.ikey.clone(),
                skey: options.skey.clone(),
                timeout: std::time::Duration::from_secs(10),
                max_retries: 2,
                retry_base: std::time::Duration::from_millis(10),
                rate_scale: 0.0,
                capacity: 1.0,
                coalesce: true,
                user_agent: "guard-test".into(),
                extra_roots_pem: None,
                account_id: None,
            })
            .expect("a client")
        };
        let secret = "3132333435363738393031323334353637383930";
        // Each guarded type, the configuration of one object, and its opt-out if it has one.
        type Case = (Box<dyn Resource<duo::Client>>, Obj, Option<&'static str>);
        let cases: Vec<Case> = vec![
            (
                Box::new(group::Group),
                Obj::default().with("name", "eng"),
                Some("allow_duplicate_name"),
            ),
            (
                Box::new(admin_unit::AdminUnit),
                Obj::default()
                    .with("name", "ops")
                    .with("description", "Ops"),
                Some("allow_duplicate_name"),
            ),
            (
                Box::new(policy::Policy),
                Obj::default().with("policy_name", "strict"),
                Some("allow_duplicate_name"),
            ),
            (
                Box::new(integration::Integration),
                Obj::default().with("name", "app").with("type", "authapi"),
                Some("allow_duplicate_name"),
            ),
            (
                Box::new(phone::Phone),
                Obj::default()
                    .with("number", "+15555550100")
                    .with("type", "landline"),
                Some("allow_duplicate_number"),
            ),
            (
                Box::new(user::User),
                Obj::default().with("username", "ann"),
                None,
            ),
            (
                Box::new(admin::Admin),
                Obj::default()
                    .with("email", "help@example.com")
                    .with("name", "Help")
                    .with("send_activation_email", false),
                None,
            ),
            (
                Box::new(hardware_token::HardwareToken),
                Obj::default()
                    .with("type", "h6")
                    .with("serial", "100200")
                    .with("secret", secret),
                None,
            ),
        ];
        let nobody = |_: &str| false;
        for (r, config, opt_out) in cases {
            let ty = r.type_name();
            let schema = r.schema();
            let mut proposed = Obj::null_for(&schema);
            for a in &schema.attributes {
                let v = config.get(&a.name);
                if !v.is_null() {
                    proposed.set(&a.name, v.clone());
                }
            }
            let planned = crate::plugin::plan(&schema, None, proposed, &config).planned;
            // A new client each time: a run of its own, with no listing taken yet.
            let check = async |planned: &Obj, managed: &(dyn Fn(&str) -> bool + Sync)| {
                r.check_create(&client(), planned, Managed(managed)).await
            };
            assert!(
                !check(&planned, &nobody).await.has_errors(),
                "{ty}: nothing yet"
            );
            let made = r
                .create(&client(), &planned)
                .await
                .map_err(|f| f.diags)
                .expect("created");
            let id = made.str("id").expect("an ID").to_owned();
            let refused = check(&planned, &nobody).await;
            let d = &refused.0[0];
            assert!(d.summary.ends_with("already exists"), "{ty}: {}", d.summary);
            assert!(
                d.detail
                    .contains(&format!("to = {ty}.NAME\n    id = \"{id}\"")),
                "{ty}: {}",
                d.detail
            );
            assert!(
                d.detail
                    .contains(&format!("terraform import '{ty}.NAME' {id}")),
                "{ty}: {}",
                d.detail
            );
            let managed = |i: &str| i == id;
            assert!(
                !check(&planned, &managed).await.has_errors(),
                "{ty}: managed"
            );
            match opt_out {
                Some(attr) => {
                    assert!(
                        d.detail.contains(&format!("{attr} = true")),
                        "{ty}: {}",
                        d.detail
                    );
                    let opted = planned.clone().with(attr, true);
                    assert!(
                        !check(&opted, &nobody).await.has_errors(),
                        "{ty}: opted out"
                    );
                }
                None => assert!(d.detail.contains("allows one"), "{ty}: {}", d.detail),
            }
        }
    }

    fn api(status: u16, code: u32, detail: Option<&str>) -> duo::Error {
        duo::Error::Api {
            status,
            code,
            message: "Invalid request parameters".into(),
            detail: detail.map(str::to_owned),
            route: "POST /admin/v1/groups".into(),
        }
    }

    #[test]
    fn a_missing_grant_names_the_permission_to_enable() {
        let d = diagnose(
            Op::new(Action::Create, &crate::resources::group::KIND),
            &api(403, 40301, None),
        );
        assert_eq!(d.summary, "Cannot create group");
        assert!(
            d.detail.contains("\"Grant write resource\""),
            "{}",
            d.detail
        );
        let d = diagnose(
            Op::new(Action::Read, &crate::resources::group::KIND),
            &api(403, 40301, None),
        );
        assert!(d.detail.contains("\"Grant read resource\""), "{}", d.detail);
    }

    #[test]
    fn a_hint_renames_the_parameter_and_adds_advice() {
        let hints = [Hint {
            field: "group_id",
            attr: "group_ids",
            advice: "Remove a group.",
        }];
        let d = diagnose_with(
            Op::new(Action::Update, &crate::resources::user::KIND),
            &api(400, 40002, Some("group_id")),
            &hints,
        );
        assert_eq!(d.path, Some(AttrPath::root("group_ids")));
        assert!(d.detail.ends_with("Remove a group."), "{}", d.detail);
    }

    #[test]
    fn a_rejected_parameter_points_at_its_attribute() {
        let d = diagnose(
            Op::new(Action::Update, &crate::resources::group::KIND),
            &api(400, 40002, Some("name")),
        );
        assert_eq!(d.path, Some(AttrPath::root("name")));
        assert!(d.detail.starts_with("Duo rejected `name`"), "{}", d.detail);
    }
}
