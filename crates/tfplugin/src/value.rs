//! Terraform values and their two wire encodings (MessagePack and JSON).
//!
//! Terraform's wire format is untyped: a MessagePack array may be a list, a set or a tuple, and
//! a number may arrive as an integer, a float or a decimal string. So decoding is always guided
//! by a [`Type`] from the schema, and unknown values (any MessagePack extension) are kept as
//! [`Value::Unknown`]. We always answer in MessagePack, the only encoding that carries unknowns.

use std::collections::BTreeMap;

/// A Terraform type, as written in schemas (`"string"`, `["list","string"]`, …).
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Dynamic,
}

impl Type {
    /// The compact JSON form Terraform expects in `Schema.Attribute.type`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Type::String => J::from("string"),
            Type::Number => J::from("number"),
            Type::Bool => J::from("bool"),
            Type::Dynamic => J::from("dynamic"),
            Type::List(e) => J::Array(vec![J::from("list"), e.to_json()]),
            Type::Set(e) => J::Array(vec![J::from("set"), e.to_json()]),
            Type::Map(e) => J::Array(vec![J::from("map"), e.to_json()]),
            Type::Object(attrs) => J::Array(vec![
                J::from("object"),
                J::Object(
                    attrs
                        .iter()
                        .map(|(k, t)| (k.clone(), t.to_json()))
                        .collect(),
                ),
            ]),
        }
    }

    /// Parses the JSON form (used for `dynamic` values, which carry their own type).
    pub fn from_json(json: &serde_json::Value) -> Result<Type, CodecError> {
        use serde_json::Value as J;
        match json {
            J::String(s) => match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(CodecError::new(format!("unknown type name {other:?}"))),
            },
            J::Array(parts) if parts.len() == 2 => {
                let kind = parts[0].as_str().unwrap_or_default();
                match (kind, &parts[1]) {
                    ("list", e) => Ok(Type::List(Box::new(Type::from_json(e)?))),
                    ("set", e) => Ok(Type::Set(Box::new(Type::from_json(e)?))),
                    ("map", e) => Ok(Type::Map(Box::new(Type::from_json(e)?))),
                    ("object", J::Object(attrs)) => Ok(Type::Object(
                        attrs
                            .iter()
                            .map(|(k, t)| Ok((k.clone(), Type::from_json(t)?)))
                            .collect::<Result<_, CodecError>>()?,
                    )),
                    _ => Err(CodecError::new(format!("unsupported type {json}"))),
                }
            }
            _ => Err(CodecError::new(format!("unsupported type {json}"))),
        }
    }
}

/// A Terraform number. Duo only deals in integers, but Terraform may send any number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            Number::Float(_) => None,
        }
    }

    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    fn parse(text: &str) -> Option<Number> {
        text.parse::<i64>().map(Number::Int).ok().or_else(|| {
            text.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Number::Float)
        })
    }
}

/// A Terraform value. Sets compare without regard to order.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Null, Null) | (Unknown, Unknown) => true,
            (Bool(a), Bool(b)) => a == b,
            (Number(a), Number(b)) => match (a.as_i64(), b.as_i64()) {
                (Some(x), Some(y)) => x == y,
                _ => a == b,
            },
            (String(a), String(b)) => a == b,
            (List(a), List(b)) => a == b,
            (Set(a), Set(b)) => {
                a.len() == b.len()
                    && a.iter().all(|x| b.contains(x))
                    && b.iter().all(|y| a.contains(y))
            }
            (Map(a), Map(b)) | (Object(a), Object(b)) => a == b,
            _ => false,
        }
    }
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when the value or anything inside it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::List(v) | Value::Set(v) => v.iter().any(Value::contains_unknown),
            Value::Map(m) | Value::Object(m) => m.values().any(Value::contains_unknown),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The known strings in a list or set, in its order, collected as the caller needs them
    /// (`Vec` for order, `BTreeSet` for set arithmetic); nothing for any other value, so a
    /// null or unknown collection reads as empty.
    pub fn strings<C: FromIterator<String>>(&self) -> C {
        match self {
            Value::List(items) | Value::Set(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => std::iter::empty().collect(),
        }
    }

    /// A null value shaped for `ty`: objects get every attribute, each null.
    pub fn null_object(ty: &Type) -> Value {
        match ty {
            Type::Object(attrs) => {
                Value::Object(attrs.keys().map(|k| (k.clone(), Value::Null)).collect())
            }
            _ => Value::Null,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }
}

/// A value that does not fit the schema, or bytes that are not MessagePack/JSON.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct CodecError {
    pub message: String,
}

