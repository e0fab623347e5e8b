//! Property tests of the total WebSocket parser: arbitrary bytes, arbitrary
//! JSON and mutated recorded samples never panic it, and every rejection is
//! counted once under its kind by the `MalformedCounter`.

use proptest::prelude::*;
use quantumtrade::exchange::binance::parse::{
    EventKind, MalformedCounter, MalformedKind, ParseError, WsBody, parse_ws_message,
};
use quantumtrade::exchange::binance::ws::MarketEvent;
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::OnceLock;

/// The recorded WebSocket frames (market, user, control) used as seeds.
fn seeds() -> &'static Vec<Vec<u8>> {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/binance/samples");
        let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .expect("samples dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                let n = p.file_name().unwrap().to_string_lossy();
                (n.starts_with("ws_") || n.starts_with("user_")) && !n.ends_with("_request.json")
            })
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).expect("read"),
                )
            })
            .collect();
        out.sort();
        out.into_iter().map(|(_, b)| b).collect()
    })
}

/// Parses through the counter and checks the counting contract.
fn parse_counted(counter: &mut MalformedCounter, bytes: &[u8]) -> Result<WsBody, ParseError> {
    let before_total = counter.total();
    let r = counter.parse(bytes);
    match &r {
        Ok(_) => assert_eq!(counter.total(), before_total),
        Err(e) => {
            assert_eq!(counter.total(), before_total + 1);
            assert!(counter.count(e.kind()) >= 1);
        }
    }
    r.map(|m| m.body)
}

/// Every float a parsed market event carries is finite.
fn assert_finite(body: &WsBody) {
    let check = |xs: &[f64]| assert!(xs.iter().all(|x| x.is_finite()), "{xs:?}");
    if let WsBody::Market(m) = body {
        match m {
            MarketEvent::Kline(k) => check(&[
                k.kline.open,
                k.kline.high,
                k.kline.low,
                k.kline.close,
                k.kline.volume,
            ]),
            MarketEvent::AggTrade(t) => check(&[t.price, t.quantity]),
            MarketEvent::BookTicker(b) => check(&[b.bid_price, b.ask_price, b.bid_qty, b.ask_qty]),
            MarketEvent::MarkPrice(p) => check(&[p.mark_price, p.index_price, p.funding_rate]),
            MarketEvent::Ticker(t) => check(&[t.last_price, t.quote_volume]),
            _ => {}
        }
    }
}

const KEYS: &[&str] = &[
    "e", "E", "T", "s", "k", "o", "a", "b", "p", "q", "u", "U", "pu", "x", "X", "stream", "data",
    "result", "id", "code", "msg", "t", "c", "h", "l", "v", "i", "n",
];
const EVENTS: &[&str] = &[
    "kline",
    "aggTrade",
    "bookTicker",
    "24hrTicker",
    "24hrMiniTicker",
    "markPriceUpdate",
    "depthUpdate",
    "ORDER_TRADE_UPDATE",
    "ALGO_UPDATE",
    "ACCOUNT_UPDATE",
    "MARGIN_CALL",
    "TRADE_LITE",
    "ACCOUNT_CONFIG_UPDATE",
    "listenKeyExpired",
    "forceOrder",
];

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[-0-9.eE]{0,12}".prop_map(Value::String),
        prop::sample::select(EVENTS).prop_map(|s| Value::String(s.to_string())),
        ".{0,16}".prop_map(Value::String),
        prop_oneof![
            Just("NaN"),
            Just("inf"),
            Just("-inf"),
            Just("1e400"),
            Just("")
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..10).prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k.to_string(), v);
                }
                Value::Object(m)
            }),
        ]
    })
}

