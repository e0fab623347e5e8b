//! The event store's record encoding: bincode 2 (standard configuration)
//! through serde, with the sequence number as a big-endian key so a byte-wise
//! ordered store (sled) iterates in sequence order. Dead letters
//! ([`DeadLetter`]) are encoded the same way in their own tree.

use super::Event;
use super::dead_letter::DeadLetter;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a record could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("corrupt event record: {0}")]
pub struct DecodeError(String);

/// Encodes an event as a store value.
///
/// # Panics
/// Never for events built from this crate's types (all serde-encodable).
#[must_use]
pub fn encode(event: &Event) -> Vec<u8> {
    encode_record(event)
}

/// Decodes a store value.
///
/// # Errors
/// [`DecodeError`] when the bytes are not a whole event.
pub fn decode(bytes: &[u8]) -> Result<Event, DecodeError> {
    decode_record(bytes)
}

/// Encodes a dead letter as a value of the `dead_letters` tree.
#[must_use]
pub fn encode_dead_letter(letter: &DeadLetter) -> Vec<u8> {
    encode_record(letter)
}

/// Decodes a value of the `dead_letters` tree.
///
/// # Errors
/// [`DecodeError`] when the bytes are not a whole dead letter.
pub fn decode_dead_letter(bytes: &[u8]) -> Result<DeadLetter, DecodeError> {
    decode_record(bytes)
}

fn encode_record<T: Serialize>(record: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(record, bincode::config::standard())
        .expect("store records always encode")
}

fn decode_record<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let (record, used) = bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map_err(|e| DecodeError(e.to_string()))?;
    if used != bytes.len() {
        return Err(DecodeError(format!(
            "{} trailing bytes",
            bytes.len() - used
        )));
    }
    Ok(record)
}

/// The store key of sequence number `seq`.
#[must_use]
pub fn key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// The sequence number of a store key.
///
/// # Errors
/// [`DecodeError`] when the key is not 8 bytes.
pub fn seq_of(key: &[u8]) -> Result<u64, DecodeError> {
    key.try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| DecodeError(format!("key of {} bytes", key.len())))
}

/// Appends one record to a frame stream: the sequence number (8 bytes,
/// big-endian), the value's length (4 bytes, big-endian), the value. This is
/// how the node serves store records over HTTP (`/store/events`).
///
/// # Panics
/// When `value` is 4 GiB or longer (store records are far smaller).
pub fn push_frame(out: &mut Vec<u8>, seq: u64, value: &[u8]) {
    let len = u32::try_from(value.len()).expect("store record under 4 GiB");
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value);
}

/// Splits a frame stream ([`push_frame`]) into `(seq, value)` records.
///
/// # Errors
/// [`DecodeError`] when the stream ends inside a frame.
pub fn frames(mut body: &[u8]) -> Result<Vec<(u64, &[u8])>, DecodeError> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let (head, rest) = body
            .split_at_checked(12)
            .ok_or_else(|| DecodeError(format!("frame header of {} bytes", body.len())))?;
        let seq = u64::from_be_bytes(head[..8].try_into().expect("8 bytes"));
        let len = u32::from_be_bytes(head[8..].try_into().expect("4 bytes")) as usize;
        let (value, rest) = rest
            .split_at_checked(len)
            .ok_or_else(|| DecodeError(format!("frame of {len} bytes cut at {}", rest.len())))?;
        out.push((seq, value));
        body = rest;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::market::CandleClosed;
    use crate::events::{Alert, AlertKind, EventIds, MarketEvent, Severity};
    use crate::market::{Candle, Interval, Symbol};
    use proptest::prelude::*;

    #[test]
    fn events_round_trip() {
        let mut ids = EventIds::new(1000);
        let a = ids.event(
            MarketEvent::from(CandleClosed {
                symbol: Symbol::new("BTCUSDT").unwrap(),
                interval: Interval::M5,
                candle: Candle::ohlcv(0, 1.0, 2.0, 0.5, 1.5, 3.0),
            }),
            5,
            Some(4),
            None,
        );
        let b = ids.event(
            Alert {
                kind: AlertKind::HighCpu,
                severity: Severity::Warning,
                value: 91.0,
                threshold: 80.0,
                message: "cpu 91% > 80%".into(),
            },
            6,
            None,
            Some(a.meta.id),
        );
        assert_eq!(b.meta.id.n, 1);
        for e in [a, b] {
            assert_eq!(decode(&encode(&e)).unwrap(), e);
        }
    }

    #[test]
    fn dead_letters_round_trip() {
        use crate::events::dead_letter::DeadLetterReason;
        let letter = DeadLetter {
            target: "selector".into(),
            message: "ScoreUpdate".into(),
            reason: DeadLetterReason::MailboxFull,
            ts: 1_700_000_000_123,
        };
        let bytes = encode_dead_letter(&letter);
        assert_eq!(decode_dead_letter(&bytes).unwrap(), letter);
        assert!(decode_dead_letter(&bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_dead_letter(&longer).is_err());
        assert_eq!(letter.to_string(), "ScoreUpdate -> selector (mailbox_full)");
    }

    #[test]
    fn keys_sort_in_sequence_order() {
        assert!(key(2) < key(10));
        assert!(key(255) < key(256));
        assert_eq!(seq_of(&key(77)).unwrap(), 77);
        assert!(seq_of(&[1, 2]).is_err());
    }

    proptest! {
        #[test]
        fn frames_round_trip(records in prop::collection::vec(
            (any::<u64>(), prop::collection::vec(any::<u8>(), 0..40)), 0..20)
        ) {
            let mut body = Vec::new();
            for (seq, v) in &records {
                push_frame(&mut body, *seq, v);
            }
            let back = frames(&body).unwrap();
            prop_assert_eq!(back.len(), records.len());
            for ((s, v), (bs, bv)) in records.iter().zip(back) {
                prop_assert_eq!(*s, bs);
                prop_assert_eq!(v.as_slice(), bv);
            }
            if !body.is_empty() {
                prop_assert!(frames(&body[..body.len() - 1]).is_err());
            }
        }

        #[test]
        fn frame_garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = frames(&bytes);
        }

        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes);
        }
    }
}
