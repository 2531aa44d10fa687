//! The byte scanner: one pass over the text, word by word, with a cheap dispatch on each word's first
//! byte; only candidates are examined further and every candidate is validated before it is reported.
//! Emails are examined at each `@` the pass stops at; private-key blocks are found by a `memmem` side pass.
//!
//! `\b`, digits and letters are ASCII here (Presidio's Python patterns are Unicode-aware): a digit
//! written in another script is not part of a number.

use serde::{Deserialize, Serialize};

use super::checks;

/// What was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Entity {
    EmailAddress,
    PhoneNumber,
    CreditCard,
    IbanCode,
    UsSsn,
    IpAddress,
    Crypto,
    AwsAccessKey,
    PrivateKey,
    ApiToken,
}

impl Entity {
    pub fn name(self) -> &'static str {
        match self {
            Entity::EmailAddress => "EMAIL_ADDRESS",
            Entity::PhoneNumber => "PHONE_NUMBER",
            Entity::CreditCard => "CREDIT_CARD",
            Entity::IbanCode => "IBAN_CODE",
            Entity::UsSsn => "US_SSN",
            Entity::IpAddress => "IP_ADDRESS",
            Entity::Crypto => "CRYPTO",
            Entity::AwsAccessKey => "AWS_ACCESS_KEY",
            Entity::PrivateKey => "PRIVATE_KEY",
            Entity::ApiToken => "API_TOKEN",
        }
    }

    /// Secrets rather than personal data.
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            Entity::AwsAccessKey | Entity::PrivateKey | Entity::ApiToken
        )
    }

    /// Words that raise confidence when they appear just before a finding or name its column.
    pub fn context(self) -> &'static [&'static str] {
        CONTEXT[self as usize]
    }

    pub const ALL: [Entity; 10] = [
        Entity::EmailAddress,
        Entity::PhoneNumber,
        Entity::CreditCard,
        Entity::IbanCode,
        Entity::UsSsn,
        Entity::IpAddress,
        Entity::Crypto,
        Entity::AwsAccessKey,
        Entity::PrivateKey,
        Entity::ApiToken,
    ];
}

/// Context words per entity, in [`Entity::ALL`] order (lower-case ASCII, at least two bytes each).
const CONTEXT: [&[&str]; 10] = [
    &["email", "e-mail", "mail"],
    &[
        "phone",
        "telephone",
        "cell",
        "mobile",
        "call",
        "tel:",
        "fax",
    ],
    &["credit", "card", "visa", "mastercard", "amex", "pan"],
    &["iban", "bank", "account"],
    &["ssn", "social security", "social"],
    &["ip", "ipv4", "ipv6", "address", "host"],
    &["wallet", "btc", "bitcoin", "crypto", "eth", "ethereum"],
    &["aws", "access_key", "access key", "akid"],
    &["key"],
    &["token", "secret", "api_key", "apikey", "bearer"],
];

/// Bit `k` of `CONTEXT_BYTES[i][b]` is set when a context word of entity `k` (in [`Entity::ALL`] order) has
/// `b` as its byte `i` (`i` < 3), in either case, or is shorter than `i + 1` bytes: a window position whose
/// next three bytes do not all carry the entity's bit cannot start one of its words.
static CONTEXT_BYTES: [[u16; 256]; 3] = {
    let mut t = [[0u16; 256]; 3];
    let mut e = 0;
    while e < CONTEXT.len() {
        let mut k = 0;
        while k < CONTEXT[e].len() {
            let w = CONTEXT[e][k].as_bytes();
            let mut i = 0;
            while i < 3 {
                if i < w.len() {
                    t[i][w[i] as usize] |= 1 << e;
                    t[i][w[i].to_ascii_uppercase() as usize] |= 1 << e;
                } else {
                    let mut b = 0;
                    while b < 256 {
                        t[i][b] |= 1 << e;
                        b += 1;
                    }
                }
                i += 1;
            }
            k += 1;
        }
        e += 1;
    }
    t
};

