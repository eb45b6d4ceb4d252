//! The registry of what each Duo object type is, declared once per type: what users call it,
//! the Admin API permissions its reads and writes need, its natural key, the import IDs it
//! takes besides Duo's ID, and how `export` names it.
//!
//! Each type's [`Kind`] is a `KIND` constant in its resource's file (or, for a type the
//! provider only reads, its data source's); [`all`] lists them. Diagnostics take the
//! permission to name from here ([`crate::resources::Op`]), import and the lookup after a lost
//! create take the natural key, `export` takes the naming, and the docs generator writes each
//! page's permissions section from it. A test checks that every resource and data source has
//! exactly one kind.

use crate::data_sources;
use crate::resources;

/// An Admin API permission, as the Admin Panel names it on the Admin API application's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    ReadResource,
    WriteResource,
    Applications,
    Administrators,
    Settings,
    ReadInformation,
    /// Not an Admin API permission: the MSP parent's Accounts API application, whose key pair
    /// manages child accounts.
    AccountsApi,
}

impl Grant {
    pub fn name(self) -> &'static str {
        match self {
            Grant::ReadResource => "Grant read resource",
            Grant::WriteResource => "Grant write resource",
            Grant::Applications => "Grant applications",
            Grant::Administrators => "Grant administrators",
            Grant::Settings => "Grant settings",
            Grant::ReadInformation => "Grant read information",
            Grant::AccountsApi => "Accounts API application",
        }
    }
}

/// The import IDs a type takes besides Duo's ID, read by the shared import ([`import`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportId {
    /// Duo's ID only, or a form the type's file parses itself (links, singletons).
    Id,
    /// `<prefix>:<value>`: the object whose first natural-key attribute is the value,
    /// ignoring case as Duo compares names (`name:eng`).
    Prefixed(&'static str),
    /// `<first>:<second>`: the object whose first natural-key attribute is `first`, ignoring
    /// case, and whose second is `second` (`h6:123456`).
    Pair,
}

/// How `export` names a type's objects.
#[derive(Debug, Clone, Copy)]
pub struct Naming {
    /// Attributes whose values (or the names of the objects they refer to) make the name,
    /// joined with `_`.
    pub from: &'static [&'static str],
    /// Put before the name (`phone_…`), or the whole name when `from` is empty (`this`).
    pub prefix: &'static str,
    /// Belongs to users or groups, so a `--group` export includes it.
    pub user_side: bool,
}

/// The facts about one Duo object type that more than one part of the provider reads.
#[derive(Debug)]
pub struct Kind {
    /// The resource type that manages it, or for a type only read, its data source.
    pub type_name: &'static str,
    /// One of them, as messages name it ("group").
    pub noun: &'static str,
    /// Several ("groups").
    pub plural: &'static str,
    /// The permission reading needs.
    pub read: Grant,
    /// The permission writing needs, beside `read`; `None` when reading is all there is.
    pub write: Option<Grant>,
    /// The data sources and ephemeral resources that read it: they need `read`.
    pub read_by: &'static [&'static str],
    /// The attributes that tell one object from another besides Duo's ID: what the lookup
    /// after a lost create is by, and what a [`ImportId::Prefixed`] or [`ImportId::Pair`]
    /// import matches.
    pub natural_key: &'static [&'static str],
    /// Duo refuses a second object with the same natural key (usernames, administrator
    /// emails, token types and serials): the creation guard has no opt-out, and a create Duo
    /// refuses all the same (the key was taken after the plan) looks for the holder and gives
    /// the import block that adopts it.
    pub unique_in_duo: bool,
    pub import: ImportId,
    /// `None` when `export` does not write it.
    pub export: Option<Naming>,
}

impl Kind {
    /// An account-wide object with a fixed ID (settings, the global policy): one permission,
    /// exported once, as `this`.
    pub const fn account_wide(type_name: &'static str, noun: &'static str, grant: Grant) -> Kind {
        Kind {
            type_name,
            noun,
            plural: noun,
            read: grant,
            write: None,
            read_by: &[],
            natural_key: &[],
            unique_in_duo: false,
            import: ImportId::Id,
            export: Some(Naming {
                from: &[],
                prefix: "this",
                user_side: false,
            }),
        }
    }

    /// A link between a user or group and what belongs to it, read and written with the
    /// resource permissions; `export` is `None` for the single-link types that the
    /// authoritative ones export instead.
    pub const fn link(
        type_name: &'static str,
        noun: &'static str,
        plural: &'static str,
        export: Option<Naming>,
    ) -> Kind {
        Kind {
            type_name,
            noun,
            plural,
            read: Grant::ReadResource,
            write: Some(Grant::WriteResource),
            read_by: &[],
            natural_key: &[],
            unique_in_duo: false,
            import: ImportId::Id,
            export,
        }
    }

    /// Every permission the type needs, reading first.
    pub fn grants(&self) -> Vec<Grant> {
        std::iter::once(self.read).chain(self.write).collect()
    }

