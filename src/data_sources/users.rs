//! `duo_users` data source: every user, or those matching filters — the compliance questions:
//! who is in bypass, who never enrolled, who has not logged in since a date.

use std::collections::HashSet;

use async_trait::async_trait;

use super::computed_objects;
use crate::duo;
use crate::plugin::{
    AttrPath, DataSource, Diagnostic, Diagnostics, Obj, Schema, State, Type, Validator, Value,
};
use crate::resources::user::{KIND, UserState, to_state};
use crate::resources::{Action, Op, diagnose};

pub struct Users;

/// The statuses Duo reports: the three that can be set, and two that only Duo sets.
const ALL_STATUSES: &[&str] = &[
    "active",
    "bypass",
    "disabled",
    "locked out",
    "pending deletion",
];

/// A listed user's ID, named as the lookup names it.
const USER_ID: &str = "user_id";
/// The computed list of users.
const USERS: &str = "users";

/// The facts listed per user: the attributes of `duo_user` (with `user_id` for `id`), so a
/// `for_each` over this list can configure users exactly as they are.
const FIELDS: [(&str, Type); 15] = [
    (USER_ID, Type::String),
    (UserState::username, Type::String),
    (UserState::realname, Type::String),
    (UserState::firstname, Type::String),
    (UserState::lastname, Type::String),
    (UserState::email, Type::String),
    (UserState::notes, Type::String),
    (UserState::alias1, Type::String),
    (UserState::alias2, Type::String),
    (UserState::alias3, Type::String),
    (UserState::alias4, Type::String),
    (UserState::status, Type::String),
    (UserState::is_enrolled, Type::Bool),
    (UserState::last_login, Type::Number),
    (UserState::created, Type::Number),
];

crate::plugin::state! {
    /// The filters of `duo_users`.
    struct Filters {
        status: Option<String> {
            .optional().validate(Validator::one_of(ALL_STATUSES)).describe("Only users with this status.")
        },
        is_enrolled: Option<bool> {
            .optional().describe("Only users who have (`true`) or have not (`false`) enrolled a device.")
        },
        group_id: Option<String> { .optional().describe("Only members of this group.") },
        last_login_before: Option<String> {
            .optional()
            .describe(
                "Only users whose last login is before this RFC 3339 time (e.g. \
                 `timeadd(timestamp(), \"-2160h\")` for 90 days), including users who never logged in.",
            )
        },
    }
}

#[async_trait]
impl DataSource<duo::Client> for Users {
    fn type_name(&self) -> &'static str {
        "duo_users"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Lists Duo users, all of them or those matching every filter given. Reads every user in pages of 300 (one call per \
             page), plus the group's members when `group_id` is given.",
        )
        .attrs(Filters::attributes())
        .attr(computed_objects(
            USERS,
            "The matching users, in Duo's order, with every attribute `duo_user` has. Text fields are \
             `\"\"` when unset, `last_login` is null if the user never logged in; times are Unix seconds.",
            FIELDS,
        ))
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        match config.get(Filters::last_login_before) {
            Value::String(s) if parse_rfc3339(s).is_none() => Diagnostic::error(
                "Invalid last_login_before",
                format!("{s:?} is not an RFC 3339 time such as \"2026-01-31T00:00:00Z\"."),
            )
            .at(AttrPath::root(Filters::last_login_before))
            .into(),
            _ => Diagnostics::default(),
        }
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let fail = |e: duo::Error| diagnose(Op::all(Action::Read, &KIND), &e);
        let filters = Filters::from_obj(config)?;
        let mut users = duo.list_users().await.map_err(fail)?;
        if let Some(status) = &filters.status {
            users.retain(|u| u.status.as_ref() == Some(status));
        }
        if let Some(enrolled) = filters.is_enrolled {
            users.retain(|u| u.is_enrolled == Some(enrolled));
        }
        if let Some(before) = filters.last_login_before.as_deref().and_then(parse_rfc3339) {
            users.retain(|u| u.last_login.is_none_or(|t| t < before));
        }
        if let Some(group_id) = &filters.group_id {
            let members: HashSet<String> = duo
                .group_members(group_id)
                .await
                .map_err(fail)?
                .into_iter()
                .map(|m| m.user_id)
                .collect();
            users.retain(|u| members.contains(&u.user_id));
        }
        let rows = users.iter().map(|u| {
            let state = to_state(u).to_obj();
            Value::Object(
                FIELDS
                    .iter()
                    .map(|(f, _)| {
                        let from = if *f == USER_ID { UserState::id } else { f };
                        ((*f).to_owned(), state.get(from).clone())
                    })
                    .collect(),
            )
        });
        Ok(config.clone().with(USERS, Value::List(rows.collect())))
    }
}

/// Parses an RFC 3339 time (`2026-01-31T00:00:00Z`, fractions and offsets allowed, a space for
/// the `T` as RFC 3339 permits) into Unix seconds; dates that do not exist are refused.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let normalised;
    let s = match s.as_bytes().get(10) {
        Some(b' ') => {
            normalised = format!("{}T{}", &s[..10], &s[11..]);
            normalised.as_str()
        }
        _ => s,
    };
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::parse_rfc3339;

    #[test]
    fn rfc3339_times_parse_with_offsets_and_fractions() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2012-08-21T17:29:18Z"), Some(1_345_570_158));
        assert_eq!(
            parse_rfc3339("2012-08-21T13:29:18.250-04:00"),
            Some(1_345_570_158)
        );
        assert_eq!(parse_rfc3339("2012-08-21 17:29:18Z"), Some(1_345_570_158));
        assert_eq!(parse_rfc3339("2012-08-21"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
        // Days that no calendar has.
        assert_eq!(parse_rfc3339("2026-02-31T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-02-29T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2028-02-29T00:00:00Z"), Some(1_835_395_200));
        assert_eq!(parse_rfc3339("2026-04-31T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-01-01T24:00:00Z"), None);
    }
}
