//! RFC 8785 JSON Canonicalization Scheme (JCS), written for this crate.
//!
//! * object members sorted by their names compared as UTF-16 code unit sequences, no whitespace;
//! * strings escaped as ECMAScript `JSON.stringify` does (`\"`, `\\`, `\b \t \n \f \r`, other controls as
//!   `\u00xx` lowercase), everything else written as UTF-8;
//! * numbers formatted as ECMAScript `Number.prototype.toString` formats an IEEE 754 double.
//!
//! JCS numbers are doubles. An integer of magnitude above 2^53 is accepted only when the double nearest it
//! prints as the integer's own digits (118034596121472770 does; 9007199254740993 would print as
//! 9007199254740992, and 2^60 = 1152921504606846976 as 1152921504606847000). Canonicalising never changes
//! the digits of an integer: one it would change is refused and should be sent as a string. This rule is
//! also what makes the canonical text of any double read back (as the integer serde_json takes it for) to
//! the same bytes.

use std::cmp::Ordering;

use serde_json::{Number, Value};

/// Largest integer magnitude every JSON consumer reads exactly (2^53).
pub const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// Why a value has no canonical form. `path` is a JSON-pointer-like location (`/a/0/b`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JcsError {
    pub path: String,
    pub reason: String,
}

/// The canonical bytes of a JSON value.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, JcsError> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value)?;
    Ok(out)
}

/// Append the canonical form of `value` to `out`.
pub fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<(), JcsError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n).map_err(|reason| JcsError {
            path: String::new(),
            reason,
        })?,
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item).map_err(|e| prefix(e, &i.to_string()))?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            // Member names are unique, so an unstable sort gives the same order.
            members.sort_unstable_by(|a, b| utf16_cmp(a.0, b.0));
            out.push(b'{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_value(out, v).map_err(|e| prefix(e, k))?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// JSON text in canonical form, checked when it was made: the payload of an
/// [`crate::evidence::CanonicalEvidence`], written by a collector that knows its fields instead of built as a
/// [`Value`] and sorted here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CanonicalJson(Vec<u8>);

impl CanonicalJson {
    /// Take `bytes` if they are exactly the canonical form of a JSON value (see [`check`]).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<CanonicalJson, JcsError> {
        check(&bytes)?;
        Ok(CanonicalJson(bytes))
    }

    /// The canonical form of `value`.
    pub fn from_value(value: &Value) -> Result<CanonicalJson, JcsError> {
        to_vec(value).map(CanonicalJson)
    }

    /// The canonical bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The canonical bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// The text of member `name` of the JSON object `text` (canonical JSON: no whitespace, unique names):
/// `Some(Some(value text))`, `Some(None)` when the object has no such member, and `None` when `text` is not
/// an object this scan reads (another value, whitespace, a member name with escapes), for the caller to decode.
pub fn member<'t>(text: &'t [u8], name: &[u8]) -> Option<Option<&'t [u8]>> {
    if text.first() != Some(&b'{') {
        return None;
    }
    let mut at = 1;
    if text.get(at) == Some(&b'}') {
        return Some(None);
    }
    loop {
        // A member name: plain text between quotes (a name with escapes is left to the full decode).
        if text.get(at) != Some(&b'"') {
            return None;
        }
        let start = at + 1;
        let len = text
            .get(start..)?
            .iter()
            .position(|&b| b == b'"' || b == b'\\')?;
        if text[start + len] != b'"' || text.get(start + len + 1) != Some(&b':') {
            return None;
        }
        let key = &text[start..start + len];
        let value_start = start + len + 2;
        let value_end = skip_value(text, value_start)?;
        if key == name {
            return Some(Some(&text[value_start..value_end]));
        }
        match text.get(value_end) {
            Some(b',') => at = value_end + 1,
            Some(b'}') => return Some(None),
            _ => return None,
        }
    }
}

