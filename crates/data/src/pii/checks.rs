//! Validators: Luhn, IBAN mod-97 with country lengths, SSN invalidation, Base58Check, Bech32/Bech32m,
//! EIP-55 (Keccak-256), phone number plans, IPv4/IPv6, HMAC-SHA256.

use sha2::{Digest, Sha256};

/// Luhn checksum over ASCII digits.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// IBAN lengths per country (ISO 13616 registry).
pub fn iban_length(cc: &[u8]) -> Option<usize> {
    const T: &[(&[u8; 2], usize)] = &[
        (b"AD", 24),
        (b"AE", 23),
        (b"AL", 28),
        (b"AT", 20),
        (b"AZ", 28),
        (b"BA", 20),
        (b"BE", 16),
        (b"BG", 22),
        (b"BH", 22),
        (b"BR", 29),
        (b"BY", 28),
        (b"CH", 21),
        (b"CR", 22),
        (b"CY", 28),
        (b"CZ", 24),
        (b"DE", 22),
        (b"DK", 18),
        (b"DO", 28),
        (b"EE", 20),
        (b"EG", 29),
        (b"ES", 24),
        (b"FI", 18),
        (b"FO", 18),
        (b"FR", 27),
        (b"GB", 22),
        (b"GE", 22),
        (b"GI", 23),
        (b"GL", 18),
        (b"GR", 27),
        (b"GT", 28),
        (b"HR", 21),
        (b"HU", 28),
        (b"IE", 22),
        (b"IL", 23),
        (b"IQ", 23),
        (b"IS", 26),
        (b"IT", 27),
        (b"JO", 30),
        (b"KW", 30),
        (b"KZ", 20),
        (b"LB", 28),
        (b"LC", 32),
        (b"LI", 21),
        (b"LT", 20),
        (b"LU", 20),
        (b"LV", 21),
        (b"MC", 27),
        (b"MD", 24),
        (b"ME", 22),
        (b"MK", 19),
        (b"MR", 27),
        (b"MT", 31),
        (b"MU", 30),
        (b"NL", 18),
        (b"NO", 15),
        (b"PK", 24),
        (b"PL", 28),
        (b"PS", 29),
        (b"PT", 25),
        (b"QA", 29),
        (b"RO", 24),
        (b"RS", 22),
        (b"SA", 24),
        (b"SC", 31),
        (b"SE", 24),
        (b"SI", 19),
        (b"SK", 24),
        (b"SM", 27),
        (b"ST", 25),
        (b"SV", 28),
        (b"TL", 23),
        (b"TN", 24),
        (b"TR", 26),
        (b"UA", 29),
        (b"VA", 22),
        (b"VG", 24),
        (b"XK", 20),
    ];
    T.iter().find(|(c, _)| c.as_slice() == cc).map(|(_, n)| *n)
}

/// mod-97 check of an IBAN without separators (upper-case letters and digits).
pub fn iban_mod97(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    // The remainder is taken only when the accumulator could overflow on the next step (it stays below
    // 2^56, and one step multiplies by at most 100 and adds at most 35): the same value as reducing at
    // every digit, with a division every seven or so characters instead of one each.
    let mut r: u64 = 0;
    for &c in iban[4..].iter().chain(&iban[..4]) {
        let v = match c {
            b'0'..=b'9' => u64::from(c - b'0'),
            b'A'..=b'Z' => u64::from(c - b'A') + 10,
            _ => return false,
        };
        if r >= 1 << 56 {
            r %= 97;
        }
        r = if v >= 10 { r * 100 + v } else { r * 10 + v };
    }
    r % 97 == 1
}

/// [`base58check`] one character at a time (the reference the tests compare it with).
#[cfg(test)]
fn base58check_plain(s: &[u8]) -> bool {
    let mut limbs = [0u64; 7];
    for &c in s {
        let v = if c < 128 { BASE58[c as usize] } else { 0xff };
        if v == 0xff {
            return false;
        }
        let mut carry = u64::from(v);
        for l in limbs.iter_mut().rev() {
            carry += *l * 58;
            *l = carry & 0xffff_ffff;
            carry >>= 32;
        }
        if carry != 0 || limbs[0] > 0xff {
            return false;
        }
    }
    let mut bytes = [0u8; 28];
    for (k, l) in limbs.iter().enumerate() {
        bytes[k * 4..k * 4 + 4].copy_from_slice(&(*l as u32).to_be_bytes());
    }
    let full = &bytes[3..];
    let ones = s.iter().take_while(|&&c| c == b'1').count();
    let zeros = full.iter().take_while(|&&b| b == 0).count();
    if ones != zeros || !(full[0] == 0 || full[0] == 5) {
        return false;
    }
    sha256d(&full[..21])[..4] == full[21..]
}

