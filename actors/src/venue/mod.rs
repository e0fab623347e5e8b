//! Venue I/O: thin async shells around the pure protocol code of
//! `quantumtrade::exchange`.
//!
//! - [`binance`]: Binance USDⓈ-M futures REST and WebSocket market clients.

pub mod binance;

/// Installs rustls' aws-lc-rs crypto provider for the process, once;
/// needed before the first TLS connection (STACK.md §0, TLS). Later calls
/// and a provider installed by someone else are fine.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only means a provider is already installed.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}

/// Wall-clock milliseconds since the epoch.
#[must_use]
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