/// The end of the JSON value starting at `at` (canonical text), or `None` where the text is not one.
fn skip_value(text: &[u8], at: usize) -> Option<usize> {
    let skip_string = |mut i: usize| -> Option<usize> {
        // `i` is just past the opening quote.
        loop {
            match text.get(i)? {
                b'"' => return Some(i + 1),
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
    };
    match text.get(at)? {
        b'"' => skip_string(at + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match text.get(i)? {
                    b'"' => {
                        i = skip_string(i + 1)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let len = text[at..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']'))
                .unwrap_or(text.len() - at);
            (len > 0).then_some(at + len)
        }
    }
}

/// Writes one JSON value in canonical form by construction, so the result needs no second pass: strings go
/// through [`write_str`], integers are limited to ±2^53, and member names are `&'static str` checked against the
/// previous name of their object (UTF-16 order, no repeats). A collector that knows its fields writes its
/// payloads with this instead of building a [`Value`]. Misuse (a member out of order, a value where a name is
/// due, an unclosed object) is not a panic: [`CanonicalWriter::finish`] reports the first mistake.
#[derive(Debug, Default)]
pub struct CanonicalWriter {
    out: Vec<u8>,
    frames: Vec<Frame>,
    /// A member name was written and its value is due.
    named: bool,
    /// The top-level value is complete.
    done: bool,
    error: Option<String>,
}

#[derive(Debug)]
enum Frame {
    Object { last: Option<&'static str> },
    Array { empty: bool },
}

impl CanonicalWriter {
    /// A writer whose buffer starts with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> CanonicalWriter {
        CanonicalWriter {
            out: Vec::with_capacity(capacity),
            ..CanonicalWriter::default()
        }
    }

    fn fail(&mut self, why: impl FnOnce() -> String) {
        if self.error.is_none() {
            self.error = Some(why());
        }
    }

    /// Before a value: a separator inside an array; a name must have been written inside an object.
    fn value_start(&mut self) {
        if self.done {
            return self.fail(|| "a second value after the top-level one".into());
        }
        match self.frames.last_mut() {
            None => {}
            Some(Frame::Object { .. }) => {
                if !self.named {
                    return self.fail(|| "a value inside an object without a member name".into());
                }
                self.named = false;
            }
            Some(Frame::Array { empty }) => {
                if !*empty {
                    self.out.push(b',');
                }
                *empty = false;
            }
        }
    }

    fn value_end(&mut self) {
        if self.frames.is_empty() {
            self.done = true;
        }
    }

    /// Write a member name; its value is written next.
    pub fn key(&mut self, name: &'static str) -> &mut Self {
        let prev = match self.frames.last() {
            Some(Frame::Object { last }) if !self.named => *last,
            _ => {
                self.fail(|| {
                    format!("member name {name:?} outside an object or where a value is due")
                });
                return self;
            }
        };
        if let Some(prev) = prev {
            if utf16_cmp(prev, name) != Ordering::Less {
                self.fail(|| {
                    format!("member {name:?} written after {prev:?}: not in canonical order")
                });
            }
            self.out.push(b',');
        }
        if let Some(Frame::Object { last }) = self.frames.last_mut() {
            *last = Some(name);
        }
        write_str(&mut self.out, name);
        self.out.push(b':');
        self.named = true;
        self
    }

    /// Write a string.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.value_start();
        write_str(&mut self.out, s);
        self.value_end();
        self
    }

    /// Write what `v` displays, as a string (a timestamp, say), without an intermediate `String` unless the text
    /// needs escaping.
    pub fn display(&mut self, v: impl std::fmt::Display) -> &mut Self {
        use std::io::Write as _;
        self.value_start();
        let start = self.out.len();
        self.out.push(b'"');
        // Writing to a Vec fails only when `v`'s Display does; that text is then left out.
        if write!(self.out, "{v}").is_err() {
            self.fail(|| "a value's Display implementation failed".into());
        }
        let text = &self.out[start + 1..];
        if text.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
            let text = String::from_utf8_lossy(text).into_owned();
            self.out.truncate(start);
            write_str(&mut self.out, &text);
        } else {
            self.out.push(b'"');
        }
        self.value_end();
        self
    }

    /// Write a string expected to hold ASCII letters and digits only (an object id in hex, say): copied without
    /// the escaping scan; any other string is written as [`str`](Self::str) writes it.
    pub fn plain_str(&mut self, s: &str) -> &mut Self {
        if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return self.str(s);
        }
        self.value_start();
        self.out.push(b'"');
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(b'"');
        self.value_end();
        self
    }

    /// Write an integer; one beyond ±2^53 is refused (send it as a string).
    pub fn int(&mut self, i: i64) -> &mut Self {
        if i.unsigned_abs() > MAX_EXACT_INTEGER {
            self.fail(|| format!("integer {i} is beyond ±2^53; send it as a string"));
        }
        self.value_start();
        if i < 0 {
            self.out.push(b'-');
        }
        write_u64(&mut self.out, i.unsigned_abs());
        self.value_end();
        self
    }

    /// Write `true` or `false`.
    pub fn bool(&mut self, b: bool) -> &mut Self {
        self.value_start();
        self.out
            .extend_from_slice(if b { b"true" } else { b"false" });
        self.value_end();
        self
    }

    /// Write `null`.
    pub fn null(&mut self) -> &mut Self {
        self.value_start();
        self.out.extend_from_slice(b"null");
        self.value_end();
        self
    }

    /// Open an object; its members follow, each a [`key`](Self::key) and a value, names in canonical order.
    pub fn begin_object(&mut self) -> &mut Self {
        self.open(b'{', Frame::Object { last: None })
    }

    /// Open an array.
    pub fn begin_array(&mut self) -> &mut Self {
        self.open(b'[', Frame::Array { empty: true })
    }

    fn open(&mut self, byte: u8, frame: Frame) -> &mut Self {
        if self.frames.len() >= MAX_DEPTH {
            self.fail(|| format!("nesting deeper than {MAX_DEPTH}"));
        }
        self.value_start();
        self.out.push(byte);
        self.frames.push(frame);
        self
    }

    /// Close the innermost object.
    pub fn end_object(&mut self) -> &mut Self {
        match self.frames.last() {
            Some(Frame::Object { .. }) if !self.named => self.close(b'}'),
            _ => {
                self.fail(|| "end_object where no object can end".into());
                self
            }
        }
    }

    /// Close the innermost array.
    pub fn end_array(&mut self) -> &mut Self {
        match self.frames.last() {
            Some(Frame::Array { .. }) => self.close(b']'),
            _ => {
                self.fail(|| "end_array where no array is open".into());
                self
            }
        }
    }

    fn close(&mut self, byte: u8) -> &mut Self {
        self.frames.pop();
        self.out.push(byte);
        self.value_end();
        self
    }

    /// The canonical text written, or the first mistake made writing it.
    pub fn finish(self) -> Result<CanonicalJson, JcsError> {
        let reason = match self.error {
            Some(e) => Some(e),
            None if !self.done => {
                Some("the value is incomplete (an object or array is still open)".into())
            }
            None => None,
        };
        match reason {
            Some(reason) => Err(JcsError {
                path: String::new(),
                reason,
            }),
            None => {
                debug_assert!(
                    check(&self.out).is_ok(),
                    "CanonicalWriter wrote non-canonical text"
                );
                Ok(CanonicalJson(self.out))
            }
        }
    }
}

