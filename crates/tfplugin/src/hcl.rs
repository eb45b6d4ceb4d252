//! Writes configuration (HCL) for an object from its schema and state, the way a person would
//! write it: only what can be configured, nothing equal to a default, secrets left out, JSON
//! settings as `jsonencode({...})`, IDs of other exported objects as references, and `=` signs
//! aligned as `terraform fmt` aligns them.
//!
//! This is how the exporter turns a tenant into a Terraform directory whose plan is empty: a
//! value written here is exactly the value the state holds, so Terraform sees no change.

use std::fmt::Write;

use super::Obj;
use super::schema::{Attribute, Block, BlockNesting, Mode, Nesting, Schema};
use super::value::{Number, Value};

/// Resolves a reference: the target type and an ID to an HCL expression (`duo_user.ann.id`),
/// or `None` to write the ID itself.
pub type Resolve<'a> = &'a dyn Fn(&str, &str) -> Option<String>;

/// One `resource "TYPE" "NAME" { … }` block.
pub fn resource(
    type_name: &str,
    name: &str,
    schema: &Schema,
    state: &Obj,
    resolve: Resolve,
) -> String {
    let mut out = format!("resource \"{type_name}\" \"{name}\" {{\n");
    body(
        &mut out,
        1,
        &schema.attributes,
        &schema.blocks,
        state,
        resolve,
    );
    out.push_str("}\n");
    out
}

/// An `import { to = … id = … }` block.
pub fn import(address: &str, id: &str) -> String {
    format!("import {{\n  to = {address}\n  id = {}\n}}\n", string(id))
}

/// Whether the attribute belongs in configuration with this value.
fn configurable(a: &Attribute, v: &Value) -> bool {
    let settable = !matches!(a.mode, Mode::Computed) && !a.sensitive && !a.write_only;
    let known = !v.is_null() && !matches!(v, Value::Unknown);
    // Left out, an optional+computed attribute keeps the empty value Duo has.
    let empty_kept = matches!(a.mode, Mode::OptionalComputed)
        && matches!(v, Value::List(i) | Value::Set(i) if i.is_empty());
    // A value that fails validation (an administrator's status only Duo sets) stays out too;
    // such attributes are optional+computed, so leaving them out keeps Duo's value.
    let valid = a.validators.iter().all(|check| check.check(v).is_ok());
    settable && known && a.default.as_ref() != Some(v) && !empty_kept && valid
}

fn body(
    out: &mut String,
    depth: usize,
    attrs: &[Attribute],
    blocks: &[Block],
    o: &Obj,
    resolve: Resolve,
) {
    let lines: Vec<(String, String)> = attrs
        .iter()
        .filter(|a| configurable(a, o.get(&a.name)))
        .map(|a| {
            (
                a.name.clone(),
                attribute_value(a, o.get(&a.name), depth, resolve),
            )
        })
        .collect();
    aligned(out, depth, &lines);
    for b in blocks {
        let items: Vec<&Value> = match (o.get(&b.name), b.nesting) {
            (Value::Null, _) => vec![],
            (v, BlockNesting::Single) => vec![v],
            (Value::List(items) | Value::Set(items), _) => items.iter().collect(),
            _ => vec![],
        };
        for item in items {
            let Value::Object(fields) = item else {
                continue;
            };
            let inner = Obj(fields.clone());
            let _ = writeln!(out, "\n{}{} {{", indent(depth), b.name);
            body(
                out,
                depth + 1,
                &b.schema.attributes,
                &b.schema.blocks,
                &inner,
                resolve,
            );
            let _ = writeln!(out, "{}}}", indent(depth));
        }
    }
}

/// Writes `name = value` lines, aligning the `=` of consecutive one-line values; a multi-line
/// value stands alone, as `terraform fmt` leaves it.
fn aligned(out: &mut String, depth: usize, lines: &[(String, String)]) {
    let mut start = 0;
    while start < lines.len() {
        let mut stop = start;
        while stop < lines.len() && !lines[stop].1.contains('\n') {
            stop += 1;
        }
        let stop = stop.max(start + 1);
        let width = lines[start..stop]
            .iter()
            .map(|(k, _)| k.len())
            .max()
            .unwrap_or(0);
        for (k, v) in &lines[start..stop] {
            let _ = writeln!(out, "{}{k:<width$} = {v}", indent(depth));
        }
        start = stop;
    }
}

fn indent(depth: usize) -> String {
    "  ".repeat(depth)
}

fn attribute_value(a: &Attribute, v: &Value, depth: usize, resolve: Resolve) -> String {
    let reference = |id: &str| a.references.and_then(|t| resolve(t, id));
    match (v, &a.nested) {
        (Value::String(s), _) => reference(s)
            .or_else(|| json_object(s, depth))
            .unwrap_or_else(|| string(s)),
        (Value::List(items) | Value::Set(items), None) => {
            let mut rendered: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) => reference(s).unwrap_or_else(|| string(s)),
                    other => value(other, depth + 1),
                })
                .collect();
            if matches!(v, Value::Set(_)) {
                // A set has no order: sorted, references read like an index.
                rendered.sort();
            }
            list(&rendered, depth)
        }
        (Value::Object(fields), Some((Nesting::Single, inner))) => {
            nested_object(fields, inner, depth, resolve)
        }
        (Value::List(items) | Value::Set(items), Some((_, inner))) => {
            let rendered: Vec<String> = items
                .iter()
                .filter_map(|i| match i {
                    Value::Object(fields) => Some(nested_object(fields, inner, depth + 1, resolve)),
                    _ => None,
                })
                .collect();
            list(&rendered, depth)
        }
        (other, _) => value(other, depth),
    }
}

