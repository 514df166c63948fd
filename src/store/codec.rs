//! Byte encodings of projection values in sled (bincode 2).

use serde::de::DeserializeOwned;
use serde::Serialize;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<{ 4 * 1024 * 1024 }>()
}

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, config())
        .expect("encoding an in-memory value into a Vec cannot fail")
}

/// Decodes a stored value; the error names what was being read.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, String> {
    match bincode::serde::decode_from_slice::<T, _>(bytes, config()) {
        Ok((value, read)) if read == bytes.len() => Ok(value),
        Ok((_, read)) => Err(format!(
            "{what}: {} unexpected trailing bytes",
            bytes.len() - read
        )),
        Err(e) => Err(format!("{what}: {e}")),
    }
}