/// The mod-97 check reducing at every character (the reference the tests compare [`iban_mod97`] with).
#[cfg(test)]
fn iban_mod97_plain(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let mut r: u32 = 0;
    for &c in iban[4..].iter().chain(&iban[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    r == 1
}

/// US SSN invalidation rules (nine ASCII digits).
pub fn ssn_invalid(d: &[u8]) -> bool {
    d.len() != 9
        || d.iter().all(|&c| c == d[0])
        || &d[3..5] == b"00"
        || &d[5..9] == b"0000"
        || d.starts_with(b"000")
        || d.starts_with(b"666")
        || d.starts_with(b"123456789")
        || d.starts_with(b"98765432")
        || d.starts_with(b"078051120")
}

fn sha256d(data: &[u8]) -> [u8; 32] {
    let a = Sha256::digest(data);
    let b = Sha256::digest(a);
    let mut out = [0u8; 32];
    out.copy_from_slice(&b);
    out
}

const fn base58_table() -> [u8; 128] {
    let alpha = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut t = [0xffu8; 128];
    let mut i = 0;
    while i < alpha.len() {
        t[alpha[i] as usize] = i as u8;
        i += 1;
    }
    t
}

static BASE58: [u8; 128] = base58_table();

/// Base58Check for Bitcoin P2PKH (`1…`) and P2SH (`3…`) addresses.
pub fn base58check(s: &[u8]) -> bool {
    // The 25-byte value as seven 32-bit limbs (28 bytes), most significant first, four characters per
    // step: multiply by 58^k and add their value (a limb times 58^4 plus the carry stays below 2^57). The
    // value only grows, so checking the 25-byte bound after each step rejects what checking after each
    // character would, and it cannot wrap in between (25 bytes times 58^4 fits in the 28).
    let mut limbs = [0u64; 7];
    for group in s.chunks(4) {
        let (mut mul, mut add) = (1u64, 0u64);
        for &c in group {
            let v = if c < 128 { BASE58[c as usize] } else { 0xff };
            if v == 0xff {
                return false;
            }
            mul *= 58;
            add = add * 58 + u64::from(v);
        }
        let mut carry = add;
        for l in limbs.iter_mut().rev() {
            carry += *l * mul;
            *l = carry & 0xffff_ffff;
            carry >>= 32;
        }
        if carry != 0 || limbs[0] > 0xff {
            return false; // more than 25 bytes
        }
    }
    let mut bytes = [0u8; 28];
    for (k, l) in limbs.iter().enumerate() {
        bytes[k * 4..k * 4 + 4].copy_from_slice(&(*l as u32).to_be_bytes());
    }
    let full = &bytes[3..];
    let ones = s.iter().take_while(|&&c| c == b'1').count();
    let zeros = full.iter().take_while(|&&b| b == 0).count();
    if ones != zeros || !(full[0] == 0 || full[0] == 5) {
        return false;
    }
    sha256d(&full[..21])[..4] == full[21..]
}

fn bech32_polymod(values: &[u8]) -> u32 {
    const G: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    let mut chk: u32 = 1;
    for &v in values {
        let b = chk >> 25;
        chk = ((chk & 0x1ffffff) << 5) ^ u32::from(v);
        for (i, g) in G.iter().enumerate() {
            if (b >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// Bech32 (witness v0) or Bech32m (v1+) checksum of a `bc1…` address (lower-case).
pub fn bech32_address(s: &[u8]) -> bool {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let Some(sep) = s.iter().rposition(|&c| c == b'1') else {
        return false;
    };
    let (hrp, data) = (&s[..sep], &s[sep + 1..]);
    if hrp != b"bc" || data.len() < 7 || s.len() > 90 {
        return false;
    }
    let mut values: Vec<u8> = hrp.iter().map(|c| c >> 5).collect();
    values.push(0);
    values.extend(hrp.iter().map(|c| c & 31));
    let mut d = Vec::with_capacity(data.len());
    for &c in data {
        match CHARSET.iter().position(|&x| x == c) {
            Some(v) => d.push(v as u8),
            None => return false,
        }
    }
    values.extend_from_slice(&d);
    let pm = bech32_polymod(&values);
    match d[0] {
        0 => pm == 1,
        1..=16 => pm == 0x2bc8_30a3,
        _ => false,
    }
}

/// Keccak-256 (the original padding, as Ethereum uses).
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    const RC: [u64; 24] = [
        0x0000000000000001,
        0x0000000000008082,
        0x800000000000808a,
        0x8000000080008000,
        0x000000000000808b,
        0x0000000080000001,
        0x8000000080008081,
        0x8000000000008009,
        0x000000000000008a,
        0x0000000000000088,
        0x0000000080008009,
        0x000000008000000a,
        0x000000008000808b,
        0x800000000000008b,
        0x8000000000008089,
        0x8000000000008003,
        0x8000000000008002,
        0x8000000000000080,
        0x000000000000800a,
        0x800000008000000a,
        0x8000000080008081,
        0x8000000000008080,
        0x0000000080000001,
        0x8000000080008008,
    ];
    const ROT: [u32; 25] = [
        0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56,
        14,
    ];
    const RATE: usize = 136;
    let mut st = [0u64; 25];
    let mut msg = data.to_vec();
    msg.push(0x01);
    while !msg.len().is_multiple_of(RATE) {
        msg.push(0);
    }
    if let Some(last) = msg.last_mut() {
        *last |= 0x80;
    }
    for block in msg.chunks(RATE) {
        for (i, lane) in block.chunks(8).enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(lane);
            st[i] ^= u64::from_le_bytes(b);
        }
        for rc in RC {
            let mut c = [0u64; 5];
            for x in 0..5 {
                c[x] = st[x] ^ st[x + 5] ^ st[x + 10] ^ st[x + 15] ^ st[x + 20];
            }
            for x in 0..5 {
                let d = c[(x + 4) % 5] ^ c[(x + 1) % 5].rotate_left(1);
                for y in 0..5 {
                    st[x + 5 * y] ^= d;
                }
            }
            let mut b = [0u64; 25];
            for x in 0..5 {
                for y in 0..5 {
                    b[y + 5 * ((2 * x + 3 * y) % 5)] = st[x + 5 * y].rotate_left(ROT[x + 5 * y]);
                }
            }
            for x in 0..5 {
                for y in 0..5 {
                    st[x + 5 * y] =
                        b[x + 5 * y] ^ (!b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
                }
            }
            st[0] ^= rc;
        }
    }
    let mut out = [0u8; 32];
    for (i, lane) in st.iter().take(4).enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&lane.to_le_bytes());
    }
    out
}

/// EIP-55: `Some(true)` checksum valid, `Some(false)` mixed case but wrong, `None` single-case (no checksum).
pub fn eip55(hex40: &[u8]) -> Option<bool> {
    let has_upper = hex40.iter().any(u8::is_ascii_uppercase);
    let has_lower = hex40.iter().any(u8::is_ascii_lowercase);
    if !(has_upper && has_lower) {
        return None;
    }
    let lower: Vec<u8> = hex40.iter().map(u8::to_ascii_lowercase).collect();
    let h = keccak256(&lower);
    for (i, &c) in hex40.iter().enumerate() {
        if c.is_ascii_alphabetic() {
            let nib = (h[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0xf;
            if (nib >= 8) != c.is_ascii_uppercase() {
                return Some(false);
            }
        }
    }
    Some(true)
}

/// Whether `digits` (national significant number) is plausible for country code `cc`.
pub fn phone_plan(cc: &[u8], n: &[u8]) -> bool {
    let len = n.len();
    let first = n.first().copied().unwrap_or(b'0');
    match cc {
        b"1" => len == 10 && n[0] >= b'2' && n[3] >= b'2',
        b"44" => {
            (len == 10 || len == 9)
                && matches!(first, b'1' | b'2' | b'3' | b'5' | b'7' | b'8' | b'9')
        }
        b"49" => (6..=13).contains(&len) && first != b'0',
        b"33" => len == 9 && first != b'0',
        b"972" => (8..=9).contains(&len),
        b"91" => len == 10 && first >= b'6',
        b"55" => (10..=11).contains(&len),
        b"61" => len == 9,
        b"81" => (9..=10).contains(&len),
        b"86" => len == 11 && first == b'1' || len == 10,
        b"34" => len == 9 && matches!(first, b'6' | b'7' | b'8' | b'9'),
        b"39" => (6..=11).contains(&len),
        b"31" => len == 9,
        b"7" => len == 10,
        b"52" => len == 10,
        b"27" => len == 9,
        b"65" => len == 8,
        b"353" => (7..=9).contains(&len),
        b"46" => (7..=10).contains(&len),
        b"41" => len == 9,
        b"43" => (7..=13).contains(&len),
        b"48" => len == 9,
        b"32" => (8..=9).contains(&len),
        b"45" | b"47" => len == 8,
        b"358" => (5..=12).contains(&len),
        _ => false,
    }
}

/// Country calling codes the plan table knows, longest first.
pub const CALLING_CODES: &[&[u8]] = &[
    b"972", b"353", b"358", b"44", b"49", b"33", b"91", b"55", b"61", b"81", b"86", b"34", b"39",
    b"31", b"52", b"27", b"65", b"46", b"41", b"43", b"48", b"32", b"45", b"47", b"1", b"7",
];

/// Dotted-quad IPv4 with optional /prefix (no leading zeros, as Python's `ipaddress`). One pass over the
/// address: four parts of one to three digits, no leading zero, each at most 255.
pub fn ipv4(s: &[u8]) -> bool {
    let (addr, prefix) = match s.iter().position(|&c| c == b'/') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let mut parts = 0;
    let (mut len, mut value, mut lead_zero) = (0usize, 0u32, false);
    for &c in addr.iter().chain(std::iter::once(&b'.')) {
        if c == b'.' {
            if len == 0 || len > 3 || (len > 1 && lead_zero) || value > 255 {
                return false;
            }
            parts += 1;
            (len, value) = (0, 0);
        } else if c.is_ascii_digit() {
            if len == 0 {
                lead_zero = c == b'0';
            }
            len += 1;
            if len <= 3 {
                value = value * 10 + u32::from(c - b'0');
            }
        } else {
            return false;
        }
    }
    if parts != 4 {
        return false;
    }
    match prefix {
        None => true,
        Some(p) => {
            !p.is_empty()
                && p.len() <= 2
                && p.iter().all(u8::is_ascii_digit)
                && p.iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0')) <= 32
        }
    }
}

/// [`ipv4`] by splitting (the reference the tests compare it with).
#[cfg(test)]
fn ipv4_plain(s: &[u8]) -> bool {
    let (addr, prefix) = match s.iter().position(|&c| c == b'/') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    if addr.iter().filter(|&&c| c == b'.').count() != 3 {
        return false;
    }
    for p in addr.split(|&c| c == b'.') {
        if p.is_empty()
            || p.len() > 3
            || !p.iter().all(u8::is_ascii_digit)
            || (p.len() > 1 && p[0] == b'0')
        {
            return false;
        }
        let v: u32 = p.iter().fold(0, |a, &d| a * 10 + u32::from(d - b'0'));
        if v > 255 {
            return false;
        }
    }
    match prefix {
        None => true,
        Some(p) => {
            !p.is_empty()
                && p.len() <= 2
                && p.iter().all(u8::is_ascii_digit)
                && p.iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0')) <= 32
        }
    }
}

/// IPv6 text form (RFC 4291 §2.2, optional embedded IPv4 tail).
pub fn ipv6(s: &[u8]) -> bool {
    if s.len() < 2 || s.len() > 45 {
        return false;
    }
    let double = s.windows(2).filter(|w| w == b"::").count();
    if double > 1 || s.windows(3).any(|w| w == b":::") {
        return false;
    }
    let mut groups = 0;
    let n = s.iter().filter(|&&c| c == b':').count() + 1;
    for (i, p) in s.split(|&c| c == b':').enumerate() {
        if p.is_empty() {
            continue;
        }
        if i == n - 1 && p.contains(&b'.') {
            if !ipv4(p) {
                return false;
            }
            groups += 2;
            continue;
        }
        if p.len() > 4 || !p.iter().all(u8::is_ascii_hexdigit) {
            return false;
        }
        groups += 1;
    }
    if (s.starts_with(b":") && !s.starts_with(b"::")) || (s.ends_with(b":") && !s.ends_with(b"::"))
    {
        return false;
    }
    if double == 1 { groups < 8 } else { groups == 8 }
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let ih = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(ih);
    let mut out = [0u8; 32];
    out.copy_from_slice(&outer.finalize());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert!(luhn(b"4111111111111111"));
        assert!(!luhn(b"4111111111111112"));
        assert!(iban_mod97(b"GB82WEST12345698765432"));
        assert!(iban_mod97(b"DE89370400440532013000"));
        assert!(!iban_mod97(b"DE89370400440532013001"));
        assert!(ssn_invalid(b"078051120"));
        assert!(ssn_invalid(b"123450000"));
        assert!(!ssn_invalid(b"536904719"));
        assert!(base58check(b"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"));
        assert!(base58check(b"3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"));
        assert!(!base58check(b"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"));
        assert!(bech32_address(
            b"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
        ));
        assert!(bech32_address(
            b"bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"
        ));
        assert!(!bech32_address(
            b"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr"
        ));
        let k = keccak256(b"");
        assert_eq!(k[..4], [0xc5, 0xd2, 0x46, 0x01]);
        assert_eq!(
            eip55(b"5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            Some(true)
        );
        assert_eq!(
            eip55(b"5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
            Some(false)
        );
        assert!(ipv4(b"192.168.1.20") && !ipv4(b"192.168.1.256") && !ipv4(b"01.2.3.4"));
        assert!(ipv6(b"2001:db8::8a2e:370:7334") && ipv6(b"::1") && !ipv6(b"12:30:45"));
        assert!(!ipv6(b"00:1a:2b:3c:4d:5e"));
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(mac[..4], [0x5b, 0xdc, 0xc1, 0x46]);
    }

    proptest::proptest! {
        #[test]
        fn iban_mod97_matches_the_digit_by_digit_reduction(s in "[A-Z0-9]{0,40}|[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}") {
            proptest::prop_assert_eq!(iban_mod97(s.as_bytes()), iban_mod97_plain(s.as_bytes()));
        }
    }

    proptest::proptest! {
        #[test]
        fn base58check_matches_the_character_by_character_form(
            s in "[1-9A-HJ-NP-Za-km-z]{0,40}|1[1-9A-HJ-NP-Za-km-z]{25,34}|[0-9A-Za-z]{20,36}"
        ) {
            proptest::prop_assert_eq!(base58check(s.as_bytes()), base58check_plain(s.as_bytes()));
        }
    }

    #[test]
    fn base58check_matches_on_valid_and_overlong_addresses() {
        for s in [
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3",
            "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
            "111111111111111111111111111111111111",
            "1111111111111111111114oLvT2",
        ] {
            assert_eq!(
                base58check(s.as_bytes()),
                base58check_plain(s.as_bytes()),
                "{s}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn ipv4_matches_the_splitting_form(s in "[0-9./]{0,20}|([0-9]{1,4}\\.){2,4}[0-9]{1,4}(/[0-9]{1,3})?|[0-9a-f.:/]{0,16}") {
            proptest::prop_assert_eq!(ipv4(s.as_bytes()), ipv4_plain(s.as_bytes()), "{}", s);
        }
    }

    #[test]
    fn ipv4_matches_on_edge_cases() {
        for s in [
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4/",
            "1.2.3.4/32",
            "1.2.3.4/33",
            "1.2.3.4/024",
            "1.2.3.4/1/2",
            "1000.1.1.1",
            "",
            "/",
            "1.2.3.4a",
            "00.1.2.3",
            "0.1.2.3",
        ] {
            assert_eq!(ipv4(s.as_bytes()), ipv4_plain(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn iban_mod97_matches_on_long_and_valid_inputs() {
        // Long all-letter and all-digit strings make the accumulator cross the reduction threshold.
        for s in [
            "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
            "9999999999999999999999999999999999",
            "GB82WEST12345698765432",
            "DE89370400440532013000",
            "MT84MALT011000012345MTLCAST001S",
        ] {
            assert_eq!(
                iban_mod97(s.as_bytes()),
                iban_mod97_plain(s.as_bytes()),
                "{s}"
            );
        }
        assert!(iban_mod97(b"MT84MALT011000012345MTLCAST001S"));
    }
}
