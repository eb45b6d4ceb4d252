//! Account-wide objects that always exist and have no ID (account settings, the
//! authentication methods administrators may use): one generic resource, driven by a table
//! of fields per type.
//!
//! Such a resource manages only the fields its configuration sets: an omitted field keeps
//! Duo's value (it is still read, so an import generates every field). Creating it changes the
//! fields set; destroying it changes nothing in Duo and only stops managing them.

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

use super::{Action, Op, diagnose};
use crate::duo;
use crate::kinds;
use crate::plugin::{
    Attribute, Diagnostic, Diagnostics, Failed, ID, Obj, Resource, Schema, Validator, Value,
};

/// How a field is typed in Terraform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Flag,
    Count,
}

/// One field of a singleton.
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
    pub check: Option<fn() -> Validator>,
}

pub const fn field(name: &'static str, kind: Kind, description: &'static str) -> Field {
    Field {
        name,
        kind,
        description,
        check: None,
    }
}

pub const fn checked(
    name: &'static str,
    kind: Kind,
    description: &'static str,
    check: fn() -> Validator,
) -> Field {
    Field {
        name,
        kind,
        description,
        check: Some(check),
    }
}

pub struct Singleton {
    pub description: &'static str,
    /// The fixed ID, which is also the import ID.
    pub id: &'static str,
    /// Its registry entry: type name, what messages call it, the permission it needs.
    pub kind: &'static kinds::Kind,
    pub which: duo::Singleton,
    pub fields: &'static [Field],
}

impl Singleton {
    fn to_state(&self, duo_value: &Map<String, Json>) -> Obj {
        let mut o = Obj::default().with(ID, self.id);
        for f in self.fields {
            let v = duo_value.get(f.name);
            let value = match (f.kind, v) {
                (Kind::Flag, Some(Json::Bool(b))) => Value::Bool(*b),
                (Kind::Flag, Some(Json::Number(n))) => Value::Bool(n.as_i64() != Some(0)),
                (Kind::Flag, Some(Json::String(s))) => {
                    Value::Bool(matches!(s.as_str(), "1" | "true"))
                }
                (Kind::Count, Some(Json::Number(n))) => n.as_i64().map_or(Value::Null, Value::from),
                (Kind::Count, Some(Json::String(s))) => {
                    s.trim().parse::<i64>().map_or(Value::Null, Value::from)
                }
                (Kind::Text, Some(Json::String(s))) => Value::from(s.as_str()),
                (Kind::Text, Some(Json::Number(n))) => Value::from(n.to_string()),
                _ => Value::Null,
            };
            o.set(f.name, value);
        }
        o
    }

    /// The planned fields that differ from `prior` (all known ones on create).
    fn changes(&self, plan: &Obj, prior: Option<&Obj>) -> Vec<(String, String)> {
        self.fields
            .iter()
            .filter(|f| {
                let v = plan.get(f.name);
                !v.is_null() && !v.is_unknown() && prior.is_none_or(|p| p.get(f.name) != v)
            })
            .filter_map(|f| {
                let v = plan.get(f.name);
                let text = match v {
                    Value::Bool(b) => b.to_string(),
                    Value::Number(_) => v.as_i64()?.to_string(),
                    Value::String(s) => s.clone(),
                    _ => return None,
                };
                Some((f.name.to_owned(), text))
            })
            .collect()
    }

    async fn apply(
        &self,
        duo: &duo::Client,
        plan: &Obj,
        prior: Option<&Obj>,
        action: Action,
    ) -> Result<Obj, Failed> {
        let changes = self.changes(plan, prior);
        let answer = if changes.is_empty() {
            duo.get_singleton(self.which).await
        } else {
            duo.set_singleton(self.which, changes).await
        };
        let answer = answer.map_err(|e| {
            let mut d = diagnose(Op::new(action, self.kind), &e);
            if let duo::Error::Api {
                detail: Some(field),
                ..
            } = &e
                && self.fields.iter().any(|f| f.name == field)
            {
                d = d.at(crate::plugin::AttrPath::root(field));
            }
            d
        })?;
        Ok(self.to_state(&answer))
    }
}

