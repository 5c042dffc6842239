//! A strict JSON reader with the grammar of ECMAScript's `JSON.parse`, which is
//! what the gateway uses on `sessions.json`.
//!
//! It does not build a tree. For an object root it records the byte span of every
//! member and, for members whose value is an object, of every field of that value.
//! That is all sessfix needs: it reads a handful of small fields per entry, and it
//! edits an index by splicing bytes, so untouched entries stay byte-identical and a
//! 40 MB index with bloated entries is never materialised as a DOM.
//!
//! Differences from `JSON.parse` that are deliberate: none in what is accepted.
//! Lone UTF-16 surrogates in `\u` escapes are accepted (as JS does) and decoded to
//! U+FFFD in keys. Bytes that are not UTF-8 are accepted inside strings, because
//! Node decodes the file lossily before parsing.

use std::borrow::Cow;
use std::ops::Range;

/// Where a JSON text stopped being valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at line {}, column {}",
            self.message, self.line, self.column
        )
    }
}

/// One `"key": value` pair of an object, by byte spans into the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The decoded key.
    pub key: String,
    /// The span of the key including its quotes.
    pub key_span: Range<usize>,
    /// The span of the value.
    pub value_span: Range<usize>,
    /// For a value that is an object: its fields (one level only).
    pub fields: Option<Vec<Field>>,
    /// For a value that is an object: the spans of its `{` and `}`.
    pub braces: Option<(usize, usize)>,
}

/// One `"key": value` pair of an object-valued member: 16 bytes, spans only.
/// An index of 100,000 entries has millions of fields, so the key is not
/// decoded (`key_is` compares it) and offsets are `u32` (`parse` refuses a
/// document of 4 GiB or more; an index is read only up to 1 GiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    key: [u32; 2],
    value: [u32; 2],
}

impl Field {
    fn new(key: Range<usize>, value: Range<usize>) -> Field {
        // `parse` checked that every offset fits.
        let at = |i: usize| i as u32;
        Field {
            key: [at(key.start), at(key.end)],
            value: [at(value.start), at(value.end)],
        }
    }

    /// The span of the key including its quotes.
    pub fn key_span(&self) -> Range<usize> {
        self.key[0] as usize..self.key[1] as usize
    }

    /// The span of the value.
    pub fn value_span(&self) -> Range<usize> {
        self.value[0] as usize..self.value[1] as usize
    }

    /// Whether the key, decoded as `JSON.parse` decodes it, is `name`.
    /// `src` is the document the field was read from.
    pub fn key_is(&self, src: &[u8], name: &str) -> bool {
        let token = &src[self.key_span()];
        let body = &token[1..token.len() - 1];
        if body.contains(&b'\\') {
            decode_string(token).is_some_and(|k| k == name)
        } else {
            body == name.as_bytes()
        }
    }
}

/// The shape of a document whose root is an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDoc {
    pub open: usize,
    pub close: usize,
    pub members: Vec<Member>,
}

impl ObjectDoc {
    /// The root's members as the fields of one object (an `entry_json`
    /// document edited as an index entry is).
    pub fn as_fields(&self) -> Vec<Field> {
        self.members
            .iter()
            .map(|m| Field::new(m.key_span.clone(), m.value_span.clone()))
            .collect()
    }
}

/// What the root of a valid JSON document is, when it is not an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootKind {
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl RootKind {
    pub fn describe(self) -> &'static str {
        match self {
            RootKind::Array => "an array",
            RootKind::String => "a string",
            RootKind::Number => "a number",
            RootKind::Bool => "a boolean",
            RootKind::Null => "null",
        }
    }
}

/// The result of reading a document strictly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Object(ObjectDoc),
    /// Valid JSON, but the root is not an object.
    Other(RootKind),
}