/// Paths to every node of a JSON value.
fn paths(v: &Value, here: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(here.clone());
    match v {
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(PathStep::Index(i));
                paths(x, here, out);
                here.pop();
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                here.push(PathStep::Key(k.clone()));
                paths(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn node_mut<'a>(v: &'a mut Value, path: &[PathStep]) -> &'a mut Value {
    let mut cur = v;
    for step in path {
        cur = match (step, cur) {
            (PathStep::Key(k), Value::Object(m)) => m.get_mut(k).expect("path"),
            (PathStep::Index(i), Value::Array(a)) => &mut a[*i],
            _ => unreachable!("paths come from the same value"),
        };
    }
    cur
}

#[derive(Debug, Clone)]
enum JsonMutation {
    /// Replace the node with another value.
    Replace(Value),
    /// Remove the node from its parent.
    Remove,
}

/// Applies one structural mutation at the `pick`-th node of the value.
fn mutate(mut v: Value, pick: usize, m: &JsonMutation) -> Value {
    let mut all = Vec::new();
    paths(&v, &mut Vec::new(), &mut all);
    let path = &all[pick % all.len()];
    match m {
        JsonMutation::Replace(new) => *node_mut(&mut v, path) = new.clone(),
        JsonMutation::Remove => {
            if let Some((last, parent)) = path.split_last() {
                match (last, node_mut(&mut v, parent)) {
                    (PathStep::Key(k), Value::Object(m)) => {
                        m.remove(k);
                    }
                    (PathStep::Index(i), Value::Array(a)) => {
                        a.remove(*i);
                    }
                    _ => {}
                }
            } else {
                v = Value::Null;
            }
        }
    }
    v
}

#[derive(Debug, Clone)]
enum ByteMutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn mutate_bytes(mut b: Vec<u8>, ms: &[ByteMutation]) -> Vec<u8> {
    for m in ms {
        let n = b.len().max(1);
        match *m {
            ByteMutation::Flip(i, x) => {
                if !b.is_empty() {
                    b[i % n] ^= x;
                }
            }
            ByteMutation::Insert(i, x) => b.insert(i % (b.len() + 1), x),
            ByteMutation::Delete(i) => {
                if !b.is_empty() {
                    b.remove(i % n);
                }
            }
            ByteMutation::Truncate(i) => b.truncate(i % n),
        }
    }
    b
}

fn arb_byte_mutation() -> impl Strategy<Value = ByteMutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, x)| ByteMutation::Flip(i, x)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, x)| ByteMutation::Insert(i, x)),
        any::<usize>().prop_map(ByteMutation::Delete),
        any::<usize>().prop_map(ByteMutation::Truncate),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut c = MalformedCounter::new();
        if let Ok(body) = parse_counted(&mut c, &bytes) {
            assert_finite(&body);
        }
    }

    #[test]
    fn arbitrary_json_never_panics(v in arb_json(), wrap in any::<bool>()) {
        let v = if wrap {
            serde_json::json!({"stream": "btcusdt@kline_1m", "data": v})
        } else {
            v
        };
        let bytes = serde_json::to_vec(&v).unwrap();
        let mut c = MalformedCounter::new();
        if let Ok(body) = parse_counted(&mut c, &bytes) {
            assert_finite(&body);
        }
    }

    #[test]
    fn mutated_sample_bytes_never_panic(
        seed in any::<prop::sample::Index>(),
        ms in prop::collection::vec(arb_byte_mutation(), 1..6),
    ) {
        let original = seed.get(seeds().as_slice()).clone();
        let bytes = mutate_bytes(original, &ms);
        let mut c = MalformedCounter::new();
        if let Ok(body) = parse_counted(&mut c, &bytes) {
            assert_finite(&body);
        }
    }

    #[test]
    fn mutated_sample_json_never_panics(
        seed in any::<prop::sample::Index>(),
        pick in any::<usize>(),
        m in prop_oneof![
            arb_leaf().prop_map(JsonMutation::Replace),
            arb_json().prop_map(JsonMutation::Replace),
            Just(JsonMutation::Remove),
        ],
    ) {
        let original: Value = serde_json::from_slice(seed.get::<Vec<u8>>(seeds())).unwrap();
        let bytes = serde_json::to_vec(&mutate(original, pick, &m)).unwrap();
        let mut c = MalformedCounter::new();
        if let Ok(body) = parse_counted(&mut c, &bytes) {
            assert_finite(&body);
        }
    }

    /// A kline whose close is replaced by a non-number is rejected as an
    /// invalid kline payload, whatever the replacement.
    #[test]
    fn bad_kline_close_is_counted_as_invalid_kline(
        bad in prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            "[a-zA-Z ]{0,8}".prop_map(Value::String),
            prop_oneof![Just("NaN"), Just("inf"), Just("1e400")].prop_map(|s| Value::String(s.into())),
        ],
    ) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/binance/samples/ws_kline.json");
        let mut v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        v["k"]["c"] = bad;
        let mut c = MalformedCounter::new();
        let r = c.parse(&serde_json::to_vec(&v).unwrap());
        prop_assert!(r.is_err());
        prop_assert_eq!(c.count(MalformedKind::InvalidPayload(EventKind::Kline)), 1);
        prop_assert_eq!(c.total(), 1);
    }
}

#[test]
fn counter_tallies_by_kind_over_a_stream() {
    let mut c = MalformedCounter::new();
    let frames: Vec<&[u8]> = vec![
        b"{",
        b"\xff\xfe",
        b"[]",
        b"\"text\"",
        br#"{"e":"forceOrder","E":1}"#,
        br#"{"e":"depthUpdate","E":1}"#,
        br#"{"e":"ORDER_TRADE_UPDATE","E":1,"T":1,"o":{}}"#,
        br#"{"result":null,"id":1}"#,
    ];
    let oks = frames.iter().filter(|f| c.parse(f).is_ok()).count();
    assert_eq!(oks, 1);
    assert_eq!(c.count(MalformedKind::InvalidJson), 2);
    assert_eq!(c.count(MalformedKind::UnexpectedShape), 2);
    assert_eq!(c.count(MalformedKind::UnknownEvent), 1);
    assert_eq!(c.count(MalformedKind::InvalidPayload(EventKind::Depth)), 1);
    assert_eq!(
        c.count(MalformedKind::InvalidPayload(EventKind::OrderTradeUpdate)),
        1
    );
    assert_eq!(c.total(), 7);
    let labels: Vec<String> = c.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(
        labels,
        vec![
            "invalid_json",
            "unexpected_shape",
            "unknown_event",
            "invalid_payload:depthUpdate",
            "invalid_payload:ORDER_TRADE_UPDATE"
        ]
    );
    // The seeds themselves all parse.
    for s in seeds() {
        parse_ws_message(s).unwrap();
    }
}
