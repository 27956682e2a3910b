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
