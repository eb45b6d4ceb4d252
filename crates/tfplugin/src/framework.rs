//! What a provider, resource and data source implement, and the plan logic they share.
//!
//! The traits are generic over the provider's client type `C`, so this layer never learns what
//! the client talks to. Planning follows terraform-plugin-framework's algorithm (defaults,
//! computed values unknown on change, "use state for unknown", replace-on-change), driven by
//! the [`Schema`] so that no resource re-implements it.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::diag::{AttrPath, Diagnostic, Diagnostics};
use super::schema::{Attribute, Mode, Schema, Validator};
use super::value::Value;

/// The attribute values of one object (a configuration, a plan or a state).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Obj(pub BTreeMap<String, Value>);

/// The attribute every resource has: its ID, which `terraform import` takes and Terraform
/// 1.0–1.11 require of every resource.
pub const ID: &str = "id";

static NULL: Value = Value::Null;

impl Obj {
    /// An object with every attribute of `schema` null.
    pub fn null_for(schema: &Schema) -> Obj {
        match Value::null_object(&schema.object_type()) {
            Value::Object(m) => Obj(m),
            _ => Obj::default(),
        }
    }

    pub fn from_value(v: Value) -> Option<Obj> {
        match v {
            Value::Object(m) => Some(Obj(m)),
            _ => None,
        }
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    pub fn get(&self, name: &str) -> &Value {
        self.0.get(name).unwrap_or(&NULL)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).as_str()
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).as_bool()
    }

    pub fn i64(&self, name: &str) -> Option<i64> {
        self.get(name).as_i64()
    }

    pub fn f64(&self, name: &str) -> Option<f64> {
        match self.get(name) {
            Value::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }

    pub fn set(&mut self, name: &str, value: impl Into<Value>) {
        self.0.insert(name.to_owned(), value.into());
    }

    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Obj {
        self.set(name, value);
        self
    }

    /// This object with every attribute of `other` set over it (a data source's configuration
    /// completed with what was read).
    pub fn merged(mut self, other: Obj) -> Obj {
        self.0.extend(other.0);
        self
    }
}

/// A failed create or update. `partial` is the state of whatever Duo did create, so that it
/// is saved and nothing is orphaned.
#[derive(Debug, Default)]
pub struct Failed {
    pub diags: Diagnostics,
    pub partial: Option<Obj>,
}

impl From<Diagnostics> for Failed {
    fn from(diags: Diagnostics) -> Failed {
        Failed {
            diags,
            partial: None,
        }
    }
}

impl From<Diagnostic> for Failed {
    fn from(d: Diagnostic) -> Failed {
        Failed::from(Diagnostics::from(d))
    }
}

/// A managed resource type.
#[async_trait]
pub trait Resource<C: Send + Sync>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Checks across attributes; per-attribute validators run before this.
    fn validate(&self, _config: &Obj) -> Diagnostics {
        Diagnostics::default()
    }

    /// Adjusts and checks a planned change after the shared plan logic: values that depend on
    /// other changes (a secret that a rotation trigger renews becomes unknown), or attributes
    /// needed only to create. `prior` is `None` for a create. Errors stop the plan. `planned`
    /// holds the configured write-only values here and in `check_create`; what Terraform is
    /// sent never does.
    fn modify_plan(&self, _prior: Option<&Obj>, _planned: &mut Obj) -> Diagnostics {
        Diagnostics::default()
    }

    /// Checks a planned create against what only the remote can tell, such as an object that
    /// already holds what should be unique. Called when a create is planned, once the provider
    /// is configured; errors stop the plan. `managed` says whether an ID is one Terraform
    /// refreshed in this run (a tainted object being replaced is planned as a create too).
    async fn check_create(
        &self,
        _client: &C,
        _planned: &Obj,
        _managed: Managed<'_>,
    ) -> Diagnostics {
        Diagnostics::default()
    }

    async fn create(&self, client: &C, plan: &Obj) -> Result<Obj, Failed>;
    /// The object as it is now, or `None` when it is gone.
    async fn read(&self, client: &C, state: &Obj) -> Result<Option<Obj>, Diagnostics>;
    async fn update(&self, client: &C, prior: &Obj, plan: &Obj) -> Result<Obj, Failed>;
    async fn delete(&self, client: &C, state: &Obj) -> Result<(), Diagnostics>;

    /// Turns an import ID into a state. By default the ID is the object's `id`, and the
    /// object is read at once so that a wrong ID is reported by name.
    async fn import(&self, client: &C, id: &str) -> Result<Obj, Diagnostics> {
        import_by_id(self, client, id).await
    }

    /// The objects of this type `take` asks for (every one, to export a whole account; the
    /// first that a list resource's filters keep, to answer a query), each as the state
    /// importing its `id` gives. Reads no more of the remote than `take` needs where the
    /// remote pages. Types whose objects another type covers are not listed.
    async fn list(&self, _client: &C, _take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        Err(Diagnostic::error(
            "Cannot list",
            format!("{} objects cannot be listed for export.", self.type_name()),
        )
        .into())
    }
}

