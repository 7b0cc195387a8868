//! Personal data written into public text: phone numbers (mobile and landline), NIKs
//! and e-mail addresses, found with their positions (triage suggests redacting them)
//! and masked wherever the public reads.

use serde::{Deserialize, Serialize};

use super::contact::PhoneNumber;

/// Personal data found in public text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    /// A phone number: a mobile, or a landline such as `(022) 7654321`.
    Phone,
    /// A 16-digit population number (NIK), with or without separators.
    Nik,
    /// An e-mail address.
    Email,
}

/// One piece of personal data to consider redacting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiiFinding {
    /// Which field: `title` or `description`.
    pub field: String,
    /// Phone or NIK.
    pub kind: PiiKind,
    /// Byte offsets of the match in the field's text (as stored).
    pub start: usize,
    /// End offset (exclusive).
    pub end: usize,
}

/// True when 16 digits look like a NIK: province 11–94, a district, and a birth date
/// (day 01–31, or 41–71 for women; month 01–12).
fn looks_like_nik(digits: &str) -> bool {
    let d = |range: std::ops::Range<usize>| digits.get(range).and_then(|s| s.parse::<u32>().ok());
    digits.len() == 16
        && matches!(d(0..2), Some(11..=94))
        && matches!(d(2..4), Some(1..=99))
        && matches!(d(6..8), Some(1..=31 | 41..=71))
        && matches!(d(8..10), Some(1..=12))
}

/// True when `digits` (separators removed) are an Indonesian landline: `0` and an
/// area code then the subscriber number, 9 to 12 digits (`022 7654321`), or the
/// same after `62`. Shorter runs (dates such as `01.01.2026`) are not.
fn looks_like_landline(digits: &str) -> bool {
    let national = match digits.strip_prefix("62") {
        Some(rest) => format!("0{rest}"),
        None => digits.to_string(),
    };
    (9..=12).contains(&national.len())
        && national.starts_with('0')
        && !national[1..].starts_with('0')
}

/// Finds phone numbers, NIKs and e-mail addresses written into `text` (`field` names
/// where), in the order they appear.
pub fn find_pii(field: &str, text: &str) -> Vec<PiiFinding> {
    let mut found = find_numbers(field, text);
    found.extend(find_emails(field, text));
    found.sort_by_key(|f| f.start);
    found
}

fn find_numbers(field: &str, text: &str) -> Vec<PiiFinding> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // A landline's area code is often in brackets: `(022) 7654321`.
        let bracketed = bytes[i] == b'(' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        if !(bytes[i].is_ascii_digit() || bytes[i] == b'+' || bracketed) {
            i += 1;
            continue;
        }
        // A run of digits, allowing single separators (and one bracketed group)
        // between digit groups.
        let start = i;
        let mut end = i + 1;
        let mut j = i + 1;
        while j < bytes.len() {
            if bytes[j].is_ascii_digit() {
                j += 1;
                end = j;
            } else if bytes[j] == b')' && bracketed {
                j += 1;
                end = j;
                if bytes.get(j) == Some(&b' ') && bytes.get(j + 1).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
            } else if matches!(bytes[j], b' ' | b'-' | b'.')
                && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
            {
                j += 1;
            } else {
                break;
            }
        }
        let candidate = &text[start..end];
        let digits: String = candidate.chars().filter(char::is_ascii_digit).collect();
        let kind = if looks_like_nik(&digits) {
            Some(PiiKind::Nik)
        } else if digits.len() >= 9
            && (PhoneNumber::parse(candidate).is_ok() || looks_like_landline(&digits))
        {
            Some(PiiKind::Phone)
        } else {
            None
        };
        if let Some(kind) = kind {
            found.push(PiiFinding {
                field: field.into(),
                kind,
                start,
                end,
            });
        }
        i = end.max(i + 1);
    }
    found
}

/// `local@domain.tld`: the characters an address is made of, around one `@`, with a
/// dot in the domain.
fn find_emails(field: &str, text: &str) -> Vec<PiiFinding> {
    let part = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = text[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| part(*c))
            .last()
            .map_or(at, |(i, _)| i);
        let domain_len = text[at + 1..]
            .char_indices()
            .take_while(|(_, c)| part(*c))
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8());
        let domain = text[at + 1..at + 1 + domain_len].trim_end_matches('.');
        let end = at + 1 + domain.len();
        let dotted = domain
            .split_once('.')
            .is_some_and(|(name, tld)| !name.is_empty() && tld.len() >= 2);
        if start < at && dotted {
            found.push(PiiFinding {
                field: field.into(),
                kind: PiiKind::Email,
                start,
                end,
            });
        }
    }
    found
}

/// What replaces personal data in public text.
pub const MASK: &str = "[disembunyikan]";

/// `text` with every phone number and NIK replaced by [`MASK`]: what the public sees
/// until an admin has reviewed the report (staff views show the original).
pub fn mask_pii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for finding in find_pii("", text) {
        out.push_str(&text[last..finding.start]);
        out.push_str(MASK);
        last = finding.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_and_niks_in_text_are_found() {
        let text = "Hubungi saya di 0812-3456-7890 atau +62 811 222 3333. NIK 3273012508900001.";
        let found = find_pii("description", text);
        let kinds: Vec<_> = found.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, vec![PiiKind::Phone, PiiKind::Phone, PiiKind::Nik]);
        assert_eq!(&text[found[0].start..found[0].end], "0812-3456-7890");
        assert_eq!(&text[found[2].start..found[2].end], "3273012508900001");
    }

    #[test]
    fn masking_hides_exactly_the_personal_data() {
        assert_eq!(
            mask_pii("WA 0812-3456-7890, NIK 3273012508900001, RT 05"),
            "WA [disembunyikan], NIK [disembunyikan], RT 05"
        );
        assert_eq!(mask_pii("tanpa data pribadi"), "tanpa data pribadi");
    }

    #[test]
    fn landlines_emails_and_separated_niks_are_found_too() {
        assert_eq!(
            mask_pii(
                "Telp (022) 7654321 atau 022-7654321, surel siti.aminah@contoh.co.id. NIK 3273 0125 0890 0001."
            ),
            "Telp [disembunyikan] atau [disembunyikan], surel [disembunyikan]. NIK [disembunyikan]."
        );
        let kinds: Vec<_> = find_pii(
            "d",
            "+62 22 7654321 / warga@bandung.go.id / 3273-0125-0890-0001",
        )
        .iter()
        .map(|f| f.kind)
        .collect();
        assert_eq!(kinds, vec![PiiKind::Phone, PiiKind::Email, PiiKind::Nik]);
        // Not addresses: an @mention, a lone @, a domain without a dot.
        assert!(find_pii("d", "@pemkot_bandung, harga @ 5000, a@b").is_empty());
    }

    #[test]
    fn ordinary_numbers_are_not_pii() {
        assert!(find_pii("d", "Lubang 2 meter, sejak 12 November 2026, RT 05 RW 03").is_empty());
        // Dates, amounts and short numbers are not phones.
        assert!(
            find_pii(
                "d",
                "sejak 01.01.2026, biaya Rp 1.500.000, nomor rumah 1234"
            )
            .is_empty()
        );
        // 16 digits that cannot be a NIK (month 13) and are not a phone.
        assert!(find_pii("d", "nomor 3273012513900001").is_empty());
    }
}
