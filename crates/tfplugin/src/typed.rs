//! Typed state: a provider declares a type's attributes once, as the fields of a plain Rust
//! struct ([`state!`]), and works with that struct instead of a string-keyed [`Obj`]. A
//! misspelt attribute is then a compile error, not a silent null.
//!
//! The declaration gives each field its Terraform type (from the field's Rust type, through
//! [`AttrType`]) and the rest of its [`Attribute`] (mode, validators, description) in one
//! place; the schema is made from it. Converting between the struct and the plugin layer's
//! values happens here only, through serde and the values' JSON form: an unknown value reads
//! as null, because a resource acts only on what is known (Terraform has resolved every
//! configured value by apply time; what is still unknown is what the resource computes).

use std::collections::BTreeSet;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::value::to_json as json;
use crate::{AttrPath, Attribute, Diagnostic, Obj, Type, from_json};

/// A Rust type that is one attribute's Terraform type. `Option` is the attribute that may be
/// null; everything a provider reads from configuration is.
pub trait AttrType {
    fn attribute(name: &str) -> Attribute;
}

impl<T: AttrType> AttrType for Option<T> {
    fn attribute(name: &str) -> Attribute {
        T::attribute(name)
    }
}

impl AttrType for String {
    fn attribute(name: &str) -> Attribute {
        Attribute::string(name)
    }
}

impl AttrType for bool {
    fn attribute(name: &str) -> Attribute {
        Attribute::bool(name)
    }
}

impl AttrType for i64 {
    fn attribute(name: &str) -> Attribute {
        Attribute::number(name)
    }
}

impl AttrType for f64 {
    fn attribute(name: &str) -> Attribute {
        Attribute::number(name)
    }
}

impl AttrType for BTreeSet<String> {
    fn attribute(name: &str) -> Attribute {
        Attribute::set_of(name, Type::String)
    }
}

impl AttrType for Vec<String> {
    fn attribute(name: &str) -> Attribute {
        Attribute::list_of(name, Type::String)
    }
}

/// A type's Terraform value as a Rust struct, declared with [`state!`].
pub trait State: Serialize + DeserializeOwned + Default {
    /// The attributes, in declaration order.
    fn attributes() -> Vec<Attribute>;

    fn object_type() -> Type {
        Type::Object(
            Self::attributes()
                .into_iter()
                .map(|a| (a.name, a.ty))
                .collect(),
        )
    }

    /// The struct for a value the plugin layer decoded with this type's schema. Unknown
    /// values read as null. Fails only for a value the field's type cannot hold (a
    /// fractional number where a whole one is declared).
    fn from_obj(o: &Obj) -> Result<Self, Diagnostic> {
        let all = json(&o.clone().into_value());
        serde_json::from_value(all).map_err(|e| {
            // serde does not say which field; trying each alone does.
            let name = o.0.iter().map(|(k, v)| (k, json(v))).find_map(|(k, v)| {
                let alone: serde_json::Map<String, serde_json::Value> =
                    [(k.clone(), v)].into_iter().collect();
                serde_json::from_value::<Self>(serde_json::Value::Object(alone))
                    .is_err()
                    .then(|| k.clone())
            });
            let d = Diagnostic::error(
                "Invalid value",
                format!(
                    "{}{e}.",
                    name.as_deref()
                        .map(|n| format!("`{n}`: "))
                        .unwrap_or_default()
                ),
            );
            match name {
                Some(n) => d.at(AttrPath::root(&n)),
                None => d,
            }
        })
    }

    /// The plugin layer's value for this struct.
    fn to_obj(&self) -> Obj {
        // The field types `AttrType` admits (strings, bools, numbers, string
        // collections) always serialize and always match the declared type,
        // so neither step can fail; a failure would be a declaration bug, kept visible as an
        // empty object in the state rather than a panic.
        let converted = serde_json::to_value(self)
            .map_err(|e| e.to_string())
            .and_then(|j| from_json(&j, &Self::object_type()).map_err(|e| e.to_string()))
            .map(Obj::from_value);
        match converted {
            Ok(Some(obj)) => obj,
            Ok(None) => Obj::default(),
            Err(e) => {
                tracing::error!("a typed state does not match its declaration: {e}");
                Obj::default()
            }
        }
    }
}