impl CodecError {
    fn new(message: impl Into<String>) -> CodecError {
        CodecError {
            message: message.into(),
        }
    }

    fn at(self, step: &str) -> CodecError {
        CodecError::new(format!("{step}: {}", self.message))
    }
}

/// MessagePack extension code 0: a plain unknown value.
const UNKNOWN_EXT: i8 = 0;

/// Decodes a MessagePack `DynamicValue` guided by `ty`.
pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut reader = bytes;
    let raw = rmpv::decode::read_value(&mut reader)
        .map_err(|e| CodecError::new(format!("invalid MessagePack: {e}")))?;
    from_rmpv(raw, ty)
}

fn from_rmpv(raw: rmpv::Value, ty: &Type) -> Result<Value, CodecError> {
    use rmpv::Value as M;
    match (raw, ty) {
        (M::Nil, _) => Ok(Value::Null),
        (M::Ext(_, _), _) => Ok(Value::Unknown),
        (M::Array(parts), Type::Dynamic) if parts.len() == 2 => {
            let mut parts = parts.into_iter();
            let (Some(M::Binary(type_json)), Some(inner)) = (parts.next(), parts.next()) else {
                return Err(CodecError::new("dynamic value without its type"));
            };
            let json = serde_json::from_slice(&type_json)
                .map_err(|e| CodecError::new(format!("dynamic value type: {e}")))?;
            from_rmpv(inner, &Type::from_json(&json)?)
        }
        (M::String(s), Type::String) => s
            .into_str()
            .map(Value::String)
            .ok_or_else(|| CodecError::new("string is not UTF-8")),
        (M::Boolean(b), Type::Bool) => Ok(Value::Bool(b)),
        (M::Integer(i), Type::Number) => i
            .as_i64()
            .map(|i| Value::Number(Number::Int(i)))
            .or_else(|| i.as_f64().map(|f| Value::Number(Number::Float(f))))
            .ok_or_else(|| CodecError::new("integer out of range")),
        // Terraform numbers are never NaN (found by fuzzing: NaN is not equal to itself).
        (M::F32(f), Type::Number) if !f.is_nan() => Ok(Value::Number(Number::Float(f64::from(f)))),
        (M::F64(f), Type::Number) if !f.is_nan() => Ok(Value::Number(Number::Float(f))),
        (M::F32(_) | M::F64(_), Type::Number) => Err(CodecError::new("NaN is not a number")),
        (M::String(s), Type::Number) => s
            .as_str()
            .and_then(Number::parse)
            .map(Value::Number)
            .ok_or_else(|| CodecError::new("number is not a decimal")),
        (M::Array(items), Type::List(elem)) => Ok(Value::List(decode_items(items, elem)?)),
        (M::Array(items), Type::Set(elem)) => Ok(Value::Set(decode_items(items, elem)?)),
        (M::Map(entries), Type::Map(elem)) => {
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let key = key_string(k)?;
                let value = from_rmpv(v, elem).map_err(|e| e.at(&key))?;
                out.insert(key, value);
            }
            Ok(Value::Map(out))
        }
        (M::Map(entries), Type::Object(attrs)) => {
            let mut out: BTreeMap<String, Value> =
                attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
            for (k, v) in entries {
                let key = key_string(k)?;
                if let Some(attr_ty) = attrs.get(&key) {
                    let value = from_rmpv(v, attr_ty).map_err(|e| e.at(&key))?;
                    out.insert(key, value);
                }
            }
            Ok(Value::Object(out))
        }
        (other, ty) => Err(CodecError::new(format!(
            "expected {}, got MessagePack {other}",
            ty.to_json()
        ))),
    }
}

fn decode_items(items: Vec<rmpv::Value>, elem: &Type) -> Result<Vec<Value>, CodecError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| from_rmpv(v, elem).map_err(|e| e.at(&format!("[{i}]"))))
        .collect()
}

fn key_string(key: rmpv::Value) -> Result<String, CodecError> {
    match key {
        rmpv::Value::String(s) => s
            .into_str()
            .ok_or_else(|| CodecError::new("key is not UTF-8")),
        other => Err(CodecError::new(format!("map key {other} is not a string"))),
    }
}

/// Encodes a value as MessagePack; `ty` is needed only to encode `dynamic` values.
pub fn to_msgpack(value: &Value, ty: &Type) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut out, &to_rmpv(value, ty));
    out
}

