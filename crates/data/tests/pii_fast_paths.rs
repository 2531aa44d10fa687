//! The scanner's fast paths against the simple reference in `reference/scan.rs` (the scanner as it was
//! before them, one byte at a time): the same findings, in the order callers sort them into, on random text with planted
//! entities, look-alikes and separators in any order, and on random bytes.

#[path = "reference/scan.rs"]
mod reference;

use assay_data::pii::{self, Finding};
use proptest::prelude::*;

/// Planted values (valid entities of every kind), look-alikes and the bytes that steer the scanner.
const PIECES: &[&str] = &[
    "4111 1111 1111 1111",
    "4111111111111111",
    "5500-0000-0000-0004",
    "4111 1111 1111 1112",
    "GB82 WEST 1234 5698 7654 32",
    "GB82WEST12345698765432",
    "DE89370400440532013000",
    "DE89370400440532013001",
    "MT84MALT011000012345MTLCAST001S",
    "536-90-4719",
    "536 90 4719",
    "536904719",
    "53690-4719",
    "078-05-1120",
    "+44 20 7946 0958",
    "+1 212 555 0199",
    "+49 30 1234567",
    "(415) 555-2671",
    "415.555.2671",
    "020 7946 0958",
    "10.20.30.40",
    "10.20.30.40/24",
    "300.1.2.3",
    "2001:db8::8a2e:370:7334",
    "::1",
    "::ffff:10.0.0.1",
    "12:30:45",
    "00:1a:2b:3c:4d:5e",
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
    "AKIAIOSFODNN7EXAMPLE",
    "AIzaSyA1234567890abcdefghijklmnopqrstu",
    "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "glpat-abcdefghijklmnopqrstuvwxyz",
    "xoxb-1234567890-abcdef",
    "sk_live_abcdefghijklmnopqrstuvwxyz012345",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijk",
    "jane.doe+x@example.co.uk",
    "a@b.io",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----",
    "2024-01-15",
    "99.95",
    "12345",
    "123456789012",
    "1234567890123456789012345",
    "482",
    "dur_ms=482",
    "id_42",
    "4a",
    "007",
    "the",
    "Customer",
    "ssn",
    "card",
    "phone",
];

const SEPARATORS: &[&str] = &[
    " ", " ", ",", "\n", "\r\n", "\"", "\t", ";", ":", "::", "-", ".", "+", "(", ")", "@", "_",
    "=", "/", "",
];

fn scanned(
    text: &[u8],
    scan: fn(&[u8], &mut Vec<Finding>),
) -> Vec<(pii::Entity, usize, usize, u64)> {
    let mut out = Vec::new();
    scan(text, &mut out);
    // The order every caller puts them in (`block_findings`): a stable sort by start, longest first. The
    // passes emit in different orders (emails are now found inside the main pass), never the same range.
    out.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    out.iter()
        .map(|f| (f.entity, f.start, f.end, f.score.to_bits()))
        .collect()
}

fn text_of(parts: &[(usize, usize, bool)]) -> Vec<u8> {
    let mut text = Vec::new();
    for &(p, s, digits) in parts {
        if digits {
            // A number of any length, to hit every branch of the digit-run paths.
            text.extend(std::iter::repeat_n(b'7', p % 30 + 1));
        } else {
            text.extend_from_slice(PIECES[p % PIECES.len()].as_bytes());
        }
        text.extend_from_slice(SEPARATORS[s % SEPARATORS.len()].as_bytes());
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn fast_scanner_matches_the_reference_on_planted_text(
        parts in proptest::collection::vec((0usize..1000, 0usize..100, proptest::bool::weighted(0.2)), 0..40),
    ) {
        let text = text_of(&parts);
        prop_assert_eq!(
            scanned(&text, pii::scan::scan),
            scanned(&text, reference::scan),
            "{:?}",
            String::from_utf8_lossy(&text)
        );
    }

    #[test]
    fn fast_scanner_matches_the_reference_on_random_bytes(
        bytes in proptest::collection::vec(
            prop_oneof![
                4 => proptest::sample::select(b"0123456789 .-:()+@_aAfFzZ,\n".to_vec()),
                1 => any::<u8>(),
            ],
            0..400,
        ),
    ) {
        prop_assert_eq!(scanned(&bytes, pii::scan::scan), scanned(&bytes, reference::scan));
    }
}

/// `findings_in` as it was before blocks were scanned in pieces: the whole text scanned at once, sorted,
/// overlaps dropped, each finding boosted by the 48 bytes before it on its line (plain text: no columns).
fn findings_whole(text: &[u8], min: f64) -> Vec<(pii::Entity, usize, usize, u64)> {
    let mut raw = Vec::new();
    reference::scan(text, &mut raw);
    raw.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut out = Vec::new();
    let mut last_end = 0;
    for mut f in raw {
        if f.start < last_end {
            continue;
        }
        let ls = text[..f.start]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |k| k + 1);
        let from = f.start.saturating_sub(48).max(ls);
        let start = f.start;
        pii::scan::boost(&mut f, &text[from..start], 0);
        if f.score >= min {
            last_end = f.end;
            out.push((f.entity, f.start, f.end, f.score.to_bits()));
        }
    }
    out
}

