//! `duo_phone`: one phone (or tablet) device.
//!
//! Duo rewrites what it is given: numbers gain `+1` and lose dashes, `type` and `platform` come
//! back in Title Case. The user's spelling is kept whenever Duo's answer means the same, so a
//! plan stays empty; a real change made outside Terraform still shows.

use async_trait::async_trait;

use super::{
    Action, Hint, Op, create_once, deleted, found, holds, id, keep, matching, same_ignoring_case,
    written,
};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{Diagnostics, Failed, Managed, Obj, Resource, Schema, State, Take, Validator};

/// What `duo_phone` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_phone",
    noun: "phone",
    plural: "phones",
    read: Grant::ReadResource,
    write: Some(Grant::WriteResource),
    read_by: &["duo_phones"],
    natural_key: &[PhoneState::number, PhoneState::name],
    unique_in_duo: false,
    import: ImportId::Id,
    export: Some(Naming {
        from: &[PhoneState::number],
        prefix: "phone",
        user_side: true,
    }),
};

pub struct Phone;

pub const TYPES: &[&str] = &["unknown", "mobile", "landline"];
pub const PLATFORMS: &[&str] = &[
    "unknown",
    "google android",
    "apple ios",
    "windows phone 7",
    "rim blackberry",
    "java j2me",
    "palm webos",
    "symbian os",
    "windows mobile",
    "generic smartphone",
];

const HINTS: &[Hint] = &[
    Hint {
        field: "number",
        attr: PhoneState::number,
        advice: "Give the number in E.164 form, e.g. \"+15555550100\" (without a leading + Duo assumes +1).",
    },
    Hint {
        field: "platform",
        attr: PhoneState::platform,
        advice: "Use one of the platforms listed in the docs.",
    },
];

crate::plugin::state! {
    /// A `duo_phone`'s state, plan and configuration.
    pub struct PhoneState {
        id: Option<String> {
            .computed().use_state_for_unknown().describe("The phone's Duo ID (`phone_id`).")
        },
        number: Option<String> {
            .default("")
            .normalized(same_number)
            .validate(number_validator())
            .describe(
                "The phone number, preferably E.164 (`+15555550100`); without a leading `+`, Duo assumes `+1`. \
                 Dashes and spaces are ignored. Empty for a tablet.",
            )
        },
        extension: Option<String> {
            .default("").validate(Validator::digits()).describe("An extension dialled after the number.")
        },
        name: Option<String> { .default("").describe("A name for the phone.") },
        r#type: Option<String> {
            .optional_computed()
            .use_state_for_unknown()
            .validate(Validator::one_of(TYPES))
            .describe("The kind of phone. When omitted, Duo's value is kept.")
        },
        platform: Option<String> {
            .optional_computed()
            .use_state_for_unknown()
            .validate(Validator::one_of(PLATFORMS))
            .describe("The phone's operating system. When omitted, Duo's value is kept.")
        },
        predelay: Option<i64> {
            .optional_computed()
            .use_state_for_unknown()
            .validate(Validator::at_least(0))
            .describe("Seconds to wait after the call connects before dialling the extension.")
        },
        postdelay: Option<i64> {
            .optional_computed()
            .use_state_for_unknown()
            .validate(Validator::at_least(0))
            .describe("Seconds to wait after dialling the extension before the prompt.")
        },
        activated: Option<bool> {
            .computed().describe("Whether Duo Mobile has been activated on the phone.")
        },
        capabilities: Option<Vec<String>> {
            .computed().describe("What the phone can do (`push`, `sms`, `phone`, `mobile_otp`, …).")
        },
        allow_duplicate_number: Option<bool> {
            .optional().local().describe(&super::allow_duplicate_text("phone", "number and extension"))
        },
    }
}

impl Phone {
    pub fn schema() -> Schema {
        Schema::new(
            "A phone or tablet that users authenticate with. Link it to a user with \
             `duo_user_phone`.",
        )
        .attrs(PhoneState::attributes())
    }
}

pub fn number_validator() -> Validator {
    Validator::new(
        "Digits, with an optional leading `+`; dashes, spaces, dots and parentheses are ignored.",
        |v| {
            let s = v.as_str().unwrap_or_default();
            if s.is_empty() || normalize_number(s).is_some() {
                Ok(())
            } else {
                Err(format!(
                    "{s:?} is not a phone number; write it like \"+15555550100\"."
                ))
            }
        },
    )
}

/// Duo's reading of a number: separators dropped, `+1` when there is no `+`.
pub fn normalize_number(raw: &str) -> Option<String> {
    let kept: String = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '.' | '(' | ')'))
        .collect();
    let digits = kept.strip_prefix('+').unwrap_or(&kept);
    if digits.is_empty() || digits.len() > 15 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(if kept.starts_with('+') {
        kept.clone()
    } else {
        format!("+1{digits}")
    })
}

pub fn same_number(a: &str, b: &str) -> bool {
    normalize_number(a).is_some() && normalize_number(a) == normalize_number(b)
}

/// The only place `duo_phone` values and Duo's phone meet.
pub fn to_state(p: &duo::Phone) -> PhoneState {
    PhoneState {
        id: Some(p.phone_id.clone()),
        number: Some(p.number.clone().unwrap_or_default()),
        extension: Some(p.extension.clone().unwrap_or_default()),
        name: Some(p.name.clone().unwrap_or_default()),
        r#type: p.kind.clone(),
        platform: p.platform.clone(),
        predelay: p.predelay,
        postdelay: p.postdelay,
        activated: p.activated,
        capabilities: Some(p.capabilities.clone()),
        allow_duplicate_number: None,
    }
}

