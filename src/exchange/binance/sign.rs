//! HMAC-SHA256 request signing for SIGNED (TRADE, USER_DATA) endpoints,
//! exactly as PROTOCOL.md §5 describes:
//!
//! 1. `totalParams` = the query string concatenated with the request body,
//!    no separator, every parameter except `signature` exactly as
//!    transmitted (percent-encoded), including `timestamp` and optionally
//!    `recvWindow`.
//! 2. `signature = hex(HMAC-SHA256(key = secretKey, message = totalParams))`.
//! 3. `signature` is sent as the last parameter; the key goes in the
//!    `X-MBX-APIKEY` header ([`API_KEY_HEADER`]).
//!
//! This client follows the Python connector's layout (§5): parameters in
//! insertion order, `recvWindow` then `timestamp` appended, everything in
//! the query string.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// The header that carries the API key on MARKET_DATA, USER_STREAM, TRADE
/// and USER_DATA requests (§3).
pub const API_KEY_HEADER: &str = "X-MBX-APIKEY";

/// Default `recvWindow` (ms) on the server when none is sent (§5 step 4).
pub const DEFAULT_RECV_WINDOW_MS: u64 = 5_000;

/// An API secret. Its `Debug` and `Display` never show the value, so it
/// cannot leak into logs, metrics or events.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiSecret(String);

impl ApiSecret {
    /// Wraps a secret (case-sensitive, §3).
    #[must_use]
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
        match HmacSha256::new_from_slice(self.0.as_bytes()) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        }
    }
}

impl fmt::Debug for ApiSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiSecret(<redacted>)")
    }
}

/// An API key, sent in [`API_KEY_HEADER`]. Shown only as its first four
/// characters in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    #[must_use]
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The header value.
    #[must_use]
    pub fn header_value(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head: String = self.0.chars().take(4).collect();
        write!(f, "ApiKey({head}…)")
    }
}

/// Step 2: `hex(HMAC-SHA256(secret, total_params))`, lower-case.
#[must_use]
pub fn sign(secret: &ApiSecret, total_params: &str) -> String {
    let mut mac = secret.mac();
    mac.update(total_params.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Steps 1–2 for a request with parameters in both places: signs
/// `query + body` (no separator between them).
#[must_use]
pub fn sign_query_and_body(secret: &ApiSecret, query: &str, body: &str) -> String {
    let mut mac = secret.mac();
    mac.update(query.as_bytes());
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The server's check (for the simulated exchange): the signature over the
/// raw received `query + body`, hex compared case-insensitively (§5 step 2,
/// §12), in constant time.
#[must_use]
pub fn verify(secret: &ApiSecret, query: &str, body: &str, signature_hex: &str) -> bool {
    let Ok(expected) = hex::decode(signature_hex.to_ascii_lowercase()) else {
        return false;
    };
    let mut mac = secret.mac();
    mac.update(query.as_bytes());
    mac.update(body.as_bytes());
    mac.verify_slice(&expected).is_ok()
}

/// Percent-encodes one parameter name or value the way
/// `application/x-www-form-urlencoded` query strings are sent: ASCII
/// letters, digits and `-_.~` as they are, every other byte as `%XX`
/// (upper-case hex). The encoded form is what gets signed (§5.1, the
/// non-ASCII symbol example).
#[must_use]
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 0xF)]));
        }
    }
    out
}

/// Encodes parameters in the order given: `k1=v1&k2=v2`.
#[must_use]
pub fn encode_params(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Builds the full signed query string of a SIGNED request: the params in
/// order, then `recvWindow` (when given) and `timestamp`, then
/// `&signature=<hex>` last (§5 steps 1–3).
#[must_use]
pub fn signed_query(
    secret: &ApiSecret,
    params: &[(&str, &str)],
    recv_window_ms: Option<u64>,
    timestamp_ms: i64,
) -> String {
    let mut total = encode_params(params);
    let mut push = |k: &str, v: String| {
        if !total.is_empty() {
            total.push('&');
        }
        total.push_str(k);
        total.push('=');
        total.push_str(&v);
    };
    if let Some(w) = recv_window_ms {
        push("recvWindow", w.to_string());
    }
    push("timestamp", timestamp_ms.to_string());
    let signature = sign(secret, &total);
    format!("{total}&signature={signature}")
}

/// The server's timing rule (§5 step 4): accept iff
/// `timestamp < server_time + 1000` and `server_time − timestamp <= recv_window`;
/// otherwise the venue answers `-1021`.
#[must_use]
pub fn timestamp_accepted(timestamp_ms: i64, server_time_ms: i64, recv_window_ms: u64) -> bool {
    let window = i64::try_from(recv_window_ms).unwrap_or(i64::MAX);
    timestamp_ms < server_time_ms.saturating_add(1000)
        && server_time_ms.saturating_sub(timestamp_ms) <= window
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_unreserved() {
        assert_eq!(percent_encode("BTCUSDT"), "BTCUSDT");
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
        assert_eq!(percent_encode("１"), "%EF%BC%91");
    }

    #[test]
    fn secrets_do_not_leak_in_debug() {
        let s = ApiSecret::new("supersecret");
        assert!(!format!("{s:?}").contains("supersecret"));
        let k = ApiKey::new("abcdefgh");
        assert_eq!(format!("{k:?}"), "ApiKey(abcd…)");
    }

    #[test]
    fn timing_rule() {
        assert!(timestamp_accepted(10_000, 10_000, 5000));
        assert!(timestamp_accepted(10_999, 10_000, 5000));
        assert!(!timestamp_accepted(11_000, 10_000, 5000));
        assert!(timestamp_accepted(5_000, 10_000, 5000));
        assert!(!timestamp_accepted(4_999, 10_000, 5000));
    }
}