/// Nesting deeper than this is refused by [`check`] (the ledger's reader could not decode it either).
pub const MAX_DEPTH: usize = 128;

/// Check that `bytes` are exactly what [`write_value`] writes for some JSON value: valid UTF-8, no whitespace,
/// member names unique and in UTF-16 order, strings escaped as JCS escapes them and nothing else, numbers in
/// ECMAScript form. One pass, no value is built. The error's `path` is empty; its reason names the byte offset.
pub fn check(bytes: &[u8]) -> Result<(), JcsError> {
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(Checker::fail_at(e.valid_up_to(), "is not valid UTF-8"));
    }
    let mut c = Checker { b: bytes, at: 0 };
    c.value(0)?;
    if c.at != bytes.len() {
        return Err(c.fail("is text after the value"));
    }
    Ok(())
}

/// The cursor of [`check`] over text already known to be UTF-8.
struct Checker<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Checker<'a> {
    fn fail_at(at: usize, what: &str) -> JcsError {
        JcsError {
            path: String::new(),
            reason: format!("byte {at} {what}, so the text is not canonical JSON (RFC 8785)"),
        }
    }

    fn fail(&self, what: &str) -> JcsError {
        Self::fail_at(self.at, what)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), JcsError> {
        if self.peek() == Some(c) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.fail(&format!("should be `{}`", char::from(c))))
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), JcsError> {
        if self.b[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.fail("starts no JSON value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), JcsError> {
        match self.peek() {
            Some(b'n') => self.literal(b"null"),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'"') => self.string().map(|_| ()),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(open @ (b'[' | b'{')) => {
                if depth >= MAX_DEPTH {
                    return Err(self.fail(&format!("opens a level deeper than {MAX_DEPTH}")));
                }
                self.at += 1;
                if open == b'[' {
                    self.array(depth + 1)
                } else {
                    self.object(depth + 1)
                }
            }
            _ => Err(self.fail("starts no JSON value (or is whitespace)")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), JcsError> {
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(());
        }
        loop {
            self.value(depth)?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(self.fail("should be `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), JcsError> {
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        let mut previous: Option<std::borrow::Cow<'a, str>> = None;
        loop {
            let at = self.at;
            if self.peek() != Some(b'"') {
                return Err(self.fail("should open a member name"));
            }
            let name = self.string()?;
            if let Some(p) = &previous
                && utf16_cmp(p, &name) != Ordering::Less
            {
                return Err(Self::fail_at(
                    at,
                    "starts a member name that is a repeat or out of UTF-16 order",
                ));
            }
            self.expect(b':')?;
            self.value(depth)?;
            previous = Some(name);
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(self.fail("should be `,` or `}`")),
            }
        }
    }

    /// A string literal; returns its content (borrowed unless it has escapes).
    fn string(&mut self) -> Result<std::borrow::Cow<'a, str>, JcsError> {
        self.expect(b'"')?;
        let start = self.at;
        let mut owned: Option<String> = None;
        let mut plain_from = start;
        let b = self.b;
        let text = |from: usize, to: usize| -> &'a str {
            // Cut at ASCII bytes of text already checked to be UTF-8.
            std::str::from_utf8(&b[from..to]).unwrap_or_default()
        };
        loop {
            let Some(&c) = self.b.get(self.at) else {
                return Err(self.fail("is the end inside a string"));
            };
            match c {
                b'"' => {
                    let end = self.at;
                    self.at += 1;
                    return Ok(match owned {
                        None => std::borrow::Cow::Borrowed(text(start, end)),
                        Some(mut s) => {
                            s.push_str(text(plain_from, end));
                            std::borrow::Cow::Owned(s)
                        }
                    });
                }
                b'\\' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(text(plain_from, self.at));
                    let decoded = match self.b.get(self.at + 1) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'b') => '\u{8}',
                        Some(b't') => '\t',
                        Some(b'n') => '\n',
                        Some(b'f') => '\u{c}',
                        Some(b'r') => '\r',
                        Some(b'u') => {
                            let hex = self.b.get(self.at + 2..self.at + 6).unwrap_or_default();
                            let lower = |h: u8| matches!(h, b'0'..=b'9' | b'a'..=b'f');
                            let code = match hex {
                                [b'0', b'0', h, l] if lower(*h) && lower(*l) => {
                                    let v =
                                        |d: u8| if d <= b'9' { d - b'0' } else { d - b'a' + 10 };
                                    v(*h) * 16 + v(*l)
                                }
                                _ => 0xff,
                            };
                            if code >= 0x20 || matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                                return Err(self.fail(
                                    "is a \\u escape JCS does not write (only other controls, as \\u00xx in lowercase)",
                                ));
                            }
                            self.at += 4;
                            char::from(code)
                        }
                        _ => return Err(self.fail("is an escape JCS does not write")),
                    };
                    s.push(decoded);
                    self.at += 2;
                    plain_from = self.at;
                }
                0x00..=0x1f => return Err(self.fail("is a control character JCS escapes")),
                _ => self.at += 1,
            }
        }
    }

    /// A number: JSON grammar, and the very text ECMAScript prints for the double it denotes.
    fn number(&mut self) -> Result<(), JcsError> {
        let start = self.at;
        let digits = |c: &mut Self| {
            let from = c.at;
            while matches!(c.peek(), Some(b'0'..=b'9')) {
                c.at += 1;
            }
            c.at - from
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let int_start = self.at;
        let int_len = digits(self);
        let bad = |c: &Self| {
            Err(Self::fail_at(
                start,
                &format!(
                    "starts a number not in canonical form ({})",
                    String::from_utf8_lossy(&c.b[start..c.at])
                ),
            ))
        };
        if int_len == 0 || (int_len > 1 && self.b[int_start] == b'0') {
            return bad(self);
        }
        let mut plain = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            plain = false;
            if digits(self) == 0 {
                return bad(self);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            plain = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return bad(self);
            }
        }
        let token = &self.b[start..self.at];
        // Short integers are their own canonical form (all but negative zero).
        if plain && int_len <= 15 {
            return if token == b"-0" { bad(self) } else { Ok(()) };
        }
        let value: f64 = match std::str::from_utf8(token).ok().and_then(|t| t.parse().ok()) {
            Some(v) => v,
            None => return bad(self),
        };
        let mut again = Vec::with_capacity(token.len());
        if value.is_finite() {
            write_f64(&mut again, value);
        }
        if again != token {
            return bad(self);
        }
        // A plain integer that fits 64 bits is read back as that integer, not as a double; `write_number`
        // accepts it exactly when the double nearest it prints as its digits, which the check above has
        // just established (`u as f64` and decimal parsing both round to nearest, ties to even).
        Ok(())
    }
}

