//! The schema model: what a provider, resource or data source accepts and returns.
//!
//! Besides what Terraform itself sees (types, required/optional/computed, sensitivity), an
//! attribute carries the plan-time behaviour the framework applies for it: defaults, validators,
//! replace-on-change and "use state for unknown". Descriptions are user documentation: they feed
//! `terraform providers schema -json`, editor hovers and the generated Registry docs.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::value::{Type, Value};

/// Whether the user must, may or cannot set an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    /// Set by the provider only.
    Computed,
    /// Set by the user, or by the provider when the user leaves it out.
    OptionalComputed,
}

/// Collection shape of nested attributes (protocol 6 `Schema.Object`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
}

/// A check of one configured value; `description` is shown in the docs.
#[derive(Clone)]
pub struct Validator {
    pub description: String,
    check: Check,
}

type Check = Arc<dyn Fn(&Value) -> Result<(), String> + Send + Sync>;

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl Validator {
    pub fn new(
        description: impl Into<String>,
        check: impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static,
    ) -> Validator {
        Validator {
            description: description.into(),
            check: Arc::new(check),
        }
    }

    /// Checks a known, non-null value; null and unknown values always pass (Terraform
    /// validates again once they are known).
    pub fn check(&self, value: &Value) -> Result<(), String> {
        if value.is_null() || value.contains_unknown() {
            return Ok(());
        }
        (self.check)(value)
    }

    /// The value must be one of `allowed`, exactly (case included).
    pub fn one_of(allowed: &'static [&'static str]) -> Validator {
        let list = allowed
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        Validator::new(format!("Valid values: {list}."), move |v| {
            match v.as_str() {
                Some(s) if allowed.contains(&s) => Ok(()),
                Some(s) => {
                    let hint = allowed
                        .iter()
                        .find(|a| a.eq_ignore_ascii_case(s))
                        .map(|a| format!(" (did you mean {a:?}? values are case-sensitive)"))
                        .unwrap_or_default();
                    Err(format!("{s:?} is not one of {}{hint}.", allowed.join(", ")))
                }
                None => Ok(()),
            }
        })
    }

    /// An email address: one `@` between a local part and a domain, no spaces.
    pub fn email() -> Validator {
        Validator::new("An email address, like `ann@example.com`.", |v| {
            let s = v.as_str().unwrap_or_default();
            let ok = s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }) && !s.chars().any(char::is_whitespace);
            if ok || s.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{s:?} is not an email address; write it like \"ann@example.com\"."
                ))
            }
        })
    }

    /// An IPv4 or IPv6 address, or a CIDR block whose prefix fits its address.
    pub fn cidr() -> Validator {
        Validator::new("An IP address or CIDR block, like `192.0.2.0/24`.", |v| {
            let s = v.as_str().unwrap_or_default();
            let (addr, prefix) = s.split_once('/').unwrap_or((s, ""));
            let max = match addr.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(_)) => 32,
                Ok(std::net::IpAddr::V6(_)) => 128,
                Err(_) => {
                    return Err(format!(
                        "{s:?} is not an IP address or CIDR block; write it like \"192.0.2.0/24\"."
                    ));
                }
            };
            match prefix {
                "" => Ok(()),
                p if p.parse::<u8>().is_ok_and(|n| n <= max) => Ok(()),
                p => Err(format!(
                    "{s:?} has prefix length {p:?}; it must be 0 to {max}."
                )),
            }
        })
    }

    /// Digits only (or empty). The message never repeats the value, which may be a secret.
    pub fn digits() -> Validator {
        Validator::new("Digits only.", |v| {
            if v.as_str()
                .unwrap_or_default()
                .chars()
                .all(|c| c.is_ascii_digit())
            {
                Ok(())
            } else {
                Err("must be digits only.".to_owned())
            }
        })
    }

    /// A whole number of at least `min`.
    pub fn at_least(min: i64) -> Validator {
        Validator::new(format!("At least {min}."), move |v| match v.as_i64() {
            Some(n) if n >= min => Ok(()),
            Some(n) => Err(format!("must be at least {min}, not {n}.")),
            None => Err("must be a whole number.".to_owned()),
        })
    }

    /// `inner` holds for every element of a list or set; the message names the element.
    pub fn each(inner: Validator) -> Validator {
        Validator::new(format!("Each: {}", inner.description), move |v| {
            let items = match v {
                Value::List(items) | Value::Set(items) => items.as_slice(),
                _ => &[],
            };
            items
                .iter()
                .try_for_each(|item| inner.check(item))
                .map_err(|msg| format!("has an invalid element: {msg}"))
        })
    }

    /// A string of `min..=max` characters.
    pub fn length_between(min: usize, max: usize) -> Validator {
        Validator::new(
            format!("Must be {min} to {max} characters long."),
            move |v| {
                let n = v.as_str().map_or(0, |s| s.chars().count());
                if (min..=max).contains(&n) {
                    Ok(())
                } else {
                    Err(format!("must be {min} to {max} characters long, not {n}."))
                }
            },
        )
    }
}

