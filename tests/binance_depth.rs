//! Scripted diff-depth sequences through the local book sequencer
//! (PROTOCOL.md §2.6): in order, gaps, stale events, late snapshots.

use quantumtrade::exchange::binance::decimal::{Price, Quantity};
use quantumtrade::exchange::binance::depth_book::{DepthAction, DepthBook, ResyncReason};
use quantumtrade::exchange::binance::order::VenueSymbol;
use quantumtrade::exchange::binance::rest::DepthSnapshot;
use quantumtrade::exchange::binance::ws::{DepthUpdate, Level};

fn lvl(p: &str, q: &str) -> Level {
    Level {
        price: p.parse::<Price>().unwrap(),
        qty: q.parse::<Quantity>().unwrap(),
    }
}

fn ev(
    first: i64,
    last: i64,
    prev: i64,
    bids: &[(&str, &str)],
    asks: &[(&str, &str)],
) -> DepthUpdate {
    DepthUpdate {
        event_time: last,
        transaction_time: last,
        symbol: VenueSymbol::new("BTCUSDT"),
        first_update_id: first,
        final_update_id: last,
        prev_final_update_id: prev,
        bids: bids.iter().map(|(p, q)| lvl(p, q)).collect(),
        asks: asks.iter().map(|(p, q)| lvl(p, q)).collect(),
    }
}

fn snap(id: i64) -> DepthSnapshot {
    DepthSnapshot {
        last_update_id: id,
        event_time: 0,
        transaction_time: 0,
        bids: vec![lvl("100", "1"), lvl("99", "2")],
        asks: vec![lvl("101", "1"), lvl("102", "3")],
    }
}

fn p(s: &str) -> Price {
    s.parse().unwrap()
}

fn q(s: &str) -> Quantity {
    s.parse().unwrap()
}

#[test]
fn in_order_sequence_syncs_and_applies() {
    let mut b = DepthBook::default();
    // Step 1: buffer; the first event asks for a snapshot, later ones wait.
    assert_eq!(
        b.on_update(ev(90, 95, 89, &[("98", "1")], &[])),
        DepthAction::FetchSnapshot(ResyncReason::Start)
    );
    assert_eq!(
        b.on_update(ev(96, 105, 95, &[("100", "5")], &[])),
        DepthAction::Buffered
    );
    assert_eq!(
        b.on_update(ev(106, 110, 105, &[], &[("101", "0")])),
        DepthAction::Buffered
    );
    assert!(!b.is_synced());
    // Steps 2–4: snapshot at 100; event ..95 dropped, 96..105 bridges it.
    assert_eq!(
        b.on_snapshot(&snap(100)),
        DepthAction::Synced {
            last_update_id: 100,
            applied: 2,
            dropped: 1
        }
    );
    assert!(b.is_synced());
    assert_eq!(b.last_update_id(), Some(110));
    assert_eq!(b.book().best_bid(), Some((p("100"), q("5"))));
    // Step 6: qty 0 removed 101; the next ask is 102.
    assert_eq!(b.book().best_ask(), Some((p("102"), q("3"))));
    // Step 5: pu chains to u.
    assert_eq!(
        b.on_update(ev(
            111,
            120,
            110,
            &[("99", "0"), ("97", "4")],
            &[("103", "1")]
        )),
        DepthAction::Applied {
            final_update_id: 120
        }
    );
    assert_eq!(
        b.book().top_bids(3),
        vec![(p("100"), q("5")), (p("97"), q("4"))]
    );
    // Removing an unknown level is normal.
    assert_eq!(
        b.on_update(ev(121, 121, 120, &[("1", "0")], &[])),
        DepthAction::Applied {
            final_update_id: 121
        }
    );
    assert_eq!(b.book().depth(), (2, 2));
}

