//! Journaled snapshots of the trading cores: bincode (standard
//! configuration) through serde, read in the current form or the one
//! written before it, so a node upgraded with positions open restarts on
//! them. bincode is not self-describing: a form is told from another by
//! decoding all of the bytes, so that one is not misread as the other.

use serde::de::DeserializeOwned;

/// A journaled snapshot that decodes in no known form: the node must not
/// trade on a guess.
#[derive(Debug, thiserror::Error)]
#[error("the {core} snapshot does not decode: {reason}")]
pub struct SnapshotError {
    /// Which core's snapshot.
    pub core: &'static str,
    /// Why the current form does not decode.
    pub reason: String,
}

/// Decodes all of `bytes` as a `T`, else as the older form `Old`.
///
/// # Errors
/// [`SnapshotError`] (naming `core`) when the bytes are neither form.
pub fn decode_current_or<T, Old>(bytes: &[u8], core: &'static str) -> Result<T, SnapshotError>
where
    T: DeserializeOwned,
    Old: DeserializeOwned + Into<T>,
{
    decode_whole::<T>(bytes).or_else(|reason| {
        decode_whole::<Old>(bytes)
            .map(Into::into)
            .map_err(|_| SnapshotError { core, reason })
    })
}

/// Decodes all of `bytes` as a `T`.
fn decode_whole<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let (v, used) = bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map_err(|e| e.to_string())?;
    if used == bytes.len() {
        Ok(v)
    } else {
        Err(format!("{} trailing bytes", bytes.len() - used))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct New {
        a: u32,
        b: Option<u32>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Old {
        a: u32,
    }

    impl From<Old> for New {
        fn from(o: Old) -> Self {
            Self { a: o.a, b: None }
        }
    }

    fn bytes<T: Serialize>(v: &T) -> Vec<u8> {
        bincode::serde::encode_to_vec(v, bincode::config::standard()).unwrap()
    }

    #[test]
    fn both_forms_decode_and_garbage_names_the_core() {
        let new = New { a: 7, b: Some(3) };
        let got: New = decode_current_or::<New, Old>(&bytes(&new), "test").unwrap();
        assert_eq!(got, new);
        let got: New = decode_current_or::<New, Old>(&bytes(&Old { a: 9 }), "test").unwrap();
        assert_eq!(got, New { a: 9, b: None });
        let e = decode_current_or::<New, Old>(&[0xff; 3], "venue").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the venue snapshot does not decode"),
            "{e}"
        );
    }
}