fn prefix(mut e: JcsError, segment: &str) -> JcsError {
    let seg = segment.replace('~', "~0").replace('/', "~1");
    e.path = format!("/{seg}{}", e.path);
    e
}

/// Compare two strings by their UTF-16 code units (RFC 8785 §3.2.3).
///
/// UTF-8 byte order is code point order, which agrees with UTF-16 order except between a character in
/// U+E000..=U+FFFF and a supplementary one. So the bytes decide unless the strings first differ inside such a
/// pair of non-ASCII characters; only then are the code units compared.
pub fn utf16_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let same = x.iter().zip(y).take_while(|(p, q)| p == q).count();
    match (x.get(same), y.get(same)) {
        (Some(&p), Some(&q)) if p >= 0x80 && q >= 0x80 => {
            // Back up to the start of the differing characters and compare from there.
            let mut start = same;
            while start > 0 && !a.is_char_boundary(start) {
                start -= 1;
            }
            a[start..].encode_utf16().cmp(b[start..].encode_utf16())
        }
        _ => x.cmp(y),
    }
}

/// Whether any of the 8 bytes of `w` is a control character, `"` or `\\` (SWAR: high bit of each lane).
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    // Bytes below 0x20: subtracting 0x20 borrows into the high bit (only for bytes without it set).
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    control | has_zero(w ^ (ONES * u64::from(b'"'))) | has_zero(w ^ (ONES * u64::from(b'\\'))) != 0
}

