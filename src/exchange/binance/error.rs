//! Binance REST error bodies `{"code": <negative int>, "msg": "…"}` as a
//! typed code, and what the node should do about each one (PROTOCOL.md §3,
//! §8.1).
//!
//! Codes are stable, messages vary, so decisions key on [`ErrorCode`]
//! only; the message is kept for logs. HTTP status matters too: a 503 with
//! "Unknown error" means the request may have executed (§3), which
//! [`RestFailure::classify`] reports as [`ErrorClass::StatusUnknown`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident = $code:literal ),* $(,)?) => {
        /// A Binance error code: the ones this node acts on by name, any
        /// other kept as [`ErrorCode::Other`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
            /// A code not listed above.
            Other(i64),
        }

        impl ErrorCode {
            /// From the numeric code.
            #[must_use]
            pub const fn from_code(code: i64) -> Self {
                match code {
                    $( $code => Self::$name, )*
                    other => Self::Other(other),
                }
            }

            /// The numeric code.
            #[must_use]
            pub const fn code(self) -> i64 {
                match self {
                    $( Self::$name => $code, )*
                    Self::Other(c) => c,
                }
            }
        }
    };
}

error_codes! {
    /// -1000 UNKNOWN.
    Unknown = -1000,
    /// -1001 DISCONNECTED: internal error; try again.
    Disconnected = -1001,
    /// -1002 UNAUTHORIZED.
    Unauthorized = -1002,
    /// -1003 TOO_MANY_REQUESTS (IP weight) or IP banned.
    TooManyRequests = -1003,
    /// -1006 UNEXPECTED_RESP: execution status unknown.
    UnexpectedResponse = -1006,
    /// -1007 TIMEOUT: execution status unknown.
    Timeout = -1007,
    /// -1008 request throttled by system-level protection (server overload).
    Throttled = -1008,
    /// -1015 TOO_MANY_ORDERS.
    TooManyOrders = -1015,
    /// -1021 INVALID_TIMESTAMP: outside recvWindow or ahead of server time.
    InvalidTimestamp = -1021,
    /// -1022 INVALID_SIGNATURE.
    InvalidSignature = -1022,
    /// -1100 ILLEGAL_CHARS.
    IllegalChars = -1100,
    /// -1101 TOO_MANY_PARAMETERS.
    TooManyParameters = -1101,
    /// -1102 MANDATORY_PARAM_EMPTY_OR_MALFORMED.
    MandatoryParamMissing = -1102,
    /// -1103 UNKNOWN_PARAM.
    UnknownParam = -1103,
    /// -1104 UNREAD_PARAMETERS.
    UnreadParameters = -1104,
    /// -1105 PARAM_EMPTY.
    ParamEmpty = -1105,
    /// -1106 PARAM_NOT_REQUIRED.
    ParamNotRequired = -1106,
    /// -1111 BAD_PRECISION.
    BadPrecision = -1111,
    /// -1115 INVALID_TIMEINFORCE.
    InvalidTimeInForce = -1115,
    /// -1116 INVALID_ORDER_TYPE.
    InvalidOrderType = -1116,
    /// -1117 INVALID_SIDE.
    InvalidSide = -1117,
    /// -1120 BAD_INTERVAL.
    BadInterval = -1120,
    /// -1121 BAD_SYMBOL.
    BadSymbol = -1121,
    /// -1125 INVALID_LISTEN_KEY: the listenKey does not exist.
    InvalidListenKey = -1125,
    /// -1130 INVALID_PARAMETER.
    InvalidParameter = -1130,
    /// -2010 NEW_ORDER_REJECTED.
    NewOrderRejected = -2010,
    /// -2011 CANCEL_REJECTED (e.g. unknown order).
    CancelRejected = -2011,
    /// -2013 NO_SUCH_ORDER.
    NoSuchOrder = -2013,
    /// -2014 BAD_API_KEY_FMT.
    BadApiKeyFormat = -2014,
    /// -2015 REJECTED_MBX_KEY: invalid key, IP or permissions.
    RejectedApiKey = -2015,
    /// -2018 BALANCE_NOT_SUFFICIENT.
    BalanceNotSufficient = -2018,
    /// -2019 MARGIN_NOT_SUFFICIEN(T).
    MarginNotSufficient = -2019,
    /// -2021 ORDER_WOULD_IMMEDIATELY_TRIGGER.
    OrderWouldImmediatelyTrigger = -2021,
    /// -2022 REDUCE_ONLY_REJECT.
    ReduceOnlyReject = -2022,
    /// -2024 position not sufficient.
    PositionNotSufficient = -2024,
    /// -2025 max open orders reached.
    MaxOpenOrders = -2025,
    /// -2027 max position at current leverage.
    MaxPositionAtLeverage = -2027,
    /// -4002 price above maxPrice.
    PriceGreaterThanMax = -4002,
    /// -4003 quantity not positive.
    QtyNotPositive = -4003,
    /// -4004 quantity below minQty.
    QtyLessThanMin = -4004,
    /// -4005 quantity above maxQty.
    QtyGreaterThanMax = -4005,
    /// -4013 price below minPrice.
    PriceLessThanMin = -4013,
    /// -4014 price not increased by tick size.
    PriceNotOnTick = -4014,
    /// -4015 client order id longer than 36.
    InvalidClientOrderIdLen = -4015,
    /// -4016 price above mark × multiplierUp.
    PriceAbovePercentBand = -4016,
    /// -4023 quantity not increased by step size.
    QtyNotOnStep = -4023,
    /// -4024 price below mark × multiplierDown.
    PriceBelowPercentBand = -4024,
    /// -4046 no need to change margin type.
    NoNeedToChangeMarginType = -4046,
    /// -4047 margin type cannot change with open orders.
    MarginTypeOpenOrders = -4047,
    /// -4048 margin type cannot change with a position.
    MarginTypePosition = -4048,
    /// -4059 no need to change position side.
    NoNeedToChangePositionSide = -4059,
    /// -4061 order position side does not match the account mode.
    PositionSideMismatch = -4061,
    /// -4116 DUPLICATED_CLIENT_ORDER_ID.
    DuplicatedClientOrderId = -4116,
    /// -4120 STOP_ORDER_SWITCH_ALGO: conditional types must use /fapi/v1/algoOrder.
    StopOrderSwitchAlgo = -4120,
    /// -4131 MARKET_ORDER_REJECT: counterparty best price outside PERCENT_PRICE.
    MarketOrderReject = -4131,
    /// -4164 MIN_NOTIONAL.
    MinNotional = -4164,
    /// -5021 FOK order not fully fillable.
    FokReject = -5021,
    /// -5022 GTX (post-only) order would take.
    GtxReject = -5022,
    /// -5028 ME_RECVWINDOW_REJECT.
    MatchingEngineRecvWindow = -5028,
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.code())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i64::deserialize(d).map(Self::from_code)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// What the node should do after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Transient venue trouble: retry the same request with backoff.
    Transient,
    /// A rate limit was hit: stop sending until the window resets (honour
    /// `Retry-After`); going on leads to a 418 IP ban.
    RateLimited,
    /// The request may or may not have executed: reconcile (query the order
    /// or watch the user stream) before any retry.
    StatusUnknown,
    /// Local clock out of step with the server: resync time, re-sign, retry.
    ClockSkew,
    /// The listenKey is gone: POST a new one and reconnect the user stream.
    ListenKeyExpired,
    /// The venue rejected this order or request on its merits (filters,
    /// margin, state): do not retry it unchanged; the node carries on.
    Rejected,
    /// Credentials, permissions or a bug in the request we build: retrying
    /// cannot help; stop trading and alert.
    Fatal,
}

