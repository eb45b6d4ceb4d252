//! Terraform data sources, one file per `duo_*` type. Each reuses its resource's schema
//! (`Schema::as_data_source`) and mapping, so a data source and its resource cannot disagree.
//! Lookups share [`exactly_one_of`] and [`single`], so every data source words ambiguity alike;
//! the lists of one type are each a [`listing::Listing`] declaration.

pub mod account;
pub mod admin;
pub mod admins;
pub mod child_accounts;
pub mod group;
pub mod groups;
pub mod hardware_tokens;
pub mod integration;
pub mod integrations;
pub mod listing;
pub mod lookup;
pub mod phones;
pub mod policies;
pub mod policy;
pub mod policy_calculation;
pub mod user;
pub mod users;

use std::collections::BTreeMap;

use crate::duo;
use crate::plugin::{
    AttrPath, Attribute, DataSource, Diagnostic, Diagnostics, Obj, Schema, Type, Value,
};

/// Every data source the provider serves.
pub fn all() -> Vec<Box<dyn DataSource<duo::Client>>> {
    vec![
        Box::new(group::data_source()),
        Box::new(groups::data_source()),
        Box::new(user::data_source()),
        Box::new(users::Users),
        Box::new(phones::data_source()),
        Box::new(hardware_tokens::data_source()),
        Box::new(integration::data_source()),
        Box::new(integrations::data_source()),
        Box::new(admin::data_source()),
        Box::new(admins::data_source()),
        Box::new(account::Account),
        Box::new(policy::data_source()),
        Box::new(policies::data_source()),
        Box::new(policy_calculation::PolicyCalculation),
        Box::new(child_accounts::data_source()),
    ]
}

/// A computed list of objects shaped like a resource's state, minus `exclude` (e.g. secrets),
/// the resource's own settings ([`crate::plugin::Attribute::local`]) and its write-only
/// arguments: list data sources
/// show exactly what the resource would read.
pub fn object_list(
    name: &str,
    description: &str,
    resource: &Schema,
    exclude: &[&str],
) -> Attribute {
    let fields = resource
        .attributes
        .iter()
        .filter(|a| !a.local && !a.write_only && !exclude.contains(&a.name.as_str()))
        .map(|a| (a.name.as_str(), a.ty.clone()));
    computed_objects(name, description, fields)
}

/// A computed list of objects with the given fields. A plain `list(object)` rather than
/// nested attributes: Terraform 1.0 cannot index computed nested lists.
pub fn computed_objects<'a>(
    name: &str,
    description: &str,
    fields: impl IntoIterator<Item = (&'a str, Type)>,
) -> Attribute {
    let fields: BTreeMap<String, Type> =
        fields.into_iter().map(|(n, t)| (n.to_owned(), t)).collect();
    let names = fields
        .keys()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Attribute::list_of(name, Type::Object(fields))
        .computed()
        .describe(&format!("{description} Each has {names}."))
}

/// One row of an [`object_list`]: the resource's state, without the excluded attributes.
pub fn row(state: Obj, exclude: &[&str]) -> Value {
    Value::Object(
        state
            .0
            .into_iter()
            .filter(|(k, _)| !exclude.contains(&k.as_str()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// Exactly one of the lookup `keys` must be set.
pub fn exactly_one_of(config: &Obj, keys: &[&str]) -> Diagnostics {
    let given: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| !config.get(k).is_null())
        .collect();
    let list = keys
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match given.as_slice() {
        [_] => Diagnostics::default(),
        [] => Diagnostic::error("Missing lookup key", format!("Give one of {list}.")).into(),
        [_, second, ..] => Diagnostic::error(
            "Conflicting lookup keys",
            format!("Give only one of {list}."),
        )
        .at(AttrPath::root(second))
        .into(),
    }
}

/// The one object a lookup found, or an error that says there were none or lists the IDs of
/// all the matches. `what` names the lookup, e.g. `group named "ops"`.
pub fn single<T>(
    mut matches: Vec<T>,
    id: impl Fn(&T) -> &str,
    what: &str,
    attr: &str,
) -> Result<T, Diagnostic> {
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => Err(
            Diagnostic::error("Not found", format!("Duo has no {what}.")).at(AttrPath::root(attr)),
        ),
        n => {
            let ids = matches.iter().map(&id).collect::<Vec<_>>().join(", ");
            Err(Diagnostic::error(
                "Ambiguous lookup",
                format!("{n} matches for {what}: {ids}. Look it up by ID instead."),
            )
            .at(AttrPath::root(attr)))
        }
    }
}
