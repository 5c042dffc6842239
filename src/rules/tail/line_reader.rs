//! Reads one transcript line as `JSON.parse` would, keeping only the fields
//! recovery looks at and skipping the rest without building it (message
//! contents are most of a transcript's bytes). Of duplicate keys the last
//! counts, as in JS.

use super::{Artifact, RecordKind, TailMessage, TailRecord, Value};
use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use std::borrow::Cow;
use std::fmt;

/// A JSON value reduced to what the rules compare it with; a string is
/// borrowed from the line when it holds no escape.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum Scalar<'a> {
    #[default]
    Absent,
    Null,
    Str(Cow<'a, str>),
    /// `true`, a non-zero number, an array or an object.
    Truthy,
    /// `false` or `0`.
    Falsy,
    /// An empty array.
    EmptyArray,
}

impl<'a> Scalar<'a> {
    /// The same reduction of a parsed value.
    fn of(v: &'a Value) -> Scalar<'a> {
        match v {
            Value::Null => Scalar::Null,
            Value::Bool(true) => Scalar::Truthy,
            Value::Bool(false) => Scalar::Falsy,
            Value::Number(n) if n.as_f64() != Some(0.0) => Scalar::Truthy,
            Value::Number(_) => Scalar::Falsy,
            Value::String(s) => Scalar::Str(Cow::Borrowed(s)),
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
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: Error>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E: Error>(self, b: bool) -> Result<Scalar<'de>, E> {
        Ok(if b { Scalar::Truthy } else { Scalar::Falsy })
    }
    fn visit_i64<E: Error>(self, n: i64) -> Result<Scalar<'de>, E> {
        Ok(if n != 0 {
            Scalar::Truthy
        } else {
            Scalar::Falsy
        })
    }
    fn visit_u64<E: Error>(self, n: u64) -> Result<Scalar<'de>, E> {
        Ok(if n != 0 {
            Scalar::Truthy
        } else {
            Scalar::Falsy
        })
    }
    fn visit_f64<E: Error>(self, n: f64) -> Result<Scalar<'de>, E> {
        Ok(if n != 0.0 {
            Scalar::Truthy
        } else {
            Scalar::Falsy
        })
    }
    fn visit_borrowed_str<E: Error>(self, s: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E: Error>(self, s: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(s.to_string())))
    }
    fn visit_string<E: Error>(self, s: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
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
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Truthy)
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar<'de>, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// An object key, borrowed from the line when it holds no escape (serde's
/// own `Cow<str>` always copies).
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A `message` value: its truthiness and, for an object, the fields read.
#[derive(Debug, Default)]
pub struct Message<'a> {
    present: bool,
    truthy: bool,
    role: Scalar<'a>,
    stop_reason: Scalar<'a>,
    details_status: Scalar<'a>,
    error_message: Scalar<'a>,
    error_code: Scalar<'a>,
}

struct MessageVisitor;

impl<'de> Visitor<'de> for MessageVisitor {
    type Value = Message<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message<'de>, A::Error> {
        let mut m = Message {
            present: true,
            truthy: true,
            ..Message::default()
        };
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match &*key.0 {
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
    fn visit_unit<E: Error>(self) -> Result<Message<'de>, E> {
        Ok(Message::other(Scalar::Null))
    }
    fn visit_bool<E: Error>(self, b: bool) -> Result<Message<'de>, E> {
        ScalarVisitor.visit_bool(b).map(Message::other)
    }
    fn visit_i64<E: Error>(self, n: i64) -> Result<Message<'de>, E> {
        ScalarVisitor.visit_i64(n).map(Message::other)
    }
    fn visit_u64<E: Error>(self, n: u64) -> Result<Message<'de>, E> {
        ScalarVisitor.visit_u64(n).map(Message::other)
    }
    fn visit_f64<E: Error>(self, n: f64) -> Result<Message<'de>, E> {
        ScalarVisitor.visit_f64(n).map(Message::other)
    }
    fn visit_str<E: Error>(self, s: &str) -> Result<Message<'de>, E> {
        ScalarVisitor.visit_str(s).map(Message::other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Message<'de>, A::Error> {
        ScalarVisitor.visit_seq(seq).map(Message::other)
    }
}

impl<'a> Message<'a> {
    fn of(v: &'a Value) -> Message<'a> {
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

    fn other(v: Scalar<'_>) -> Message<'a> {
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

impl<'de> Deserialize<'de> for Message<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Message<'de>, D::Error> {
        d.deserialize_any(MessageVisitor)
    }
}

/// The value of one key of an object (`details.status`, `data.error`);
/// `Absent` for any other value. Nothing else of the value is built.
struct FieldOf(&'static str);

impl<'de> DeserializeSeed<'de> for FieldOf {
    type Value = Scalar<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldOf {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        let mut found = Scalar::Absent;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if key.0 == self.0 {
                found = map.next_value()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
    fn visit_unit<E: Error>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Absent)
    }
    fn visit_bool<E: Error>(self, _: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Absent)
    }
    fn visit_i64<E: Error>(self, _: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Absent)
    }
    fn visit_u64<E: Error>(self, _: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Absent)
    }
    fn visit_f64<E: Error>(self, _: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Absent)
    }
    fn visit_str<E: Error>(self, _: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Absent)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Absent)
    }
}

/// The fields of a record line that recovery reads.
#[derive(Debug, Default)]
pub struct Record<'a> {
    id: Scalar<'a>,
    parent_id: Scalar<'a>,
    kind: Scalar<'a>,
    custom_type: Scalar<'a>,
    /// `data.error` (a custom entry's error text).
    data_error: Scalar<'a>,
    message: Message<'a>,
}

impl<'de> Deserialize<'de> for Record<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Record<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Record<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record<'de>, A::Error> {
                let mut r = Record::default();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    match &*key.0 {
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

impl<'a> Record<'a> {
    /// The same fields of a parsed line.
    pub fn of(obj: &'a serde_json::Map<String, Value>) -> Record<'a> {
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
        let kind = self.kind.as_str();
        let m = &self.message;
        let message = if m.present && m.truthy {
            let role = m.role.as_str().map(str::to_string);
            Some(TailMessage {
                approval_pending: role.as_deref() == Some("toolResult")
                    && m.details_status.as_str() == Some("approval-pending"),
                role,
                compaction: false,
            })
        } else if kind == Some("compaction") {
            Some(TailMessage {
                role: Some("system".into()),
                approval_pending: false,
                compaction: true,
            })
        } else {
            None
        };
        let artifact = if kind == Some("custom")
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
                && kind == Some("message")
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
            kind: RecordKind::of(kind),
            message,
            artifact,
        }
    }
}
