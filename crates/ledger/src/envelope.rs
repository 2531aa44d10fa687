//! Reading the envelope of a stored item (attachments, kind, observed_at, subject) straight from its canonical
//! bytes, without decoding the payload.
//!
//! Every stored item was written by [`crate::Evidence`]'s canonical encoder, whose members always appear in the
//! same order (`attachments`, `collected_at`, `expires_at`, `kind`, `note`, `observed_at`, `payload`, `source`,
//! `subject`). The functions here walk that fixed layout and return `None` for anything else, so `verify` and
//! `list` can check and filter millions of items per second. They never trust what they read: `verify` proves the
//! bytes against the leaf hash first, and anything that does not fit the layout is reported as undecodable.

use crate::digest::{Sha256Digest, unhex};

/// The members of an item's envelope that stores index and `verify` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The text between `[` and `]` of the attachments array: `"<hex>","<hex>"…`.
    attachments: &'a [u8],
    /// The evidence kind id.
    pub kind: &'a str,
    /// The `expires_at` text, when set.
    expires_at: Option<&'a str>,
    /// The bytes after the kind member (`,"note":…`).
    rest: &'a [u8],
}

impl<'a> Envelope<'a> {
    /// The `observed_at` RFC 3339 text (read on demand: `verify` does not need it).
    pub fn observed_at(&self) -> Option<&'a str> {
        let mut c = Cursor {
            b: self.rest,
            at: 0,
        };
        c.lit(b",\"note\":")?;
        c.null_or(Cursor::skip_str)?;
        c.lit(b",\"observed_at\":")?;
        let observed_at = std::str::from_utf8(c.plain_str()?).ok()?;
        c.lit(b",\"payload\":")?;
        Some(observed_at)
    }

    /// Number of attachments.
    pub fn attachment_count(&self) -> usize {
        if self.attachments.is_empty() {
            0
        } else {
            self.attachments.len().div_ceil(67)
        }
    }

    /// The attachment digests, in order.
    pub fn attachments(&self) -> impl Iterator<Item = Sha256Digest> + '_ {
        self.attachments
            .chunks(67)
            .filter_map(|c| unhex(std::str::from_utf8(c.get(1..65)?).ok()?))
            .filter_map(|b| Sha256Digest::from_slice(&b))
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn lit(&mut self, s: &[u8]) -> Option<()> {
        let end = self.at.checked_add(s.len())?;
        (self.b.get(self.at..end)? == s).then(|| self.at = end)
    }

    /// A string without escapes (timestamps, kind ids, hex); returns its content.
    fn plain_str(&mut self) -> Option<&'a [u8]> {
        self.lit(b"\"")?;
        let start = self.at;
        let len = self.b.get(start..)?.iter().position(|&c| c == b'"')?;
        let s = &self.b[start..start + len];
        if s.contains(&b'\\') {
            return None;
        }
        self.at = start + len + 1;
        Some(s)
    }

    /// Skip a JSON string literal (escapes allowed).
    fn skip_str(&mut self) -> Option<()> {
        self.lit(b"\"")?;
        let mut i = self.at;
        loop {
            match *self.b.get(i)? {
                b'"' => {
                    self.at = i + 1;
                    return Some(());
                }
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
    }

    fn null_or(&mut self, f: impl FnOnce(&mut Self) -> Option<()>) -> Option<()> {
        if self.lit(b"null").is_some() {
            Some(())
        } else {
            f(self)
        }
    }
}

/// Read the envelope of canonical item bytes up to the kind; `None` when they do not have the layout of a
/// canonical item.
pub fn read(canonical: &[u8]) -> Option<Envelope<'_>> {
    let mut c = Cursor {
        b: canonical,
        at: 0,
    };
    c.lit(b"{\"attachments\":[")?;
    let start = c.at;
    if c.lit(b"]").is_none() {
        loop {
            let hex = c.plain_str()?;
            if hex.len() != 64 || !hex.iter().all(|h| matches!(h, b'0'..=b'9' | b'a'..=b'f')) {
                return None;
            }
            if c.lit(b"]").is_some() {
                break;
            }
            c.lit(b",")?;
        }
    }
    let attachments = &canonical[start..c.at - 1];
    c.lit(b",\"collected_at\":")?;
    c.plain_str()?;
    c.lit(b",\"expires_at\":")?;
    let expires_at = if c.lit(b"null").is_some() {
        None
    } else {
        Some(std::str::from_utf8(c.plain_str()?).ok()?)
    };
    c.lit(b",\"kind\":")?;
    let kind = c.plain_str()?;
    // Kind ids are ASCII (see `EvidenceKind`), so checking that is cheaper than UTF-8 validation.
    if !kind.is_ascii() || !canonical.ends_with(b"\"}") {
        return None;
    }
    let kind = std::str::from_utf8(kind).ok()?;
    Some(Envelope {
        attachments,
        kind,
        expires_at,
        rest: &canonical[c.at..],
    })
}