/// Which objects a [`Resource::list`] is asked for: every one, or at most `limit` of those
/// `keep` accepts.
#[derive(Clone, Copy)]
pub struct Take<'t> {
    pub limit: Option<usize>,
    pub keep: Option<&'t (dyn Fn(&Obj) -> bool + Send + Sync)>,
}

impl Take<'_> {
    /// Every object.
    pub const ALL: Take<'static> = Take {
        limit: None,
        keep: None,
    };

    pub fn is_all(&self) -> bool {
        self.limit.is_none() && self.keep.is_none()
    }

    pub fn keeps(&self, object: &Obj) -> bool {
        self.keep.is_none_or(|keep| keep(object))
    }

    /// Whether `taken` objects are all that is wanted.
    pub fn enough(&self, taken: usize) -> bool {
        self.limit.is_some_and(|limit| taken >= limit)
    }

    /// What is wanted of `objects`, listed whole: those kept, up to the limit.
    pub fn from_all(&self, objects: Vec<Obj>) -> Vec<Obj> {
        let kept = objects.into_iter().filter(|o| self.keeps(o));
        kept.take(self.limit.unwrap_or(usize::MAX)).collect()
    }
}

/// Which object IDs Terraform's state manages, as [`Resource::check_create`] is told.
#[derive(Clone, Copy)]
pub struct Managed<'m>(pub &'m (dyn Fn(&str) -> bool + Sync));

impl Managed<'_> {
    pub fn contains(&self, id: &str) -> bool {
        (self.0)(id)
    }
}

/// The import every resource whose import ID is its `id` uses.
pub async fn import_by_id<C: Send + Sync, R: Resource<C> + ?Sized>(
    resource: &R,
    client: &C,
    id: &str,
) -> Result<Obj, Diagnostics> {
    let id = id.trim();
    if id.is_empty() {
        return Err(Diagnostic::error(
            "Empty import ID",
            format!(
                "Give the ID of the object to import, e.g. `terraform import {}.NAME <id>`.",
                resource.type_name()
            ),
        )
        .into());
    }
    let stub = Obj::null_for(&resource.schema()).with("id", id);
    match resource.read(client, &stub).await? {
        Some(found) => Ok(found),
        None => Err(Diagnostic::error(
            "Cannot import a missing object",
            format!(
                "No {} with ID {id:?} exists. Check the ID and that the credentials see that \
                 object. If an `import` block names it and it was there before, it has been \
                 deleted since (an apply that replaced it was stopped before Terraform recorded \
                 the new one): remove the block.",
                resource.type_name()
            ),
        )
        .into()),
    }
}

/// A data source type.
#[async_trait]
pub trait DataSource<C: Send + Sync>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Obj) -> Diagnostics {
        Diagnostics::default()
    }
    async fn read(&self, client: &C, config: &Obj) -> Result<Obj, Diagnostics>;
}

/// An ephemeral resource type (Terraform 1.10 and later): opened for one Terraform operation,
/// its result used in configuration (a provider block, a write-only argument) and never
/// written to a plan or state.
#[async_trait]
pub trait EphemeralResource<C: Send + Sync>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Obj) -> Diagnostics {
        Diagnostics::default()
    }
    /// The computed attributes of the result; the configured ones are returned as given, as
    /// Terraform requires. Nothing is held to renew or close: what it returns stays valid
    /// until the remote changes it.
    async fn open(&self, client: &C, config: &Obj) -> Result<Obj, Diagnostics>;
}

/// A list resource (Terraform 1.14+ `list` blocks, `terraform query`): the objects of the
/// resource type of the same name that its configuration (the list block's `config`)
/// selects, each with the identity and state its resource gives it.
#[async_trait]
pub trait ListResource<C: Send + Sync>: Send + Sync {
    /// The resource type whose objects it lists.
    fn type_name(&self) -> &'static str;
    /// The `config` block: the filters.
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Obj) -> Diagnostics {
        Diagnostics::default()
    }
    /// At most `limit` of the objects `config` selects, each as its resource's read gives
    /// it, reading no more of the remote than those need.
    async fn list(&self, client: &C, config: &Obj, limit: usize)
    -> Result<Vec<Found>, Diagnostics>;
}

