//! Volume: VWAP and its deviation, A/D and its divergence, CMF and its trend,
//! OBV, MFI's inputs, and the volume profile.

pub mod ad;
pub mod ad_divergence;
pub mod cmf;
pub mod cmf_trend;
pub mod obv;
pub mod volume_profile;
pub mod vwap;
pub mod vwap_deviation;
