//! Reads one transcript line as `JSON.parse` would, keeping only the fields
//! recovery looks at and skipping the rest without building it (message
//! contents are most of a transcript's bytes). Of duplicate keys the last
//! counts, as in JS.

use super::{Artifact, RecordKind, TailMessage, TailRecord, Value};
use crate::json::{Parser, SyntaxError};
use std::borrow::Cow;

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
    /// A string that is not blank, still borrowed from the line.
    fn non_blank(self) -> Option<Cow<'a, str>> {
        match self {
            Scalar::Str(s) if !s.trim().is_empty() => Some(s),
            _ => None,
        }
    }
}

impl<'a> Scalar<'a> {
    /// The value at the cursor, read and reduced.
    fn read(p: &mut Parser<'a>) -> Result<Scalar<'a>, SyntaxError> {
        let first = p.peek_value();
        if first == Some(b'"') {
            return p.string().map(Scalar::Str);
        }
        let bytes = p.value_bytes()?;
        Ok(match first {
            Some(b'n') => Scalar::Null,
            Some(b't' | b'{') => Scalar::Truthy,
            Some(b'f') => Scalar::Falsy,
            Some(b'[') if bytes[1..].trim_ascii_start().starts_with(b"]") => Scalar::EmptyArray,
            Some(b'[') => Scalar::Truthy,
            // A number: JS reads it as a double (`1e-400` is 0, `1e400` Infinity).
            _ => match std::str::from_utf8(bytes)
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
            {
                Some(0.0) => Scalar::Falsy,
                _ => Scalar::Truthy,
            },
        })
    }

    /// The value of one key (`details.status`, `data.error`) of the object
    /// at the cursor; `Absent` for any other value. Of duplicate keys the
    /// last counts.
    fn read_field(p: &mut Parser<'a>, name: &str) -> Result<Scalar<'a>, SyntaxError> {
        if p.peek_value() != Some(b'{') {
            p.value_bytes()?;
            return Ok(Scalar::Absent);
        }
        let mut found = Scalar::Absent;
        p.object(|p, key| {
            if key == name {
                found = Scalar::read(p)?;
            } else {
                p.value_bytes()?;
            }
            Ok(())
        })?;
        Ok(found)
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

impl<'a> Message<'a> {
    /// The `message` value at the cursor.
    fn read(p: &mut Parser<'a>) -> Result<Message<'a>, SyntaxError> {
        if p.peek_value() != Some(b'{') {
            return Scalar::read(p).map(Message::other);
        }
        let mut m = Message {
            present: true,
            truthy: true,
            ..Message::default()
        };
        p.object(|p, key| {
            let slot = match &*key {
                "role" => &mut m.role,
                "stopReason" => &mut m.stop_reason,
                "details" => {
                    m.details_status = Scalar::read_field(p, "status")?;
                    return Ok(());
                }
                "errorMessage" => &mut m.error_message,
                "errorCode" => &mut m.error_code,
                _ => {
                    p.value_bytes()?;
                    return Ok(());
                }
            };
            *slot = Scalar::read(p)?;
            Ok(())
        })?;
        Ok(m)
    }

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

impl<'a> Record<'a> {
    /// The fields of the line `src`, which must be one JSON object and
    /// nothing else (`JSON.parse` of the line). Of duplicate keys the last
    /// counts, as in JS.
    pub fn read(src: &'a [u8]) -> Option<Record<'a>> {
        let mut p = Parser::new(src);
        if p.peek_value() != Some(b'{') {
            return None;
        }
        let mut r = Record::default();
        p.object(|p, key| {
            let slot = match &*key {
                "id" => &mut r.id,
                "parentId" => &mut r.parent_id,
                "type" => &mut r.kind,
                "customType" => &mut r.custom_type,
                "data" => {
                    r.data_error = Scalar::read_field(p, "error")?;
                    return Ok(());
                }
                "message" => {
                    r.message = Message::read(p)?;
                    return Ok(());
                }
                _ => {
                    p.value_bytes()?;
                    return Ok(());
                }
            };
            *slot = Scalar::read(p)?;
            Ok(())
        })
        .ok()?;
        p.finish().ok()?;
        Some(r)
    }

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
    pub fn into_record(self) -> TailRecord<'a> {
        let kind = self.kind.as_str();
        let m = &self.message;
        let message = if m.present && m.truthy {
            let role = m.role.as_str().map(TailMessage::role_of);
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
        let kind = RecordKind::of(kind);
        let has_parent_key = self.parent_id != Scalar::Absent;
        TailRecord {
            id: self.id.non_blank(),
            parent_id: match self.parent_id {
                Scalar::Null => Some(None),
                other => other.non_blank().map(Some),
            },
            has_parent_key,
            kind,
            message,
            artifact,
        }
    }
}