/// One object a list resource found: its state and what a person calls it.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub display_name: String,
    pub state: Obj,
}

/// An attribute the provider adds to every resource, data source, ephemeral and list resource
/// it serves, choosing where a call goes (a region, an account): declared once, here, and
/// handled by the service, so no type carries it.
///
/// An object's value is where it lives: the configured one, else the provider's default
/// ([`Provider::default_scope`]) when it is made or imported, kept in state and changed only
/// by replacing the object. A state without one (written before the scope existed) lives
/// wherever the provider's default points. Each call goes through the client
/// [`Provider::scoped`] gives for the value; the value is part of the identity (optional,
/// from `identity_version` on) and of the import ID (`split_import_id`).
#[derive(Debug, Clone)]
pub struct Scope {
    pub name: &'static str,
    pub description: String,
    /// The identity version that added the scope to every resource's identity; identities
    /// of older versions upgrade with it null.
    pub identity_version: i64,
    /// An import ID's own part and the scope it names, if it names one.
    pub split_import_id: fn(&str) -> (&str, Option<&str>),
    /// Checks of a configured value.
    pub validators: Vec<Validator>,
}

impl Scope {
    /// The attribute: computed (the scope used) where a type has a state, forcing replacement
    /// where that state is a remote object's.
    pub fn attribute(&self, has_state: bool, force_new: bool) -> Attribute {
        let mut a = Attribute::string(self.name).describe(&self.description);
        a.validators = self.validators.clone();
        match (has_state, force_new) {
            (false, _) => a.optional(),
            (true, false) => a.optional_computed(),
            (true, true) => a.optional_computed().force_new(),
        }
    }
}

/// The provider itself: its configuration and the types it serves.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    type Client: Send + Sync + 'static;
    /// How users name this provider, for the plugin layer's own messages ("Internal error in
    /// the Example provider").
    const DISPLAY_NAME: &'static str;

    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Obj) -> Diagnostics {
        Diagnostics::default()
    }
    /// Builds the client from the provider configuration; `terraform_version` is for the
    /// User-Agent.
    async fn configure(
        &self,
        config: &Obj,
        terraform_version: &str,
    ) -> Result<Self::Client, Diagnostics>;
    /// Terraform asked us to stop (Ctrl-C): cut waits short; requests in flight finish.
    fn stop(&self, _client: &Self::Client) {}
    /// The attribute that chooses where each call goes, if the provider has one.
    fn scope(&self) -> Option<Scope> {
        None
    }
    /// Where a call goes when neither its configuration nor its state names a scope (the
    /// provider block's own); `None`: the client's own.
    fn default_scope(&self, _client: &Self::Client) -> Option<String> {
        None
    }
    /// The client whose calls act in `scope` (`None`: the client's own, which a provider may
    /// refuse, e.g. for credentials that only reach scopes).
    async fn scoped(
        &self,
        client: &Arc<Self::Client>,
        _scope: Option<&str>,
    ) -> Result<Arc<Self::Client>, Diagnostics> {
        Ok(client.clone())
    }
    fn resources(&self) -> Vec<Box<dyn Resource<Self::Client>>>;
    fn data_sources(&self) -> Vec<Box<dyn DataSource<Self::Client>>>;
    fn ephemeral_resources(&self) -> Vec<Box<dyn EphemeralResource<Self::Client>>> {
        Vec::new()
    }
    /// Each must name a resource type of [`Provider::resources`], whose identity its events
    /// carry.
    fn list_resources(&self) -> Vec<Box<dyn ListResource<Self::Client>>> {
        Vec::new()
    }
}

/// Runs every attribute validator on a configuration.
pub fn validate_attributes(schema: &Schema, config: &Obj) -> Diagnostics {
    let mut diags = Diagnostics::default();
    for a in &schema.attributes {
        let value = config.get(&a.name);
        for v in &a.validators {
            if let Err(msg) = v.check(value) {
                diags.push(
                    Diagnostic::error(
                        format!("Invalid value for {}", a.name),
                        format!("`{}` {msg}", a.name),
                    )
                    .at(AttrPath::root(&a.name)),
                );
            }
        }
    }
    diags
}