/// Parse `src` with `JSON.parse`'s grammar, recording members of an object root
/// and fields of object-valued members.
pub fn parse(src: &[u8]) -> Result<Parsed, SyntaxError> {
    let mut p = Parser::new(src);
    if u32::try_from(src.len()).is_err() {
        return Err(p.err("the document is 4 GiB or larger"));
    }
    p.ws();
    let parsed = match p.peek() {
        Some(b'{') => Parsed::Object(p.object_doc()?),
        Some(_) => {
            let kind = p.root_kind();
            p.skip_value()?;
            Parsed::Other(kind)
        }
        None => return Err(p.err("unexpected end of input (the file is empty)")),
    };
    p.ws();
    if p.pos != src.len() {
        return Err(p.err("unexpected data after the end of the JSON value"));
    }
    Ok(parsed)
}

/// Check that `src` is one valid JSON value (used for single field values).
pub fn is_valid_value(src: &[u8]) -> bool {
    let mut p = Parser::new(src);
    p.ws();
    if p.skip_value().is_err() {
        return false;
    }
    p.ws();
    p.pos == src.len()
}

/// Decode a JSON string token (with quotes) into a Rust string.
/// Invalid UTF-8 and lone surrogates become U+FFFD, as Node would show them.
pub fn decode_string(token: &[u8]) -> Option<String> {
    if token.len() < 2 || token[0] != b'"' || token[token.len() - 1] != b'"' {
        return None;
    }
    let body = &token[1..token.len() - 1];
    if !body.contains(&b'\\') {
        return Some(String::from_utf8_lossy(body).into_owned());
    }
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let esc = *body.get(i + 1)?;
        i += 2;
        let ch = match esc {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(body.get(i..i + 4)?)?;
                i += 4;
                if (0xD800..0xDC00).contains(&hi)
                    && body.get(i) == Some(&b'\\')
                    && body.get(i + 1) == Some(&b'u')
                {
                    if let Some(lo) = body.get(i + 2..i + 6).and_then(hex4) {
                        if (0xDC00..0xE000).contains(&lo) {
                            i += 6;
                            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            char::from_u32(c).unwrap_or('\u{FFFD}')
                        } else {
                            '\u{FFFD}'
                        }
                    } else {
                        '\u{FFFD}'
                    }
                } else {
                    char::from_u32(hi).unwrap_or('\u{FFFD}')
                }
            }
            _ => return None,
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn hex4(b: &[u8]) -> Option<u32> {
    if b.len() != 4 {
        return None;
    }
    let s = std::str::from_utf8(b).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// Encode a string the way `JSON.stringify` does.
pub fn encode_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A cursor over one JSON text, for a reader that keeps a few values of a
/// document and skips the rest without building it (a transcript line:
/// `rules::parse_tail_bytes`). Same grammar as [`parse`]; nesting depth is
/// not limited (containers are skipped without recursion). Every method
/// that reads a value first skips whitespace, and leaves the cursor after
/// the value; an error is where the text stopped being valid JSON.
pub struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    /// `fields`' buffer, kept between objects.
    fields: Vec<Field>,
    /// The last string skipped holds a `\` escape.
    escaped: bool,
}

impl<'a> Parser<'a> {
    /// A cursor at the start of `src`.
    pub fn new(src: &'a [u8]) -> Parser<'a> {
        Parser {
            src,
            pos: 0,
            fields: Vec::new(),
            escaped: false,
        }
    }

    /// The first byte of the next value (after whitespace), `None` at the end.
    pub fn peek_value(&mut self) -> Option<u8> {
        self.ws();
        self.peek()
    }

    /// At `{`: walk the object's `"key": value` pairs up to and including
    /// `}`, calling `value` with each key as `JSON.parse` decodes it (bytes
    /// that are not UTF-8 as U+FFFD; borrowed when it holds no escape) at
    /// its value, which it must read or skip.
    pub fn object(
        &mut self,
        mut value: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), SyntaxError>,
    ) -> Result<(), SyntaxError> {
        self.ws();
        self.object_entries(|p, key, _| {
            let key = p.decoded(key);
            value(p, key)
        })
        .map(|_| ())
    }

    /// Read a string value, decoded as [`Parser::object`] decodes a key.
    pub fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        self.ws();
        let start = self.pos;
        self.skip_string()?;
        Ok(self.decoded(start..self.pos))
    }

    /// The string token `span`, just skipped, decoded.
    fn decoded(&self, span: Range<usize>) -> Cow<'a, str> {
        let token = &self.src[span];
        if self.escaped {
            Cow::Owned(decode_string(token).unwrap_or_default())
        } else {
            String::from_utf8_lossy(&token[1..token.len() - 1])
        }
    }

    /// Skip one value of any kind; returns its bytes.
    pub fn value_bytes(&mut self) -> Result<&'a [u8], SyntaxError> {
        self.ws();
        let start = self.pos;
        self.skip_value()?;
        Ok(&self.src[start..self.pos])
    }

    /// Only whitespace is left.
    pub fn finish(mut self) -> Result<(), SyntaxError> {
        self.ws();
        if self.pos == self.src.len() {
            Ok(())
        } else {
            Err(self.err("unexpected data after the end of the JSON value"))
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn err(&self, message: &str) -> SyntaxError {
        let upto = &self.src[..self.pos.min(self.src.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&upto[line_start..]).chars().count() + 1;
        let message = match self.peek() {
            Some(b) if message.is_empty() => format!("unexpected {}", describe_byte(b)),
            _ => message.to_string(),
        };
        SyntaxError {
            offset: self.pos,
            line,
            column,
            message,
        }
    }

    fn unexpected(&self) -> SyntaxError {
        match self.peek() {
            None => self.err("unexpected end of input"),
            Some(_) => self.err(""),
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), SyntaxError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn root_kind(&self) -> RootKind {
        match self.peek() {
            Some(b'[') => RootKind::Array,
            Some(b'"') => RootKind::String,
            Some(b't' | b'f') => RootKind::Bool,
            Some(b'n') => RootKind::Null,
            _ => RootKind::Number,
        }
    }

    fn object_doc(&mut self) -> Result<ObjectDoc, SyntaxError> {
        let open = self.pos;
        let (members, close) = self.members()?;
        Ok(ObjectDoc {
            open,
            close,
            members,
        })
    }

    /// At `{`: read members up to and including `}`; object values get
    /// their fields recorded (one level).
    fn members(&mut self) -> Result<(Vec<Member>, usize), SyntaxError> {
        let mut members = Vec::new();
        let close = self.object_entries(|p, key_span, value_start| {
            let key = decode_string(&p.src[key_span.clone()]).unwrap_or_default();
            let (fields, braces) = if p.peek() == Some(b'{') {
                let (fields, close) = p.fields()?;
                (Some(fields), Some((value_start, close)))
            } else {
                p.skip_value()?;
                (None, None)
            };
            members.push(Member {
                key,
                key_span,
                value_span: value_start..p.pos,
                fields,
                braces,
            });
            Ok(())
        })?;
        // Grown by doubling: the unused half goes (in place).
        members.shrink_to_fit();
        Ok((members, close))
    }

    /// At `{`: read the fields of an object value up to and including `}`.
    fn fields(&mut self) -> Result<(Vec<Field>, usize), SyntaxError> {
        // Gathered in one buffer reused for every object, then copied out
        // at their exact size: an index of 100,000 entries keeps 100,000
        // of these, and growing each would leave up to half of it unused.
        let mut gathered = std::mem::take(&mut self.fields);
        gathered.clear();
        let close = self.object_entries(|p, key_span, value_start| {
            p.skip_value()?;
            gathered.push(Field::new(key_span, value_start..p.pos));
            Ok(())
        });
        let fields = gathered.to_vec();
        self.fields = gathered;
        Ok((fields, close?))
    }

    /// At `{`: walk an object's `"key": value` pairs up to and including `}`,
    /// calling `value` at each value's first byte with the key's span and that
    /// offset; it must leave the parser after the value. Returns the offset of
    /// the `}`.
    fn object_entries(
        &mut self,
        mut value: impl FnMut(&mut Self, Range<usize>, usize) -> Result<(), SyntaxError>,
    ) -> Result<usize, SyntaxError> {
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            let close = self.pos;
            self.pos += 1;
            return Ok(close);
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected());
            }
            let key_start = self.pos;
            self.skip_string()?;
            let key_span = key_start..self.pos;
            self.ws();
            self.expect(b':')?;
            self.ws();
            let value_start = self.pos;
            value(self, key_span, value_start)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    let close = self.pos;
                    self.pos += 1;
                    return Ok(close);
                }
                _ => return Err(self.unexpected()),
            }
        }
    }

    fn skip_string(&mut self) -> Result<(), SyntaxError> {
        self.expect(b'"')?;
        self.escaped = false;
        loop {
            self.pos += string_run(&self.src[self.pos..]);
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escaped = true;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            self.pos += 1;
                            for _ in 0..4 {
                                match self.peek() {
                                    Some(b) if b.is_ascii_hexdigit() => self.pos += 1,
                                    _ => return Err(self.err("bad \\u escape in string")),
                                }
                            }
                        }
                        _ => return Err(self.err("bad escape in string")),
                    }
                }
                Some(_) => return Err(self.err("control character inside a string")),
            }
        }
    }

    fn skip_number(&mut self) -> Result<(), SyntaxError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected()),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("bad number: no digit after the decimal point"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("bad number: no digit in the exponent"));
            }
            self.digits();
        }
        Ok(())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), SyntaxError> {
        if self.src[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// Skip one value of any kind, iteratively (hostile nesting cannot blow the stack).
    fn skip_value(&mut self) -> Result<(), SyntaxError> {
        // Each open container on the stack: b'{' or b'['.
        let mut stack = Nesting::default();
        loop {
            // Expect a value here.
            self.ws();
            match self.peek() {
                Some(b'{') => {
                    self.pos += 1;
                    self.ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                    } else {
                        stack.push(b'{');
                        self.object_key()?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                    } else {
                        stack.push(b'[');
                        continue;
                    }
                }
                Some(b'"') => self.skip_string()?,
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => self.skip_number()?,
                _ => return Err(self.unexpected()),
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(top) = stack.last() else {
                    return Ok(());
                };
                self.ws();
                match (top, self.peek()) {
                    (_, Some(b',')) => {
                        self.pos += 1;
                        if top == b'{' {
                            self.ws();
                            self.object_key()?;
                        }
                        break;
                    }
                    (b'{', Some(b'}')) | (b'[', Some(b']')) => {
                        self.pos += 1;
                        stack.pop();
                    }
                    _ => return Err(self.unexpected()),
                }
            }
        }
    }

    /// Inside an object, at a key: skip `"key" :`.
    fn object_key(&mut self) -> Result<(), SyntaxError> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected());
        }
        self.skip_string()?;
        self.ws();
        self.expect(b':')
    }
}

