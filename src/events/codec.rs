//! The event store's record encoding: bincode 2 (standard configuration)
//! through serde, with the sequence number as a big-endian key so a byte-wise
//! ordered store (sled) iterates in sequence order.

use super::Event;

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
    bincode::serde::encode_to_vec(event, bincode::config::standard()).expect("events always encode")
}

/// Decodes a store value.
///
/// # Errors
/// [`DecodeError`] when the bytes are not a whole event.
pub fn decode(bytes: &[u8]) -> Result<Event, DecodeError> {
    let (event, used) = bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map_err(|e| DecodeError(e.to_string()))?;
    if used != bytes.len() {
        return Err(DecodeError(format!(
            "{} trailing bytes",
            bytes.len() - used
        )));
    }
    Ok(event)
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
    fn keys_sort_in_sequence_order() {
        assert!(key(2) < key(10));
        assert!(key(255) < key(256));
        assert_eq!(seq_of(&key(77)).unwrap(), 77);
        assert!(seq_of(&[1, 2]).is_err());
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes);
        }
    }
}