/// The members of a canonical item a reader of many items needs, found by its fixed layout without decoding
/// or checking the payload. String members come as their JSON literals (quotes and escapes included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields<'a> {
    pub kind: &'a str,
    pub observed_at: &'a str,
    pub expires_at: Option<&'a str>,
    /// The payload's canonical JSON text, as stored (not checked here).
    pub payload: &'a [u8],
    /// The source locator's JSON string literal.
    pub locator: &'a [u8],
    /// The subject's JSON string literal.
    pub subject: &'a [u8],
}

/// Read [`Fields`] from canonical item bytes: the members before the payload from the front, the source and
/// subject (the last members) from the back, and the payload is what lies between. `None` when the bytes do
/// not have the layout of a canonical item.
///
/// Going back from the end works because canonical JSON escapes every `"` inside a string: the first quote
/// that is not preceded by an odd number of backslashes is the one that opens the string.
pub fn fields(canonical: &[u8]) -> Option<Fields<'_>> {
    let env = read(canonical)?;
    let mut c = Cursor { b: env.rest, at: 0 };
    c.lit(b",\"note\":")?;
    c.null_or(Cursor::skip_str)?;
    c.lit(b",\"observed_at\":")?;
    let observed_at = std::str::from_utf8(c.plain_str()?).ok()?;
    c.lit(b",\"payload\":")?;
    let payload_start = c.at;
    // Back from the end: `,"source":{"collector":"…","locator":"…"},"subject":"…"}`.
    let b = env.rest;
    let end = b.len().checked_sub(1)?;
    let subject_start = string_start(b, end)?;
    let before = b.get(..subject_start)?.strip_suffix(b"},\"subject\":")?;
    let locator_end = before.len();
    let locator_start = string_start(before, locator_end)?;
    let before = before
        .get(..locator_start)?
        .strip_suffix(b",\"locator\":")?;
    let collector_start = string_start(before, before.len())?;
    let before = before
        .get(..collector_start)?
        .strip_suffix(b",\"source\":{\"collector\":")?;
    if before.len() <= payload_start {
        return None;
    }
    Some(Fields {
        kind: env.kind,
        observed_at,
        expires_at: env.expires_at,
        payload: &b[payload_start..before.len()],
        locator: &b[locator_start..locator_end],
        subject: &b[subject_start..end],
    })
}

/// The start of the JSON string literal that ends just before `end` (its closing quote is `b[end - 1]`).
fn string_start(b: &[u8], end: usize) -> Option<usize> {
    if end < 2 || b.get(end - 1) != Some(&b'"') {
        return None;
    }
    let mut i = end - 1;
    loop {
        i = b.get(..i)?.iter().rposition(|&c| c == b'"')?;
        let slashes = b[..i].iter().rev().take_while(|&&c| c == b'\\').count();
        if slashes % 2 == 0 {
            return Some(i);
        }
    }
}

