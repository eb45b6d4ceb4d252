//! `duo_hardware_token`: one OTP hardware token (HOTP, TOTP or YubiKey AES).
//!
//! Duo never returns a token's secrets, so they are kept from the configuration (sensitive, in
//! state) and changing one replaces the token. An imported token has no secrets in state;
//! leave them out of its configuration. Only a TOTP token's time step can change in place.

use async_trait::async_trait;

use super::{Action, Hint, Op, create_once, deleted, found, id, matching, written};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{
    AttrPath, Attribute, Diagnostic, Diagnostics, Failed, Obj, Resource, Schema, Validator, Value,
};

/// What `duo_hardware_token` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_hardware_token",
    noun: "hardware token",
    plural: "hardware tokens",
    read: Grant::ReadResource,
    write: Some(Grant::WriteResource),
    data_sources: &["duo_hardware_tokens"],
    natural_key: &["type", "serial"],
    import: ImportId::Pair,
    export: Some(Naming {
        from: &["type", "serial"],
        prefix: "",
        user_side: true,
    }),
};

pub struct HardwareToken;

pub const TYPES: &[&str] = &["h6", "h8", "t6", "t8", "yk"];
/// Attributes Duo never returns: carried from the configuration into state.
const SECRETS: [&str; 4] = ["secret", "counter", "private_id", "aes_key"];

const HINTS: &[Hint] = &[
    Hint {
        field: "serial",
        attr: "serial",
        advice: "A token with this type and serial may already exist: import it with `terraform import` instead.",
    },
    Hint {
        field: "secret",
        attr: "secret",
        advice: "The secret must be hexadecimal.",
    },
    Hint {
        field: "type",
        attr: "type",
        advice: "Duo cannot create tokens of this type through the API.",
    },
];

impl HardwareToken {
    pub fn schema() -> Schema {
        Schema::new(
            "A hardware token that generates one-time passcodes. Link it to a user with \
             `duo_user_hardware_token`.",
        )
        .attr(Attribute::string("id").computed().use_state_for_unknown().describe("The token's Duo ID (`token_id`)."))
        .attr(Attribute::string("type").required().force_new().validate(type_validator()).describe(
            "`h6`/`h8` (HOTP, 6 or 8 digits), `t6`/`t8` (TOTP, 6 or 8 digits) or `yk` (YubiKey AES). Duo-D100 \
             (`d1`) tokens are imported by Duo and cannot be created.",
        ))
        .attr(Attribute::string("serial").required().force_new().validate(Validator::length_between(1, 128)).describe("The token's serial number."))
        .attr(Attribute::string("secret").optional().sensitive().force_new().describe("The OTP secret in hex; required for HOTP and TOTP tokens. Never read back from Duo."))
        .attr(Attribute::number("counter").optional().force_new().validate(Validator::at_least(0)).describe("The initial HOTP counter (HOTP only; Duo's default is 0)."))
        .attr(Attribute::number("totp_step").optional_computed().use_state_for_unknown().validate(Validator::at_least(1)).describe("The TOTP time step in seconds (TOTP only; Duo's default is 30). Can change in place."))
        .attr(Attribute::string("private_id").optional().sensitive().force_new().describe("The YubiKey's 12-character private ID (`yk` only)."))
        .attr(Attribute::string("aes_key").optional().sensitive().force_new().describe("The YubiKey's 32-character AES key (`yk` only)."))
    }
}

/// `one_of(TYPES)`, with advice for the one type users will try that Duo refuses.
fn type_validator() -> Validator {
    let one_of = Validator::one_of(TYPES);
    Validator::new(one_of.description.clone(), move |v| {
        match v.as_str() {
        Some("d1") => Err("\"d1\" (Duo-D100) tokens are imported by Duo when purchased and cannot be created \
                           through the API. Find them with the `duo_hardware_tokens` data source and link them \
                           to users with `duo_user_hardware_token`."
            .to_owned()),
        _ => one_of.check(v),
    }
    })
}

/// The only place `duo_hardware_token` values and Duo's token meet (secrets come from the
/// configuration, see [`carry_secrets`]).
pub fn to_state(t: &duo::Token) -> Obj {
    let mut o = Obj::default()
        .with("id", t.token_id.as_str())
        .with("type", Value::opt_string(t.kind.clone()))
        .with("serial", t.serial.as_str())
        .with("totp_step", t.totp_step.map_or(Value::Null, Value::from));
    for s in SECRETS {
        o.set(s, Value::Null);
    }
    o
}

/// The secrets a token of `kind` is created with.
fn needed_secrets(kind: &str) -> &'static [&'static str] {
    match kind {
        "h6" | "h8" | "t6" | "t8" => &["secret"],
        "yk" => &["private_id", "aes_key"],
        _ => &[],
    }
}

fn carry_secrets(mut new: Obj, from: &Obj) -> Obj {
    for s in SECRETS {
        new.set(s, from.get(s).clone());
    }
    new
}