    /// What the natural key is for these values, as a message says it:
    /// `username "ann"`, `type "h6" and serial "123456"`.
    pub fn key_text(&self, values: &[&str]) -> String {
        self.natural_key
            .iter()
            .zip(values)
            .map(|(attr, value)| format!("{} {value:?}", attr.replace('_', " ")))
            .collect::<Vec<_>>()
            .join(" and ")
    }

    /// The natural-key values an import ID gives, or `None` for an ID that is Duo's own.
    pub fn import_key<'a>(&self, id: &'a str) -> Option<Vec<&'a str>> {
        match self.import {
            ImportId::Id => None,
            ImportId::Prefixed(prefix) => id
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix(':'))
                .map(|v| vec![v]),
            ImportId::Pair => id.split_once(':').map(|(a, b)| vec![a, b]),
        }
    }
}

/// Every kind, referenced types before those that refer to them (the order `export` writes).
pub fn all() -> Vec<&'static Kind> {
    vec![
        &resources::group::KIND,
        &resources::user::KIND,
        &resources::group_members::KIND,
        &resources::group_member::KIND,
        &resources::user_groups::KIND,
        &resources::phone::KIND,
        &resources::user_phone::KIND,
        &resources::hardware_token::KIND,
        &resources::user_hardware_token::KIND,
        &resources::bypass_codes::KIND,
        &resources::policy::KIND,
        &resources::integration::KIND,
        &resources::policy_assignment::KIND,
        &resources::admin::KIND,
        &resources::admin_unit::KIND,
        &resources::global_policy::KIND,
        &resources::settings::KIND,
        &resources::admin_allowed_auth_methods::KIND,
        &data_sources::account::KIND,
        &data_sources::policy_calculation::KIND,
        &resources::child_account::KIND,
    ]
}

/// The kind a resource, data source or ephemeral resource type reads or manages.
pub fn of(type_name: &str) -> Option<&'static Kind> {
    all()
        .into_iter()
        .find(|k| k.type_name == type_name || k.read_by.contains(&type_name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Provider;

    #[test]
    fn every_resource_data_source_and_ephemeral_resource_has_exactly_one_kind() {
        let provider = crate::provider::DuoProvider;
        let mut names: Vec<String> = provider
            .resources()
            .iter()
            .map(|r| r.type_name().to_owned())
            .collect();
        names.extend(
            provider
                .data_sources()
                .iter()
                .map(|d| d.type_name().to_owned()),
        );
        names.extend(
            provider
                .ephemeral_resources()
                .iter()
                .map(|e| e.type_name().to_owned()),
        );
        for name in &names {
            let n = all()
                .iter()
                .filter(|k| k.type_name == name || k.read_by.contains(&name.as_str()))
                .count();
            assert_eq!(n, 1, "{name} has {n} kinds");
        }
        for k in all() {
            assert!(
                names.iter().any(|n| n == k.type_name),
                "{} is no type",
                k.type_name
            );
        }
    }

    #[test]
    fn natural_keys_are_attributes_of_their_types() {
        let provider = crate::provider::DuoProvider;
        let schemas: Vec<_> = provider
            .resources()
            .iter()
            .map(|r| (r.type_name().to_owned(), r.schema()))
            .chain(
                provider
                    .data_sources()
                    .iter()
                    .map(|d| (d.type_name().to_owned(), d.schema())),
            )
            .collect();
        for k in all() {
            let (_, schema) = schemas
                .iter()
                .find(|(n, _)| n == k.type_name)
                .expect("a type");
            let naming = k.export.map(|n| n.from).unwrap_or_default();
            for attr in k.natural_key.iter().chain(naming) {
                assert!(
                    schema.attributes.iter().any(|a| a.name == *attr),
                    "{}.{attr}",
                    k.type_name
                );
            }
            assert!(
                !k.unique_in_duo || !k.natural_key.is_empty(),
                "{}: a key Duo keeps unique is declared",
                k.type_name
            );
            match k.import {
                ImportId::Prefixed(_) => assert_eq!(k.natural_key.len(), 1, "{}", k.type_name),
                ImportId::Pair => assert_eq!(k.natural_key.len(), 2, "{}", k.type_name),
                ImportId::Id => {}
            }
        }
    }

    #[test]
    fn import_ids_and_key_texts_follow_the_declaration() {
        let group = &resources::group::KIND;
        assert_eq!(group.import_key("name:Eng"), Some(vec!["Eng"]));
        assert_eq!(group.import_key("names:x"), None);
        assert_eq!(group.import_key("DGXXXXXXXXXXXXXXXXXX"), None);
        let token = &resources::hardware_token::KIND;
        assert_eq!(token.import_key("h6:123"), Some(vec!["h6", "123"]));
        assert_eq!(
            token.key_text(&["h6", "123"]),
            "type \"h6\" and serial \"123\""
        );
        assert_eq!(
            resources::policy::KIND.key_text(&["p"]),
            "policy name \"p\""
        );
        assert_eq!(
            resources::group::KIND.grants(),
            [Grant::ReadResource, Grant::WriteResource]
        );
        assert_eq!(
            data_sources::account::KIND.grants(),
            [Grant::ReadInformation]
        );
    }
}
