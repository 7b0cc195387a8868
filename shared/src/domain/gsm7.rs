//! The GSM-7 alphabet of SMS: one segment is 160 septets, and one character outside
//! it (a curly quote, an emoji) switches the whole message to UCS-2 and 70.

/// Characters in one GSM-7 SMS segment.
pub const SMS_LIMIT: usize = 160;

/// GSM-7 basic character set (without the escape-table characters, which cost two).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM-7 extension characters: each takes two of the 160.
const GSM7_EXTENDED: &str = "^{}\\[~]|€";

/// Rewrites text into the GSM-7 alphabet: typographic punctuation to plain, accented
/// letters to their base, anything else (emoji, other scripts) to `?`.
pub fn to_gsm7(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '‘' | '’' | '‚' | '′' | '`' | '´' => '\'',
            '“' | '”' | '„' | '″' => '"',
            '–' | '—' | '−' => '-',
            '\t' => ' ',
            'á' | 'â' | 'ã' => 'a',
            'Á' | 'Â' | 'Ã' | 'À' => 'A',
            'ê' | 'ë' => 'e',
            'È' | 'Ê' | 'Ë' => 'E',
            'í' | 'î' | 'ï' => 'i',
            'Í' | 'Î' | 'Ï' | 'Ì' => 'I',
            'ó' | 'ô' | 'õ' => 'o',
            'Ó' | 'Ô' | 'Õ' | 'Ò' => 'O',
            'ú' | 'û' => 'u',
            'Ú' | 'Û' | 'Ù' => 'U',
            'ç' => 'c',
            c if GSM7_BASIC.contains(c) || GSM7_EXTENDED.contains(c) => c,
            _ => '?',
        })
        .collect()
}

/// Length in GSM-7 septets (extension characters count twice).
pub fn gsm7_len(text: &str) -> usize {
    text.chars()
        .map(|c| if GSM7_EXTENDED.contains(c) { 2 } else { 1 })
        .sum()
}

/// Cuts `text` to at most `limit` septets, ending in `...` when it had to cut.
pub fn truncate_gsm7(text: &str, limit: usize) -> String {
    if gsm7_len(text) <= limit {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let width = gsm7_len(c.encode_utf8(&mut [0; 4]));
        if used + width > limit.saturating_sub(3) {
            break;
        }
        out.push(c);
        used += width;
    }
    format!("{}...", out.trim_end())
}

/// True when every character of `text` is in the GSM-7 alphabet.
pub fn is_gsm7(text: &str) -> bool {
    text.chars()
        .all(|c| GSM7_BASIC.contains(c) || GSM7_EXTENDED.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typography_becomes_plain_gsm7() {
        assert_eq!(to_gsm7("“Jalan” – rusak’s 😀"), "\"Jalan\" - rusak's ?");
        assert_eq!(gsm7_len("a€b"), 4);
        assert_eq!(truncate_gsm7("abcdef", 5), "ab...");
    }
}