fn to_params(plan: &PhoneState) -> duo::PhoneParams {
    duo::PhoneParams {
        number: plan.number.clone(),
        extension: plan.extension.clone(),
        name: plan.name.clone(),
        kind: plan.r#type.clone(),
        platform: plan.platform.clone(),
        predelay: plan.predelay,
        postdelay: plan.postdelay,
    }
}

#[async_trait]
impl Resource<duo::Client> for Phone {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        Phone::schema()
    }

    /// Duo does not keep phone numbers unique; a phone without a number (a tablet) is not
    /// checked.
    async fn check_create(
        &self,
        duo: &duo::Client,
        planned: &Obj,
        managed: Managed<'_>,
    ) -> Diagnostics {
        let (Some(number), Some(extension)) = (
            planned.str(PhoneState::number).filter(|n| !n.is_empty()),
            planned.str(PhoneState::extension),
        ) else {
            return Diagnostics::default();
        };
        let key = if extension.is_empty() {
            format!("number {number:?}")
        } else {
            format!("number {number:?} and extension {extension:?}")
        };
        super::unique(
            &KIND,
            planned,
            managed,
            Some(PhoneState::allow_duplicate_number),
            &key,
            duo.existing_phones(|p| {
                let theirs = p.number.as_deref().unwrap_or_default();
                (theirs == number || same_number(number, theirs))
                    && p.extension.as_deref().unwrap_or_default() == extension
            }),
            |p| &p.phone_id,
        )
        .await
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let plan = PhoneState::from_obj(plan)?;
        let params = to_params(&plan);
        let number = params.number.as_deref().unwrap_or_default();
        let phone = create_once(
            Op::new(Action::Create, &KIND),
            HINTS,
            &KIND.key_text(&[number, params.name.as_deref().unwrap_or_default()]),
            || duo.create_phone(&params),
            || {
                matching(duo.list_phones(), |p| {
                    let theirs = p.number.as_deref().unwrap_or_default();
                    theirs == number || same_number(number, theirs)
                })
            },
            |p: &duo::Phone| {
                holds(params.name.as_deref(), p.name.as_deref())
                    && holds(params.extension.as_deref(), p.extension.as_deref())
                    && holds(params.kind.as_deref(), p.kind.as_deref())
                    && holds(params.platform.as_deref(), p.platform.as_deref())
            },
            |p| &p.phone_id,
        )
        .await?;
        Ok(respell(to_state(&phone), &plan).to_obj())
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let prior = PhoneState::from_obj(state)?;
        found(&KIND, duo.get_phone(id(state)), |p| {
            respell(to_state(p), &prior)
        })
        .await
    }

    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        super::listed(&KIND, duo, take, duo.list_phones(), to_state).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let plan = PhoneState::from_obj(plan)?;
        written(
            Op::new(Action::Update, &KIND),
            HINTS,
            duo.modify_phone(id(prior), &to_params(&plan)),
            |p| respell(to_state(p), &plan),
        )
        .await
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        deleted(&KIND, duo.delete_phone(id(state))).await
    }
}

/// Duo's answer, in the user's spelling where it means the same.
fn respell(mut o: PhoneState, plan: &PhoneState) -> PhoneState {
    keep(&mut o.number, &plan.number, same_number);
    keep(&mut o.r#type, &plan.r#type, same_ignoring_case);
    keep(&mut o.platform, &plan.platform, same_ignoring_case);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duos_rewrites_of_a_number_mean_the_same() {
        assert!(same_number("555-555-0100", "+15555550100"));
        assert!(same_number("+44 20 7946 0958", "+442079460958"));
        assert!(!same_number("555-555-0101", "+15555550100"));
        assert!(!same_number("", ""));
    }

    #[test]
    fn title_case_answers_keep_the_planned_spelling() {
        let p: duo::Phone = serde_json::from_value(serde_json::json!({
            "phone_id": "DP1", "number": "+15555550100", "type": "Mobile", "platform": "Apple iOS", "predelay": "0"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let plan = PhoneState {
            number: Some("555-555-0100".into()),
            r#type: Some("mobile".into()),
            platform: Some("apple ios".into()),
            ..PhoneState::default()
        };
        let o = respell(to_state(&p), &plan);
        assert_eq!(
            (
                o.number.as_deref(),
                o.r#type.as_deref(),
                o.platform.as_deref()
            ),
            (Some("555-555-0100"), Some("mobile"), Some("apple ios"))
        );
        assert_eq!(o.predelay, Some(0));
        // Through the plugin layer's values, as Terraform stores it, and on to Duo.
        let stored = PhoneState::from_obj(&o.to_obj()).unwrap_or_default();
        assert_eq!(stored, o);
        let sent = to_params(&stored);
        assert_eq!(
            (
                sent.number.as_deref(),
                sent.kind.as_deref(),
                sent.predelay,
                sent.postdelay
            ),
            (Some("555-555-0100"), Some("mobile"), Some(0), None)
        );
        assert_eq!(stored.capabilities, Some(vec![]));
    }
}
