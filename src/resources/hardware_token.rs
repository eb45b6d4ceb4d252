//! `duo_hardware_token`: one OTP hardware token (HOTP, TOTP or YubiKey AES).
//!
//! Duo never returns a token's secrets, so they are kept from the configuration (sensitive, in
//! state) and changing one replaces the token. The write-only forms (`secret_wo`, …, Terraform
//! 1.11 and later) are sent at creation and never stored; bumping `secrets_wo_version` replaces
//! the token with one made from them. An imported token has no secrets in state; leave them out
//! of its configuration. Only a TOTP token's time step can change in place.

use async_trait::async_trait;

use super::{Action, Hint, Op, create_once, deleted, found, id, matching, written};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{
    AttrPath, Diagnostic, Diagnostics, Failed, Managed, Obj, Resource, Schema, State, Take,
    Validator, Value,
};

/// What `duo_hardware_token` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_hardware_token",
    noun: "hardware token",
    plural: "hardware tokens",
    read: Grant::ReadResource,
    write: Some(Grant::WriteResource),
    read_by: &["duo_hardware_tokens"],
    natural_key: &[TokenState::r#type, TokenState::serial],
    unique_in_duo: true,
    import: ImportId::Pair,
    export: Some(Naming {
        from: &[TokenState::r#type, TokenState::serial],
        prefix: "",
        user_side: true,
    }),
};

pub struct HardwareToken;

pub const TYPES: &[&str] = &["h6", "h8", "t6", "t8", "yk"];
/// Attributes Duo never returns: carried from the configuration into state.
pub const SECRETS: [&str; 4] = [
    TokenState::secret,
    TokenState::counter,
    TokenState::private_id,
    TokenState::aes_key,
];
/// What a listing of tokens leaves out: what Duo never returns.
pub const NOT_FROM_DUO: [&str; 5] = [
    SECRETS[0],
    SECRETS[1],
    SECRETS[2],
    SECRETS[3],
    TokenState::secrets_wo_version,
];

/// Each write-only secret and the sensitive argument it stands for: give one or the other.
const WRITE_ONLY: [(&str, &str); 3] = [
    (TokenState::secret_wo, TokenState::secret),
    (TokenState::private_id_wo, TokenState::private_id),
    (TokenState::aes_key_wo, TokenState::aes_key),
];

/// The attribute a secret is given in (its write-only form, if that is set) and its value.
fn given<'c>(config: &'c Obj, secret: &'static str) -> (&'static str, &'c Value) {
    WRITE_ONLY
        .iter()
        .find(|(wo, base)| *base == secret && !config.get(wo).is_null())
        .map_or((secret, config.get(secret)), |(wo, _)| (wo, config.get(wo)))
}

const HINTS: &[Hint] = &[
    Hint {
        field: "serial",
        attr: TokenState::serial,
        advice: "A token with this type and serial may already exist: import it with `terraform import` instead.",
    },
    Hint {
        field: "secret",
        attr: TokenState::secret,
        advice: "The secret must be hexadecimal.",
    },
    Hint {
        field: "type",
        attr: TokenState::r#type,
        advice: "Duo cannot create tokens of this type through the API.",
    },
];

crate::plugin::state! {
    /// A `duo_hardware_token`'s state, plan and configuration.
    pub struct TokenState {
        id: Option<String> {
            .computed().use_state_for_unknown().describe("The token's Duo ID (`token_id`).")
        },
        r#type: Option<String> {
            .required()
            .force_new()
            .validate(type_validator())
            .describe(
                "`h6`/`h8` (HOTP, 6 or 8 digits), `t6`/`t8` (TOTP, 6 or 8 digits) or `yk` (YubiKey AES). Duo-D100 \
                 (`d1`) tokens are imported by Duo and cannot be created.",
            )
        },
        serial: Option<String> {
            .required()
            .force_new()
            .validate(Validator::length_between(1, 128))
            .describe("The token's serial number.")
        },
        secret: Option<String> {
            .optional()
            .sensitive()
            .force_new()
            .describe("The OTP secret in hex; required for HOTP and TOTP tokens. Never read back from Duo.")
        },
        counter: Option<i64> {
            .optional()
            .force_new()
            .validate(Validator::at_least(0))
            .describe("The initial HOTP counter (HOTP only; Duo's default is 0).")
        },
        totp_step: Option<i64> {
            .optional_computed()
            .use_state_for_unknown()
            .validate(Validator::at_least(1))
            .describe("The TOTP time step in seconds (TOTP only; Duo's default is 30). Can change in place.")
        },
        private_id: Option<String> {
            .optional()
            .sensitive()
            .force_new()
            .describe("The YubiKey's 12-character private ID (`yk` only).")
        },
        aes_key: Option<String> {
            .optional()
            .sensitive()
            .force_new()
            .describe("The YubiKey's 32-character AES key (`yk` only).")
        },
        secret_wo: Option<String> {
            .optional()
            .sensitive()
            .write_only()
            .describe("`secret`, sent at creation and never stored. Give one or the other.")
        },
        private_id_wo: Option<String> {
            .optional()
            .sensitive()
            .write_only()
            .describe("`private_id`, sent at creation and never stored. Give one or the other.")
        },
        aes_key_wo: Option<String> {
            .optional()
            .sensitive()
            .write_only()
            .describe("`aes_key`, sent at creation and never stored. Give one or the other.")
        },
        secrets_wo_version: Option<i64> {
            .optional()
            .force_new()
            .describe(
                "Any number; changing it replaces the token with one made from the current \
                 write-only secrets (Duo cannot change a token's secret in place, and Terraform \
                 cannot see a write-only value change).",
            )
        },
    }
}

