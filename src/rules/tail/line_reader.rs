//! Reads one transcript line as `JSON.parse` would, keeping only the fields
//! recovery looks at and skipping the rest without building it (message
//! contents are most of a transcript's bytes). Of duplicate keys the last
//! counts, as in JS.

use super::{Artifact, TailMessage, TailRecord, Value};
use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use std::borrow::Cow;
use std::fmt;

/// A JSON value reduced to what the rules compare it with.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum Scalar {
    #[default]
    Absent,
    Null,
    Str(String),
    /// `true`, a non-zero number, an array or an object.
    Truthy,
    /// `false` or `0`.
    Falsy,
    /// An empty array.
    EmptyArray,
}

impl Scalar {
    /// The same reduction of a parsed value.
    fn of(v: &Value) -> Scalar {
        match v {
            Value::Null => Scalar::Null,
            Value::Bool(true) => Scalar::Truthy,
            Value::Bool(false) => Scalar::Falsy,
            Value::Number(n) if n.as_f64() != Some(0.0) => Scalar::Truthy,
            Value::Number(_) => Scalar::Falsy,
            Value::String(s) => Scalar::Str(s.clone()),
            Value::Array(a) if a.is_empty() => Scalar::EmptyArray,
            Value::Array(_) | Value::Object(_) => Scalar::Truthy,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }
    fn non_blank(&self) -> Option<String> {
        self.as_str()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E: Error>(self, b: bool) -> Result<Scalar, E> {
        Ok(if b { Scalar::Truthy } else { Scalar::Falsy })
    }
    fn visit_i64<E: Error>(self, n: i64) -> Result<Scalar, E> {
        Ok(if n != 0 {
            Scalar::Truthy
        } else {
            Scalar::Falsy
        })
    }
    fn visit_u64<E: Error>(self, n: u64) -> Result<Scalar, E> {
        Ok(if n != 0 {
            Scalar::Truthy
        } else {
            Scalar::Falsy
        })
    }
    fn visit_f64<E: Error>(self, n: f64) -> Result<Scalar, E> {
        Ok(if n != 0.0 {
            Scalar::Truthy
        } else {
            Scalar::Falsy
        })
    }
    fn visit_str<E: Error>(self, s: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(s.to_string()))
    }
    fn visit_string<E: Error>(self, s: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        let mut empty = true;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            empty = false;
        }
        Ok(if empty {
            Scalar::EmptyArray
        } else {
            Scalar::Truthy
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Truthy)
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// A `message` value: its truthiness and, for an object, the fields read.
#[derive(Debug, Default)]
pub struct Message {
    present: bool,
    truthy: bool,
    role: Scalar,
    stop_reason: Scalar,
    details_status: Scalar,
    error_message: Scalar,
    error_code: Scalar,
}

struct MessageVisitor;

impl<'de> Visitor<'de> for MessageVisitor {
    type Value = Message;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message, A::Error> {
        let mut m = Message {
            present: true,
            truthy: true,
            ..Message::default()
        };
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "role" => m.role = map.next_value()?,
                "stopReason" => m.stop_reason = map.next_value()?,
                "details" => m.details_status = map.next_value_seed(FieldOf("status"))?,
                "errorMessage" => m.error_message = map.next_value()?,
                "errorCode" => m.error_code = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(m)
    }
    // Any other value: only its truthiness matters.
    fn visit_unit<E: Error>(self) -> Result<Message, E> {
        Ok(Message::other(Scalar::Null))
    }
    fn visit_bool<E: Error>(self, b: bool) -> Result<Message, E> {
        ScalarVisitor.visit_bool(b).map(Message::other)
    }
    fn visit_i64<E: Error>(self, n: i64) -> Result<Message, E> {
        ScalarVisitor.visit_i64(n).map(Message::other)
    }
    fn visit_u64<E: Error>(self, n: u64) -> Result<Message, E> {
        ScalarVisitor.visit_u64(n).map(Message::other)
    }
    fn visit_f64<E: Error>(self, n: f64) -> Result<Message, E> {
        ScalarVisitor.visit_f64(n).map(Message::other)
    }
    fn visit_str<E: Error>(self, s: &str) -> Result<Message, E> {
        ScalarVisitor.visit_str(s).map(Message::other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Message, A::Error> {
        ScalarVisitor.visit_seq(seq).map(Message::other)
    }
}

impl Message {
    fn of(v: &Value) -> Message {
        let Some(m) = v.as_object() else {
            return Message::other(Scalar::of(v));
        };
        let field = |k: &str| m.get(k).map_or(Scalar::Absent, Scalar::of);
        Message {
            present: true,
            truthy: true,
            role: field("role"),
            stop_reason: field("stopReason"),
            details_status: m
                .get("details")
                .and_then(Value::as_object)
                .and_then(|d| d.get("status"))
                .map_or(Scalar::Absent, Scalar::of),
            error_message: field("errorMessage"),
            error_code: field("errorCode"),
        }
    }

    fn other(v: Scalar) -> Message {
        let truthy = match &v {
            Scalar::Str(s) => !s.is_empty(),
            Scalar::Truthy | Scalar::EmptyArray => true,
            _ => false,
        };
        Message {
            present: true,
            truthy,
            ..Message::default()
        }
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Message, D::Error> {
        d.deserialize_any(MessageVisitor)
    }
}

/// The value of one key of an object (`details.status`, `data.error`);
/// `Absent` for any other value. Nothing else of the value is built.
struct FieldOf(&'static str);

impl<'de> DeserializeSeed<'de> for FieldOf {
    type Value = Scalar;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldOf {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        let mut found = Scalar::Absent;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == self.0 {
                found = map.next_value()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
    fn visit_unit<E: Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_bool<E: Error>(self, _: bool) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_i64<E: Error>(self, _: i64) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_u64<E: Error>(self, _: u64) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_f64<E: Error>(self, _: f64) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_str<E: Error>(self, _: &str) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Absent)
    }
}

/// The fields of a record line that recovery reads.
#[derive(Debug, Default)]
pub struct Record {
    id: Scalar,
    parent_id: Scalar,
    kind: Scalar,
    custom_type: Scalar,
    /// `data.error` (a custom entry's error text).
    data_error: Scalar,
    message: Message,
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Record, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Record;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
                let mut r = Record::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match &*key {
                        "id" => r.id = map.next_value()?,
                        "parentId" => r.parent_id = map.next_value()?,
                        "type" => r.kind = map.next_value()?,
                        "customType" => r.custom_type = map.next_value()?,
                        "data" => r.data_error = map.next_value_seed(FieldOf("error"))?,
                        "message" => r.message = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(r)
            }
        }
        d.deserialize_map(V)
    }
}

impl Record {
    /// The same fields of a parsed line.
    pub fn of(obj: &serde_json::Map<String, Value>) -> Record {
        let field = |k: &str| obj.get(k).map_or(Scalar::Absent, Scalar::of);
        Record {
            id: field("id"),
            parent_id: field("parentId"),
            kind: field("type"),
            custom_type: field("customType"),
            data_error: obj
                .get("data")
                .and_then(Value::as_object)
                .and_then(|d| d.get("error"))
                .map_or(Scalar::Absent, Scalar::of),
            message: obj.get("message").map(Message::of).unwrap_or_default(),
        }
    }

    /// The rules recovery applies to one record: its links,
    /// `parsedSessionEntryToMessage`, and the restart artifacts.
    pub fn into_record(self) -> TailRecord {
        let kind = self.kind.as_str().map(str::to_string);
        let m = &self.message;
        let message = if m.present && m.truthy {
            let role = m.role.as_str().map(str::to_string);
            Some(TailMessage {
                approval_pending: role.as_deref() == Some("toolResult")
                    && m.details_status.as_str() == Some("approval-pending"),
                role,
                compaction: false,
            })
        } else if kind.as_deref() == Some("compaction") {
            Some(TailMessage {
                role: Some("system".into()),
                approval_pending: false,
                compaction: true,
            })
        } else {
            None
        };
        let artifact = if kind.as_deref() == Some("custom")
            && self.custom_type.as_str() == Some("openclaw:prompt-error")
        {
            Some(
                if self
                    .data_error
                    .as_str()
                    .is_some_and(super::is_restart_abort_error)
                {
                    Artifact::PromptError
                } else {
                    Artifact::OtherPromptError
                },
            )
        } else {
            (m.present
                && kind.as_deref() == Some("message")
                && m.role.as_str() == Some("assistant")
                && super::is_restart_abort_stop(
                    m.stop_reason.as_str(),
                    m.error_code.as_str(),
                    m.error_message.as_str(),
                ))
            .then_some(Artifact::AbortedAssistant)
        };
        TailRecord {
            id: self.id.non_blank(),
            parent_id: match &self.parent_id {
                Scalar::Null => Some(None),
                other => other.non_blank().map(Some),
            },
            has_parent_key: self.parent_id != Scalar::Absent,
            kind,
            message,
            artifact,
        }
    }
}