/// The open containers of a value being skipped: the first 64 levels
/// without allocating (a transcript line's message content is skipped for
/// every line), deeper ones on the heap.
struct Nesting {
    near: [u8; 64],
    len: usize,
    deeper: Vec<u8>,
}

impl Default for Nesting {
    fn default() -> Nesting {
        Nesting {
            near: [0; 64],
            len: 0,
            deeper: Vec::new(),
        }
    }
}

impl Nesting {
    fn push(&mut self, b: u8) {
        match self.near.get_mut(self.len) {
            Some(slot) => *slot = b,
            None => self.deeper.push(b),
        }
        self.len += 1;
    }

    fn last(&self) -> Option<u8> {
        let i = self.len.checked_sub(1)?;
        self.near.get(i).or(self.deeper.last()).copied()
    }

    fn pop(&mut self) {
        if self.len > self.near.len() {
            self.deeper.pop();
        }
        self.len = self.len.saturating_sub(1);
    }
}

fn describe_byte(b: u8) -> String {
    match b {
        b'\'' => "single quote (JSON5/JavaScript syntax, not JSON)".into(),
        b'/' => "'/' (a comment? JSON has no comments)".into(),
        b'}' | b']' => format!("'{}' (a trailing comma?)", b as char),
        0xEF => "byte 0xEF (a UTF-8 byte order mark?)".into(),
        0x20..=0x7e => format!("'{}'", b as char),
        _ => format!("byte 0x{b:02X}"),
    }
}