impl ErrorClass {
    /// True when the node can carry on by itself (everything but [`ErrorClass::Fatal`]).
    #[must_use]
    pub const fn is_recoverable(self) -> bool {
        !matches!(self, Self::Fatal)
    }

    /// True when sending the same request again may succeed.
    #[must_use]
    pub const fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::Transient | Self::RateLimited | Self::ClockSkew | Self::ListenKeyExpired
        )
    }
}

impl ErrorCode {
    /// The class of this code by itself (see [`RestFailure::classify`] for
    /// the HTTP-status-aware version).
    #[must_use]
    pub const fn class(self) -> ErrorClass {
        match self {
            Self::Disconnected | Self::Throttled | Self::Unknown => ErrorClass::Transient,
            Self::TooManyRequests | Self::TooManyOrders => ErrorClass::RateLimited,
            Self::UnexpectedResponse | Self::Timeout => ErrorClass::StatusUnknown,
            Self::InvalidTimestamp | Self::MatchingEngineRecvWindow => ErrorClass::ClockSkew,
            Self::InvalidListenKey => ErrorClass::ListenKeyExpired,
            Self::Unauthorized
            | Self::InvalidSignature
            | Self::BadApiKeyFormat
            | Self::RejectedApiKey
            | Self::IllegalChars
            | Self::TooManyParameters
            | Self::MandatoryParamMissing
            | Self::UnknownParam
            | Self::UnreadParameters
            | Self::ParamEmpty
            | Self::ParamNotRequired
            | Self::InvalidTimeInForce
            | Self::InvalidOrderType
            | Self::InvalidSide
            | Self::BadInterval
            | Self::InvalidParameter
            | Self::InvalidClientOrderIdLen
            | Self::StopOrderSwitchAlgo
            | Self::PositionSideMismatch => ErrorClass::Fatal,
            Self::BadPrecision
            | Self::BadSymbol
            | Self::NewOrderRejected
            | Self::CancelRejected
            | Self::NoSuchOrder
            | Self::BalanceNotSufficient
            | Self::MarginNotSufficient
            | Self::OrderWouldImmediatelyTrigger
            | Self::ReduceOnlyReject
            | Self::PositionNotSufficient
            | Self::MaxOpenOrders
            | Self::MaxPositionAtLeverage
            | Self::PriceGreaterThanMax
            | Self::QtyNotPositive
            | Self::QtyLessThanMin
            | Self::QtyGreaterThanMax
            | Self::PriceLessThanMin
            | Self::PriceNotOnTick
            | Self::PriceAbovePercentBand
            | Self::QtyNotOnStep
            | Self::PriceBelowPercentBand
            | Self::NoNeedToChangeMarginType
            | Self::MarginTypeOpenOrders
            | Self::MarginTypePosition
            | Self::NoNeedToChangePositionSide
            | Self::DuplicatedClientOrderId
            | Self::MarketOrderReject
            | Self::MinNotional
            | Self::FokReject
            | Self::GtxReject => ErrorClass::Rejected,
            // Unlisted codes by family (§8.1): 10xx general, 11xx request,
            // 20xx processing, 40xx filters, 50xx execution.
            Self::Other(c) => {
                if c <= -1100 && c > -1200 {
                    ErrorClass::Fatal
                } else if c <= -1000 && c > -1100 {
                    ErrorClass::Transient
                } else {
                    ErrorClass::Rejected
                }
            }
        }
    }
}