/// Whether the item's `subject` member (always the last one) is the string whose canonical JSON encoding is
/// `encoded_subject` (quotes included, as written by [`crate::jcs::write_str`]).
///
/// The quote that opens the subject follows a `:`, so it is not escaped and must be the string's opening quote;
/// a payload or locator cannot fake the match.
pub fn subject_is(canonical: &[u8], encoded_subject: &[u8]) -> bool {
    let Some(rest) = canonical.strip_suffix(b"}") else {
        return false;
    };
    let Some(rest) = rest.strip_suffix(encoded_subject) else {
        return false;
    };
    rest.ends_with(b"},\"subject\":")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Evidence, EvidenceKind, Source, jcs};
    use jiff::Timestamp;
    use proptest::prelude::*;
    use serde_json::json;

    fn item(subject: &str, note: Option<&str>, attachments: Vec<Sha256Digest>) -> Evidence {
        Evidence {
            kind: EvidenceKind::ManualDocument,
            subject: subject.into(),
            source: Source {
                collector: "manual".into(),
                locator: "x\"},\"subject\":\"fake\"}".into(),
            },
            observed_at: Timestamp::from_second(1_700_000_000).expect("ts"),
            collected_at: Timestamp::from_second(1_700_000_001).expect("ts"),
            payload: json!({"subject": "fake", "kind": "git.commit"}),
            attachments,
            expires_at: Some(Timestamp::from_second(1_800_000_000).expect("ts")),
            note: note.map(str::to_owned),
        }
    }

    fn enc(s: &str) -> Vec<u8> {
        let mut v = Vec::new();
        jcs::write_str(&mut v, s);
        v
    }

    #[test]
    fn reads_the_envelope_of_real_items() {
        let a = Sha256Digest::of(b"a");
        let b = Sha256Digest::of(b"b");
        for atts in [vec![], vec![a], vec![a, b]] {
            let ev = item(
                "policy:\"quoted\" é",
                Some("a \"note\" \\ with escapes"),
                atts.clone(),
            );
            let c = ev.canonical_bytes().expect("canonical");
            let env = read(&c).expect("envelope");
            assert_eq!(env.kind, "manual.document");
            assert_eq!(env.observed_at(), Some("2023-11-14T22:13:20Z"));
            assert_eq!(env.attachment_count(), atts.len());
            assert_eq!(env.attachments().collect::<Vec<_>>(), atts);
            assert!(subject_is(&c, &enc("policy:\"quoted\" é")));
            assert!(!subject_is(&c, &enc("fake")));
            assert!(!subject_is(&c, &enc("é")));
        }
    }

    #[test]
    fn rejects_other_layouts() {
        for bad in [
            &b""[..],
            b"{}",
            b"{\"attachments\":[\"zz\"],",
            b"{\"attachments\":[],\"collected_at\":\"t\",\"expires_at\":null,\"kind\":\"k\",\"note\":\"unterminated",
        ] {
            assert!(read(bad).is_none(), "{:?}", String::from_utf8_lossy(bad));
            assert!(fields(bad).is_none(), "{:?}", String::from_utf8_lossy(bad));
        }
        // The front fits, the back does not (a member after the subject, no source): not this layout.
        let ev = item("s", None, vec![]);
        let c = ev.canonical_bytes().expect("canonical");
        let text = String::from_utf8(c).expect("utf8");
        let extra = text
            .replacen("}", ",\"z\":1}", 1)
            .replace("\"subject\":\"s\"}", "\"subject\":\"s\",\"z\":\"y\"}");
        assert!(fields(extra.as_bytes()).is_none(), "{extra}");
        let cut = text.replace(",\"source\":{\"collector\":\"manual\",", ",\"src\":{");
        assert!(fields(cut.as_bytes()).is_none(), "{cut}");
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = read(&bytes);
            let _ = fields(&bytes);
            let _ = subject_is(&bytes, b"\"x\"");
        }

        /// `fields` finds exactly the members the decoder reads, whatever the strings hold (quotes,
        /// backslashes, text that looks like the layout).
        #[test]
        fn fields_agree_with_the_decoder(
            subject in "\\PC{1,12}|[\"\\\\},:]{1,6}",
            locator in "\\PC{0,12}|[\"\\\\},:]{0,6}",
            collector in "[a-z\"\\\\]{1,6}",
            note in proptest::option::of("\\PC{0,12}|[\"\\\\]{0,4}"),
            text in "\\PC{0,12}|[\"\\\\},:]{0,6}",
            expires in proptest::option::of(1_700_000_000i64..1_900_000_000),
            atts in 0usize..3,
        ) {
            prop_assume!(!subject.trim().is_empty());
            let mut ev = item(&subject, note.as_deref(), (0..atts).map(|i| Sha256Digest::of(&[i as u8])).collect());
            ev.source.locator = locator.clone();
            ev.source.collector = collector;
            ev.payload = json!({"t": text, "n": [1, {"s": "\"}"}]});
            ev.expires_at = expires.map(|s| Timestamp::from_second(s).expect("ts"));
            let c = ev.canonical_bytes().expect("canonical");
            let f = fields(&c).expect("fields");
            prop_assert_eq!(f.kind, "manual.document");
            prop_assert_eq!(f.observed_at, "2023-11-14T22:13:20Z");
            let expires_text = ev.expires_at.map(|t| serde_json::to_value(t).expect("ts"));
            prop_assert_eq!(f.expires_at.map(serde_json::Value::from), expires_text);
            let payload = jcs::to_vec(&ev.payload).expect("jcs");
            prop_assert_eq!(f.payload, payload.as_slice());
            prop_assert_eq!(serde_json::from_slice::<String>(f.locator).expect("locator"), locator);
            prop_assert_eq!(serde_json::from_slice::<String>(f.subject).expect("subject"), subject);
        }

        #[test]
        fn agrees_with_the_encoder(subject in "\\PC{1,20}", note in proptest::option::of("\\PC{0,20}")) {
            let ev = item(&subject, note.as_deref(), vec![]);
            let c = ev.canonical_bytes().expect("canonical");
            let env = read(&c).expect("envelope");
            prop_assert_eq!(env.kind, "manual.document");
            prop_assert_eq!(env.observed_at(), Some("2023-11-14T22:13:20Z"));
            prop_assert!(subject_is(&c, &enc(&subject)));
        }
    }
}
