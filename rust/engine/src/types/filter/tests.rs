use super::*;
use crate::types::schema::Metric;
use crate::ErrorKind;

fn layout() -> Layout {
    Layout {
        dim: 2,
        metric: Metric::L2,
        tokenizer: Default::default(),
        meta: vec![
            ("lang".into(), MetaType::Str),
            ("year".into(), MetaType::Int),
            ("score".into(), MetaType::Float),
            ("tags".into(), MetaType::StrList),
            ("ok".into(), MetaType::Bool),
            ("seen".into(), MetaType::Datetime),
        ],
    }
}

fn sql(text: &str) -> Result<Option<String>> {
    Ok(compile(&Filter::Sql(text.into()), &layout())?.map(|t| t.to_sql()))
}

fn dict(json: &str) -> Result<Option<String>> {
    Ok(compile(&Filter::from_json(json)?, &layout())?.map(|t| t.to_sql()))
}

fn rejected(r: Result<Option<String>>, what: &str) {
    match r {
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidFilter, "{what}: {e}"),
        Ok(v) => panic!("{what} was accepted as {v:?}"),
    }
}

#[test]
fn compiles_dicts() {
    assert_eq!(dict(r#"{"lang": "en"}"#).unwrap().unwrap(), "`lang` = 'en'");
    assert_eq!(
        dict(r#"{"year": {"$gte": 2020}, "lang": {"$in": ["en", "fr"]}}"#).unwrap().unwrap(),
        "`lang` IN ('en', 'fr') AND `year` >= 2020"
    );
    assert_eq!(dict(r#"{"lang": "x' OR 1=1 --"}"#).unwrap().unwrap(), "`lang` = 'x'' OR 1=1 --'");
    assert_eq!(dict(r#"{"nope": 1}"#).unwrap().unwrap(), "FALSE");
    assert_eq!(dict(r#"{}"#).unwrap(), None);
    assert_eq!(dict(r#"{"tags": {"$contains": "a"}}"#).unwrap().unwrap(), "array_has(`tags`, 'a')");
    assert_eq!(
        dict(r#"{"$or": [{"lang": "en"}, {"$not": {"year": 1}}]}"#).unwrap().unwrap(),
        "`lang` = 'en' OR NOT `year` = 1"
    );
}

#[test]
fn rejects_bad_dicts() {
    for bad in [
        r#"{"year": "2020"}"#,
        r#"{"year": {"$like": 1}}"#,
        r#"{"$or": []}"#,
        r#"{"bad key": 1}"#,
        r#"{"tags": "a"}"#,
        r#"[1]"#,
    ] {
        rejected(dict(bad), bad);
    }
}

#[test]
fn a_filter_cannot_close_the_engines_parentheses() {
    // The data-loss case: this text, pasted inside "(id IN (...)) AND (<filter>)", selected all.
    rejected(sql("FALSE) OR (TRUE"), "unbalanced parentheses");
    rejected(sql("lang = 'en') OR (TRUE"), "unbalanced parentheses");
    rejected(sql("TRUE garbage"), "trailing word");
    rejected(sql("year = 1 year = 2"), "two expressions");
    rejected(sql("TRUE; DELETE FROM t"), "a second statement");
    rejected(sql("TRUE -- comment\n OR"), "a dangling OR");
    // A value is a value however it is spelled.
    let ids = vec!["r1".to_string(), "x') OR ('1'='1".to_string()];
    let user = compile(&Filter::Sql("lang = 'a'' OR TRUE OR ''' ".into()), &layout()).unwrap().unwrap();
    let combined = Expr::ids(&ids).and(user);
    assert_eq!(
        combined.to_sql(),
        "`id` IN ('r1', 'x'') OR (''1''=''1') AND `lang` = 'a'' OR TRUE OR '''"
    );
    assert_eq!(sql::parse(&combined.to_sql()).unwrap(), combined);
}

#[test]
fn accepts_the_usual_sql() {
    for (text, want) in [
        ("lang = 'en' AND year >= 2020", "`lang` = 'en' AND `year` >= 2020"),
        ("(lang = 'en' OR lang = 'fr') AND NOT ok", "(`lang` = 'en' OR `lang` = 'fr') AND NOT `ok`"),
        ("topic_missing_is_fine_in_dicts_only IS NULL", ""),
        ("year BETWEEN 2000 AND 2010", "`year` BETWEEN 2000 AND 2010"),
        ("year NOT IN (1, 2, -3)", "`year` NOT IN (1, 2, -3)"),
        ("lang LIKE 'e%' OR lang NOT ILIKE 'F%'", "`lang` LIKE 'e%' OR `lang` NOT ILIKE 'F%'"),
        ("score > 0.5 AND score <= 1e3", "`score` > CAST(0.5 AS DOUBLE) AND `score` <= CAST(1000.0 AS DOUBLE)"),
        ("array_has(tags, 'a') AND array_length(tags) > 1", "array_has(`tags`, 'a') AND array_length(`tags`) > 1"),
        ("lower(lang) = 'en'", "lower(`lang`) = 'en'"),
        ("\"lang\" = 'en' AND `year` = 1", "`lang` = 'en' AND `year` = 1"),
        ("seen > TIMESTAMP '2024-01-01T00:00:00Z'", "`seen` > arrow_cast('2024-01-01T00:00:00.000000Z', 'Timestamp(µs, \"UTC\")')"),
        ("year % 2 = 0", "`year` % 2 = 0"),
        ("year = -9223372036854775808", "`year` = -9223372036854775808"),
        ("ok IS NOT TRUE", "`ok` IS NOT TRUE"),
        ("TRUE", "TRUE"),
        ("  ", ""),
    ] {
        if want.is_empty() && !text.trim().is_empty() {
            rejected(sql(text), "an unknown column in SQL");
            continue;
        }
        let got = sql(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(got.as_deref().unwrap_or(""), want, "{text}");
        if let Some(g) = got {
            assert_eq!(sql(&g).unwrap().unwrap(), g, "{text} renders canonically");
        }
    }
}

#[test]
fn rejects_what_is_not_one_condition() {
    for bad in [
        "year",
        "lang",
        "1 + 1",
        "repeat(id, 2147483648) = ''",
        "arrow_cast(year, 'Utf8') = '1'",
        "id IN (SELECT id FROM t)",
        "year = (SELECT 1)",
        "EXISTS (SELECT 1)",
        "lang = 1",
        "tags = 'a'",
        "vector IS NULL",
        "nope = 1",
        "year < 1 < 2",
        "lower(lang, lang) = 'a'",
        "year = 1e400",
        "",
    ] {
        if bad.is_empty() {
            assert_eq!(sql(bad).unwrap(), None);
            continue;
        }
        rejected(sql(bad), bad);
    }
}

#[test]
fn limits_are_enforced() {
    // Depth: NOT nested past the limit, in SQL and in dicts.
    let deep_not = format!("{}ok", "NOT ".repeat(MAX_FILTER_DEPTH + 1));
    rejected(sql(&deep_not), "deep NOT");
    assert!(sql(&format!("{}ok", "NOT ".repeat(MAX_FILTER_DEPTH - 2))).is_ok());
    let deep_parens = format!("{}ok{}", "(".repeat(10_000), ")".repeat(10_000));
    rejected(sql(&deep_parens), "deep parentheses");
    let mut d = r#"{"ok": true}"#.to_string();
    for _ in 0..50 {
        d = format!(r#"{{"$not": {d}}}"#);
    }
    rejected(dict(&d), "deep $not");
    // Terms.
    let many = (0..MAX_FILTER_NODES).map(|i| format!("year = {i}")).collect::<Vec<_>>().join(" OR ");
    rejected(sql(&many), "too many terms");
    let list = format!("year IN ({})", (0..MAX_FILTER_NODES).map(|i| i.to_string()).collect::<Vec<_>>().join(","));
    rejected(sql(&list), "too long an IN list");
    // Text and string sizes.
    rejected(sql(&format!("lang = '{}'", "x".repeat(MAX_FILTER_STRING_LEN + 1))), "long string");
    rejected(sql(&" ".repeat(MAX_FILTER_SQL_LEN + 1)), "long text");
    // A long arithmetic chain is a deep tree.
    rejected(sql(&format!("year{} = 0", " + 1".repeat(MAX_FILTER_DEPTH + 1))), "long arithmetic");
    // A long OR chain within the limits is fine, and is rendered in shallow groups.
    let ors = (0..2000).map(|i| format!("year = {i}")).collect::<Vec<_>>().join(" OR ");
    let out = sql(&ors).unwrap().unwrap();
    assert_eq!(sql(&out).unwrap().unwrap(), out);
}

#[test]
fn fuzz_entry_points_hold_on_samples() {
    // The first three: negative literals written three ways (fuzz findings, filter_sql).
    for s in ["i = -(6)", "i = -+18", "\n\n-\n\n\n--T\n\n\n-\n\n\n-\n\n+\n6<7", "i = -(-9223372036854775808)", "f < -CAST(1.5 AS DOUBLE)", "year = 1", "FALSE) OR (TRUE", "lang = 'a''b' AND NOT (ok OR year IN (1,2))", "seen < '2024-01-01'"] {
        fuzzing::filter_sql(s.as_bytes());
    }
    for j in [r#"{"lang": "en"}"#, r#"{"$or": [{"year": {"$gt": 1.5}}, {"seen": {"$lt": "2020-01-01T00:00:00Z"}}]}"#] {
        fuzzing::filter_json(j.as_bytes());
    }
}
