//! Decodes JavaScript values (parsed JSON, method arguments, options) into
//! Rust types with serde.
//!
//! serde-wasm-bindgen's deserializer would do the same, but its error
//! messages print unexpected numbers with `f64`'s `Display`, which alone adds
//! about 14 KB to the WebAssembly. This deserializer names only the kind of
//! an unexpected value ("invalid type: a number, expected a string"), and
//! handles exactly the JSON data model: null and undefined, booleans,
//! numbers, strings, arrays and plain objects.

use std::fmt;

use js_sys::{Array, Object, Reflect};
use serde::de::{self, DeserializeOwned, DeserializeSeed, Expected, Unexpected, Visitor};
use serde::forward_to_deserialize_any;
use wasm_bindgen::{JsCast, JsValue};

/// Decodes `value` as `T`.
///
/// # Errors
///
/// A message in serde's wording, such as "missing field `token`" or
/// "invalid type: a number, expected a string".
pub fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, DecodeError> {
    T::deserialize(JsDeserializer(value))
}

/// The reason a JavaScript value does not fit the expected type.
#[derive(Debug)]
pub struct DecodeError(String);

impl DecodeError {
    pub fn into_message(self) -> String {
        self.0
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// Names the kind of an unexpected value, without the value itself.
fn describe<'a>(unexpected: &Unexpected<'a>) -> &'a str {
    match *unexpected {
        Unexpected::Bool(_) => "a boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => "a number",
        Unexpected::Char(_) | Unexpected::Str(_) => "a string",
        Unexpected::Bytes(_) => "bytes",
        Unexpected::Unit | Unexpected::Option => "null",
        Unexpected::Seq => "an array",
        Unexpected::Map => "an object",
        Unexpected::Other(other) => other,
        Unexpected::NewtypeStruct
        | Unexpected::Enum
        | Unexpected::UnitVariant
        | Unexpected::NewtypeVariant
        | Unexpected::TupleVariant
        | Unexpected::StructVariant => "another kind of value",
    }
}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self(message.to_string())
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self(format!(
            "invalid type: {}, expected {}",
            describe(&unexpected),
            expected
        ))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self(format!(
            "invalid value: {}, expected {}",
            describe(&unexpected),
            expected
        ))
    }
}

/// Largest integer that a JavaScript number represents exactly (2^53 - 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

struct JsDeserializer(JsValue);

impl JsDeserializer {
    fn is_missing(&self) -> bool {
        self.0.is_null() || self.0.is_undefined()
    }

    /// Names the kind of value, for an error message.
    fn kind(&self) -> &'static str {
        if self.is_missing() {
            "null"
        } else if self.0.as_bool().is_some() {
            "a boolean"
        } else if self.0.as_f64().is_some() {
            "a number"
        } else if self.0.is_string() {
            "a string"
        } else if Array::is_array(&self.0) {
            "an array"
        } else if self.0.is_object() {
            "an object"
        } else {
            "a non-JSON value"
        }
    }

    fn invalid_type<'de, V: Visitor<'de>>(&self, visitor: &V) -> DecodeError {
        de::Error::invalid_type(Unexpected::Other(self.kind()), visitor)
    }

    fn array_access(self) -> ArrayAccess {
        ArrayAccess {
            items: Array::from(&self.0),
            next: 0,
        }
    }

    fn object_access(self) -> ObjectAccess {
        let keys = Object::keys(self.0.unchecked_ref::<Object>());
        ObjectAccess {
            object: self.0,
            keys,
            next: 0,
        }
    }
}

// The typed `deserialize_*` methods call only the visitor method that fits,
// so serde's generated code for other shapes (a struct read from an array,
// a field name read from a number) is never linked in.
impl<'de> de::Deserializer<'de> for JsDeserializer {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.is_missing() {
            return visitor.visit_unit();
        }
        if let Some(flag) = self.0.as_bool() {
            return visitor.visit_bool(flag);
        }
        if let Some(number) = self.0.as_f64() {
            // Integral numbers go to the integer visitors, so `u16` and
            // friends accept them.
            if number.fract() == 0.0 && number.abs() <= MAX_SAFE_INTEGER {
                return if number >= 0.0 {
                    visitor.visit_u64(number as u64)
                } else {
                    visitor.visit_i64(number as i64)
                };
            }
            return visitor.visit_f64(number);
        }
        if let Some(text) = self.0.as_string() {
            return visitor.visit_string(text);
        }
        if Array::is_array(&self.0) {
            return visitor.visit_seq(self.array_access());
        }
        if self.0.is_object() {
            return visitor.visit_map(self.object_access());
        }
        Err(self.invalid_type(&visitor))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0.as_bool() {
            Some(flag) => visitor.visit_bool(flag),
            None => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0.as_string() {
            Some(text) => visitor.visit_string(text),
            None => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.is_missing() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if Array::is_array(&self.0) {
            visitor.visit_seq(self.array_access())
        } else {
            Err(self.invalid_type(&visitor))
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.0.is_object() && !Array::is_array(&self.0) {
            visitor.visit_map(self.object_access())
        } else {
            Err(self.invalid_type(&visitor))
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_map(visitor)
    }

    /// Unknown fields are skipped without walking their contents.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct newtype_struct tuple tuple_struct
        enum
    }
}

struct ArrayAccess {
    items: Array,
    next: u32,
}

impl<'de> de::SeqAccess<'de> for ArrayAccess {
    type Error = DecodeError;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, DecodeError> {
        if self.next >= self.items.length() {
            return Ok(None);
        }
        let item = self.items.get(self.next);
        self.next += 1;
        seed.deserialize(JsDeserializer(item)).map(Some)
    }
}

struct ObjectAccess {
    object: JsValue,
    keys: Array,
    next: u32,
}

impl<'de> de::MapAccess<'de> for ObjectAccess {
    type Error = DecodeError;

    fn next_key_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, DecodeError> {
        if self.next >= self.keys.length() {
            return Ok(None);
        }
        let key = self.keys.get(self.next);
        seed.deserialize(JsDeserializer(key)).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, DecodeError> {
        let key = self.keys.get(self.next);
        self.next += 1;
        // `Object.keys` lists own enumerable properties, which `Reflect.get`
        // always reads; a throwing getter reads as undefined.
        let value = Reflect::get(&self.object, &key).unwrap_or(JsValue::UNDEFINED);
        seed.deserialize(JsDeserializer(value))
    }
}