fn to_rmpv(value: &Value, ty: &Type) -> rmpv::Value {
    use rmpv::Value as M;
    let elem = |ty: &Type| match ty {
        Type::List(e) | Type::Set(e) | Type::Map(e) => (**e).clone(),
        _ => Type::Dynamic,
    };
    match value {
        Value::Null => M::Nil,
        Value::Unknown => M::Ext(UNKNOWN_EXT, vec![0]),
        Value::Bool(b) => M::Boolean(*b),
        Value::Number(Number::Int(i)) => M::from(*i),
        Value::Number(Number::Float(f)) => M::F64(*f),
        Value::String(s) => M::from(s.as_str()),
        Value::List(items) | Value::Set(items) => {
            let e = elem(ty);
            M::Array(items.iter().map(|v| to_rmpv(v, &e)).collect())
        }
        Value::Map(m) => {
            let e = elem(ty);
            M::Map(
                m.iter()
                    .map(|(k, v)| (M::from(k.as_str()), to_rmpv(v, &e)))
                    .collect(),
            )
        }
        Value::Object(m) => M::Map(
            m.iter()
                .map(|(k, v)| {
                    let attr_ty = match ty {
                        Type::Object(attrs) => attrs.get(k).cloned().unwrap_or(Type::Dynamic),
                        _ => Type::Dynamic,
                    };
                    (M::from(k.as_str()), to_rmpv(v, &attr_ty))
                })
                .collect(),
        ),
    }
}

