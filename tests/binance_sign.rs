//! The worked signing examples of PROTOCOL.md §5.1 as test vectors.

use quantumtrade::exchange::binance::sign::{
    ApiSecret, encode_params, percent_encode, sign, sign_query_and_body, signed_query, verify,
};

const FUTURES_SECRET: &str = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
const SPOT_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

#[test]
fn futures_docs_example() {
    let secret = ApiSecret::new(FUTURES_SECRET);
    let total = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943";
    assert_eq!(
        sign(&secret, total),
        "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
    );
    // The same request built from its parameters (§5 steps 1–3).
    let q = signed_query(
        &secret,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("quantity", "1"),
            ("price", "9000"),
            ("timeInForce", "GTC"),
        ],
        Some(5000),
        1_591_702_613_943,
    );
    assert_eq!(
        q,
        format!(
            "{total}&signature=3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
        )
    );
}

#[test]
fn futures_mixed_query_and_body() {
    // §5.1: the HMAC of the string actually sent, query + body, no separator.
    let secret = ApiSecret::new(FUTURES_SECRET);
    let query = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC";
    let body = "quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943";
    let sig = sign_query_and_body(&secret, query, body);
    assert_eq!(
        sig,
        "30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4"
    );
    assert_eq!(sig, sign(&secret, &format!("{query}{body}")));
}

#[test]
fn spot_docs_examples() {
    let secret = ApiSecret::new(SPOT_SECRET);
    assert_eq!(
        sign(
            &secret,
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        ),
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    );
    // Non-ASCII symbol: the percent-encoded form is what gets signed.
    let symbol = "１２３４５６";
    assert_eq!(
        percent_encode(symbol),
        "%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96"
    );
    let total = format!(
        "{}&recvWindow=5000&timestamp=1499827319559",
        encode_params(&[
            ("symbol", symbol),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", "1"),
            ("price", "0.1"),
        ])
    );
    assert_eq!(
        sign(&secret, &total),
        "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
    );
}

#[test]
fn verification_is_case_insensitive_and_strict() {
    let secret = ApiSecret::new(FUTURES_SECRET);
    let query = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943";
    let good = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9";
    assert!(verify(&secret, query, "", good));
    assert!(verify(&secret, query, "", &good.to_ascii_uppercase()));
    assert!(!verify(&secret, query, "x", good));
    assert!(!verify(&secret, query, "", "zz"));
    assert!(!verify(&ApiSecret::new("other"), query, "", good));
}
