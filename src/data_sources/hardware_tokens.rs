//! `duo_hardware_tokens` data source: every hardware token, or those of one type — including
//! Duo-D100 (`d1`) tokens, which only Duo can create.

use super::listing::{Filter, Listing};
use crate::duo;
use crate::plugin::State;
use crate::resources::hardware_token::{HardwareToken, NOT_FROM_DUO, to_state};

pub fn data_source() -> Listing<duo::Token> {
    Listing {
        type_name: "duo_hardware_tokens",
        description: "Lists Duo hardware tokens, all of them or those of one type.",
        attr: "tokens",
        attr_description: "The tokens, with the attributes of `duo_hardware_token` (no secrets: Duo never returns them).",
        kind: &crate::resources::hardware_token::KIND,
        resource: HardwareToken::schema,
        omit: &NOT_FROM_DUO,
        filter: Some(Filter {
            arg: "type",
            description: "Only tokens of this type: `h6`, `h8`, `t6`, `t8`, `yk` or `d1`.",
            keep: |t, kind| t.kind.as_deref() == Some(kind),
        }),
        list: |duo| Box::pin(duo.list_tokens()),
        to_state: |t| to_state(t).to_obj(),
    }
}