#[async_trait]
impl Resource<duo::Client> for HardwareToken {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        HardwareToken::schema()
    }

    /// Which attributes apply to each type, and their formats, checked before Duo is called.
    fn validate(&self, config: &Obj) -> Diagnostics {
        let mut diags = Diagnostics::default();
        let Some(kind) = config.str("type") else {
            return diags;
        };
        let wants = needed_secrets(kind);
        for attr in SECRETS.iter().chain(&["totp_step"]) {
            let set = !config.get(attr).is_null();
            let allowed = wants.contains(attr)
                || (*attr == "counter" && kind.starts_with('h'))
                || (*attr == "totp_step" && kind.starts_with('t'));
            if set && !allowed {
                diags.push(
                    Diagnostic::error(
                        format!("Unexpected {attr}"),
                        format!("`{attr}` does not apply to a `{kind}` token."),
                    )
                    .at(AttrPath::root(attr)),
                );
            }
        }
        let lengths = [("private_id", 12), ("aes_key", 32)];
        for (attr, len) in lengths {
            if let Some(v) = config.str(attr)
                && v.chars().count() != len
            {
                diags.push(
                    Diagnostic::error(
                        format!("Invalid {attr}"),
                        format!("`{attr}` must be {len} characters long."),
                    )
                    .at(AttrPath::root(attr)),
                );
            }
        }
        if let Some(secret) = config.str("secret")
            && (secret.is_empty() || !secret.chars().all(|c| c.is_ascii_hexdigit()))
        {
            diags.push(
                Diagnostic::error("Invalid secret", "`secret` must be hexadecimal.")
                    .at(AttrPath::root("secret")),
            );
        }
        diags
    }

    /// Secrets are needed to create a token, not to keep one (an imported token has none).
    fn modify_plan(&self, prior: Option<&Obj>, planned: &mut Obj) -> Diagnostics {
        let mut diags = Diagnostics::default();
        if prior.is_some() {
            return diags;
        }
        let kind = planned.str("type").unwrap_or_default();
        for attr in needed_secrets(kind) {
            if planned.get(attr).is_null() {
                diags.push(
                    Diagnostic::error(
                        format!("Missing {attr}"),
                        format!("A `{kind}` token needs `{attr}` to be created."),
                    )
                    .at(AttrPath::root(attr)),
                );
            }
        }
        diags
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let s = |k: &str| plan.str(k).map(str::to_owned);
        let params = duo::TokenParams {
            kind: s("type").unwrap_or_default(),
            serial: s("serial").unwrap_or_default(),
            secret: s("secret"),
            counter: plan.i64("counter"),
            totp_step: plan.i64("totp_step"),
            private_id: s("private_id"),
            aes_key: s("aes_key"),
        };
        let token = create_once(
            Op::new(Action::Create, &KIND),
            HINTS,
            &KIND.key_text(&[&params.kind, &params.serial]),
            || duo.create_token(&params),
            || matching(duo.list_tokens(), |t| t.serial == params.serial),
            |t: &duo::Token| t.kind.as_deref() == Some(params.kind.as_str()),
            |t| &t.token_id,
        )
        .await?;
        Ok(carry_secrets(to_state(&token), plan))
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let o = found(&KIND, duo.get_token(id(state)), to_state).await?;
        Ok(o.map(|o| carry_secrets(o, state)))
    }

    async fn list(&self, duo: &duo::Client) -> Result<Vec<Obj>, Diagnostics> {
        super::listed(&KIND, duo.list_tokens(), |t| {
            carry_secrets(to_state(t), &Obj::default())
        })
        .await
    }

    /// A token ID, or `<type>:<serial>` (e.g. `h6:123456`), which Duo keeps unique.
    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        super::import_by_natural_key(self, &KIND, duo, id).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let o = match plan.i64("totp_step") {
            Some(step) if plan.get("totp_step") != prior.get("totp_step") => {
                written(
                    Op::new(Action::Update, &KIND),
                    HINTS,
                    duo.set_token_totp_step(id(prior), step),
                    to_state,
                )
                .await?
            }
            _ => return Ok(plan.clone()),
        };
        Ok(carry_secrets(o, plan))
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        deleted(&KIND, duo.delete_token(id(state))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, Value)]) -> Obj {
        let mut o = Obj::null_for(&HardwareToken::schema());
        for (k, v) in pairs {
            o.set(k, v.clone());
        }
        o
    }

    #[test]
    fn each_type_gets_exactly_its_secrets() {
        let r = HardwareToken;
        assert!(
            r.validate(&config(&[
                ("type", "t6".into()),
                ("secret", "abcdef".into())
            ]))
            .is_empty()
        );
        let d = r.modify_plan(None, &mut config(&[("type", "h6".into())]));
        assert_eq!(d.0[0].summary, "Missing secret");
        assert!(
            r.modify_plan(Some(&config(&[])), &mut config(&[("type", "h6".into())]))
                .is_empty(),
            "only creating needs it"
        );
        let d = r.validate(&config(&[
            ("type", "yk".into()),
            ("private_id", "short".into()),
            ("aes_key", "x".repeat(32).into()),
            ("counter", 1.into()),
        ]));
        let summaries: Vec<&str> = d.0.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(summaries, ["Unexpected counter", "Invalid private_id"]);
        let d = r.validate(&config(&[
            ("type", "h8".into()),
            ("secret", "not hex".into()),
        ]));
        assert_eq!(d.0[0].summary, "Invalid secret");
    }
}