/// How many bytes at the start of `s` can stay inside a string as they are:
/// up to the first quote, backslash or control byte. The first 32 bytes are
/// looked at 8 at a time in a word (most strings of a document are shorter:
/// keys, ids, times); the rest of a longer string with vectorised scans,
/// memchr2 for the quote and backslash, a minimum for the rest.
fn string_run(s: &[u8]) -> usize {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let mut i = 0;
    while let Some(word) = s.get(i..i + 8).filter(|_| i < 32) {
        let v = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        // A byte's high bit is set where it is 0 in `x`; a borrow can set
        // it in a byte above one that is, never below, so the lowest is a
        // true match (as in serde_json's `skip_to_escape`).
        let zero = |x: u64| x.wrapping_sub(ONES) & !x;
        let quote = zero(v ^ (ONES * u64::from(b'"')));
        let backslash = zero(v ^ (ONES * u64::from(b'\\')));
        let control = v.wrapping_sub(ONES * 0x20) & !v;
        let hit = (quote | backslash | control) & HIGH;
        if hit != 0 {
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let rest = &s[i..];
    let end = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
    let span = &rest[..end];
    if span.iter().fold(0xff, |m: u8, &b| m.min(b)) >= 0x20 {
        return i + end;
    }
    i + span.iter().position(|&b| b < 0x20).unwrap_or(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_run_stops_at_the_first_special_byte_wherever_it_is() {
        for len in 0..100 {
            let plain = vec![b'a'; len];
            assert_eq!(string_run(&plain), len);
            for at in 0..len {
                for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let mut s = plain.clone();
                    s[at] = special;
                    s.push(b'"');
                    assert_eq!(string_run(&s), at, "len {len}, {special:#x} at {at}");
                }
            }
        }
        // Bytes of multi-byte UTF-8 and DEL are not special.
        assert_eq!(string_run("é中😀\u{7f}\"".as_bytes()), 10);
    }

    fn obj(src: &str) -> ObjectDoc {
        match parse(src.as_bytes()).unwrap() {
            Parsed::Object(o) => o,
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn records_members_and_fields_with_exact_spans() {
        let src = "{\n  \"a\": {\n    \"x\": 1,\n    \"y\": [true, null]\n  },\n  \"b\": 5\n}";
        let doc = obj(src);
        assert_eq!(doc.members.len(), 2);
        let a = &doc.members[0];
        assert_eq!(a.key, "a");
        let fields = a.fields.as_ref().unwrap();
        assert_eq!(&src[fields[1].value_span()], "[true, null]");
        assert!(fields[1].key_is(src.as_bytes(), "y"));
        assert!(!fields[1].key_is(src.as_bytes(), "x"));
        assert_eq!(&src[a.key_span.clone()], "\"a\"");
        assert_eq!(doc.members[1].fields, None);
        assert_eq!(&src[doc.members[1].value_span.clone()], "5");
        assert_eq!(doc.close, src.len() - 1);
    }

    #[test]
    fn a_field_key_compares_as_decoded() {
        let src = br#"{"k":{"st\u0061tus":1,"status":2,"\"q":3}}"#;
        let doc = obj(std::str::from_utf8(src).unwrap());
        let f = doc.members[0].fields.as_ref().unwrap();
        assert!(f[0].key_is(src, "status"), "an escaped key is decoded");
        assert!(f[1].key_is(src, "status"));
        assert!(!f[1].key_is(src, "statu"));
        assert!(f[2].key_is(src, "\"q"));
        assert_eq!(std::mem::size_of::<Field>(), 16);
    }

    #[test]
    fn rejects_what_json_parse_rejects() {
        for bad in [
            "",
            "{",
            "{\"a\":1,}",
            "{'a':1}",
            "{\"a\":1} x",
            "\u{feff}{}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":+1}",
            "{\"a\":NaN}",
            "{\"a\":\"\t\"}",
            "{\"a\":\"\\x\"}",
            "{a:1}",
            "{\"a\":1 // c\n}",
            "[1,]",
            "{\"a\":[1,2}",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn accepts_what_json_parse_accepts() {
        for good in [
            "{}",
            " {\"a\" : { } } ",
            "{\"a\":-0.5e+10,\"b\":1E400,\"c\":\"\\ud800\"}",
            "[]",
            "null",
            "\"s\"",
            "{\"a\":[[[[[]]]],{\"b\":{}}]}",
        ] {
            assert!(parse(good.as_bytes()).is_ok(), "rejected {good:?}");
        }
        assert_eq!(parse(b"[1]").unwrap(), Parsed::Other(RootKind::Array));
        assert_eq!(parse(b"null").unwrap(), Parsed::Other(RootKind::Null));
    }

    #[test]
    fn non_utf8_bytes_inside_strings_are_accepted_as_node_does() {
        let src = b"{\"k\":{\"sessionId\":\"a\xff\"}}";
        assert!(parse(src).is_ok());
    }

    /// A string's run ends at the first quote, backslash or control byte,
    /// wherever it is: in the words read 8 bytes at a time or past them,
    /// beside bytes of every value (UTF-8 continuation bytes included).
    #[test]
    fn a_string_run_ends_at_the_first_byte_to_stop_at() {
        let plain: Vec<u8> = (0..80u8)
            .map(|i| [b'a', 0x20, 0x7f, 0x80, 0xff, 0xe6, b'!', b'#'][usize::from(i) % 8])
            .collect();
        assert_eq!(string_run(&plain), plain.len());
        for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for at in 0..plain.len() {
                let mut s = plain.clone();
                s[at] = stop;
                // A later stop byte does not move it.
                if at + 3 < s.len() {
                    s[at + 3] = b'"';
                }
                assert_eq!(string_run(&s), at, "byte {stop:#x} at {at}");
                assert_eq!(string_run(&s[..at]), at);
            }
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let mut s = String::from("{\"a\":");
        s.push_str(&"[".repeat(200_000));
        s.push_str(&"]".repeat(200_000));
        s.push('}');
        assert!(parse(s.as_bytes()).is_ok());
        let unclosed = "[".repeat(100_000);
        assert!(parse(unclosed.as_bytes()).is_err());
        // Containers close in order on both sides of the first 64 levels.
        for depth in [63, 64, 65, 200] {
            let open: String = (0..depth)
                .map(|i| if i % 3 == 0 { "{\"k\":" } else { "[" })
                .collect();
            let close: String = (0..depth)
                .rev()
                .map(|i| if i % 3 == 0 { "}" } else { "]" })
                .collect();
            let ok = format!("{open}1{close}");
            assert!(is_valid_value(ok.as_bytes()), "depth {depth}");
            for swap in [depth - 1, depth / 2, 0] {
                let mut bad = close.clone().into_bytes();
                bad[swap] = if bad[swap] == b'}' { b']' } else { b'}' };
                let bad = format!("{open}1{}", String::from_utf8(bad).unwrap());
                assert!(
                    !is_valid_value(bad.as_bytes()),
                    "depth {depth}, close {swap} swapped"
                );
            }
        }
    }

    #[test]
    fn error_position_points_at_the_problem() {
        let e = parse(b"{\n  \"a\": 1,\n}").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1));
        assert!(e.message.contains("trailing comma"), "{}", e.message);
    }

    #[test]
    fn strings_round_trip_like_javascript() {
        assert_eq!(
            decode_string(br#""a\u00e9\n\ud83d\ude00""#).unwrap(),
            "a\u{e9}\n\u{1F600}"
        );
        assert_eq!(decode_string(br#""\ud800x""#).unwrap(), "\u{FFFD}x");
        assert_eq!(encode_string("a\"b\\c\n\u{1}/é"), r#""a\"b\\c\n\u0001/é""#);
    }

    #[test]
    fn is_valid_value_checks_single_values() {
        assert!(is_valid_value(b" true "));
        assert!(!is_valid_value(b"true,"));
        assert!(!is_valid_value(b""));
    }
}