/// One attribute of a schema.
#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub mode: Mode,
    pub sensitive: bool,
    pub default: Option<Value>,
    /// A change of this attribute replaces the object.
    pub force_new: bool,
    /// Once known, the value does not change unless the config changes it (e.g. `id`).
    pub use_state_for_unknown: bool,
    pub validators: Vec<Validator>,
    pub nested: Option<(Nesting, Vec<Attribute>)>,
    /// Two spellings the remote treats as the same value (e.g. phone numbers): a plan keeps
    /// the prior spelling instead of showing a change that is only normalisation.
    pub same: Option<fn(&str, &str) -> bool>,
    /// The resource type whose `id` this attribute holds (or whose IDs a list or set holds):
    /// generated configuration refers to that resource instead of writing the raw ID.
    pub references: Option<&'static str>,
    /// Kept in state as configured, never sent to or read from the remote: a setting of the
    /// provider's own behaviour. A read keeps the prior value, a create or update the planned
    /// one, without each resource carrying it.
    pub local: bool,
    /// Sent by Terraform 1.11 and later with the configuration only: never in a plan or a
    /// state. The framework clears it from every plan and state, hands the configured value to
    /// create and update, and refuses it from a Terraform that cannot keep it out of state.
    pub write_only: bool,
}

impl Attribute {
    fn new(name: &str, ty: Type) -> Attribute {
        Attribute {
            name: name.to_owned(),
            ty,
            description: String::new(),
            mode: Mode::Optional,
            sensitive: false,
            default: None,
            force_new: false,
            use_state_for_unknown: false,
            validators: Vec::new(),
            nested: None,
            same: None,
            references: None,
            local: false,
            write_only: false,
        }
    }

    pub fn string(name: &str) -> Attribute {
        Attribute::new(name, Type::String)
    }
    pub fn bool(name: &str) -> Attribute {
        Attribute::new(name, Type::Bool)
    }
    pub fn number(name: &str) -> Attribute {
        Attribute::new(name, Type::Number)
    }
    pub fn set_of(name: &str, elem: Type) -> Attribute {
        Attribute::new(name, Type::Set(Box::new(elem)))
    }
    pub fn list_of(name: &str, elem: Type) -> Attribute {
        Attribute::new(name, Type::List(Box::new(elem)))
    }

    /// Nested attributes (`x = { … }` or `x = [{ … }]`).
    pub fn nested(name: &str, nesting: Nesting, attributes: Vec<Attribute>) -> Attribute {
        let object = Type::Object(
            attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .collect(),
        );
        let ty = match nesting {
            Nesting::Single => object,
            Nesting::List => Type::List(Box::new(object)),
            Nesting::Set => Type::Set(Box::new(object)),
            Nesting::Map => Type::Map(Box::new(object)),
        };
        Attribute {
            nested: Some((nesting, attributes)),
            ..Attribute::new(name, ty)
        }
    }