/// A Binance error body `{"code": …, "msg": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("binance error {code}: {msg}")]
pub struct ApiError {
    /// The code.
    pub code: ErrorCode,
    /// The message (varies; for logs only).
    pub msg: String,
}

impl ApiError {
    /// Parses an error body.
    ///
    /// # Errors
    /// The JSON error when the body is not `{code, msg}`.
    pub fn from_body(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

/// A failed REST call as the HTTP layer sees it: the status plus, when the
/// body holds one, the Binance error (§3 status table).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestFailure {
    /// A Binance error body with the HTTP status it came with.
    #[error("HTTP {status}: {error}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The error body.
        error: ApiError,
    },
    /// 429: a rate limit was broken.
    #[error("HTTP 429 rate limited (retry after {retry_after_s:?} s)")]
    RateLimited {
        /// `Retry-After` seconds, when sent.
        retry_after_s: Option<u64>,
    },
    /// 418: IP banned after continuing past 429s.
    #[error("HTTP 418 IP banned (retry after {retry_after_s:?} s)")]
    IpBanned {
        /// `Retry-After` seconds, when sent.
        retry_after_s: Option<u64>,
    },
    /// 403: WAF limit violated.
    #[error("HTTP 403 WAF limit violated")]
    Waf,
    /// 503 "Unknown error…": sent, no reply in time; execution status unknown.
    #[error("HTTP 503 execution status unknown: {msg}")]
    ExecutionUnknown {
        /// Body text.
        msg: String,
    },
    /// Any other status without a Binance error body.
    #[error("HTTP {status}: {body}")]
    Http {
        /// HTTP status.
        status: u16,
        /// Body text (truncated to 256 bytes).
        body: String,
    },
}

