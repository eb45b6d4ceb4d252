//! Account-wide objects that always exist and have no ID (account settings, the
//! authentication methods administrators may use): one generic resource over each type's
//! typed state, whose fields are the settings.
//!
//! Such a resource manages only the fields its configuration sets: every field is optional and
//! computed, and an omitted one keeps Duo's value (it is still read, so an import generates
//! every field). Creating it changes the fields set; destroying it changes nothing in Duo and
//! only stops managing them.
//!
//! Duo answers these endpoints loosely typed (flags as `true`, `1` or `"1"`, counts as numbers
//! or strings), so each field is coerced to its declared type on the way in, and sent back as
//! the text form Duo's form parameters take.

use std::marker::PhantomData;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

use super::{Action, Op, diagnose};
use crate::duo;
use crate::kinds;
use crate::plugin::{
    AttrPath, Diagnostic, Diagnostics, Failed, ID, Obj, Resource, Schema, State, Take, Type,
    Validator,
};

pub struct Singleton<S> {
    pub description: &'static str,
    /// The fixed ID, which is also the import ID.
    pub id: &'static str,
    /// Its registry entry: type name, what messages call it, the permission it needs.
    pub kind: &'static kinds::Kind,
    pub which: duo::Singleton,
    /// The fields, declared by `S`.
    fields: PhantomData<S>,
}

impl<S: State> Singleton<S> {
    pub const fn new(
        kind: &'static kinds::Kind,
        id: &'static str,
        which: duo::Singleton,
        description: &'static str,
    ) -> Self {
        Singleton {
            description,
            id,
            kind,
            which,
            fields: PhantomData,
        }
    }

    /// Duo's answer as the typed state: each declared field coerced to its type, a field Duo
    /// leaves out or gives in a form that cannot mean the type is null.
    fn decode(&self, duo_value: &Map<String, Json>) -> Result<S, Diagnostic> {
        let fields: Map<String, Json> = S::attributes()
            .into_iter()
            .map(|a| {
                let value = duo_value
                    .get(&a.name)
                    .map_or(Json::Null, |v| coerce(&a.ty, v));
                (a.name, value)
            })
            .collect();
        serde_json::from_value(Json::Object(fields)).map_err(|e| {
            Diagnostic::error(
                format!("Unexpected {} from Duo", self.kind.noun),
                format!("The answer does not fit the declared fields: {e}."),
            )
        })
    }

    /// The state Terraform keeps: the fields and the fixed ID.
    fn to_state(&self, fields: &S) -> Obj {
        fields.to_obj().with(ID, self.id)
    }

    async fn apply(
        &self,
        duo: &duo::Client,
        plan: &Obj,
        prior: Option<&Obj>,
        action: Action,
    ) -> Result<Obj, Failed> {
        let plan = S::from_obj(plan)?;
        let prior = prior.map(S::from_obj).transpose()?;
        let changes = changes(&plan, prior.as_ref());
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
                && S::attributes().iter().any(|a| &a.name == field)
            {
                d = d.at(AttrPath::root(field));
            }
            d
        })?;
        Ok(self.to_state(&self.decode(&answer)?))
    }
}

/// One of Duo's loosely typed values as the JSON form of `ty`.
fn coerce(ty: &Type, v: &Json) -> Json {
    match (ty, v) {
        (Type::Bool, Json::Bool(b)) => Json::Bool(*b),
        (Type::Bool, Json::Number(n)) => Json::Bool(n.as_i64() != Some(0)),
        (Type::Bool, Json::String(s)) => Json::Bool(matches!(s.as_str(), "1" | "true")),
        (Type::Number, Json::Number(n)) => n.as_i64().map_or(Json::Null, Json::from),
        (Type::Number, Json::String(s)) => s.trim().parse::<i64>().map_or(Json::Null, Json::from),
        (Type::String, Json::String(s)) => Json::String(s.clone()),
        (Type::String, Json::Number(n)) => Json::String(n.to_string()),
        _ => Json::Null,
    }
}

