//! The PII scanner on planted values: what must be found, what must not, and redaction.

use assay_data::pii::{self, Entity, PseudonymKey, RedactMode, ScanOptions};
use proptest::prelude::*;

fn found(text: &str) -> Vec<(Entity, String)> {
    pii::findings_in(text.as_bytes(), None, false, 0.4)
        .into_iter()
        .map(|(f, _)| (f.entity, text[f.start..f.end].to_owned()))
        .collect()
}

#[track_caller]
fn one(text: &str, entity: Entity, value: &str) {
    let f = found(text);
    assert_eq!(f, vec![(entity, value.to_owned())], "in {text:?}");
}

#[test]
fn finds_validated_entities() {
    one(
        "mail jane.doe+x@example.co.uk now",
        Entity::EmailAddress,
        "jane.doe+x@example.co.uk",
    );
    one(
        "card 4111 1111 1111 1111.",
        Entity::CreditCard,
        "4111 1111 1111 1111",
    );
    one(
        "cc=5500-0000-0000-0004",
        Entity::CreditCard,
        "5500-0000-0000-0004",
    );
    one(
        "iban GB82 WEST 1234 5698 7654 32 paid",
        Entity::IbanCode,
        "GB82 WEST 1234 5698 7654 32",
    );
    one(
        "DE89370400440532013000",
        Entity::IbanCode,
        "DE89370400440532013000",
    );
    one("ssn 536-90-4719", Entity::UsSsn, "536-90-4719");
    one(
        "call +44 20 7946 0958 today",
        Entity::PhoneNumber,
        "+44 20 7946 0958",
    );
    one(
        "phone (415) 555-2671",
        Entity::PhoneNumber,
        "(415) 555-2671",
    );
    one("host 10.20.30.40 up", Entity::IpAddress, "10.20.30.40");
    one(
        "v6 2001:db8::8a2e:370:7334 up",
        Entity::IpAddress,
        "2001:db8::8a2e:370:7334",
    );
    one(
        "btc 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        Entity::Crypto,
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
    );
    one(
        "to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        Entity::Crypto,
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    );
    one(
        "eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        Entity::Crypto,
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    );
    one(
        "key=AKIAIOSFODNN7EXAMPLE",
        Entity::AwsAccessKey,
        "AKIAIOSFODNN7EXAMPLE",
    );
    one(
        "token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
        Entity::ApiToken,
        "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    );
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----";
    one(&format!("x\n{pem}\n"), Entity::PrivateKey, pem);
}

#[test]
fn a_value_written_right_after_a_number_is_still_found() {
    // A number, one space, then the entity: the run "482 201-68-3033" is no entity as a whole, so the scan
    // resumes at the next group (found by the sparse log corpus of bench/data.sh, recall 0.76 before).
    one("dur_ms=482 201-68-3033 ok", Entity::UsSsn, "201-68-3033");
    one(
        "took 12 4111 1111 1111 1111",
        Entity::CreditCard,
        "4111 1111 1111 1111",
    );
    one(
        "retries 3 10.20.30.40 reached",
        Entity::IpAddress,
        "10.20.30.40",
    );
    // A valid entity with spaces inside is still one finding, not split.
    one(
        "card 4111 1111 1111 1111.",
        Entity::CreditCard,
        "4111 1111 1111 1111",
    );
    assert!(found("order 1234 5678 90").is_empty());
}

#[test]
fn rejects_invalid_lookalikes() {
    for text in [
        "card 4111 1111 1111 1112",                       // Luhn fails
        "iban GB82 WEST 1234 5698 7654 33",               // mod-97 fails
        "ssn 078-05-1120",                                // invalidated SSN
        "ssn 123-00-4567",                                // group 00
        "ip 300.1.2.3",                                   // octet > 255
        "at 12:30:45 and mac 00:1a:2b:3c:4d:5e",          // times and MACs are not IPv6
        "btc 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3",         // checksum fails
        "eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", // EIP-55 fails
        "order 2024-01-15 qty 12345 total 99.95",
        "phone +999 1234 5678", // unknown calling code
    ] {
        assert_eq!(found(text), vec![], "in {text:?}");
    }
}

#[test]
fn context_raises_low_confidence_ssn() {
    let plain = pii::findings_in(b"id 536904719", None, false, 0.0);
    assert_eq!(plain.len(), 1);
    assert!((plain[0].0.score - 0.05).abs() < 1e-12);
    let ctx = pii::findings_in(b"ssn: 536904719", None, false, 0.0);
    assert!((ctx[0].0.score - 0.4).abs() < 1e-12);
    let header = vec!["id".to_owned(), "ssn".to_owned()];
    let col = pii::findings_in(b"7,536904719\n", Some(&header), false, 0.0);
    assert_eq!(col[0].1.as_deref(), Some("ssn"));
    assert!((col[0].0.score - 0.4).abs() < 1e-12);
}

#[test]
fn files_report_columns_and_redacted_examples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("train.csv");
    std::fs::write(
        &p,
        "id,email,note\n1,ann@example.com,ok\n2,bob@example.org,\"card 4111111111111111\"\n",
    )
    .expect("write");
    let r = pii::scan_paths(std::slice::from_ref(&p), &ScanOptions::default()).expect("scan");
    assert_eq!(r.total, 3);
    let email = r
        .findings
        .iter()
        .find(|g| g.entity == Entity::EmailAddress)
        .expect("emails");
    assert_eq!((email.column.as_deref(), email.count), (Some("email"), 2));
    assert_eq!(email.examples[0].line, 2);
    assert!(!email.examples[0].redacted.contains("ann@example.com"));
    let json = serde_json::to_string(&r).expect("json");
    assert!(!json.contains("4111111111111111") && !json.contains("bob@example.org"));
}

