//! The citizen's number as the agency store keeps it: an HMAC-SHA256 under the agency key, plus the masked form.

use balcao_core::doc::Document;
use balcao_core::error::{AppError, ErrorCode};
use balcao_core::secret::Sensitive;
use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The smallest agency key accepted: there are only about 10⁹ CPFs, so the key is all that stands between a
/// reader of the store and every number; it lives in the machine-wide credential store, never in the policy file.
pub const MIN_KEY_BYTES: usize = 32;

/// The agency's hash key (shared by every counter, so one CPF hashes the same everywhere).
#[derive(Debug)]
pub struct DocumentKey(Sensitive<Vec<u8>>);

impl DocumentKey {
    pub fn new(key: Sensitive<Vec<u8>>) -> Result<Self, AppError> {
        if key.expose().len() < MIN_KEY_BYTES {
            return Err(AppError::new(
                ErrorCode::Config,
                format!(
                    "A chave de identificação da agência é curta demais ({} bytes; o mínimo é {MIN_KEY_BYTES}). \
                     Gere outra com a TI.",
                    key.expose().len()
                ),
            ));
        }
        Ok(Self(key))
    }

    /// What the store keeps of a number: the keyed hash of its digits and the masked form.
    pub fn reference(&self, doc: &Document) -> DocumentRef {
        DocumentRef { hash: self.hash(doc.as_str()), masked: doc.masked() }
    }

    fn hash(&self, digits: &str) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(self.0.expose()).unwrap_or_else(|_| {
            // HMAC takes a key of any length; this branch cannot be reached, and hashing under an empty key would
            // still never store the number in clear.
            HmacSha256::new(&Default::default())
        });
        mac.update(digits.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// A number as stored: never the digits themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    pub hash: [u8; 32],
    pub masked: String,
}

/// How many separators in a row may join two groups of digits (`123.456.789 - 09`).
const MAX_SEPARATORS: usize = 3;

/// Free text (a purpose typed by the clerk, an outcome) as the store may keep it: control characters dropped, every
/// run of 11 or more digits joined by any punctuation or spaces (`529.982.247-25`, `11.222.333/0001-81`,
/// `529.982.247–25` with a dash from autocorrect) turned into asterisks, and every word that is a valid CPF or CNPJ
/// (the alphanumeric CNPJ too) hidden: a number typed there never reaches the store in clear.
pub fn scrub_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_control()).collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if !c.is_ascii_digit() {
            out.push(c);
            i += 1;
            continue;
        }
        // A run: digits, and up to MAX_SEPARATORS separators followed by a digit.
        let start = i;
        let mut end = i;
        let mut digits = 0usize;
        while let Some(&d) = chars.get(end) {
            if d.is_ascii_digit() {
                digits += 1;
                end += 1;
                continue;
            }
            let gap = chars.get(end..).unwrap_or_default().iter().take_while(|c| is_separator(**c)).count();
            if (1..=MAX_SEPARATORS).contains(&gap) && chars.get(end + gap).is_some_and(char::is_ascii_digit) {
                end += gap;
            } else {
                break;
            }
        }
        for &d in chars.get(start..end).unwrap_or_default() {
            out.push(if digits >= 11 && d.is_ascii_digit() { '*' } else { d });
        }
        i = end;
    }
    hide_valid_documents(&out)
}

fn is_separator(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_control()
}

/// Hides each whitespace-separated word that parses as a valid CPF or CNPJ (an alphanumeric CNPJ has letters, so the
/// digit runs alone do not find it).
fn hide_valid_documents(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let core = word.trim_matches(|c: char| !c.is_alphanumeric());
        if core.len() >= 11 && Document::parse(core).is_ok() {
            out.extend(word.chars().map(|c| if c.is_alphanumeric() { '*' } else { c }));
        } else {
            out.push_str(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::scrub_numbers;

    #[test]
    fn numbers_typed_in_free_text_are_hidden_and_short_ones_kept() {
        assert_eq!(scrub_numbers("CPF 529.982.247-25, protocolo 2026/123"), "CPF ***.***.***-**, protocolo 2026/123");
        assert_eq!(scrub_numbers("52998224725"), "***********");
        assert_eq!(scrub_numbers("CNPJ 11.222.333/0001-81 ok"), "CNPJ **.***.***/****-** ok");
        assert_eq!(scrub_numbers("529 982 247 25 fim"), "*** *** *** ** fim");
        assert_eq!(scrub_numbers("Atendimento nº 12345, às 14:30"), "Atendimento nº 12345, às 14:30");
        assert_eq!(scrub_numbers("ação ✓ 1234567890"), "ação ✓ 1234567890");
        // Dashes from autocorrect, spaced separators, commas: still one number.
        assert_eq!(scrub_numbers("CPF 529.982.247–25"), "CPF ***.***.***–**");
        assert_eq!(scrub_numbers("CPF 529.982.247 - 25."), "CPF ***.***.*** - **.");
        assert_eq!(scrub_numbers("529,982,247_25"), "***,***,***_**");
        // The alphanumeric CNPJ (July 2026), with or without its punctuation.
        assert_eq!(scrub_numbers("empresa 12.ABC.345/01DE-35, ok"), "empresa **.***.***/****-**, ok");
        assert_eq!(scrub_numbers("12ABC34501DE35"), "**************");
        // Control characters (a NUL the database would refuse) are dropped.
        assert_eq!(scrub_numbers("a\u{0}b\u{7}c\nd"), "abcd");
        // A word that only looks like a number stays.
        assert_eq!(scrub_numbers("ABCDEFGHIJKLMN"), "ABCDEFGHIJKLMN");
    }
}