/// A value's JSON form, as Terraform stores state (unknowns, which state never holds, as
/// null); [`from_json`] reads it back given the type.
pub fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null | Value::Unknown => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(Number::Int(i)) => J::from(*i),
        Value::Number(Number::Float(f)) => J::from(*f),
        Value::String(s) => J::String(s.clone()),
        Value::List(items) | Value::Set(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Map(m) | Value::Object(m) => {
            J::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

/// Decodes JSON (stored state, or a `DynamicValue` without MessagePack) guided by `ty`.
/// Attributes the type does not have are dropped: that is how old state meets a new schema.
pub fn from_json(json: &serde_json::Value, ty: &Type) -> Result<Value, CodecError> {
    use serde_json::Value as J;
    match (json, ty) {
        (J::Null, _) => Ok(Value::Null),
        (J::Object(o), Type::Dynamic) if o.contains_key("type") => {
            let inner_ty = Type::from_json(&o["type"])?;
            from_json(o.get("value").unwrap_or(&J::Null), &inner_ty)
        }
        (J::String(s), Type::String) => Ok(Value::String(s.clone())),
        (J::Bool(b), Type::Bool) => Ok(Value::Bool(*b)),
        (J::Number(n), Type::Number) => n
            .as_i64()
            .map(Number::Int)
            .or_else(|| n.as_f64().map(Number::Float))
            .map(Value::Number)
            .ok_or_else(|| CodecError::new("number out of range")),
        (J::String(s), Type::Number) => Number::parse(s)
            .map(Value::Number)
            .ok_or_else(|| CodecError::new("number is not a decimal")),
        (J::Array(items), Type::List(e)) => Ok(Value::List(json_items(items, e)?)),
        (J::Array(items), Type::Set(e)) => Ok(Value::Set(json_items(items, e)?)),
        (J::Object(o), Type::Map(e)) => Ok(Value::Map(
            o.iter()
                .map(|(k, v)| Ok((k.clone(), from_json(v, e).map_err(|err| err.at(k))?)))
                .collect::<Result<_, CodecError>>()?,
        )),
        (J::Object(o), Type::Object(attrs)) => Ok(Value::Object(
            attrs
                .iter()
                .map(|(k, t)| {
                    let v = o.get(k).unwrap_or(&J::Null);
                    Ok((k.clone(), from_json(v, t).map_err(|err| err.at(k))?))
                })
                .collect::<Result<_, CodecError>>()?,
        )),
        (other, ty) => Err(CodecError::new(format!(
            "expected {}, got JSON {other}",
            ty.to_json()
        ))),
    }
}

fn json_items(items: &[serde_json::Value], elem: &Type) -> Result<Vec<Value>, CodecError> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| from_json(v, elem).map_err(|e| e.at(&format!("[{i}]"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_come_from_lists_and_sets_and_nothing_else() {
        let list = Value::List(vec!["b".into(), Value::Unknown, "a".into(), "b".into()]);
        assert_eq!(list.strings::<Vec<String>>(), ["b", "a", "b"]);
        let set: std::collections::BTreeSet<String> =
            Value::Set(vec!["b".into(), "a".into()]).strings();
        assert_eq!(set.into_iter().collect::<Vec<_>>(), ["a", "b"]);
        assert!(Value::Null.strings::<Vec<String>>().is_empty());
        assert!(Value::Unknown.strings::<Vec<String>>().is_empty());
        assert!(Value::from("a").strings::<Vec<String>>().is_empty());
    }

    fn obj_type() -> Type {
        Type::Object(BTreeMap::from([
            ("name".to_owned(), Type::String),
            ("count".to_owned(), Type::Number),
            ("on".to_owned(), Type::Bool),
            ("tags".to_owned(), Type::Set(Box::new(Type::String))),
            ("labels".to_owned(), Type::Map(Box::new(Type::String))),
        ]))
    }

    fn check_round_trip(value: Value) {
        let ty = obj_type();
        let bytes = to_msgpack(&value, &ty);
        assert_eq!(from_msgpack(&bytes, &ty), Ok(value));
    }

    #[test]
    fn objects_round_trip_through_msgpack() {
        check_round_trip(Value::Object(BTreeMap::from([
            ("name".to_owned(), Value::from("eng")),
            ("count".to_owned(), Value::from(3)),
            ("on".to_owned(), Value::Bool(true)),
            (
                "tags".to_owned(),
                Value::Set(vec![Value::from("a"), Value::from("b")]),
            ),
            (
                "labels".to_owned(),
                Value::Map(BTreeMap::from([("k".to_owned(), Value::from("v"))])),
            ),
        ])));
        check_round_trip(Value::Object(BTreeMap::from([
            ("name".to_owned(), Value::Unknown),
            ("count".to_owned(), Value::Null),
            ("on".to_owned(), Value::Unknown),
            ("tags".to_owned(), Value::Unknown),
            ("labels".to_owned(), Value::Null),
        ])));
    }

    #[test]
    fn unknown_is_written_as_fixext1_code_zero() {
        assert_eq!(
            to_msgpack(&Value::Unknown, &Type::String),
            vec![0xd4, 0x00, 0x00]
        );
    }

    #[test]
    fn any_extension_code_reads_as_unknown() {
        // fixext2 with code 12 (a refined unknown) and a two-byte payload
        assert_eq!(
            from_msgpack(&[0xd5, 0x0c, 0x81, 0x01], &Type::String),
            Ok(Value::Unknown)
        );
        assert_eq!(
            from_msgpack(&[0xd4, 0x00, 0x00], &Type::Number),
            Ok(Value::Unknown)
        );
    }

    #[test]
    fn numbers_arrive_as_int_float_or_decimal_string() {
        let from = |m: rmpv::Value| {
            let mut b = Vec::new();
            rmpv::encode::write_value(&mut b, &m).ok();
            from_msgpack(&b, &Type::Number)
        };
        assert_eq!(from(rmpv::Value::from(7)), Ok(Value::from(7)));
        assert_eq!(from(rmpv::Value::F64(7.0)), Ok(Value::from(7)));
        assert!(from(rmpv::Value::F64(f64::NAN)).is_err());
        assert_eq!(from(rmpv::Value::from("7")), Ok(Value::from(7)));
        assert!(from(rmpv::Value::from("seven")).is_err());
    }

    #[test]
    fn missing_object_attributes_decode_as_null_and_extra_ones_are_dropped() {
        let json = serde_json::json!({"name": "eng", "removed_attribute": 1});
        let Ok(Value::Object(o)) = from_json(&json, &obj_type()) else {
            panic!("not an object")
        };
        assert_eq!(o["name"], Value::from("eng"));
        assert_eq!(o["count"], Value::Null);
        assert!(!o.contains_key("removed_attribute"));
    }

    #[test]
    fn mismatched_types_are_errors_with_a_path() {
        let json = serde_json::json!({"name": 5});
        let err = from_json(&json, &obj_type()).err().map(|e| e.message);
        assert_eq!(
            err.as_deref(),
            Some("name: expected \"string\", got JSON 5")
        );
    }

    #[test]
    fn sets_compare_without_order() {
        assert_eq!(
            Value::Set(vec![Value::from("a"), Value::from("b")]),
            Value::Set(vec![Value::from("b"), Value::from("a")])
        );
        assert_ne!(
            Value::List(vec![Value::from("a"), Value::from("b")]),
            Value::List(vec![Value::from("b"), Value::from("a")])
        );
    }

    #[test]
    fn type_json_is_compact() {
        let t = Type::List(Box::new(Type::Object(BTreeMap::from([(
            "a".to_owned(),
            Type::Number,
        )]))));
        assert_eq!(
            t.to_json().to_string(),
            r#"["list",["object",{"a":"number"}]]"#
        );
        assert_eq!(Type::from_json(&t.to_json()), Ok(t));
    }
}
