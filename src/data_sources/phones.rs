//! `duo_phones` data source: every phone, or the one with a given number.

use async_trait::async_trait;

use super::{object_list, row};
use crate::duo;
use crate::plugin::{Attribute, DataSource, Diagnostics, Obj, Schema, Value};
use crate::resources::phone::{Phone, to_state};
use crate::resources::{Action, Op, diagnose};

pub struct Phones;

#[async_trait]
impl DataSource<duo::Client> for Phones {
    fn type_name(&self) -> &'static str {
        "duo_phones"
    }

    fn schema(&self) -> Schema {
        Schema::new("Lists Duo phones, all of them or those with a given number. Requires the Admin API permission \"Grant read resource\".")
            .attr(Attribute::string("number").optional().describe("Only phones with this number (compared as Duo normalises numbers)."))
            .attr(object_list("phones", "The phones, with the attributes of `duo_phone`.", &Phone::schema(), &[]))
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let phones = duo
            .list_phones()
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, "phones"), &e))?;
        let wanted = config
            .str("number")
            .map(crate::resources::phone::normalize_number);
        let rows = phones
            .iter()
            .filter(|p| {
                wanted.as_ref().is_none_or(|w| {
                    w.is_some()
                        && *w
                            == p.number
                                .as_deref()
                                .and_then(crate::resources::phone::normalize_number)
                })
            })
            .map(|p| row(to_state(p), &[]));
        Ok(config.clone().with("phones", Value::List(rows.collect())))
    }
}