impl RestFailure {
    /// Builds the failure from a non-2xx response.
    #[must_use]
    pub fn from_response(status: u16, body: &[u8], retry_after_s: Option<u64>) -> Self {
        let text = String::from_utf8_lossy(body);
        match status {
            429 => return Self::RateLimited { retry_after_s },
            418 => return Self::IpBanned { retry_after_s },
            403 => return Self::Waf,
            _ => {}
        }
        if let Ok(error) = ApiError::from_body(body) {
            return Self::Api { status, error };
        }
        if status == 503 && text.contains("Unknown error") {
            return Self::ExecutionUnknown {
                msg: text.into_owned(),
            };
        }
        let mut body = text.into_owned();
        if body.len() > 256 {
            let mut cut = 256;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
        }
        Self::Http { status, body }
    }

    /// What to do about it.
    #[must_use]
    pub fn classify(&self) -> ErrorClass {
        match self {
            Self::Api { status, error } => {
                // A -1008 or 5xx-borne code is the venue's trouble, not ours.
                if *status >= 500 && error.code.class() == ErrorClass::Rejected {
                    ErrorClass::Transient
                } else {
                    error.code.class()
                }
            }
            Self::RateLimited { .. } | Self::IpBanned { .. } | Self::Waf => ErrorClass::RateLimited,
            Self::ExecutionUnknown { .. } => ErrorClass::StatusUnknown,
            Self::Http { status, .. } => {
                if *status >= 500 || *status == 408 {
                    ErrorClass::Transient
                } else {
                    ErrorClass::Fatal
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_classify() {
        assert_eq!(ErrorCode::from_code(-4120), ErrorCode::StopOrderSwitchAlgo);
        assert_eq!(ErrorCode::StopOrderSwitchAlgo.code(), -4120);
        assert_eq!(ErrorCode::from_code(-9999), ErrorCode::Other(-9999));
        assert!(!ErrorCode::InvalidSignature.class().is_recoverable());
        assert_eq!(ErrorCode::InvalidTimestamp.class(), ErrorClass::ClockSkew);
        assert!(ErrorCode::Throttled.class().is_retryable());
        assert!(!ErrorCode::MinNotional.class().is_retryable());
        assert!(ErrorCode::MinNotional.class().is_recoverable());
    }

    #[test]
    fn http_failures_classify() {
        let body = br#"{"code":-1121,"msg":"Invalid symbol."}"#;
        let f = RestFailure::from_response(400, body, None);
        assert_eq!(f.classify(), ErrorClass::Rejected);
        let f = RestFailure::from_response(429, b"", Some(30));
        assert_eq!(
            f,
            RestFailure::RateLimited {
                retry_after_s: Some(30)
            }
        );
        let f = RestFailure::from_response(
            503,
            b"Unknown error, please check your request or try again later.",
            None,
        );
        assert_eq!(f.classify(), ErrorClass::StatusUnknown);
        let f = RestFailure::from_response(503, b"Service Unavailable.", None);
        assert_eq!(f.classify(), ErrorClass::Transient);
        let throttled = br#"{"code":-1008,"msg":"Request throttled"}"#;
        assert_eq!(
            RestFailure::from_response(503, throttled, None).classify(),
            ErrorClass::Transient
        );
    }
}