/// Write a JSON string literal in canonical form.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    // Fast path: copy whole 8-byte words that need no escaping.
    let mut clean = 0;
    while let Some(word) = bytes.get(clean..clean + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        if needs_escape(u64::from_le_bytes(w)) {
            break;
        }
        clean += 8;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate().skip(clean) {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 15)]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn write_number(out: &mut Vec<u8>, n: &Number) -> Result<(), String> {
    if let Some(u) = n.as_u64() {
        if u > MAX_EXACT_INTEGER {
            return write_large_integer(out, false, u);
        }
        write_u64(out, u);
        return Ok(());
    }
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_EXACT_INTEGER {
            return write_large_integer(out, true, i.unsigned_abs());
        }
        if i < 0 {
            out.push(b'-');
        }
        write_u64(out, i.unsigned_abs());
        return Ok(());
    }
    match n.as_f64() {
        Some(f) if f.is_finite() => {
            write_f64(out, f);
            Ok(())
        }
        _ => Err(format!("number {n} is not a finite IEEE 754 double")),
    }
}

/// An integer of magnitude `u` > 2^53: JCS prints the double nearest it, which is canonical for it only if
/// that text is the integer's own digits; otherwise canonicalising would silently change the number.
fn write_large_integer(out: &mut Vec<u8>, negative: bool, u: u64) -> Result<(), String> {
    let mut digits = Vec::with_capacity(21);
    write_u64(&mut digits, u);
    let mut printed = Vec::with_capacity(21);
    write_f64(&mut printed, u as f64);
    if printed != digits {
        let sign = if negative { "-" } else { "" };
        return Err(format!(
            "integer {sign}{u} is beyond ±2^53 and the double nearest it prints as {sign}{}, so it cannot be canonicalised without changing it; send it as a string",
            String::from_utf8_lossy(&printed)
        ));
    }
    if negative {
        out.push(b'-');
    }
    out.extend_from_slice(&digits);
    Ok(())
}