fn nested_object(
    fields: &std::collections::BTreeMap<String, Value>,
    attrs: &[Attribute],
    depth: usize,
    resolve: Resolve,
) -> String {
    let mut out = String::from("{\n");
    body(
        &mut out,
        depth + 1,
        attrs,
        &[],
        &Obj(fields.clone()),
        resolve,
    );
    out.push_str(&indent(depth));
    out.push('}');
    out
}

/// `[a, b]` on one line when short, else one item per line.
fn list(items: &[String], depth: usize) -> String {
    let one_line = format!("[{}]", items.join(", "));
    if one_line.len() <= 80 && !one_line.contains('\n') {
        return one_line;
    }
    let mut out = String::from("[\n");
    for i in items {
        let _ = writeln!(out, "{}{i},", indent(depth + 1));
    }
    out.push_str(&indent(depth));
    out.push(']');
    out
}

/// A JSON object held in a string attribute, as `jsonencode({...})` (Terraform's `jsonencode`
/// writes the same JSON, and the provider compares JSON by meaning).
fn json_object(s: &str, depth: usize) -> Option<String> {
    if !s.trim_start().starts_with('{') {
        return None;
    }
    let parsed: serde_json::Value = serde_json::from_str(s).ok()?;
    parsed
        .is_object()
        .then(|| format!("jsonencode({})", json(&parsed, depth)))
}

fn json(v: &serde_json::Value, depth: usize) -> String {
    use serde_json::Value as J;
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => n.to_string(),
        J::String(s) => string(s),
        J::Array(items) => list(
            &items.iter().map(|i| json(i, depth + 1)).collect::<Vec<_>>(),
            depth,
        ),
        J::Object(map) if map.is_empty() => "{}".into(),
        J::Object(map) => {
            let lines: Vec<(String, String)> = map
                .iter()
                .map(|(k, v)| (key(k), json(v, depth + 1)))
                .collect();
            let mut out = String::from("{\n");
            aligned(&mut out, depth + 1, &lines);
            out.push_str(&indent(depth));
            out.push('}');
            out
        }
    }
}

/// An object key: bare when it is an identifier, else quoted.
fn key(k: &str) -> String {
    let ident = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident { k.to_owned() } else { string(k) }
}

fn value(v: &Value, depth: usize) -> String {
    match v {
        Value::Null | Value::Unknown => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(Number::Int(i)) => i.to_string(),
        Value::Number(Number::Float(f)) => f.to_string(),
        Value::String(s) => string(s),
        Value::List(items) | Value::Set(items) => list(
            &items
                .iter()
                .map(|i| value(i, depth + 1))
                .collect::<Vec<_>>(),
            depth,
        ),
        Value::Map(fields) | Value::Object(fields) => {
            let lines: Vec<(String, String)> = fields
                .iter()
                .map(|(k, v)| (key(k), value(v, depth + 1)))
                .collect();
            let mut out = String::from("{\n");
            aligned(&mut out, depth + 1, &lines);
            out.push_str(&indent(depth));
            out.push('}');
            out
        }
    }
}

/// A quoted HCL string: escapes, and `${`/`%{` doubled so they stay literal.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Terraform name from free text: lowercase letters, digits and `_`, starting with a letter
/// or `_`; accents dropped to their base letter where that is plain ASCII.
pub fn name(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = fold(c);
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    match trimmed.chars().next() {
        None => "unnamed".into(),
        Some(c) if c.is_ascii_digit() => format!("_{trimmed}"),
        Some(_) => trimmed.to_owned(),
    }
}

/// The ASCII letter under the common Latin accents; anything else unchanged.
fn fold(c: char) -> char {
    const FROM: &str = "àáâãäåçèéêëìíîïñòóôõöøùúûüýÿ";
    const TO: &str = "aaaaaaceeeeiiiinoooooouuuuyy";
    FROM.chars()
        .position(|f| f == c)
        .and_then(|i| TO.chars().nth(i))
        .unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Type;

    #[test]
    fn strings_are_escaped_and_templates_stay_literal() {
        assert_eq!(string("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(string("${x} %{y} $z"), r#""$${x} %%{y} $z""#);
    }

    #[test]
    fn names_are_sanitised() {
        assert_eq!(name("Ann O'Neil"), "ann_o_neil");
        assert_eq!(name("chloé.garcía"), "chloe_garcia");
        assert_eq!(name("123 team"), "_123_team");
        assert_eq!(name("—"), "unnamed");
        assert_eq!(name("IT / Ops"), "it_ops");
    }

    #[test]
    fn only_configurable_values_are_written_aligned_with_references() {
        let schema = Schema::new("t")
            .attr(Attribute::string("id").computed())
            .attr(Attribute::string("name").required())
            .attr(Attribute::string("secret").optional().sensitive())
            .attr(Attribute::bool("enabled").default(true))
            .attr(Attribute::string("settings").optional())
            .attr(
                Attribute::set_of("user_ids", Type::String)
                    .optional()
                    .references("duo_user"),
            );
        let state = Obj::default()
            .with("id", "X")
            .with("name", "eng")
            .with("secret", "s3cret")
            .with("enabled", true)
            .with("settings", r#"{"a":1,"b c":[true]}"#)
            .with(
                "user_ids",
                Value::Set(vec![Value::from("U1"), Value::from("U2")]),
            );
        let resolve = |t: &str, id: &str| {
            (t == "duo_user" && id == "U1").then(|| "duo_user.ann.id".to_owned())
        };
        let hcl = resource("duo_group", "eng", &schema, &state, &resolve);
        assert_eq!(
            hcl,
            "resource \"duo_group\" \"eng\" {\n  name = \"eng\"\n  settings = jsonencode({\n    a     = 1\n    \"b c\" = [true]\n  })\n  user_ids = [\"U2\", duo_user.ann.id]\n}\n"
        );
    }
}