/// Blocks far larger than a scanning piece, with private-key blocks and long lines across piece
/// boundaries: the same findings as the whole-text scan.
#[test]
fn blocks_scanned_in_pieces_find_what_the_whole_text_scan_finds() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..4 {
        let mut parts = Vec::new();
        while parts.len() < 150_000 {
            let r = next();
            parts.push((
                (r % 1000) as usize,
                ((r >> 12) % 100) as usize,
                (r >> 40) % 5 == 0,
            ));
            if round == 3 && (r >> 20) % 5000 == 0 {
                // A line longer than a piece.
                let the = PIECES
                    .iter()
                    .position(|p| *p == "the")
                    .expect("a filler word");
                parts.extend(std::iter::repeat_n((the, 0, false), 60_000));
            }
        }
        let text = text_of(&parts);
        assert!(text.len() > 600_000, "{}", text.len());
        let got: Vec<_> = pii::findings_in(&text, None, false, 0.4)
            .into_iter()
            .map(|(f, _)| (f.entity, f.start, f.end, f.score.to_bits()))
            .collect();
        let want = findings_whole(&text, 0.4);
        assert!(want.len() > 1000);
        assert_eq!(got.len(), want.len(), "round {round}");
        assert!(
            got == want,
            "round {round}: first difference at {:?}",
            got.iter().zip(&want).position(|(a, b)| a != b)
        );
    }
}

/// CSV columns as counted before (forward from the line start, a comma outside quotes ends a field), for
/// the findings `findings_in` reports: the same columns, on lines with quoted fields holding commas.
#[test]
fn csv_columns_match_a_forward_count() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let header: Vec<String> = ["id", "note", "email", "card"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut parts = Vec::new();
    while parts.len() < 150_000 {
        let r = next();
        parts.push((
            (r % 1000) as usize,
            ((r >> 12) % 100) as usize,
            (r >> 40) % 5 == 0,
        ));
    }
    let text = text_of(&parts);
    let found = pii::findings_in(&text, Some(&header), false, 0.0);
    assert!(found.len() > 1000);
    let mut quoted_commas = 0;
    for (f, column) in found {
        let ls = text[..f.start]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |k| k + 1);
        let (mut quoted, mut idx) = (false, 0);
        for &c in &text[ls..f.start] {
            match c {
                b'"' => quoted = !quoted,
                b',' if !quoted => idx += 1,
                b',' => quoted_commas += 1,
                _ => {}
            }
        }
        let want = header
            .get(idx)
            .cloned()
            .unwrap_or_else(|| format!("column_{}", idx + 1));
        assert_eq!(
            column.as_deref(),
            Some(want.as_str()),
            "finding at {}",
            f.start
        );
    }
    assert!(quoted_commas > 100, "{quoted_commas}");
}

/// JSON keys as found before (a byte at a time backwards from the finding to a `:` after a quoted key),
/// for the findings `findings_in` reports on JSONL lines with several keys and values holding `:`.
#[test]
fn jsonl_keys_match_a_backward_byte_search() {
    let mut seed = 0x1234_5678_9abc_def1u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let keys = ["id", "note", "contact", "ip", "x y", "card_no"];
    let mut text = Vec::new();
    for _ in 0..20_000 {
        text.extend_from_slice(b"{");
        for f in 0..(next() % 4 + 1) {
            if f > 0 {
                text.extend_from_slice(b", ");
            }
            let key = keys[(next() % keys.len() as u64) as usize];
            let spaces = " ".repeat((next() % 3) as usize);
            text.extend_from_slice(format!("\"{key}\":{spaces}\"").as_bytes());
            let parts: Vec<_> = (0..next() % 4)
                .map(|_| {
                    let r = next();
                    (
                        (r % 1000) as usize,
                        ((r >> 12) % 100) as usize,
                        (r >> 40) % 5 == 0,
                    )
                })
                .collect();
            let value: Vec<u8> = text_of(&parts)
                .into_iter()
                .filter(|&c| c != b'\n' && c != b'"')
                .collect();
            text.extend_from_slice(&value);
            text.extend_from_slice(b"\"");
        }
        text.extend_from_slice(b"}\n");
    }
    let found = pii::findings_in(&text, None, true, 0.0);
    assert!(found.len() > 1000, "{}", found.len());
    for (f, column) in found {
        let ls = text[..f.start]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |k| k + 1);
        let before = &text[ls..f.start];
        let mut want = None;
        let mut k = before.len();
        while k > 0 {
            k -= 1;
            if before[k] == b':' {
                let mut q = k;
                while q > 0 && before[q - 1] == b' ' {
                    q -= 1;
                }
                if q > 0 && before[q - 1] == b'"' {
                    let key_end = q - 1;
                    want = before[..key_end]
                        .iter()
                        .rposition(|&c| c == b'"')
                        .map(|s| String::from_utf8_lossy(&before[s + 1..key_end]).into_owned());
                    break;
                }
            }
        }
        assert_eq!(column, want, "finding at {}", f.start);
    }
}
