//! `duo_users` data source: every user, or those matching filters — the compliance questions:
//! who is in bypass, who never enrolled, who has not logged in since a date.

use std::collections::HashSet;

use async_trait::async_trait;

use super::computed_objects;
use crate::duo;
use crate::list_resources::{Keep, OwnFilters};
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
        validate(config)
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let selection = Selection::of(duo, config).await?;
        let users = duo
            .list_users()
            .await
            .map_err(|e| diagnose(Op::all(Action::Read, &KIND), &e))?;
        let rows = users
            .iter()
            .map(|u| to_state(u).to_obj())
            .filter(|state| selection.keeps(state))
            .map(|state| {
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

/// The filters' own checks: a time that does not parse is named.
fn validate(config: &Obj) -> Diagnostics {
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

/// The filters of `duo_users`, which the `duo_user` list resource has too.
pub const FILTERS: OwnFilters = OwnFilters {
    attributes: Filters::attributes,
    validate,
    select: |duo, config| {
        Box::pin(async move {
            let selection = Selection::of(duo, config).await?;
            Ok(Box::new(move |user: &Obj| selection.keeps(user)) as Keep)
        })
    },
};

/// The users a configuration's filters select: read from it once (a group's members from
/// Duo), then asked of each user's `duo_user` state.
struct Selection {
    filters: Filters,
    before: Option<i64>,
    members: Option<HashSet<String>>,
}

impl Selection {
    async fn of(duo: &duo::Client, config: &Obj) -> Result<Selection, Diagnostics> {
        let filters = Filters::from_obj(config)?;
        let members = match &filters.group_id {
            Some(group_id) => Some(
                duo.group_members(group_id)
                    .await
                    .map_err(|e| diagnose(Op::all(Action::Read, &KIND), &e))?
                    .into_iter()
                    .map(|m| m.user_id)
                    .collect(),
            ),
            None => None,
        };
        let before = filters.last_login_before.as_deref().and_then(parse_rfc3339);
        Ok(Selection {
            filters,
            before,
            members,
        })
    }

    fn keeps(&self, user: &Obj) -> bool {
        let f = &self.filters;
        f.status
            .as_deref()
            .is_none_or(|s| user.str(UserState::status) == Some(s))
            && f.is_enrolled
                .is_none_or(|e| user.bool(UserState::is_enrolled) == Some(e))
            && self
                .before
                .is_none_or(|t| user.i64(UserState::last_login).is_none_or(|l| l < t))
            && self
                .members
                .as_ref()
                .is_none_or(|m| user.str(UserState::id).is_some_and(|id| m.contains(id)))
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