/// Whether a context word of `entity` occurs in `window` (at most 48 bytes), ignoring ASCII case. A
/// branch-free pass over the three-byte filter first; the words are compared only when it lets one through.
fn has_context_word(window: &[u8], entity: Entity) -> bool {
    let bit = 1u16 << entity as usize;
    let n = window.len().min(48);
    // Zero padding: a third byte past the end carries only the bits of two-byte words.
    let mut buf = [0u8; 50];
    buf[..n].copy_from_slice(&window[..n]);
    let mut seen = 0u16;
    for j in 0..n.saturating_sub(1) {
        seen |= CONTEXT_BYTES[0][buf[j] as usize]
            & CONTEXT_BYTES[1][buf[j + 1] as usize]
            & CONTEXT_BYTES[2][buf[j + 2] as usize];
    }
    if seen & bit == 0 {
        return false;
    }
    let hay = &window[..n];
    let words = entity.context();
    (0..n).any(|j| {
        words.iter().any(|w| {
            hay.len() - j >= w.len()
                && hay[j..]
                    .iter()
                    .zip(w.as_bytes())
                    .all(|(a, b)| a.to_ascii_lowercase() == *b)
        })
    })
}

/// One match: byte range in the scanned text and a confidence in (0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finding {
    pub entity: Entity,
    pub start: usize,
    pub end: usize,
    pub score: f64,
}

const W: u8 = 1; // word byte: [A-Za-z0-9_]
const D: u8 = 2; // digit
const U: u8 = 4; // upper
const L: u8 = 8; // lower
const H: u8 = 16; // hex digit

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let mut v = 0;
        if c.is_ascii_digit() {
            v |= W | D | H;
        }
        if c.is_ascii_uppercase() {
            v |= W | U;
        }
        if c.is_ascii_lowercase() {
            v |= W | L;
        }
        if c == b'_' {
            v |= W;
        }
        if c.is_ascii_hexdigit() {
            v |= H;
        }
        t[i] = v;
        i += 1;
    }
    t
};

#[inline]
fn is(c: u8, class: u8) -> bool {
    CLASS[c as usize] & class != 0
}

/// Bytes that begin or sit early in every entity the main pass looks for: ASCII 0x30–0x5F, which holds the
/// digits, `:`, `@`, the upper-case letters and `_` (emails and private keys have their own passes; `+` and `(`
/// before a digit are picked up from the digit). Runs of other bytes — lower-case words, spaces, commas, dots —
/// are skipped eight at a time.
#[inline]
fn trigger(c: u8) -> bool {
    (0x30..=0x5f).contains(&c)
}

/// Whether any of the 32 bytes is a [`trigger`]. A branch-free fold, which the compiler turns into a few
/// vector compares (SSE2 on x86-64) and one test per 32 bytes.
#[inline]
fn any_trigger32(b: &[u8; 32]) -> bool {
    b.iter()
        .fold(0u8, |a, &c| a | u8::from(c.wrapping_sub(0x30) < 0x30))
        != 0
}

/// The high bit of each byte of `x` that is a [`trigger`]: a byte b < 0x80 with 0x2f < b < 0x60 (Hacker's
/// Delight "has between", exact per byte: no carry or borrow crosses a byte).
#[inline]
fn trigger_bytes8(x: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let low7 = x & !HI;
    (LO * (127 + 0x60)).wrapping_sub(low7) & !x & (low7 + LO * (127 - 0x2f)) & HI
}