impl HardwareToken {
    pub fn schema() -> Schema {
        Schema::new(
            "A hardware token that generates one-time passcodes. Link it to a user with \
             `duo_user_hardware_token`.",
        )
        .attrs(TokenState::attributes())
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
pub fn to_state(t: &duo::Token) -> TokenState {
    TokenState {
        id: Some(t.token_id.clone()),
        r#type: t.kind.clone(),
        serial: Some(t.serial.clone()),
        totp_step: t.totp_step,
        ..TokenState::default()
    }
}

fn to_params(plan: &TokenState) -> duo::TokenParams {
    let either = |stored: &Option<String>, write_only: &Option<String>| {
        stored.clone().or_else(|| write_only.clone())
    };
    duo::TokenParams {
        kind: plan.r#type.clone().unwrap_or_default(),
        serial: plan.serial.clone().unwrap_or_default(),
        secret: either(&plan.secret, &plan.secret_wo),
        counter: plan.counter,
        totp_step: plan.totp_step,
        private_id: either(&plan.private_id, &plan.private_id_wo),
        aes_key: either(&plan.aes_key, &plan.aes_key_wo),
    }
}

/// The secrets a token of `kind` is created with.
fn needed_secrets(kind: &str) -> &'static [&'static str] {
    match kind {
        "h6" | "h8" | "t6" | "t8" => &[TokenState::secret],
        "yk" => &[TokenState::private_id, TokenState::aes_key],
        _ => &[],
    }
}

/// Duo's answer with the secrets it never returns (and the version of the write-only ones),
/// from the configuration or prior state.
fn carry_secrets(new: TokenState, from: &TokenState) -> TokenState {
    TokenState {
        secret: from.secret.clone(),
        counter: from.counter,
        private_id: from.private_id.clone(),
        aes_key: from.aes_key.clone(),
        secrets_wo_version: from.secrets_wo_version,
        ..new
    }
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
        for (wo, base) in WRITE_ONLY {
            if !config.get(wo).is_null() && !config.get(base).is_null() {
                diags.push(
                    Diagnostic::error(
                        format!("Conflicting {base} and {wo}"),
                        format!(
                            "Give `{base}` or `{wo}`, not both. `{wo}` (Terraform 1.11 and later) is \
                             never stored; `{base}` is kept in state as a sensitive value."
                        ),
                    )
                    .at(AttrPath::root(wo)),
                );
            }
        }
        let Some(kind) = config.str(TokenState::r#type) else {
            return diags;
        };
        let wants = needed_secrets(kind);
        for attr in SECRETS.iter().chain(&[TokenState::totp_step]) {
            let (shown, value) = given(config, attr);
            let allowed = wants.contains(attr)
                || (*attr == TokenState::counter && kind.starts_with('h'))
                || (*attr == TokenState::totp_step && kind.starts_with('t'));
            if !value.is_null() && !allowed {
                diags.push(
                    Diagnostic::error(
                        format!("Unexpected {shown}"),
                        format!("`{shown}` does not apply to a `{kind}` token."),
                    )
                    .at(AttrPath::root(shown)),
                );
            }
        }
        let lengths = [(TokenState::private_id, 12), (TokenState::aes_key, 32)];
        for (attr, len) in lengths {
            let (shown, value) = given(config, attr);
            if let Some(v) = value.as_str()
                && v.chars().count() != len
            {
                diags.push(
                    Diagnostic::error(
                        format!("Invalid {shown}"),
                        format!("`{shown}` must be {len} characters long."),
                    )
                    .at(AttrPath::root(shown)),
                );
            }
        }
        let (shown, secret) = given(config, TokenState::secret);
        if let Some(secret) = secret.as_str()
            && (secret.is_empty() || !secret.chars().all(|c| c.is_ascii_hexdigit()))
        {
            diags.push(
                Diagnostic::error(
                    format!("Invalid {shown}"),
                    format!("`{shown}` must be hexadecimal."),
                )
                .at(AttrPath::root(shown)),
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
        let kind = planned.str(TokenState::r#type).unwrap_or_default();
        for attr in needed_secrets(kind) {
            if given(planned, attr).1.is_null() {
                let wo = WRITE_ONLY
                    .iter()
                    .find(|(_, base)| base == attr)
                    .map_or(String::new(), |(wo, _)| format!(" (or `{wo}`)"));
                diags.push(
                    Diagnostic::error(
                        format!("Missing {attr}"),
                        format!("A `{kind}` token needs `{attr}`{wo} to be created."),
                    )
                    .at(AttrPath::root(attr)),
                );
            }
        }
        diags
    }

    /// Duo refuses a taken type and serial; the plan says so first, with the import block.
    async fn check_create(
        &self,
        duo: &duo::Client,
        planned: &Obj,
        managed: Managed<'_>,
    ) -> Diagnostics {
        let (Some(kind), Some(serial)) = (
            planned.str(TokenState::r#type),
            planned.str(TokenState::serial),
        ) else {
            return Diagnostics::default();
        };
        super::unique(
            &KIND,
            planned,
            managed,
            None,
            &KIND.key_text(&[kind, serial]),
            duo.existing_tokens(|t| t.serial == serial && t.kind.as_deref() == Some(kind)),
            |t| &t.token_id,
        )
        .await
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let plan = TokenState::from_obj(plan)?;
        let params = to_params(&plan);
        let token = create_once(
            Op::new(Action::Create, &KIND),
            HINTS,
            &KIND.key_text(&[&params.kind, &params.serial]),
            || duo.create_token(&params),
            || {
                matching(duo.list_tokens(), |t| {
                    t.serial == params.serial && t.kind.as_deref() == Some(params.kind.as_str())
                })
            },
            |_: &duo::Token| true,
            |t| &t.token_id,
        )
        .await?;
        Ok(carry_secrets(to_state(&token), &plan).to_obj())
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let prior = TokenState::from_obj(state)?;
        found(&KIND, duo.get_token(id(state)), |t| {
            carry_secrets(to_state(t), &prior)
        })
        .await
    }

    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        super::listed(&KIND, duo, take, duo.list_tokens(), to_state).await
    }

    /// A token ID, or `<type>:<serial>` (e.g. `h6:123456`), which Duo keeps unique.
    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        super::import_by_natural_key(self, &KIND, duo, id).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let (was, plan) = (TokenState::from_obj(prior)?, TokenState::from_obj(plan)?);
        match plan.totp_step {
            Some(step) if plan.totp_step != was.totp_step => {
                written(
                    Op::new(Action::Update, &KIND),
                    HINTS,
                    duo.set_token_totp_step(id(prior), step),
                    |t| carry_secrets(to_state(t), &plan),
                )
                .await
            }
            _ => Ok(plan.to_obj()),
        }
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

    #[test]
    fn write_only_secrets_stand_for_the_sensitive_ones_and_conflict_with_them() {
        let r = HardwareToken;
        let both = r.validate(&config(&[
            ("type", "h6".into()),
            ("secret", "abcdef".into()),
            ("secret_wo", "abcdef".into()),
        ]));
        assert_eq!(both.0[0].summary, "Conflicting secret and secret_wo");
        let d = r.validate(&config(&[
            ("type", "yk".into()),
            ("private_id_wo", "short".into()),
            ("aes_key_wo", "x".repeat(32).into()),
        ]));
        let summaries: Vec<&str> = d.0.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(
            summaries,
            ["Invalid private_id_wo"],
            "checked like private_id"
        );
        let d = r.validate(&config(&[
            ("type", "t6".into()),
            ("secret_wo", "not hex".into()),
        ]));
        assert_eq!(d.0[0].summary, "Invalid secret_wo");
        assert!(
            r.modify_plan(
                None,
                &mut config(&[("type", "h6".into()), ("secret_wo", "abcdef".into())])
            )
            .is_empty(),
            "a write-only secret is enough to create"
        );
        let plan = TokenState {
            r#type: Some("h6".into()),
            serial: Some("1".into()),
            secret_wo: Some("abcdef".into()),
            ..TokenState::default()
        };
        assert_eq!(to_params(&plan).secret.as_deref(), Some("abcdef"));
    }

    #[test]
    fn duos_token_keeps_the_configured_secrets_and_sends_what_was_planned() {
        let t: duo::Token = serde_json::from_value(serde_json::json!({
            "token_id": "DH1", "type": "t6", "serial": "123", "totp_step": "30", "users": []
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let plan = TokenState {
            r#type: Some("t6".into()),
            serial: Some("123".into()),
            secret: Some("abcdef".into()),
            ..TokenState::default()
        };
        let state = carry_secrets(to_state(&t), &plan);
        assert_eq!(
            (
                state.id.as_deref(),
                state.totp_step,
                state.secret.as_deref()
            ),
            (Some("DH1"), Some(30), Some("abcdef"))
        );
        let stored = TokenState::from_obj(&state.to_obj()).unwrap_or_default();
        assert_eq!(stored, state);
        let sent = to_params(&stored);
        assert_eq!(
            (
                sent.kind.as_str(),
                sent.serial.as_str(),
                sent.secret.as_deref(),
                sent.counter
            ),
            ("t6", "123", Some("abcdef"), None)
        );
        assert_eq!(
            to_state(&t).secret,
            None,
            "Duo's answer alone has no secret"
        );
    }
}