#[async_trait]
impl Resource<duo::Client> for Singleton {
    fn type_name(&self) -> &'static str {
        self.kind.type_name
    }

    fn schema(&self) -> Schema {
        let mut s = Schema::new(self.description).attr(
            Attribute::string(ID)
                .computed()
                .use_state_for_unknown()
                .describe(&format!("Always `{}`; also the import ID.", self.id)),
        );
        for f in self.fields {
            let mut a = match f.kind {
                Kind::Text => Attribute::string(f.name),
                Kind::Flag => Attribute::bool(f.name),
                Kind::Count => Attribute::number(f.name),
            }
            .optional_computed()
            .use_state_for_unknown()
            .describe(f.description);
            if let Some(check) = f.check {
                a = a.validate(check());
            }
            s = s.attr(a);
        }
        s
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        self.apply(duo, plan, None, Action::Create).await
    }

    async fn read(&self, duo: &duo::Client, _: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let v = duo
            .get_singleton(self.which)
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, self.kind), &e))?;
        Ok(Some(self.to_state(&v)))
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        self.apply(duo, plan, Some(prior), Action::Update).await
    }

    /// Nothing to delete: the account keeps its settings.
    async fn delete(&self, _: &duo::Client, _: &Obj) -> Result<(), Diagnostics> {
        Ok(())
    }

    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        if id != self.id {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!(
                    "Import {} with the ID {:?}, not {id:?}.",
                    self.kind.type_name, self.id
                ),
            )
            .into());
        }
        self.read(duo, &Obj::default())
            .await
            .map(|o| o.unwrap_or_default())
    }

    async fn list(&self, duo: &duo::Client) -> Result<Vec<Obj>, Diagnostics> {
        Ok(vec![self.import(duo, self.id).await?])
    }
}

/// A whole number in `0` or `min..=max`.
pub fn zero_or_between(min: i64, max: i64) -> Validator {
    Validator::new(format!("0, or {min} to {max}."), move |v| {
        match v.as_i64() {
            Some(n) if n == 0 || (min..=max).contains(&n) => Ok(()),
            _ => Err(format!("must be 0 or a whole number from {min} to {max}.")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[Field] = &[
        field("enabled", Kind::Flag, "a flag"),
        field("minutes", Kind::Count, "a count"),
        field("name", Kind::Text, "a text"),
    ];

    fn singleton() -> Singleton {
        Singleton {
            kind: &super::super::settings::KIND,
            description: "",
            id: "example",
            which: duo::Singleton::Settings,
            fields: FIELDS,
        }
    }

    fn answer(json: &str) -> Map<String, Json> {
        serde_json::from_str(json).unwrap_or_default()
    }

    #[test]
    fn duos_answers_are_coerced_to_each_fields_type_whatever_json_type_they_come_in() {
        let s = singleton();
        for (json, enabled, minutes, name) in [
            (
                r#"{"enabled": true, "minutes": 15, "name": "a"}"#,
                Some(true),
                Some(15),
                Some("a"),
            ),
            (
                r#"{"enabled": 0, "minutes": "30", "name": 7}"#,
                Some(false),
                Some(30),
                Some("7"),
            ),
            (
                r#"{"enabled": "1", "minutes": " 45 ", "name": ""}"#,
                Some(true),
                Some(45),
                Some(""),
            ),
            (
                r#"{"enabled": "no", "minutes": "soon"}"#,
                Some(false),
                None,
                None,
            ),
            (
                r#"{"enabled": null, "minutes": 1.5, "name": ["x"]}"#,
                None,
                None,
                None,
            ),
        ] {
            let o = s.to_state(&answer(json));
            assert_eq!(o.str("id"), Some("example"), "{json}");
            assert_eq!(o.bool("enabled"), enabled, "{json}");
            assert_eq!(o.i64("minutes"), minutes, "{json}");
            assert_eq!(o.str("name"), name, "{json}");
        }
    }

    #[test]
    fn only_fields_the_plan_sets_and_changes_are_sent_as_text() {
        let s = singleton();
        let plan = Obj::default()
            .with("enabled", true)
            .with("minutes", 20_i64)
            .with("name", Value::Null);
        let sent = |prior: Option<&Obj>| s.changes(&plan, prior);
        // On create every known field is sent; null ones keep Duo's value.
        assert_eq!(
            sent(None),
            [
                ("enabled".to_owned(), "true".to_owned()),
                ("minutes".to_owned(), "20".to_owned())
            ]
        );
        // On update only what differs from the prior state.
        let prior = Obj::default().with("enabled", true).with("minutes", 10_i64);
        assert_eq!(
            sent(Some(&prior)),
            [("minutes".to_owned(), "20".to_owned())]
        );
        // Unknown values are not sent.
        let unknown = Obj::default().with("minutes", Value::Unknown);
        assert!(s.changes(&unknown, None).is_empty());
    }
}
