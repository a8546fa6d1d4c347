use super::*;

#[test]
fn datetime_round_trips() {
    for us in [0i64, 1, -1, 1_700_000_000_123_456, -62_135_596_800_000_000, 253_402_300_799_999_999] {
        assert_eq!(parse_rfc3339_micros(&format_rfc3339_micros(us)).unwrap(), us);
    }
    assert_eq!(parse_rfc3339_micros("1970-01-01T01:00:00+01:00").unwrap(), 0);
    assert_eq!(parse_rfc3339_micros("2024-02-29").unwrap(), 1_709_164_800_000_000);
    assert!(parse_rfc3339_micros("2024-13-01").is_err());
    assert!(parse_rfc3339_micros("yesterday").is_err());
}

#[test]
fn keys_are_identifiers() {
    assert!(validate_key("year").is_ok());
    assert!(validate_key("_node_type").is_ok());
    for bad in ["", "1a", "a b", "a.b", "id", "ID", "_rowid", "x'--", &"k".repeat(65)] {
        assert!(validate_key(bad).is_err(), "{bad}");
    }
}

/// What serde_json writes for `f` (its shortest round-trip form), parsed back by [`parse_json`].
fn float_back(f: f64) -> f64 {
    let text = serde_json::Value::from(serde_json::Number::from_f64(f).unwrap()).to_string();
    parse_json(&text).unwrap().as_f64().unwrap()
}

#[test]
fn json_floats_round_trip_bit_for_bit() {
    let mut special = vec![0.0, -0.0, 1.0, -1.0, 0.1, 1e300, -1e-300, f64::MAX, f64::MIN, f64::EPSILON];
    special.extend([f64::MIN_POSITIVE, f64::MIN_POSITIVE / 3.0, 5e-324, -5e-324, 2.2250738585072009e-308]);
    special.extend([9007199254740993.0, 1.7976931348623157e308, 0.30000000000000004, 123456789.12345679]);
    for f in special {
        assert_eq!(float_back(f).to_bits(), f.to_bits(), "{f:e}");
    }
    // Random bit patterns: every finite double, normal or subnormal (xorshift64*, seeded).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut checked = 0;
    while checked < 200_000 {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let f = f64::from_bits(x.wrapping_mul(0x2545_F491_4F6C_DD1D));
        if f.is_finite() {
            assert_eq!(float_back(f).to_bits(), f.to_bits(), "{f:e}");
            checked += 1;
        }
    }
    // A float written as an integer-looking number is still a float, with its sign.
    assert!(parse_json("-0").unwrap().as_f64().unwrap().is_sign_negative());
    assert!(parse_json("-0.0").unwrap().as_f64().unwrap().is_sign_negative());
    assert!(parse_json("1e400").is_err());
    assert_eq!(parse_json("1e-400").unwrap().as_f64(), Some(0.0));
}

#[test]
fn json_integers_are_exact() {
    for i in [0i64, 1, -1, i64::MAX, i64::MIN, 1 << 53, (1 << 53) + 1, -(1 << 53) - 1] {
        assert_eq!(parse_json(&i.to_string()).unwrap().as_i64(), Some(i), "{i}");
    }
    for u in [u64::MAX, (1u64 << 63) + 1] {
        assert_eq!(parse_json(&u.to_string()).unwrap().as_u64(), Some(u), "{u}");
    }
    // Beyond u64 / i64: a float, as serde_json reads it.
    assert!(parse_json("18446744073709551616").unwrap().is_f64());
    assert!(parse_json("-9223372036854775809").unwrap().is_f64());
    assert_eq!(Value::from_json("9223372036854775807").unwrap(), Value::Int(i64::MAX));
}

#[test]
fn json_parses_like_serde_json() {
    let docs = [
        r#"{"a": [1, 2.5, "x", null, true, false, {"b": {}}], "c": []}"#,
        r#""\u00e9\ud83d\ude00 \" \\ \/ \b\f\n\r\t""#,
        " [ 1 , -2 , 3e2 , 4E-2 , 0.5 ] ",
        r#"{"k": 1, "k": 2}"#,
        "\"héllo ✓\"",
    ];
    for d in docs {
        let ours = parse_json(d).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(d).unwrap();
        assert_eq!(ours, theirs, "{d}");
        assert_eq!(ours.to_string(), theirs.to_string(), "{d}");
    }
    for bad in [
        "", "nul", "[1,]", "{\"a\" 1}", "{1: 2}", "[1 2]", "01", "1.", ".5", "1e", "-", "+1", "\"\\x\"",
        "\"\\ud800\"", "\"\\udc00x\"", "\"a\nb\"", "\"abc", "[1] x", "{\"a\":1,}", "NaN", "Infinity", "[\"\\u12\"]",
    ] {
        assert!(parse_json(bad).is_err(), "{bad:?}");
        assert!(serde_json::from_str::<serde_json::Value>(bad).is_err(), "serde accepts {bad:?}");
    }
}

#[test]
fn depth_is_limited_without_recursion() {
    let nested = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    assert!(parse_json(&nested(MAX_VALUE_DEPTH)).is_ok());
    assert!(parse_json(&nested(MAX_VALUE_DEPTH + 1)).is_err());
    let objects = |n: usize| format!("{}{}", r#"{"a":"#.repeat(n), "}".repeat(n));
    assert!(parse_json(&format!("{}1{}", r#"{"a":"#.repeat(MAX_VALUE_DEPTH), "}".repeat(MAX_VALUE_DEPTH))).is_ok());
    // 100,000 levels: an error, not a stack overflow (and no partial tree to drop).
    for deep in [nested(100_000), objects(100_000), "[".repeat(1_000_000)] {
        let e = Value::from_json(&deep).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        assert!(e.message().contains("nested more than 100 levels"), "{}", e.message());
    }
    let v = Value::from_json(&nested(MAX_VALUE_DEPTH)).unwrap();
    assert_eq!(v.depth(), MAX_VALUE_DEPTH);
    assert!(v.check_depth("v").is_ok());
    assert!(Value::List(vec![v]).check_depth("v").is_err());
    assert_eq!(Value::Int(1).depth(), 0);
    assert_eq!(json_depth(&serde_json::json!({"a": [1, {"b": []}], "c": 2})), 4);
}

#[test]
fn json_round_trips() {
    let v = Value::from_json(r#"{"a": 1, "b": 2.5, "c": ["x"], "d": {"$datetime": "2020-01-01T00:00:00Z"}}"#)
        .unwrap();
    assert_eq!(Value::from_json(&v.to_json().to_string()).unwrap(), v);
}