/// `obj` with every write-only attribute null: what a plan or a state holds of it.
pub fn without_write_only(schema: &Schema, mut obj: Obj) -> Obj {
    for a in schema.attributes.iter().filter(|a| a.write_only) {
        obj.set(&a.name, Value::Null);
    }
    obj
}

/// The planned state with the configured write-only values, for a create or update to send.
pub fn with_write_only(schema: &Schema, mut planned: Obj, config: &Obj) -> Obj {
    for a in schema.attributes.iter().filter(|a| a.write_only) {
        planned.set(&a.name, config.get(&a.name).clone());
    }
    planned
}

/// Refuses write-only values from a Terraform that does not keep them out of state (before
/// 1.11 it does not know the flag and would store them like any other argument).
pub fn check_write_only(schema: &Schema, config: &Obj, allowed: bool) -> Diagnostics {
    let mut diags = Diagnostics::default();
    if allowed {
        return diags;
    }
    for a in schema.attributes.iter().filter(|a| a.write_only) {
        if !config.get(&a.name).is_null() {
            diags.push(
                Diagnostic::error(
                    "Write-only argument needs Terraform 1.11",
                    format!(
                        "`{}` is write-only: it is never stored in state, which needs Terraform \
                         1.11 or later (OpenTofu 1.11 or later). This version would store it. \
                         Upgrade, or use the sensitive argument it stands for (see the \
                         resource's documentation).",
                        a.name
                    ),
                )
                .at(AttrPath::root(&a.name)),
            );
        }
    }
    diags
}

/// The planned state and the attributes whose change forces replacement.
#[derive(Debug, PartialEq)]
pub struct Plan {
    pub planned: Obj,
    pub requires_replace: Vec<AttrPath>,
}