/// The planned fields that differ from `prior` (all set ones on create), as the text Duo's
/// parameters take. Unset fields (null, or unknown in the plan) keep Duo's value.
fn changes<S: State>(plan: &S, prior: Option<&S>) -> Vec<(String, String)> {
    let fields = |s: &S| match serde_json::to_value(s) {
        Ok(Json::Object(m)) => m,
        _ => Map::new(),
    };
    let before = prior.map(fields);
    fields(plan)
        .into_iter()
        .filter(|(name, v)| !v.is_null() && before.as_ref().is_none_or(|p| p.get(name) != Some(v)))
        .filter_map(|(name, v)| {
            let text = match v {
                Json::Bool(b) => b.to_string(),
                Json::Number(n) => n.as_i64()?.to_string(),
                Json::String(s) => s,
                _ => return None,
            };
            Some((name, text))
        })
        .collect()
}

#[async_trait]
impl<S: State + Send + Sync + 'static> Resource<duo::Client> for Singleton<S> {
    fn type_name(&self) -> &'static str {
        self.kind.type_name
    }

    fn schema(&self) -> Schema {
        let id = crate::plugin::Attribute::string(ID)
            .computed()
            .use_state_for_unknown()
            .describe(&format!("Always `{}`; also the import ID.", self.id));
        let fields = S::attributes()
            .into_iter()
            .map(|a| a.optional_computed().use_state_for_unknown());
        Schema::new(self.description)
            .attr(id)
            .attrs(fields.collect())
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        self.apply(duo, plan, None, Action::Create).await
    }

    async fn read(&self, duo: &duo::Client, _: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let v = duo
            .get_singleton(self.which)
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, self.kind), &e))?;
        Ok(Some(self.to_state(&self.decode(&v)?)))
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

    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        Ok(take.from_all(vec![self.import(duo, self.id).await?]))
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
    use crate::plugin::Value;

    crate::plugin::state! {
        /// One field of each type.
        struct Example {
            enabled: Option<bool> { .describe("a flag") },
            minutes: Option<i64> { .describe("a count").validate(zero_or_between(5, 30)) },
            name: Option<String> { .describe("a text") },
        }
    }

    const EXAMPLE: Singleton<Example> = Singleton::new(
        &super::super::settings::KIND,
        "example",
        duo::Singleton::Settings,
        "",
    );

    fn answer(json: &str) -> Map<String, Json> {
        serde_json::from_str(json).unwrap_or_default()
    }

    #[test]
    fn duos_answers_are_coerced_to_each_fields_type_whatever_json_type_they_come_in() {
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
            let fields = EXAMPLE.decode(&answer(json)).unwrap_or_default();
            assert_eq!(
                (fields.enabled, fields.minutes, fields.name.as_deref()),
                (enabled, minutes, name),
                "{json}"
            );
            let o = EXAMPLE.to_state(&fields);
            assert_eq!(o.str("id"), Some("example"), "{json}");
            assert_eq!(o.bool("enabled"), enabled, "{json}");
        }
    }

    #[test]
    fn only_fields_the_plan_sets_and_changes_are_sent_as_text() {
        let plan = Obj::default()
            .with("enabled", true)
            .with("minutes", 20_i64)
            .with("name", Value::Null);
        let plan = Example::from_obj(&plan).unwrap_or_default();
        // On create every known field is sent; null ones keep Duo's value.
        assert_eq!(
            changes(&plan, None),
            [
                ("enabled".to_owned(), "true".to_owned()),
                ("minutes".to_owned(), "20".to_owned())
            ]
        );
        // On update only what differs from the prior state.
        let prior = Example {
            enabled: Some(true),
            minutes: Some(10),
            name: None,
        };
        assert_eq!(
            changes(&plan, Some(&prior)),
            [("minutes".to_owned(), "20".to_owned())]
        );
        // Unknown values are not sent.
        let unknown = Obj::default().with("minutes", Value::Unknown);
        let unknown = Example::from_obj(&unknown).unwrap_or_default();
        assert!(changes(&unknown, None).is_empty());
    }

    #[test]
    fn every_field_is_optional_and_computed_and_keeps_its_checks() {
        let schema = EXAMPLE.schema();
        let names: Vec<&str> = schema.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["id", "enabled", "minutes", "name"]);
        assert_eq!(schema.attributes[2].validators.len(), 1);
        assert!(schema.attributes[1..].iter().all(|a| a.mode == crate::plugin::Mode::OptionalComputed && a.use_state_for_unknown));
    }
}
