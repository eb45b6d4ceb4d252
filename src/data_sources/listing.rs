//! The shape every list data source of one Duo type shares (`duo_groups`, `duo_phones`,
//! `duo_hardware_tokens`, `duo_integrations`, `duo_admins`, `duo_policies`): one listing of
//! the type, every object with its resource's attributes less those Duo never returns,
//! optionally narrowed by one string argument. Each type's file declares a [`Listing`]; the behaviour lives here once.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;

use super::{object_list, row};
use crate::duo;
use crate::kinds::Kind;
use crate::plugin::{Attribute, DataSource, Diagnostics, Obj, Schema, Value};
use crate::resources::{Action, Op, diagnose};

/// One page-through of a type, as the Duo client answers it.
pub type ListCall<T> =
    for<'c> fn(
        &'c duo::Client,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<T>, duo::Error>> + Send + 'c>>;

/// A list data source.
pub struct Listing<T: 'static> {
    pub type_name: &'static str,
    /// What the data source does (its permission comes from the kind).
    pub description: &'static str,
    /// The computed list attribute, and its description.
    pub attr: &'static str,
    pub attr_description: &'static str,
    /// The kind of the objects listed.
    pub kind: &'static Kind,
    /// The resource whose attributes each object has.
    pub resource: fn() -> Schema,
    /// Attributes of the resource that are not shown (secrets Duo never returns).
    pub omit: &'static [&'static str],
    pub filter: Option<Filter<T>>,
    pub list: ListCall<T>,
    pub to_state: fn(&T) -> Obj,
}

/// An optional string argument that keeps only the objects it matches.
pub struct Filter<T> {
    pub arg: &'static str,
    pub description: &'static str,
    pub keep: fn(&T, &str) -> bool,
}

#[async_trait]
impl<T: Send + Sync + 'static> DataSource<duo::Client> for Listing<T> {
    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn schema(&self) -> Schema {
        let mut schema = Schema::new(self.description);
        // What the Accounts API lists belongs to the parent, outside any child.
        if self.kind.read == crate::kinds::Grant::AccountsApi {
            schema = schema.unscoped();
        }
        if let Some(f) = &self.filter {
            schema = schema.attr(Attribute::string(f.arg).optional().describe(f.description));
        }
        schema.attr(object_list(
            self.attr,
            self.attr_description,
            &(self.resource)(),
            self.omit,
        ))
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let all = (self.list)(duo)
            .await
            .map_err(|e| diagnose(Op::all(Action::Read, self.kind), &e))?;
        let wanted = self
            .filter
            .as_ref()
            .and_then(|f| config.str(f.arg).map(|given| (f.keep, given)));
        let rows = all
            .iter()
            .filter(|o| wanted.is_none_or(|(keep, given)| keep(o, given)))
            .map(|o| row((self.to_state)(o), self.omit));
        Ok(config.clone().with(self.attr, Value::List(rows.collect())))
    }
}

#[cfg(test)]
mod tests {
    use crate::plugin::{DataSource, Mode, Type};

    #[test]
    fn each_object_has_its_resources_attributes_less_the_omitted_and_the_list_is_computed() {
        let schema = super::super::integrations::data_source().schema();
        let list = schema.attribute("integrations");
        assert_eq!(list.map(|a| a.mode), Some(Mode::Computed));
        let Some(Type::List(row)) = list.map(|a| a.ty.clone()) else {
            panic!("integrations is not a list: {list:?}");
        };
        let Type::Object(fields) = *row else {
            panic!("an integration is not an object: {row:?}");
        };
        assert!(fields.contains_key("integration_key") && fields.contains_key("name"));
        assert!(!fields.contains_key("secret_key"), "{fields:?}");

        let phones = super::super::phones::data_source().schema();
        let filter = phones.attributes.iter().find(|a| a.mode == Mode::Optional);
        assert_eq!(filter.map(|a| a.ty.clone()), Some(Type::String));
    }
}
