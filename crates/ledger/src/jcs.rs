//! RFC 8785 JSON Canonicalization Scheme (JCS), written for this crate.
//!
//! * object members sorted by their names compared as UTF-16 code unit sequences, no whitespace;
//! * strings escaped as ECMAScript `JSON.stringify` does (`\"`, `\\`, `\b \t \n \f \r`, other controls as
//!   `\u00xx` lowercase), everything else written as UTF-8;
//! * numbers formatted as ECMAScript `Number.prototype.toString` formats an IEEE 754 double.
//!
//! Integers are accepted only when a double represents them exactly (every |n| ≤ 2^53, and larger ones such as
//! 2^53 + 2 that happen to be doubles, printed as the double); other integers would be silently rounded by
//! every JCS implementation, so they are refused and should be sent as strings.

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
            // A large integer that a double holds exactly (9007199254740994) is that double, and JCS prints
            // doubles; that is also what the canonical text of such a double reads back as. Others would be
            // rounded by every double-based reader.
            if exact_double(u) {
                write_f64(out, u as f64);
                return Ok(());
            }
            return Err(format!(
                "integer {u} is larger than 2^53 and not exactly a double, so it cannot be canonicalised exactly; send it as a string"
            ));
        }
        write_u64(out, u);
        return Ok(());
    }
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_EXACT_INTEGER {
            if exact_double(i.unsigned_abs()) {
                write_f64(out, i as f64);
                return Ok(());
            }
            return Err(format!(
                "integer {i} is smaller than -2^53 and not exactly a double, so it cannot be canonicalised exactly; send it as a string"
            ));
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

/// Whether a double holds `u` exactly.
fn exact_double(u: u64) -> bool {
    let f = u as f64;
    f < 18_446_744_073_709_551_616.0 && f as u64 == u
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