/// Plans a create (`prior` is `None`) or an update, from Terraform's proposed new state.
pub fn plan(schema: &Schema, prior: Option<&Obj>, proposed: Obj, config: &Obj) -> Plan {
    // Terraform proposes the configured write-only values; a plan never holds them, and
    // without them an unchanged configuration plans exactly the prior state.
    let mut planned = without_write_only(schema, proposed);
    // Blocks come from configuration only; some Terraform versions propose a removed single
    // block from the prior state.
    for b in &schema.blocks {
        if config.get(&b.name).is_null() {
            planned.set(&b.name, Value::Null);
        }
    }
    for a in &schema.attributes {
        if let Some(default) = &a.default
            && config.get(&a.name).is_null()
        {
            planned.set(&a.name, default.clone());
        }
    }
    if let Some(prior) = prior {
        for a in &schema.attributes {
            if let (Some(same), Some(ours), Some(theirs)) =
                (a.same, config.str(&a.name), prior.str(&a.name))
                && ours != theirs
                && same(ours, theirs)
            {
                planned.set(&a.name, theirs);
            }
        }
    }
    if prior != Some(&planned) {
        for a in schema
            .attributes
            .iter()
            .filter(|a| a.is_computed() && a.default.is_none())
        {
            if !config.get(&a.name).is_null() {
                continue;
            }
            let value = match prior {
                Some(p) if a.use_state_for_unknown => p.get(&a.name).clone(),
                _ => Value::Unknown,
            };
            planned.set(&a.name, value);
        }
    }
    let requires_replace = match prior {
        Some(p) => schema
            .attributes
            .iter()
            .filter(|a| {
                a.force_new && a.mode != Mode::Computed && planned.get(&a.name) != p.get(&a.name)
            })
            .map(|a| AttrPath::root(&a.name))
            .collect(),
        None => Vec::new(),
    };
    Plan {
        planned,
        requires_replace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Attribute;

    fn schema() -> Schema {
        Schema::new("test")
            .attr(Attribute::string("id").computed().use_state_for_unknown())
            .attr(Attribute::string("name").required())
            .attr(Attribute::string("desc").default(""))
            .attr(Attribute::string("kind").required().force_new())
            .attr(Attribute::number("updated").computed())
            .attr(
                Attribute::bool("flag")
                    .optional_computed()
                    .use_state_for_unknown(),
            )
    }

    fn obj(pairs: &[(&str, Value)]) -> Obj {
        let mut o = Obj::null_for(&schema());
        for (k, v) in pairs {
            o.set(k, v.clone());
        }
        o
    }

    #[test]
    fn create_applies_defaults_and_leaves_computed_unknown() {
        let config = obj(&[("name", "a".into()), ("kind", "k".into())]);
        let p = plan(&schema(), None, config.clone(), &config);
        assert_eq!(p.planned.get("desc"), &Value::from(""));
        assert_eq!(p.planned.get("id"), &Value::Unknown);
        assert_eq!(p.planned.get("updated"), &Value::Unknown);
        assert_eq!(p.planned.get("flag"), &Value::Unknown);
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn unchanged_config_plans_exactly_the_prior_state() {
        let prior = obj(&[
            ("id", "X".into()),
            ("name", "a".into()),
            ("desc", "".into()),
            ("kind", "k".into()),
            ("updated", 5.into()),
            ("flag", true.into()),
        ]);
        let config = obj(&[("name", "a".into()), ("kind", "k".into())]);
        let proposed = prior.clone();
        assert_eq!(
            plan(&schema(), Some(&prior), proposed, &config).planned,
            prior
        );
    }

    #[test]
    fn update_keeps_state_for_unknown_and_marks_other_computed_unknown() {
        let prior = obj(&[
            ("id", "X".into()),
            ("name", "a".into()),
            ("desc", "".into()),
            ("kind", "k".into()),
            ("updated", 5.into()),
            ("flag", true.into()),
        ]);
        let config = obj(&[("name", "b".into()), ("kind", "k".into())]);
        let proposed = prior.clone().with("name", "b");
        let p = plan(&schema(), Some(&prior), proposed, &config);
        assert_eq!(p.planned.get("id"), &Value::from("X"));
        assert_eq!(p.planned.get("flag"), &Value::Bool(true));
        assert_eq!(p.planned.get("updated"), &Value::Unknown);
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn changing_a_force_new_attribute_requires_replacement() {
        let prior = obj(&[
            ("id", "X".into()),
            ("name", "a".into()),
            ("desc", "".into()),
            ("kind", "k".into()),
        ]);
        let config = obj(&[("name", "a".into()), ("kind", "other".into())]);
        let proposed = prior.clone().with("kind", "other");
        let p = plan(&schema(), Some(&prior), proposed, &config);
        assert_eq!(p.requires_replace, vec![AttrPath::root("kind")]);
    }

    #[test]
    fn a_spelling_the_remote_treats_as_the_same_keeps_the_prior_value() {
        let s = schema().attr(
            Attribute::string("phone")
                .optional()
                .normalized(|a, b| a.replace('-', "") == b.replace('-', "")),
        );
        let mut prior = Obj::null_for(&s);
        for (k, v) in [
            ("id", "X"),
            ("name", "a"),
            ("desc", ""),
            ("kind", "k"),
            ("phone", "5550100"),
        ] {
            prior.set(k, v);
        }
        let config = Obj::null_for(&s)
            .with("name", "a")
            .with("kind", "k")
            .with("phone", "555-0100");
        let p = plan(
            &s,
            Some(&prior),
            prior.clone().with("phone", "555-0100"),
            &config,
        );
        assert_eq!(p.planned, prior, "no change planned");
        let config = config.with("phone", "555-0199");
        let p = plan(
            &s,
            Some(&prior),
            prior.clone().with("phone", "555-0199"),
            &config,
        );
        assert_eq!(
            p.planned.get("phone"),
            &Value::from("555-0199"),
            "a real change is planned"
        );
    }

    #[test]
    fn a_block_removed_from_the_config_is_planned_away() {
        use crate::schema::{Block, BlockNesting};
        let s = schema().block(Block {
            name: "extra".into(),
            nesting: BlockNesting::Single,
            min_items: 0,
            max_items: 0,
            schema: Schema::new("b").attr(Attribute::string("x").optional()),
        });
        let block = Value::Object(std::collections::BTreeMap::from([(
            "x".to_owned(),
            Value::from("1"),
        )]));
        let prior = Obj::null_for(&s)
            .with("id", "X")
            .with("name", "a")
            .with("desc", "")
            .with("kind", "k")
            .with("extra", block.clone());
        let config = Obj::null_for(&s).with("name", "a").with("kind", "k");
        let p = plan(&s, Some(&prior), prior.clone(), &config);
        assert_eq!(p.planned.get("extra"), &Value::Null);
    }

    #[test]
    fn removing_an_attribute_with_a_default_plans_the_default() {
        let prior = obj(&[
            ("id", "X".into()),
            ("name", "a".into()),
            ("desc", "old".into()),
            ("kind", "k".into()),
        ]);
        let config = obj(&[("name", "a".into()), ("kind", "k".into())]);
        let p = plan(&schema(), Some(&prior), prior.clone(), &config);
        assert_eq!(p.planned.get("desc"), &Value::from(""));
    }
}
