//! Moving averages and trend followers: SMA, EMA, ALMA, VIDYA, T3,
//! Supertrend, Parabolic SAR, DMI/ADX and DMI trend strength.

pub mod alma;
pub mod dmi;
pub mod dmi_strength;
pub mod ema;
pub mod psar;
pub mod sma;
pub mod supertrend;
pub mod t3;
pub mod vidya;