#[test]
fn redaction_is_deterministic_per_key_and_removes_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("in.csv");
    std::fs::write(
        &p,
        "id,email\n1,ann@example.com\n2,ann@example.com\n3,cat@example.net\n",
    )
    .expect("write");
    let k1 = PseudonymKey::new(b"0123456789abcdef-key-one").expect("key");
    let k2 = PseudonymKey::new(b"0123456789abcdef-key-two").expect("key");
    assert!(PseudonymKey::new(b"short").is_err());
    assert_eq!(format!("{k1:?}"), "PseudonymKey(<redacted>)");
    let out1 = dir.path().join("o1.csv");
    let r = pii::redact_file(&p, &out1, RedactMode::Pseudonymise, Some(&k1), 0.4).expect("redact");
    assert_eq!(r.replaced, 3);
    assert_eq!(r.by_column.get("email"), Some(&3));
    let text = std::fs::read_to_string(&out1).expect("read");
    assert!(!text.contains("@example"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[1],
        lines[2].replacen('2', "1", 1),
        "same value, same pseudonym"
    );
    assert_ne!(lines[1].split(',').nth(1), lines[3].split(',').nth(1));
    let out2 = dir.path().join("o2.csv");
    pii::redact_file(&p, &out2, RedactMode::Pseudonymise, Some(&k2), 0.4).expect("redact");
    assert_ne!(
        std::fs::read(&out1).expect("o1"),
        std::fs::read(&out2).expect("o2"),
        "another key, other pseudonyms"
    );
    let json = serde_json::to_string(&r).expect("json");
    assert!(!json.contains("key-one"));
}

proptest! {
    #[test]
    fn scanner_never_panics_and_ranges_are_valid(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        for (f, _) in pii::findings_in(&bytes, None, false, 0.0) {
            prop_assert!(f.start < f.end && f.end <= bytes.len());
        }
    }

    #[test]
    fn scanner_never_panics_on_digit_heavy_text(s in "[0-9 +().:/@a-fA-F-]{0,200}") {
        let _ = pii::findings_in(s.as_bytes(), None, false, 0.0);
    }
}

#[test]
fn context_words_match_inside_words_in_any_case_within_48_bytes() {
    let score = |text: &str| {
        pii::findings_in(text.as_bytes(), None, false, 0.0)[0]
            .0
            .score
    };
    assert!((score("nothing (415) 555-2671") - 0.4).abs() < 1e-12);
    assert!((score("CANCELLED (415) 555-2671") - 0.75).abs() < 1e-12); // "cell"
    let far = format!("phone {} (415) 555-2671", "x".repeat(48));
    assert!((score(&far) - 0.4).abs() < 1e-12, "too far before");
}

/// Context words, their parts and look-alikes, in several cases, for building windows.
const PIECES: &[&str] = &[
    "PHONE",
    "tel:",
    "Cell",
    "ip",
    "ssn",
    "Social Security",
    "e-mail",
    "iban",
    "wallet",
    "access key",
    "API_KEY",
    "x",
    " ",
    "te",
    "ca",
    "soc",
    "\0",
    "é",
];

/// The same rule written plainly: a context word of the entity occurs in the lower-cased last 48 bytes.
fn boosted_plainly(entity: Entity, before: &[u8]) -> bool {
    let hay: Vec<u8> = before[before.len().saturating_sub(48)..]
        .iter()
        .map(u8::to_ascii_lowercase)
        .collect();
    entity
        .context()
        .iter()
        .any(|w| hay.windows(w.len()).any(|x| x == w.as_bytes()))
}

proptest! {
    #[test]
    fn boost_matches_the_plain_rule(
        parts in proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(PIECES.to_vec()).prop_map(String::from),
                "[a-zA-Z:_ -]{1,4}",
            ],
            0..24,
        ),
        k in 0usize..10,
    ) {
        let before = parts.concat();
        let entity = Entity::ALL[k];
        let mut f = pii::Finding { entity, start: 0, end: 1, score: 0.05 };
        pii::scan::boost(&mut f, before.as_bytes(), 0);
        prop_assert_eq!(f.score > 0.05, boosted_plainly(entity, before.as_bytes()), "{:?} {:?}", entity, before);
    }
}
