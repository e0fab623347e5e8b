//! Parameters of the account endpoints, read with the error Binance
//! answers for each problem (PROTOCOL.md §8.1): `-1102` missing, `-1100`
//! illegal characters, `-1130` invalid value, `-1115`/`-1116`/`-1117`
//! unknown enum values, `-4015` long client ids, `-4061` a hedge-mode
//! position side, and the filter codes of [`FilterViolation`].

use super::rest::{Params, RestError, illegal_number, mandatory, not_valid};
use crate::exchange::binance::Decimal;
use crate::exchange::binance::filters::FilterViolation;
use crate::exchange::binance::order::{ClientOrderId, Side};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub(super) fn err(code: i64, msg: impl Into<String>) -> RestError {
    RestError::bad_request(code, msg)
}

/// The venue's message for a filter violation (§8.1 texts).
pub(super) fn filter_error(v: &FilterViolation) -> RestError {
    let msg = match v {
        FilterViolation::PriceBelowMin { .. } => "Price less than min price.".to_string(),
        FilterViolation::PriceAboveMax { .. } => "Price greater than max price.".to_string(),
        FilterViolation::PriceOffTick { .. } => "Price not increased by tick size.".to_string(),
        FilterViolation::QtyNotPositive { .. } => {
            "Quantity less than or equal to zero.".to_string()
        }
        FilterViolation::QtyBelowMin { .. } => "Quantity less than min quantity.".to_string(),
        FilterViolation::QtyAboveMax { .. } => "Quantity greater than max quantity.".to_string(),
        FilterViolation::QtyOffStep { .. } => "Qty not increased by step size.".to_string(),
        FilterViolation::NotionalBelowMin { min, .. } => {
            format!(
                "Order's notional must be no smaller than {min} (unless you choose reduce only)"
            )
        }
        FilterViolation::PriceAbovePercentBand { limit, .. } => {
            format!("Limit price can't be higher than {limit}.")
        }
        FilterViolation::PriceBelowPercentBand { limit, .. } => {
            format!("Limit price can't be lower than {limit}.")
        }
        FilterViolation::Precision(_) => {
            "Precision is over the maximum defined for this asset.".to_string()
        }
    };
    err(v.code(), msg)
}

pub(super) fn bad_precision() -> RestError {
    err(
        -1111,
        "Precision is over the maximum defined for this asset.",
    )
}

/// A present, non-empty parameter.
pub(super) fn get<'a>(p: &'a Params, name: &str) -> Option<&'a str> {
    p.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

pub(super) fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, RestError> {
    get(p, name).ok_or_else(|| mandatory(name))
}

/// A wire enum; `code`/`msg` answer an unknown value (or `-1130`).
pub(super) fn enum_param<T: DeserializeOwned>(
    p: &Params,
    name: &str,
    bad: impl Fn() -> RestError,
) -> Result<Option<T>, RestError> {
    let Some(v) = get(p, name) else {
        return Ok(None);
    };
    serde_json::from_value(Value::String(v.to_string()))
        .map(Some)
        .map_err(|_| bad())
}

pub(super) fn decimal_param(p: &Params, name: &str) -> Result<Option<Decimal>, RestError> {
    match get(p, name) {
        None => Ok(None),
        Some(v) => v
            .parse::<Decimal>()
            .map(Some)
            .map_err(|_| illegal_number(name)),
    }
}

pub(super) fn bool_param(p: &Params, name: &str) -> Result<bool, RestError> {
    match get(p, name) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(not_valid(name)),
    }
}

pub(super) fn int_param(p: &Params, name: &str) -> Result<Option<i64>, RestError> {
    match get(p, name) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| illegal_number(name)),
    }
}

pub(super) fn side_param(p: &Params) -> Result<Side, RestError> {
    required(p, "side")?;
    enum_param(p, "side", || err(-1117, "Invalid side."))?.ok_or_else(|| mandatory("side"))
}

pub(super) fn one_way(p: &Params) -> Result<(), RestError> {
    match get(p, "positionSide") {
        None | Some("BOTH") => Ok(()),
        Some(_) => Err(err(
            -4061,
            "Order's position side does not match user's setting.",
        )),
    }
}

/// A client id by the `newClientOrderId` regex and length rules (step 3).
pub(super) fn client_id(p: &Params, name: &str) -> Result<Option<String>, RestError> {
    let Some(v) = get(p, name) else {
        return Ok(None);
    };
    if v.chars().count() > 36 {
        return Err(err(
            -4015,
            "Client order id length should not be more than 36 chars",
        ));
    }
    ClientOrderId::new(v).map(|c| Some(c.0)).map_err(|_| {
        err(
            -1100,
            format!(
                "Illegal characters found in parameter '{name}'; legal range is \
                 '^[\\.A-Z\\:/a-z0-9_-]{{1,36}}$'."
            ),
        )
    })
}

pub(super) fn limit_param(p: &Params, default: usize, max: usize) -> Result<usize, RestError> {
    match int_param(p, "limit")? {
        None => Ok(default),
        Some(l) => usize::try_from(l)
            .ok()
            .filter(|l| (1..=max).contains(l))
            .ok_or_else(|| not_valid("limit")),
    }
}
