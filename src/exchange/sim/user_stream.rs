//! The account's user-data stream key (PROTOCOL.md §7.1) and the frames
//! the `/private` connections get (§7.2).
//!
//! Rules:
//! 1. `POST /fapi/v1/listenKey` creates a key valid 60 minutes (the
//!    validity is configurable so tests can watch a key expire); while one
//!    is active it returns the same key and extends it.
//! 2. `PUT` extends the active key by 60 minutes and returns it; without
//!    an active key it answers `-1125`.
//! 3. `DELETE` invalidates the key (body `{}`).
//! 4. A key that reaches its expiry is invalidated and a
//!    `listenKeyExpired` event is pushed on it; connections stay open.
//!
//! Validity runs on the wall clock: it is a property of the client's
//! session, not of the simulated market.

use super::rest::RestError;
use serde_json::{Value, json};

/// Validity of a key after creation or keepalive (§7.1).
pub const LISTEN_KEY_VALIDITY_MS: i64 = 60 * 60_000;

/// One user-data event for the `/private` connections of one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFrame {
    /// The listen key the event is for.
    pub listen_key: String,
    /// Event type (`e`), for the `events=` filter.
    pub event_type: String,
    /// The JSON payload.
    pub payload: String,
}

/// The account's listen key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserStream {
    active: Option<(String, i64)>,
    rng: u64,
    validity_ms: i64,
}

impl UserStream {
    /// No key yet; `seed` makes the keys reproducible.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self {
            active: None,
            rng: seed ^ 0x9E37_79B9_7F4A_7C15,
            validity_ms: LISTEN_KEY_VALIDITY_MS,
        }
    }

    /// The same stream with keys valid `validity_ms` after creation or
    /// keepalive instead of [`LISTEN_KEY_VALIDITY_MS`].
    #[must_use]
    pub fn with_validity(mut self, validity_ms: i64) -> Self {
        self.validity_ms = validity_ms.max(1);
        self
    }

    fn fresh_key(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..64)
            .map(|_| {
                // xorshift64*: enough to make keys unguessable by accident.
                self.rng ^= self.rng >> 12;
                self.rng ^= self.rng << 25;
                self.rng ^= self.rng >> 27;
                let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
                char::from(ALPHABET[usize::try_from(r >> 58).unwrap_or(0) % ALPHABET.len()])
            })
            .collect()
    }

    /// Rule 1.
    pub fn start(&mut self, wall_ms: i64) -> Value {
        let key = match &self.active {
            Some((k, exp)) if *exp > wall_ms => k.clone(),
            _ => self.fresh_key(),
        };
        self.active = Some((key.clone(), wall_ms + self.validity_ms));
        json!({ "listenKey": key })
    }

    /// Rule 2.
    ///
    /// # Errors
    /// `-1125` without an active key.
    pub fn keepalive(&mut self, wall_ms: i64) -> Result<Value, RestError> {
        match &mut self.active {
            Some((k, exp)) if *exp > wall_ms => {
                *exp = wall_ms + self.validity_ms;
                Ok(json!({ "listenKey": k }))
            }
            _ => Err(RestError::bad_request(
                -1125,
                "This listenKey does not exist.",
            )),
        }
    }

    /// Rule 3.
    pub fn close(&mut self) -> Value {
        self.active = None;
        json!({})
    }

    /// The active key, if any, at `wall_ms`.
    #[must_use]
    pub fn active_key(&self, wall_ms: i64) -> Option<&str> {
        self.active
            .as_ref()
            .filter(|(_, exp)| *exp > wall_ms)
            .map(|(k, _)| k.as_str())
    }

    /// Rule 4: when the key expired by `wall_ms`, drops it and returns its
    /// `listenKeyExpired` frame (event time `event_ms`).
    pub fn expire(&mut self, wall_ms: i64, event_ms: i64) -> Option<UserFrame> {
        let (key, exp) = self.active.as_ref()?;
        if *exp > wall_ms {
            return None;
        }
        let frame = UserFrame {
            listen_key: key.clone(),
            event_type: "listenKeyExpired".to_string(),
            payload: json!({ "e": "listenKeyExpired", "E": event_ms, "listenKey": key })
                .to_string(),
        };
        self.active = None;
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        let mut u = UserStream::new(1);
        assert_eq!(u.keepalive(0).unwrap_err().code, -1125);
        let k1 = u.start(0)["listenKey"].as_str().unwrap().to_string();
        assert_eq!(k1.len(), 64);
        let k2 = u.start(1000)["listenKey"].as_str().unwrap().to_string();
        assert_eq!(k1, k2, "an active key is returned again");
        assert!(u.keepalive(LISTEN_KEY_VALIDITY_MS).is_ok());
        assert!(u.expire(LISTEN_KEY_VALIDITY_MS + 1000, 5).is_none());
        let f = u.expire(2 * LISTEN_KEY_VALIDITY_MS, 5).unwrap();
        assert_eq!(f.listen_key, k1);
        assert!(f.payload.contains("listenKeyExpired"));
        assert!(u.active_key(2 * LISTEN_KEY_VALIDITY_MS).is_none());
        let k3 = u.start(0)["listenKey"].as_str().unwrap().to_string();
        assert_ne!(k3, k1);
        u.close();
        assert!(u.active_key(0).is_none());
    }

    #[test]
    fn short_validity_expires_early() {
        let mut u = UserStream::new(1).with_validity(2_000);
        let k = u.start(0)["listenKey"].as_str().unwrap().to_string();
        assert!(u.keepalive(1_500).is_ok());
        assert!(u.expire(3_000, 9).is_none(), "the keepalive extended it");
        assert_eq!(u.expire(3_500, 9).unwrap().listen_key, k);
        assert_eq!(u.keepalive(3_600).unwrap_err().code, -1125);
    }
}