/// Decimal digits of an integer, without allocating.
pub fn write_u64(out: &mut Vec<u8>, mut u: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[at..]);
}

/// Format a finite double as ECMAScript `Number.prototype.toString` does (ECMA-262 Number::toString, radix 10).
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    if v == 0.0 || !v.is_finite() {
        // -0 prints as 0; non-finite values never reach here (serde_json cannot hold them).
        out.push(b'0');
        return;
    }
    let v = if v < 0.0 {
        out.push(b'-');
        -v
    } else {
        v
    };
    // Integral values below 2^53 print as plain integers.
    if v.fract() == 0.0 && v < MAX_EXACT_INTEGER as f64 {
        write_u64(out, v as u64);
        return;
    }
    // Rust's `{:e}` gives the shortest digit string that round-trips, e.g. "1.2345e-7", "5e-324", "1e21".
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa.bytes().filter(|b| b.is_ascii_digit()).collect();
    let (digits, exp) = break_tie_to_even(v, digits, exp);
    let k = digits.len() as i32;
    let n = exp + 1; // decimal point position relative to the digit string
    if k <= n && n <= 21 {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.extend_from_slice(&digits[..n as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-n) as usize));
        out.extend_from_slice(&digits);
    } else {
        out.push(digits[0]);
        if k > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        let e = n - 1;
        out.push(if e < 0 { b'-' } else { b'+' });
        out.extend_from_slice(e.unsigned_abs().to_string().as_bytes());
    }
}

/// ECMAScript picks, among equally short digit strings that round-trip, the one closest to the exact value and,
/// when two are equally close, the even one. Rust's shortest formatting rounds such exact ties up, so fix them.
/// Ties need a digit string of 15+ digits, so shorter results skip the exact expansion.
fn break_tie_to_even(v: f64, digits: Vec<u8>, exp: i32) -> (Vec<u8>, i32) {
    let k = digits.len();
    if k < 15 {
        return (digits, exp);
    }
    // The exact decimal expansion of a double has at most 767 significant digits.
    let exact = format!("{v:.800e}");
    let (m, e) = exact.split_once('e').unwrap_or((exact.as_str(), "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let mut exact_digits: Vec<u8> = m.bytes().filter(|b| b.is_ascii_digit()).collect();
    while exact_digits.last() == Some(&b'0') {
        exact_digits.pop();
    }
    // A tie: the exact value has exactly k+1 significant digits and the last is 5 (same exponent as the result).
    if e != exp || exact_digits.len() != k + 1 || exact_digits[k] != b'5' {
        return (digits, exp);
    }
    let parse = |d: &[u8]| -> Option<u64> { std::str::from_utf8(d).ok()?.parse().ok() };
    let Some(lower) = parse(&exact_digits[..k]) else {
        return (digits, exp);
    };
    let even = if lower % 2 == 0 { lower } else { lower + 1 };
    let mut text = even.to_string();
    let mut new_exp = exp + (text.len() as i32 - k as i32);
    while text.ends_with('0') && text.len() > 1 {
        text.pop();
    }
    if text.is_empty() {
        new_exp = exp;
    }
    let candidate = format!("{}.{}e{}", &text[..1], &text[1..], new_exp);
    match candidate.parse::<f64>() {
        Ok(back) if back == v => (text.into_bytes(), new_exp),
        _ => (digits, exp),
    }
}