    pub fn describe(mut self, text: &str) -> Attribute {
        self.description = text.to_owned();
        self
    }
    pub fn required(mut self) -> Attribute {
        self.mode = Mode::Required;
        self
    }
    pub fn optional(mut self) -> Attribute {
        self.mode = Mode::Optional;
        self
    }
    pub fn computed(mut self) -> Attribute {
        self.mode = Mode::Computed;
        self
    }
    pub fn optional_computed(mut self) -> Attribute {
        self.mode = Mode::OptionalComputed;
        self
    }
    /// A static default for an omitted value; implies optional + computed.
    pub fn default(mut self, value: impl Into<Value>) -> Attribute {
        self.mode = Mode::OptionalComputed;
        self.default = Some(value.into());
        self
    }
    pub fn references(mut self, type_name: &'static str) -> Attribute {
        self.references = Some(type_name);
        self
    }
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
    pub fn force_new(mut self) -> Attribute {
        self.force_new = true;
        self
    }
    pub fn use_state_for_unknown(mut self) -> Attribute {
        self.use_state_for_unknown = true;
        self
    }
    /// Declares the attribute the provider's own (see [`Attribute::local`]).
    pub fn local(mut self) -> Attribute {
        self.local = true;
        self
    }
    /// Declares the attribute write-only (see [`Attribute::write_only`]).
    pub fn write_only(mut self) -> Attribute {
        self.write_only = true;
        self
    }
    /// Declares which spellings mean the same value (see [`Attribute::same`]).
    pub fn normalized(mut self, same: fn(&str, &str) -> bool) -> Attribute {
        self.same = Some(same);
        self
    }

    pub fn validate(mut self, v: Validator) -> Attribute {
        self.validators.push(v);
        self
    }

    pub fn is_computed(&self) -> bool {
        matches!(self.mode, Mode::Computed | Mode::OptionalComputed)
    }

    /// The description with what the framework knows added: allowed values, default,
    /// replacement. Used for the schema Terraform sees and for the generated docs.
    pub fn full_description(&self) -> String {
        let mut parts = vec![self.description.clone()];
        parts.extend(self.validators.iter().map(|v| v.description.clone()));
        if let Some(default) = &self.default {
            let shown = match default {
                Value::String(s) => format!("{s:?}"),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n
                    .as_i64()
                    .map_or_else(|| format!("{n:?}"), |i| i.to_string()),
                other => format!("{other:?}"),
            };
            parts.push(format!("Defaults to `{shown}`."));
        }
        if let Some(target) = self.references
            && self.mode != Mode::Computed
        {
            let each = if matches!(self.ty, Type::String) {
                ""
            } else {
                "s"
            };
            parts.push(format!(
                "Usually a reference{each} such as `{target}.NAME.id`."
            ));
        }
        if self.force_new {
            parts.push("Changing it replaces the object.".to_owned());
        }
        if self.write_only {
            parts.push(
                "Write-only: never stored in the plan or state; needs Terraform 1.11 or later."
                    .to_owned(),
            );
        }
        parts.retain(|p| !p.is_empty());
        parts.join(" ")
    }
}

/// Collection shape of a nested block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockNesting {
    Single,
    List,
    Set,
}

/// A nested block (`x { … }`), for the few shapes that read better as blocks. Terraform
/// requires `min_items == max_items` for `Single` (both 0 for an optional block).
#[derive(Debug, Clone)]
pub struct Block {
    pub name: String,
    pub nesting: BlockNesting,
    pub min_items: i64,
    pub max_items: i64,
    pub schema: Schema,
}

/// The schema of a provider, resource or data source.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub version: i64,
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
    /// A resource's identity (Terraform 1.12+); the service gives every resource without one
    /// [`Identity::of_id`]. Data sources have none.
    pub identity: Option<Identity>,
    /// Outside the provider's scope ([`crate::framework::Scope`]): the type has no scope
    /// attribute and every call goes through the provider's own client.
    pub unscoped: bool,
}

/// How Terraform 1.12 and later identify a resource's objects (resource identity): some of
/// the state's own attributes, fixed for the life of an object, which Terraform keeps beside
/// the state and imports by (`import { identity = { … } }`).
///
/// Declared as attribute names, so an identity is always exactly what the state says and can
/// never drift from it; types and descriptions come from the resource's schema. The values,
/// in order, joined with `/`, are the object's import ID. A later attribute (an account, for
/// objects of another account) joins as an optional one with a new `version`, and identities
/// stored by the old version upgrade to it with that attribute null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub version: i64,
    /// Required to import: the import ID's parts, in order.
    pub attributes: Vec<&'static str>,
    /// Optional to import, null when the state's is (the provider's scope, see
    /// [`crate::framework::Scope`]).
    pub optional: Vec<&'static str>,
}