/// What a resource's helpers accept as a new state: an [`Obj`] or a typed [`State`].
pub trait IntoObj {
    fn into_obj(self) -> Obj;
}

impl IntoObj for Obj {
    fn into_obj(self) -> Obj {
        self
    }
}

impl<S: State> IntoObj for S {
    fn into_obj(self) -> Obj {
        self.to_obj()
    }
}

/// An attribute's name from its field's: `r#type` is the attribute `type`.
pub const fn attr_name(field: &'static str) -> &'static str {
    match field.as_bytes() {
        [b'r', b'#', rest @ ..] => match std::str::from_utf8(rest) {
            Ok(name) => name,
            Err(_) => field,
        },
        _ => field,
    }
}

/// Declares a typed state: the struct, an associated constant per attribute name (for the
/// few places that must name an attribute as data: natural keys, references, paths in
/// diagnostics), and its [`State`] implementation, whose attributes are each field's
/// [`AttrType`] followed by the builder calls in braces.
///
/// ```ignore
/// state! {
///     pub struct GroupState {
///         id: Option<String> { .computed().describe("The group's ID.") },
///         name: Option<String> { .required().describe("The group's name.") },
///     }
/// }
/// ```
#[macro_export]
macro_rules! state {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $field:ident : $ty:ty { $($build:tt)* } ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(default)]
        $vis struct $name {
            $( pub $field: $ty, )*
        }

        #[allow(non_upper_case_globals, dead_code)]
        impl $name {
            $( pub const $field: &'static str = $crate::attr_name(stringify!($field)); )*
        }

        impl $crate::State for $name {
            fn attributes() -> Vec<$crate::Attribute> {
                vec![
                    $( <$ty as $crate::AttrType>::attribute($crate::attr_name(stringify!($field))) $($build)* ),*
                ]
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Number, Validator, Value};

    crate::state! {
        /// A state with every kind of field.
        struct Example {
            id: Option<String> { .computed() },
            r#type: Option<String> { .required().validate(Validator::one_of(&["a", "b"])) },
            enabled: Option<bool> { .default(true) },
            count: Option<i64> { .optional() },
            tags: Option<BTreeSet<String>> { .optional() },
            names: Option<Vec<String>> { .optional() },
        }
    }

    #[test]
    fn attributes_take_their_names_and_types_from_the_fields() {
        let attrs = Example::attributes();
        let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["id", "type", "enabled", "count", "tags", "names"]);
        assert_eq!(Example::r#type, "type");
        assert_eq!(attrs[1].validators.len(), 1);
        assert_eq!(attrs[2].default, Some(Value::Bool(true)));
        assert_eq!(attrs[4].ty, Type::Set(Box::new(Type::String)));
        assert_eq!(attrs[5].ty, Type::List(Box::new(Type::String)));
    }

    #[test]
    fn a_state_survives_the_plugin_layers_values_and_unknowns_read_as_null() {
        let state = Example {
            id: Some("X1".into()),
            r#type: Some("a".into()),
            enabled: Some(false),
            count: Some(3),
            tags: Some(["t".to_owned()].into()),
            names: Some(vec!["n".into()]),
        };
        let obj = state.to_obj();
        assert_eq!(obj.str("type"), Some("a"));
        assert_eq!(obj.i64("count"), Some(3));
        assert_eq!(Example::from_obj(&obj).ok(), Some(state));

        let planned = Obj::default().with("id", Value::Unknown).with("count", 2);
        let read = Example::from_obj(&planned).ok().unwrap_or_default();
        assert_eq!((read.id, read.count), (None, Some(2)));
    }

    #[test]
    fn a_fractional_number_for_a_whole_one_is_an_error_not_a_panic() {
        let obj = Obj::default().with("count", Value::Number(Number::Float(1.5)));
        let err = Example::from_obj(&obj).err();
        assert_eq!(
            err.as_ref().map(|d| d.summary.as_str()),
            Some("Invalid value")
        );
        assert_eq!(err.and_then(|d| d.path), Some(AttrPath::root("count")));
    }
}
