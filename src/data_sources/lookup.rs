//! The shape every lookup data source of one Duo object shares (`duo_group`, `duo_user`,
//! `duo_integration`, `duo_admin`, `duo_policy`): exactly one of a few keys is given, the key
//! finds the matching objects, exactly one must match, and the answer is that object with its
//! resource's attributes (less what is never shown) plus the keys. Each type's file declares a [`Lookup`]
//! table; the behaviour lives here once. A key is a string (an ID, a name) or a flag that
//! names one well-known object when `true` (`global = true` for the global policy).

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;

use super::{exactly_one_of, single};
use crate::duo;
use crate::kinds::Kind;
use crate::plugin::{Attribute, DataSource, Diagnostic, Diagnostics, Obj, Schema, Value};
use crate::resources::{Action, Op, diagnose};

/// A search for the objects one key's value names, as the Duo client answers it.
pub type FindCall<T> =
    for<'c> fn(
        &'c duo::Client,
        &'c str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<T>, duo::Error>> + Send + 'c>>;

/// One way to look the object up.
pub struct Key<T> {
    /// The attribute that holds the value.
    pub attr: &'static str,
    /// For a key the resource does not have, its declaration.
    pub added: Option<Added>,
    /// What a message calls the lookup, given the value: `group named "ops"`.
    pub what: fn(&str) -> String,
    pub find: FindCall<T>,
}

/// A key declared by the lookup: its type and description.
pub enum Added {
    Text(&'static str),
    /// Given only as `true`; its value is the text `"true"`.
    Flag(&'static str),
}

/// A key's value as the text a [`FindCall`] takes, if the key is given: a flag is given only
/// when `true`.
fn key_value(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Bool(true) => Some("true"),
        _ => None,
    }
}

/// A lookup data source.
pub struct Lookup<T: 'static> {
    pub type_name: &'static str,
    pub description: &'static str,
    pub kind: &'static Kind,
    /// The resource whose attributes the object has.
    pub resource: fn() -> Schema,
    /// Attributes of the resource that are not shown (secrets, settings Duo never returns).
    pub omit: &'static [&'static str],
    /// The keys, the object's own ID first: it is set from the object found.
    pub keys: &'static [Key<T>],
    pub id_of: fn(&T) -> &str,
    pub to_state: fn(&T) -> Obj,
}

impl<T> Lookup<T> {
    fn key_names(&self) -> Vec<&'static str> {
        self.keys.iter().map(|k| k.attr).collect()
    }
}

/// A key found by ID: Duo's one object, or none when it does not exist.
pub async fn by_id<T>(
    call: impl Future<Output = Result<T, duo::Error>>,
) -> Result<Vec<T>, duo::Error> {
    Ok(duo::gone_is_none(call.await)?.into_iter().collect())
}

#[async_trait]
impl<T: Send + Sync + 'static> DataSource<duo::Client> for Lookup<T> {
    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn schema(&self) -> Schema {
        let resource_keys: Vec<&str> = self
            .keys
            .iter()
            .filter(|k| k.added.is_none())
            .map(|k| k.attr)
            .collect();
        let mut schema = (self.resource)()
            .without(self.omit)
            .as_data_source(self.description, &resource_keys);
        for (i, key) in self.keys.iter().enumerate() {
            if let Some(added) = &key.added {
                let (attr, description) = match added {
                    Added::Text(d) => (Attribute::string(key.attr), d),
                    Added::Flag(d) => (Attribute::bool(key.attr), d),
                };
                // The ID is also an answer; other added keys are only asked.
                let attr = if i == 0 {
                    attr.optional_computed()
                } else {
                    attr.optional()
                };
                schema = schema.attr(attr.describe(description));
            }
        }
        schema
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        exactly_one_of(config, &self.key_names())
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let Some((key, value)) = self
            .keys
            .iter()
            .find_map(|k| Some((k, key_value(config.get(k.attr))?)))
        else {
            // Validation has asked for exactly one key; one that is not known yet (or a flag
            // that is `false`) is none.
            let keys = self
                .keys
                .iter()
                .map(|k| match k.added {
                    Some(Added::Flag(_)) => format!("{} = true", k.attr),
                    _ => k.attr.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("`, `");
            return Err(Diagnostic::error(
                "Missing lookup key",
                format!("Give one of `{keys}`, with a value known at plan time."),
            )
            .into());
        };
        let matches = (key.find)(duo, value)
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, self.kind), &e))?;
        let found = single(matches, self.id_of, &(key.what)(value), key.attr)?;
        let mut state = (self.to_state)(&found);
        for attr in self.omit {
            state.0.remove(*attr);
        }
        let id = self
            .keys
            .first()
            .filter(|k| k.added.is_some())
            .map(|k| k.attr);
        let mut answer = config.clone().merged(state);
        if let Some(id_attr) = id {
            answer.set(id_attr, (self.id_of)(&found));
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{Mode, Type};

    fn attr(schema: &Schema, name: &str) -> Option<(Type, Mode)> {
        schema.attribute(name).map(|a| (a.ty.clone(), a.mode))
    }

    #[test]
    fn keys_are_optional_the_id_is_also_an_answer_and_the_rest_is_computed() {
        let group = super::super::group::data_source().schema();
        assert_eq!(
            attr(&group, "group_id"),
            Some((Type::String, Mode::OptionalComputed))
        );
        assert_eq!(
            attr(&group, "name"),
            Some((Type::String, Mode::OptionalComputed))
        );
        assert_eq!(attr(&group, "desc"), Some((Type::String, Mode::Computed)));

        let user = super::super::user::data_source().schema();
        assert_eq!(attr(&user, "alias"), Some((Type::String, Mode::Optional)));

        let policy = super::super::policy::data_source().schema();
        assert_eq!(attr(&policy, "global"), Some((Type::Bool, Mode::Optional)));
        assert_eq!(
            attr(&policy, "is_global_policy"),
            Some((Type::Bool, Mode::Computed))
        );
    }

    #[test]
    fn a_flag_key_is_given_only_when_true() {
        assert_eq!(key_value(&Value::from("ops")), Some("ops"));
        assert_eq!(key_value(&Value::Bool(true)), Some("true"));
        assert_eq!(key_value(&Value::Bool(false)), None);
        assert_eq!(key_value(&Value::Null), None);
        assert_eq!(key_value(&Value::Unknown), None);
    }
}