impl Identity {
    pub fn new(attributes: &[&'static str]) -> Identity {
        Identity {
            version: 0,
            attributes: attributes.to_vec(),
            optional: Vec::new(),
        }
    }

    /// Every attribute, the required ones first.
    pub fn all(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.attributes.iter().chain(&self.optional).copied()
    }

    /// The identity of an object whose import ID is its `id`.
    pub fn of_id() -> Identity {
        Identity::new(&[crate::ID])
    }

    /// The identity's object type, the attributes' types taken from `schema`.
    pub fn object_type(&self, schema: &Schema) -> Type {
        Type::Object(
            self.all()
                .map(|name| {
                    let ty = schema
                        .attribute(name)
                        .map_or(Type::String, |a| a.ty.clone());
                    (name.to_owned(), ty)
                })
                .collect(),
        )
    }
}

impl Schema {
    pub fn new(description: &str) -> Schema {
        Schema {
            description: description.to_owned(),
            ..Schema::default()
        }
    }

    pub fn attr(mut self, a: Attribute) -> Schema {
        self.attributes.push(a);
        self
    }

    /// Appends `attrs` (a typed state's, see [`crate::State::attributes`]).
    pub fn attrs(mut self, attrs: Vec<Attribute>) -> Schema {
        self.attributes.extend(attrs);
        self
    }

    pub fn block(mut self, b: Block) -> Schema {
        self.blocks.push(b);
        self
    }

    /// Declares the type outside the provider's scope (see [`Schema::unscoped`]).
    pub fn unscoped(mut self) -> Schema {
        self.unscoped = true;
        self
    }

    /// Sets a resource's identity (see [`Identity`]).
    pub fn identity(mut self, identity: Identity) -> Schema {
        self.identity = Some(identity);
        self
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The object type of a whole configuration or state.
    pub fn object_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            let inner = b.schema.object_type();
            let ty = match b.nesting {
                BlockNesting::Single => inner,
                BlockNesting::List => Type::List(Box::new(inner)),
                BlockNesting::Set => Type::Set(Box::new(inner)),
            };
            attrs.insert(b.name.clone(), ty);
        }
        Type::Object(attrs)
    }

    /// The schema without some attributes (e.g. secrets a data source must not expose).
    pub fn without(mut self, names: &[&str]) -> Schema {
        self.attributes
            .retain(|a| !names.contains(&a.name.as_str()));
        self
    }

