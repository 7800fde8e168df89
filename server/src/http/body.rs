//! JSON request bodies, read and validated with Better Auth's error responses.

use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use serde_json::{Map, Value};

use crate::error::AuthError;

/// Most bytes a request body may have.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A request body as read, before validation.
#[derive(Debug)]
pub enum JsonBody {
    /// No body, or a body without a `Content-Type`, which Better Auth drops.
    Undefined,
    Value(Value),
}

/// Reads a request body declared as `application/json`.
///
/// Only JSON is accepted: forms, `text/plain` and multipart bodies are
/// exactly what a hostile page can send cross-site without a preflight.
///
/// # Errors
///
/// [`AuthError::UnsupportedMediaType`] for another content type,
/// [`AuthError::InvalidJson`] for a body that does not parse.
pub fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<JsonBody, AuthError> {
    let Some(content_type) = headers.get(CONTENT_TYPE) else {
        return Ok(JsonBody::Undefined);
    };
    let mime = content_type
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if mime != "application/json" {
        return Err(AuthError::UnsupportedMediaType(mime));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(JsonBody::Undefined);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value =
        serde::de::DeserializeSeed::deserialize(StrictValue, &mut deserializer).map_err(|_| AuthError::InvalidJson)?;
    deserializer.end().map_err(|_| AuthError::InvalidJson)?;
    Ok(JsonBody::Value(value))
}

/// Builds a JSON value like `serde_json::Value` does, but rejects an object
/// with a repeated key: parsers disagree on which copy wins, and a proxy
/// that reads the first `token` while this server reads the last is how
/// checks get bypassed.
struct StrictValue;

impl<'de> serde::de::DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if fields.contains_key(&key) {
                return Err(serde::de::Error::custom("duplicate key in JSON object"));
            }
            let value = map.next_value_seed(StrictValue)?;
            fields.insert(key, value);
        }
        Ok(Value::Object(fields))
    }
}

fn type_name(value: Option<&Value>) -> &'static str {
    match value {
        None => "undefined",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    }
}

/// Collects every validation problem of a body, then reports them together
/// in Better Auth's format: `[body.field] Invalid input: expected string,
/// received number`, joined with `; `.
#[derive(Debug)]
pub struct Validator<'a> {
    fields: Option<&'a Map<String, Value>>,
    problems: Vec<String>,
}

impl<'a> Validator<'a> {
    /// Starts validating `body`, which must be a JSON object. Routes whose
    /// schema is a record (sign-up and sign-in) report a second problem for a
    /// body that is not an object, as Better Auth does.
    pub fn new(body: &'a JsonBody, record: bool) -> Self {
        let value = match body {
            JsonBody::Undefined => None,
            JsonBody::Value(value) => Some(value),
        };
        if let Some(Value::Object(fields)) = value {
            return Self {
                fields: Some(fields),
                problems: Vec::new(),
            };
        }
        let received = type_name(value);
        let mut problems = vec![format!("[body] Invalid input: expected object, received {received}")];
        if record {
            problems.push(format!("[body] Invalid input: expected record, received {received}"));
        }
        Self { fields: None, problems }
    }

    fn field(&self, name: &str) -> Option<&'a Value> {
        self.fields.and_then(|fields| fields.get(name))
    }

    fn reject(&mut self, name: &str, expected: &str, value: Option<&Value>) {
        if self.fields.is_some() {
            self.problems.push(format!(
                "[body.{name}] Invalid input: expected {expected}, received {}",
                type_name(value)
            ));
        }
    }

    /// Reads a required string field.
    pub fn string(&mut self, name: &str) -> &'a str {
        match self.field(name) {
            Some(Value::String(text)) => text,
            other => {
                self.reject(name, "string", other);
                ""
            }
        }
    }

    /// Reads an optional string field (absent or `null` is `None`).
    pub fn optional_string(&mut self, name: &str) -> Option<&'a str> {
        match self.field(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text),
            other => {
                self.reject(name, "string", other);
                None
            }
        }
    }

    /// Reads an optional boolean field (absent or `null` is `None`).
    pub fn optional_bool(&mut self, name: &str) -> Option<bool> {
        match self.field(name) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(flag)) => Some(*flag),
            other => {
                self.reject(name, "boolean", other);
                None
            }
        }
    }

    /// Adds a problem with a field's value that has the right type.
    pub fn add_problem(&mut self, name: &str, message: &str) {
        if self.fields.is_some() {
            self.problems.push(format!("[body.{name}] {message}"));
        }
    }

    /// Ends validation.
    ///
    /// # Errors
    ///
    /// [`AuthError::Validation`] with every problem found.
    pub fn finish(self) -> Result<(), AuthError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(AuthError::Validation(self.problems.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> JsonBody {
        JsonBody::Value(serde_json::from_str(text).expect("valid JSON"))
    }

    #[test]
    fn validator_reports_every_field() {
        let parsed = body(r#"{"name": 5}"#);
        let mut validator = Validator::new(&parsed, true);
        validator.string("name");
        validator.string("email");
        let err = validator.finish().expect_err("invalid");
        assert_eq!(
            err.to_string(),
            "[body.name] Invalid input: expected string, received number; \
             [body.email] Invalid input: expected string, received undefined"
        );
    }

    #[test]
    fn duplicate_keys_are_invalid_json() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, "application/json".parse().expect("header"));
        let duplicate = parse_body(&headers, br#"{"token":"a","token":"b"}"#);
        assert!(matches!(duplicate, Err(AuthError::InvalidJson)));
        let nested = parse_body(&headers, br#"{"a":{"b":1,"b":2}}"#);
        assert!(matches!(nested, Err(AuthError::InvalidJson)));
        let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
        assert!(matches!(
            parse_body(&headers, deep.as_bytes()),
            Err(AuthError::InvalidJson)
        ));
        let fine = parse_body(&headers, br#"{"token":"a","nested":[1,{"x":true}]}"#);
        assert!(matches!(fine, Ok(JsonBody::Value(_))));
    }

    #[test]
    fn validator_rejects_non_objects() {
        let mut validator = Validator::new(&JsonBody::Undefined, false);
        validator.string("token");
        assert_eq!(
            validator.finish().expect_err("invalid").to_string(),
            "[body] Invalid input: expected object, received undefined"
        );
        let parsed = body("[]");
        let validator = Validator::new(&parsed, true);
        assert_eq!(
            validator.finish().expect_err("invalid").to_string(),
            "[body] Invalid input: expected object, received array; \
             [body] Invalid input: expected record, received array"
        );
    }
}
