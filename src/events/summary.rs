//! The one-line text of an event (`qtrade events` plain output) and the
//! UTC timestamp form it is printed with.

use super::{Event, MarketEvent, Payload, SignalEvent, SystemEvent, TradeEvent};
use std::fmt::Write as _;

impl Event {
    /// One line for humans: the event's type and its gist.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut s = self.payload.variant().to_owned();
        match &self.payload {
            Payload::Market(MarketEvent::CandleClosed(c)) => {
                let _ = write!(
                    s,
                    " {} {} close {} volume {}",
                    c.symbol, c.interval, c.candle.close, c.candle.volume
                );
            }
            Payload::Market(MarketEvent::UniverseChanged(u)) => {
                let _ = write!(
                    s,
                    " +{} -{} qualified {}",
                    u.added.len(),
                    u.removed.len(),
                    u.qualified.len()
                );
            }
            Payload::Market(MarketEvent::MessageRejected(m)) => {
                let _ = write!(s, " {}: {}", m.source, m.problem);
            }
            Payload::Signal(SignalEvent::TopFiveSelected(t)) => {
                let picks: Vec<String> = t
                    .picks
                    .iter()
                    .map(|p| format!("{}({:.1})", p.symbol, p.adjusted))
                    .collect();
                let _ = write!(
                    s,
                    " {} regime {:?} scored {}",
                    if picks.is_empty() {
                        "-".to_owned()
                    } else {
                        picks.join(",")
                    },
                    t.market_regime,
                    t.scores.len()
                );
            }
            Payload::System(SystemEvent::NodeStarted { version, venue }) => {
                let _ = write!(s, " version {version} venue {venue}");
            }
            Payload::System(SystemEvent::NodeStopping { reason }) => {
                let _ = write!(s, " {reason}");
            }
            Payload::System(SystemEvent::ActorRestarted {
                actor,
                restarts,
                reason,
            }) => {
                let _ = write!(s, " {actor} restart {restarts}: {reason}");
            }
            Payload::Alert(a) => {
                let _ = write!(s, " {:?} {:?}: {}", a.severity, a.kind, a.message);
            }
            Payload::Trade(t) => trade_summary(&mut s, t),
        }
        s
    }
}

/// The gist of a trade event.
fn trade_summary(s: &mut String, t: &TradeEvent) {
    use crate::trading::event::Fill;
    let _ = match t {
        TradeEvent::EntrySignal(r) => write!(
            s,
            " {} {} adjusted {:.3}",
            r.candidate.symbol,
            r.entry.map_or("none", |e| e.as_str()),
            r.adjusted
        ),
        TradeEvent::EntryRejected { symbol, rejection } => write!(s, " {symbol}: {rejection:?}"),
        TradeEvent::OrderPlaced(o) => write!(
            s,
            " {} {} {} {} qty {}",
            o.client_id,
            o.symbol,
            o.side.as_str(),
            if o.reduce_only {
                "reduce-only"
            } else {
                "entry"
            },
            o.qty
        ),
        TradeEvent::OrderFilled(Fill {
            client_id,
            symbol,
            side,
            qty,
            price,
            fee,
            ..
        }) => write!(
            s,
            " {client_id} {symbol} {} {qty} @ {price} fee {fee:.6}",
            side.as_str()
        ),
        TradeEvent::OrderCanceled {
            client_id,
            symbol,
            reason,
        } => write!(s, " {client_id} {symbol}: {reason}"),
        TradeEvent::PositionOpened(p) => write!(
            s,
            " {} {} {} @ {} stop {}",
            p.symbol,
            p.side.as_str(),
            p.qty,
            p.entry,
            p.stop
        ),
        TradeEvent::StopMoved { symbol, stop } => write!(s, " {symbol} stop {stop}"),
        TradeEvent::PositionClosed { symbol, pnl } => write!(s, " {symbol} pnl {pnl:.4}"),
        TradeEvent::Funding { symbol, amount, .. } => write!(s, " {symbol} {amount:.6}"),
        TradeEvent::Risk(a) => write!(s, " {a:?}"),
        TradeEvent::Resumed { by } => write!(s, " by {by}"),
        TradeEvent::ExitSignal {
            symbol,
            side,
            qty,
            r,
            price,
            ..
        } => write!(
            s,
            " {symbol} {} close {qty} at {r}R ({price})",
            side.as_str()
        ),
    };
}

/// Milliseconds since the epoch as UTC `YYYY-MM-DDTHH:MM:SS.mmmZ`.
#[must_use]
pub fn utc_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EventIds, SystemEvent};

    #[test]
    fn utc_times() {
        assert_eq!(utc_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(utc_ms(1_795_948_515_123), "2026-11-29T10:35:15.123Z");
        assert_eq!(utc_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn summaries_name_the_event() {
        let e = EventIds::new(0).event(
            SystemEvent::NodeStarted {
                version: "0.1.0".into(),
                venue: "synthetic".into(),
            },
            0,
            None,
            None,
        );
        assert_eq!(e.summary(), "NodeStarted version 0.1.0 venue synthetic");
    }
}