/// The first trigger byte at or after `i`, or `text.len()`: 32 bytes at a time while none is there, then
/// eight at a time to find which.
#[inline]
fn next_trigger(text: &[u8], mut i: usize) -> usize {
    // The next eight bytes first: in trigger-dense text (logs, capitalised prose) the trigger is usually
    // there, and the 32-byte test would only add work.
    if let Some(w) = text.get(i..i + 8) {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        let between = trigger_bytes8(u64::from_le_bytes(b));
        if between != 0 {
            return i + (between.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(chunk) = text.get(i..i + 32) {
        let mut b = [0u8; 32];
        b.copy_from_slice(chunk);
        if any_trigger32(&b) {
            break;
        }
        i += 32;
    }
    while i + 8 <= text.len() {
        let mut b = [0u8; 8];
        b.copy_from_slice(&text[i..i + 8]);
        let between = trigger_bytes8(u64::from_le_bytes(b));
        if between != 0 {
            return i + (between.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < text.len() && !trigger(text[i]) {
        i += 1;
    }
    i
}

/// [`next_trigger`] a byte at a time (the reference the tests compare it with).
#[cfg(test)]
fn next_trigger_plain(text: &[u8], mut i: usize) -> usize {
    while i < text.len() && !trigger(text[i]) {
        i += 1;
    }
    i
}

/// Scan `text`, appending findings (unsorted; callers sort by `start`).
pub fn scan(text: &[u8], out: &mut Vec<Finding>) {
    private_keys(text, out);
    scan_lines(text, out);
}

/// Everything [`scan`] finds except private-key blocks, in order of `start` but for emails (which start
/// before the `@` where they are found). Nothing it finds spans a line end, and it looks no further back
/// than the line start, so a text cut after any `\n` scans piece by piece to the same findings.
pub(crate) fn scan_lines(text: &[u8], out: &mut Vec<Finding>) {
    let n = text.len();
    let mut i = 0;
    // Everything before `done` has been examined.
    let mut done = 0;
    loop {
        i = next_trigger(text, i);
        if i >= n {
            break;
        }
        if !is(text[i], W) {
            // `@` is a trigger, and no examined run holds one: every `@` of the text is seen here once.
            if text[i] == b'@' {
                email_at(text, i, out);
            }
            i += 1;
            continue;
        }
        // Back up to the start of the word holding the trigger.
        let mut ws = i;
        while ws > done && is(text[ws - 1], W) {
            ws -= 1;
        }
        if ws == done && ws > 0 && is(text[ws - 1], W) {
            // The rest of a word already examined.
            while i < n && is(text[i], W) {
                i += 1;
            }
            done = i;
            continue;
        }
        // The short numbers that fill tables and ids, without a call: digits only, fewer than nine, then a
        // field or line end, and no `+`, `(` or `:` before (`word` would stop at the same place, finding
        // nothing: every digit-led entity has 7+ digits or separators, see `word_digit`).
        if is(text[ws], D) && (ws == 0 || !matches!(text[ws - 1], b'+' | b'(' | b':')) {
            let mut k = ws + 1;
            while k < n && is(text[k], D) {
                k += 1;
            }
            let next = text.get(k);
            if k - ws < 9 && field_end(next) {
                i = k;
                done = k;
                continue;
            }
            if next.is_none_or(|&c| c != b':' && !is(c, W)) {
                // The word is these digits and no IPv6 start: what `word` would do, without finding
                // its end again.
                i = word_digit(text, ws, k, out).unwrap_or(k).max(ws + 1);
                done = i;
                continue;
            }
        }
        // `+4…`, `(4…` and `::1…` start before the word.
        let before = |k: usize| ws >= k && (ws == k || !is(text[ws - k - 1], W));
        i = if ws >= 1 && matches!(text[ws - 1], b'+' | b'(') && before(1) && is(text[ws], D) {
            number(text, ws - 1, out).unwrap_or(ws + 1).max(ws + 1)
        } else if ws >= 2 && &text[ws - 2..ws] == b"::" && before(2) {
            ip6(text, ws - 2, out).unwrap_or_else(|| word(text, ws, out))
        } else {
            word(text, ws, out)
        };
        done = i;
    }
}

/// Examine the word starting at `i` (the byte before is not a word byte); returns where to go on.
fn word(text: &[u8], i: usize, out: &mut Vec<Finding>) -> usize {
    let n = text.len();
    let c = text[i];
    let cls = CLASS[c as usize];
    let mut wend = i + 1;
    while wend < n && is(text[wend], W) {
        wend += 1;
    }
    let next = text.get(wend).copied().unwrap_or(b' ');
    let v6 = if next == b':' && is(c, H) {
        ip6(text, i, out)
    } else {
        None
    };
    let consumed = if v6.is_some() {
        v6
    } else if cls & D != 0 {
        word_digit(text, i, wend, out)
    } else if cls & U != 0 {
        word_upper(text, i, wend, out)
    } else if cls & L != 0 {
        word_lower(text, i, wend, out)
    } else {
        None
    };
    consumed.unwrap_or(wend).max(i + 1)
}

/// A field or line end (or the end of the text) after a number.
#[inline]
fn field_end(c: Option<&u8>) -> bool {
    matches!(c, None | Some(b',' | b'\n' | b'\r' | b'"' | b';' | b'\t'))
}

fn push(out: &mut Vec<Finding>, entity: Entity, start: usize, end: usize, score: f64) {
    out.push(Finding {
        entity,
        start,
        end,
        score,
    });
}

fn word_digit(text: &[u8], i: usize, wend: usize, out: &mut Vec<Finding>) -> Option<usize> {
    let word = &text[i..wend];
    let alpha = word.iter().any(|&c| is(c, U | L));
    if alpha {
        if word.starts_with(b"0x") && word.len() == 42 && word[2..].iter().all(|&c| is(c, H)) {
            match checks::eip55(&word[2..]) {
                Some(true) => push(out, Entity::Crypto, i, wend, 1.0),
                None => push(out, Entity::Crypto, i, wend, 0.5),
                Some(false) => {}
            }
            return Some(wend);
        }
        if (word[0] == b'1' || word[0] == b'3')
            && (26..=35).contains(&word.len())
            && checks::base58check(word)
        {
            push(out, Entity::Crypto, i, wend, 1.0);
        }
        return Some(wend);
    }
    // Fast path for the numbers that fill numeric tables: a short integer or a one-dot decimal followed by
    // a field or line end cannot be any entity (every digit-led entity has 7+ digits or separators).
    let d1 = wend - i;
    let end_byte = field_end;
    if d1 < 9 && end_byte(text.get(wend)) {
        return Some(wend);
    }
    if text.get(wend) == Some(&b'.') {
        let mut m = wend + 1;
        while m < text.len() && text[m].is_ascii_digit() {
            m += 1;
        }
        if m > wend + 1 && (end_byte(text.get(m)) || text.get(m) == Some(&b' ')) {
            return Some(m);
        }
    }
    number(text, i, out)
}

/// A run of digits with single separators between digit groups, starting at `i`.
fn number(text: &[u8], i: usize, out: &mut Vec<Finding>) -> Option<usize> {
    let n = text.len();
    let mut j = i;
    let plus = text[i] == b'+';
    if plus || text[i] == b'(' {
        j += 1;
    }
    let mut digits = [0u8; 24];
    let mut nd = 0usize;
    let mut seps = [0u8; 8];
    let mut ns = 0usize;
    let mut groups = [0u8; 12];
    let mut ng = 0usize;
    let mut glen = 0u8;
    let mut end = j;
    // Where the second space-separated group starts: when the whole run is no entity, the scan resumes
    // there, so a value written right after a number ("dur_ms=482 201-68-3033") is still examined.
    let mut resume: Option<usize> = None;
    while j < n {
        let c = text[j];
        if is(c, D) {
            if nd == digits.len() {
                return None;
            }
            digits[nd] = c;
            nd += 1;
            glen += 1;
            j += 1;
            end = j;
        } else if matches!(c, b' ' | b'-' | b'.' | b')' | b'(') && glen > 0 {
            // A separator counts only between digits (") " and " (" as one).
            let mut k = j + 1;
            if c == b')' && text.get(k) == Some(&b' ') {
                k += 1;
            }
            if k < n && is(text[k], D) {
                if ng == groups.len() || ns == seps.len() {
                    return None;
                }
                groups[ng] = glen;
                ng += 1;
                seps[ns] = c;
                ns += 1;
                glen = 0;
                if c == b' ' && resume.is_none() {
                    resume = Some(k);
                }
                j = k;
            } else {
                break;
            }
        } else {
            break;
        }
    }
    if nd == 0 {
        return None;
    }
    // Not part of a longer word (a word after a space-separated number, such as a wallet address, is
    // examined from its own start).
    if end < n && is(text[end], U | L | W) {
        if let Some(r) = resume {
            return Some(r);
        }
        let mut k = end;
        while k < n && is(text[k], W) {
            k += 1;
        }
        return Some(k);
    }
    if glen > 0 {
        groups[ng] = glen;
        ng += 1;
    }
    let d = &digits[..nd];
    let g = &groups[..ng];
    let s = &seps[..ns];
    let start = i;
    let all_sep = |x: u8| s.iter().all(|&c| c == x);
    // IPv4 (with an optional /prefix).
    if !plus && ng == 4 && ns == 3 && all_sep(b'.') {
        let mut e = end;
        if text.get(e) == Some(&b'/') {
            let mut k = e + 1;
            while k < n && is(text[k], D) && k - e <= 3 {
                k += 1;
            }
            if k > e + 1 {
                e = k;
            }
        }
        if checks::ipv4(&text[start..e]) {
            push(out, Entity::IpAddress, start, e, 0.6);
        }
        return Some(e);
    }
    if s.contains(&b'.') && !(ns >= 2 && all_sep(b'.')) {
        return Some(resume.unwrap_or(end));
    }
    // Credit card: 13–19 digits, spaces or dashes only, Luhn.
    if !plus
        && (13..=19).contains(&nd)
        && (all_sep(b' ') || all_sep(b'-'))
        && matches!(d[0], b'1' | b'3' | b'4' | b'5' | b'6')
        && g.iter().all(|&l| l >= 3)
        && checks::luhn(d)
    {
        push(out, Entity::CreditCard, start, end, 1.0);
        return Some(end);
    }
    // US SSN.
    if !plus && nd == 9 && !checks::ssn_invalid(d) {
        let score = match (g, s) {
            ([3, 2, 4], [a, b]) if a == b => Some(0.5),
            ([3, 2, 4], _) => None,
            ([9], []) | ([5, 4], [b'-']) | ([3, 6], [b'-']) => Some(0.05),
            _ => None,
        };
        if let Some(score) = score {
            push(out, Entity::UsSsn, start, end, score);
            return Some(end);
        }
    }
    // Phone numbers.
    if plus {
        for cc in checks::CALLING_CODES {
            if d.starts_with(cc) && (g.len() > 1 || nd <= 15) {
                let mut national = &d[cc.len()..];
                // "(0)" trunk prefix written inside international numbers.
                if national.first() == Some(&b'0') && cc != b"39" {
                    national = &national[1..];
                }
                if checks::phone_plan(cc, national) {
                    push(out, Entity::PhoneNumber, start, end, 0.5);
                    return Some(end);
                }
            }
        }
        return Some(resume.unwrap_or(end));
    }
    let nanp = nd == 10
        && d[0] >= b'2'
        && d[3] >= b'2'
        && matches!(g, [3, 3, 4])
        && (matches!(s, [b')', b'-'] | [b')', b' '] | [b')', b'.']) && text[start] == b'('
            || (s[0] == s[1] && matches!(s[0], b'-' | b'.' | b' ')));
    let nat0 = d[0] == b'0'
        && (nd == 10 || nd == 11)
        && ng >= 2
        && (all_sep(b' ') || all_sep(b'-'))
        && d[1] != b'0';
    if nanp || nat0 {
        push(out, Entity::PhoneNumber, start, end, 0.4);
        return Some(end);
    }
    Some(resume.unwrap_or(end))
}

fn word_upper(text: &[u8], i: usize, wend: usize, out: &mut Vec<Finding>) -> Option<usize> {
    let word = &text[i..wend];
    // AWS access key ids.
    if word.len() == 20
        && [
            b"AKIA", b"ASIA", b"ABIA", b"ACCA", b"AGPA", b"AIDA", b"AROA", b"ANPA", b"ANVA",
            b"AIPA",
        ]
        .iter()
        .any(|p| word.starts_with(*p))
        && word[4..]
            .iter()
            .all(|&c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
    {
        push(out, Entity::AwsAccessKey, i, wend, 0.9);
        return Some(wend);
    }
    // Google API keys.
    if word.starts_with(b"AIza") {
        let mut k = i + 4;
        while k < text.len() && (is(text[k], W) || text[k] == b'-') {
            k += 1;
        }
        if k - i == 39 {
            push(out, Entity::ApiToken, i, k, 0.9);
            return Some(k);
        }
    }
    // IBAN: two letters, two digits, then groups of letters/digits, optionally separated.
    if word.len() >= 4
        && word[0].is_ascii_uppercase()
        && word[1].is_ascii_uppercase()
        && word[2].is_ascii_digit()
        && word[3].is_ascii_digit()
    {
        let want = checks::iban_length(&word[..2])?;
        let mut buf = [0u8; 34];
        let mut nb = 0;
        let mut k = i;
        let mut last_end = i;
        while k < text.len() && nb < want {
            let c = text[k];
            if c.is_ascii_uppercase() || c.is_ascii_digit() {
                buf[nb] = c;
                nb += 1;
                k += 1;
                last_end = k;
            } else if (c == b' ' || c == b'-')
                && nb % 4 == 0
                && k + 1 < text.len()
                && is(text[k + 1], D | U)
            {
                k += 1;
            } else {
                break;
            }
        }
        let boundary = last_end >= text.len() || !is(text[last_end], D | U | L);
        if nb == want && boundary && checks::iban_mod97(&buf[..nb]) {
            push(out, Entity::IbanCode, i, last_end, 1.0);
            return Some(last_end);
        }
    }
    Some(wend)
}

fn run_of(text: &[u8], from: usize, ok: impl Fn(u8) -> bool) -> usize {
    let mut k = from;
    while k < text.len() && ok(text[k]) {
        k += 1;
    }
    k
}

fn word_lower(text: &[u8], i: usize, wend: usize, out: &mut Vec<Finding>) -> Option<usize> {
    let word = &text[i..wend];
    let tok = |c: u8| is(c, W) || c == b'-';
    match word[0] {
        b'b' if word.starts_with(b"bc1")
            && (14..=74).contains(&word.len())
            && checks::bech32_address(word) =>
        {
            push(out, Entity::Crypto, i, wend, 1.0);
        }
        b'g' => {
            if word.len() == 40
                && word.starts_with(b"gh")
                && matches!(word[2], b'p' | b'o' | b'u' | b's' | b'r')
                && word[3] == b'_'
            {
                push(out, Entity::ApiToken, i, wend, 0.9);
            } else if word == b"glpat" && text.get(wend) == Some(&b'-') {
                let k = run_of(text, wend + 1, tok);
                if k - wend > 20 {
                    push(out, Entity::ApiToken, i, k, 0.9);
                    return Some(k);
                }
            }
        }
        b'x' if word.len() == 4
            && word.starts_with(b"xox")
            && matches!(word[3], b'b' | b'a' | b'p' | b'r' | b's')
            && text.get(wend) == Some(&b'-') =>
        {
            let k = run_of(text, wend + 1, tok);
            if k - wend > 10 {
                push(out, Entity::ApiToken, i, k, 0.9);
                return Some(k);
            }
        }
        b's' | b'r'
            if (word.starts_with(b"sk_live_")
                || word.starts_with(b"rk_live_")
                || word.starts_with(b"sk_test_"))
                && word.len() >= 32 =>
        {
            push(out, Entity::ApiToken, i, wend, 0.9);
        }
        b'e' if word.starts_with(b"eyJ") => {
            // JWT: three base64url parts separated by dots, the first two JSON objects.
            let b64 = |c: u8| is(c, W) || c == b'-';
            let p1 = run_of(text, i, b64);
            if text.get(p1) == Some(&b'.') && text[p1 + 1..].starts_with(b"eyJ") {
                let p2 = run_of(text, p1 + 1, b64);
                if text.get(p2) == Some(&b'.') {
                    let p3 = run_of(text, p2 + 1, b64);
                    if p3 > p2 + 8 {
                        push(out, Entity::ApiToken, i, p3, 0.8);
                        return Some(p3);
                    }
                }
            }
        }
        _ => {}
    }
    Some(wend)
}

fn ip6(text: &[u8], i: usize, out: &mut Vec<Finding>) -> Option<usize> {
    let k = run_of(text, i, |c| is(c, H) || c == b':' || c == b'.');
    let mut e = k;
    // Trailing dot or colon belongs to the sentence, not the address.
    while e > i && matches!(text[e - 1], b'.') {
        e -= 1;
    }
    if e < text.len() && is(text[e], W) {
        return None;
    }
    let cand = &text[i..e];
    if cand.iter().filter(|&&c| c == b':').count() >= 2 && checks::ipv6(cand) {
        let score = if cand == b"::" { 0.1 } else { 0.6 };
        push(out, Entity::IpAddress, i, e, score);
        return Some(e);
    }
    None
}

/// The email address around the `@` at `at`, if there is one.
fn email_at(text: &[u8], at: usize, out: &mut Vec<Finding>) {
    let local = |c: u8| is(c, W) || matches!(c, b'.' | b'%' | b'+' | b'-');
    let mut s = at;
    while s > 0 && local(text[s - 1]) {
        s -= 1;
    }
    while s < at && text[s] == b'.' {
        s += 1;
    }
    if s == at {
        return;
    }
    // Domain: labels of [A-Za-z0-9-] separated by single dots.
    let mut e = at + 1;
    let mut last_dot = None;
    while e < text.len() {
        let c = text[e];
        if is(c, U | L | D) || c == b'-' {
            e += 1;
        } else if c == b'.'
            && e + 1 < text.len()
            && is(text[e + 1], U | L | D)
            && text[e - 1] != b'.'
            && text[e - 1] != b'@'
        {
            last_dot = Some(e);
            e += 1;
        } else {
            break;
        }
    }
    let Some(dot) = last_dot else { return };
    let tld = &text[dot + 1..e];
    if tld.len() < 2 || !tld.iter().all(|c| c.is_ascii_alphabetic()) {
        return;
    }
    let score = if known_tld(tld) { 1.0 } else { 0.5 };
    push(out, Entity::EmailAddress, s, e, score);
}

fn known_tld(tld: &[u8]) -> bool {
    const GENERIC: &[&[u8]] = &[
        b"com",
        b"org",
        b"net",
        b"edu",
        b"gov",
        b"mil",
        b"int",
        b"info",
        b"biz",
        b"name",
        b"pro",
        b"io",
        b"ai",
        b"app",
        b"dev",
        b"tech",
        b"cloud",
        b"online",
        b"site",
        b"xyz",
        b"email",
        b"company",
        b"shop",
        b"store",
        b"blog",
        b"mail",
        b"systems",
        b"solutions",
        b"global",
    ];
    tld.len() == 2 || GENERIC.iter().any(|g| g.eq_ignore_ascii_case(tld))
}

pub(crate) fn private_keys(text: &[u8], out: &mut Vec<Finding>) {
    let finder = memchr::memmem::Finder::new(b"-----BEGIN ");
    for s in finder.find_iter(text) {
        let line_end = memchr::memchr(b'\n', &text[s..]).map_or(text.len(), |k| s + k);
        let header = &text[s..line_end.min(s + 64)];
        if memchr::memmem::find(header, b"PRIVATE KEY-----").is_none() {
            continue;
        }
        let end = memchr::memmem::find(&text[s..], b"-----END ")
            .and_then(|k| {
                let from = s + k;
                memchr::memmem::find(&text[from + 9..], b"-----").map(|m| from + 9 + m + 5)
            })
            .unwrap_or(line_end);
        push(out, Entity::PrivateKey, s, end, 1.0);
    }
}

/// Whether `needle` (lower-case ASCII) occurs in `hay`, ignoring ASCII case.
pub fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    if hay.len() < needle.len() {
        return false;
    }
    (0..=hay.len() - needle.len()).any(|j| {
        hay[j].to_ascii_lowercase() == first
            && hay[j + 1..j + needle.len()]
                .iter()
                .zip(rest)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

/// Entities (as bits of [`Entity::ALL`] order) whose context words occur in `name`.
pub fn context_mask(name: &str) -> u16 {
    let mut m = 0;
    for (k, e) in Entity::ALL.iter().enumerate() {
        if e.context()
            .iter()
            .any(|w| contains_ci(name.as_bytes(), w.as_bytes()))
        {
            m |= 1 << k;
        }
    }
    m
}

/// Raise confidence when a context word appears in `before` (any case), or the column's
/// [`context_mask`] names the entity: score = min(1, max(score + 0.35, 0.4)), as Presidio's enhancer.
pub fn boost(f: &mut Finding, before: &[u8], column_mask: u16) {
    if f.score >= 1.0 {
        return;
    }
    let bit = 1u16 << f.entity as usize;
    let mut hit = column_mask & bit != 0;
    if !hit {
        hit = has_context_word(&before[before.len().saturating_sub(48)..], f.entity);
    }
    if hit {
        f.score = (f.score + 0.35).clamp(0.4, 1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The 32-byte skip and the eight-byte search stop where a byte-by-byte search does, from any
        /// starting point, on text mixing trigger and non-trigger bytes (few triggers: long skips).
        #[test]
        fn next_trigger_matches_the_byte_loop(
            text in proptest::collection::vec(
                prop_oneof![8 => proptest::sample::select(b" abcxyz,.-\n\"".to_vec()), 1 => any::<u8>()],
                0..300,
            ),
            from in 0usize..300,
        ) {
            let from = from.min(text.len());
            prop_assert_eq!(next_trigger(&text, from), next_trigger_plain(&text, from));
        }
    }

    #[test]
    fn next_trigger_finds_every_byte_class_at_every_offset() {
        for b in 0..=255u8 {
            for at in 0..70 {
                let mut text = vec![b'a'; 80];
                text[at] = b;
                for from in 0..=at {
                    assert_eq!(
                        next_trigger(&text, from),
                        next_trigger_plain(&text, from),
                        "byte {b:#x} at {at} from {from}"
                    );
                }
            }
        }
    }
}