#[test]
fn gap_requests_a_resync_and_recovers() {
    let mut b = DepthBook::default();
    b.on_update(ev(1, 10, 0, &[], &[]));
    assert_eq!(
        b.on_snapshot(&snap(5)),
        DepthAction::Synced {
            last_update_id: 5,
            applied: 1,
            dropped: 0
        }
    );
    // pu 15 does not chain to u 10: break, book cleared, event buffered.
    assert_eq!(
        b.on_update(ev(16, 20, 15, &[("50", "1")], &[])),
        DepthAction::FetchSnapshot(ResyncReason::Gap {
            expected_pu: 10,
            got_pu: 15
        })
    );
    assert!(!b.is_synced());
    assert_eq!(b.book().depth(), (0, 0));
    assert_eq!(b.on_update(ev(21, 25, 20, &[], &[])), DepthAction::Buffered);
    assert_eq!(b.buffered(), 2);
    assert_eq!(
        b.on_snapshot(&snap(18)),
        DepthAction::Synced {
            last_update_id: 18,
            applied: 2,
            dropped: 0
        }
    );
    assert_eq!(b.last_update_id(), Some(25));
    assert_eq!(b.book().best_bid(), Some((p("100"), q("1"))));
}

#[test]
fn stale_events_are_dropped() {
    let mut b = DepthBook::default();
    b.on_update(ev(1, 4, 0, &[], &[]));
    // Snapshot ahead of everything buffered: all dropped (step 3), then the
    // first live event must bridge (step 4).
    assert_eq!(
        b.on_snapshot(&snap(50)),
        DepthAction::Synced {
            last_update_id: 50,
            applied: 0,
            dropped: 1
        }
    );
    assert_eq!(
        b.on_update(ev(5, 40, 4, &[], &[])),
        DepthAction::DroppedStale {
            final_update_id: 40
        }
    );
    assert_eq!(
        b.on_update(ev(41, 55, 40, &[], &[])),
        DepthAction::Applied {
            final_update_id: 55
        }
    );
    // A replay of an applied event once live is stale, not a gap.
    assert_eq!(
        b.on_update(ev(41, 55, 40, &[], &[])),
        DepthAction::DroppedStale {
            final_update_id: 55
        }
    );
    assert_eq!(
        b.on_update(ev(56, 60, 55, &[], &[])),
        DepthAction::Applied {
            final_update_id: 60
        }
    );
}

#[test]
fn snapshot_behind_the_stream_is_refetched() {
    let mut b = DepthBook::default();
    b.on_update(ev(200, 210, 199, &[], &[]));
    b.on_update(ev(211, 220, 210, &[], &[]));
    // Snapshot 150 < U 200: events 151..199 are missing (step 4 fails).
    assert_eq!(
        b.on_snapshot(&snap(150)),
        DepthAction::FetchSnapshot(ResyncReason::SnapshotBehind {
            last_update_id: 150,
            first_update_id: 200
        })
    );
    // Both events are still buffered for the next snapshot.
    assert_eq!(b.buffered(), 2);
    assert_eq!(
        b.on_snapshot(&snap(205)),
        DepthAction::Synced {
            last_update_id: 205,
            applied: 2,
            dropped: 0
        }
    );
    assert_eq!(b.last_update_id(), Some(220));
}

#[test]
fn gap_inside_the_buffer_keeps_later_events() {
    let mut b = DepthBook::default();
    b.on_update(ev(1, 10, 0, &[], &[]));
    b.on_update(ev(20, 30, 19, &[], &[])); // gap: pu 19 ≠ 10
    b.on_update(ev(31, 40, 30, &[], &[]));
    assert_eq!(
        b.on_snapshot(&snap(5)),
        DepthAction::FetchSnapshot(ResyncReason::Gap {
            expected_pu: 10,
            got_pu: 19
        })
    );
    assert_eq!(b.buffered(), 2);
    assert_eq!(
        b.on_snapshot(&snap(25)),
        DepthAction::Synced {
            last_update_id: 25,
            applied: 2,
            dropped: 0
        }
    );
}

#[test]
fn late_snapshot_is_ignored() {
    let mut b = DepthBook::default();
    assert_eq!(b.on_snapshot(&snap(1)), DepthAction::SnapshotIgnored);
    b.on_update(ev(1, 10, 0, &[], &[]));
    b.on_snapshot(&snap(5));
    assert_eq!(b.on_snapshot(&snap(7)), DepthAction::SnapshotIgnored);
    assert_eq!(b.last_update_id(), Some(10));
}