    /// The data source twin of a resource schema: every attribute computed except the lookup
    /// keys, which become optional; nothing forces replacement and nothing has a default.
    pub fn as_data_source(&self, description: &str, lookup_keys: &[&str]) -> Schema {
        let attributes = self
            .attributes
            .iter()
            .filter(|a| !a.local && !a.write_only)
            .map(|a| {
                let lookup = lookup_keys.contains(&a.name.as_str());
                Attribute {
                    mode: if lookup {
                        Mode::OptionalComputed
                    } else {
                        Mode::Computed
                    },
                    default: None,
                    force_new: false,
                    use_state_for_unknown: false,
                    validators: if lookup {
                        a.validators.clone()
                    } else {
                        Vec::new()
                    },
                    ..a.clone()
                }
            })
            .collect();
        Schema {
            version: 0,
            description: description.to_owned(),
            attributes,
            blocks: Vec::new(),
            unscoped: self.unscoped,
            identity: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_accept_what_they_describe_and_say_what_is_wrong() {
        let s = |v: &str| Value::from(v);
        let email = Validator::email();
        for ok in ["ann@example.com", "a.b+c@sub.example.org", ""] {
            assert_eq!(email.check(&s(ok)), Ok(()), "{ok}");
        }
        for bad in [
            "ann",
            "ann@",
            "@example.com",
            "a@b@c",
            "ann @example.com",
            "ann@example.",
        ] {
            let e = email.check(&s(bad)).unwrap_err();
            assert!(e.contains("is not an email address"), "{bad}: {e}");
        }
        let cidr = Validator::cidr();
        for ok in ["192.0.2.0/24", "192.0.2.7", "2001:db8::/32", "0.0.0.0/0"] {
            assert_eq!(cidr.check(&s(ok)), Ok(()), "{ok}");
        }
        assert!(
            cidr.check(&s("192.0.2.0/33"))
                .unwrap_err()
                .contains("must be 0 to 32")
        );
        assert!(
            cidr.check(&s("10.0.0/8"))
                .unwrap_err()
                .contains("not an IP address")
        );
        let at_least = Validator::at_least(0);
        assert_eq!(at_least.check(&Value::from(0)), Ok(()));
        assert_eq!(
            at_least.check(&Value::from(-1)),
            Err("must be at least 0, not -1.".to_owned())
        );
        let each = Validator::each(Validator::digits());
        let list = |items: &[&str]| Value::List(items.iter().map(|i| s(i)).collect());
        assert_eq!(each.check(&list(&["123", "456"])), Ok(()));
        let e = each.check(&list(&["123", "12a4"])).unwrap_err();
        assert_eq!(e, "has an invalid element: must be digits only.");
        assert!(!e.contains("12a4"), "secrets are not echoed");
    }

    #[test]
    fn one_of_rejects_other_values_and_hints_at_case() {
        let v = Validator::one_of(&["active", "bypass"]);
        assert_eq!(v.check(&Value::from("active")), Ok(()));
        assert_eq!(
            v.check(&Value::from("Active")),
            Err("\"Active\" is not one of active, bypass (did you mean \"active\"? values are case-sensitive).".to_owned())
        );
        assert_eq!(v.check(&Value::Unknown), Ok(()));
        assert_eq!(v.check(&Value::Null), Ok(()));
    }

    #[test]
    fn full_description_lists_values_default_and_replacement() {
        let a = Attribute::string("status")
            .describe("Status.")
            .validate(Validator::one_of(&["active", "bypass"]))
            .default("active")
            .force_new();
        assert_eq!(
            a.full_description(),
            "Status. Valid values: `active`, `bypass`. Defaults to `\"active\"`. Changing it replaces the object."
        );
    }

    #[test]
    fn data_source_schema_makes_all_but_lookup_keys_computed() {
        let s = Schema::new("r")
            .attr(Attribute::string("id").computed())
            .attr(Attribute::string("name").required())
            .attr(Attribute::string("desc").default(""));
        let ds = s.as_data_source("d", &["name"]);
        assert_eq!(
            ds.attribute("name").map(|a| a.mode),
            Some(Mode::OptionalComputed)
        );
        assert_eq!(ds.attribute("desc").map(|a| a.mode), Some(Mode::Computed));
        assert!(ds.attribute("desc").is_some_and(|a| a.default.is_none()));
    }
}

#[cfg(test)]
mod nesting_tests {
    use super::*;
    use crate::server::schema_to_proto;

    #[test]
    fn nested_attributes_and_blocks_reach_the_wire_schema() {
        let s = Schema::new("r")
            .attr(
                Attribute::nested(
                    "acs",
                    Nesting::List,
                    vec![Attribute::string("url").required()],
                )
                .optional(),
            )
            .block(Block {
                name: "timeouts".into(),
                nesting: BlockNesting::Single,
                min_items: 0,
                max_items: 0,
                schema: Schema::new("t").attr(Attribute::string("create").optional()),
            });
        let wire = schema_to_proto(&s);
        let block = wire.block.unwrap_or_default();
        let acs = &block.attributes[0];
        assert!(
            acs.r#type.is_empty(),
            "nested attributes carry nested_type, not type"
        );
        assert_eq!(
            acs.nested_type.as_ref().map(|n| n.attributes.len()),
            Some(1)
        );
        assert_eq!(block.block_types[0].type_name, "timeouts");
        let expected = r#"["object",{"acs":["list",["object",{"url":"string"}]],"timeouts":["object",{"create":"string"}]}]"#;
        assert_eq!(s.object_type().to_json().to_string(), expected);
    }
}
