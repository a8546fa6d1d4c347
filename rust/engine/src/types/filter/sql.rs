//! SQL filters, parsed into the filter tree. The text is split into tokens by sqlparser's
//! tokenizer (the one Lance's own parser uses, so words, numbers and quotes mean the same to both);
//! the grammar below is ours: a recursive descent over those tokens that accepts exactly one
//! boolean expression of the forms listed, builds `AND`/`OR` chains without recursion, and counts
//! depth, nodes and literal sizes as it goes, so its time is linear in the text and a limit is
//! hit before anything large is built.
//!
//! ```text
//! filter    := or EOF
//! or        := and { OR and }
//! and       := not { AND not }
//! not       := NOT not | predicate
//! predicate := sum [ cmp sum
//!                  | IS [NOT] (NULL | TRUE | FALSE)
//!                  | [NOT] IN ( sum { , sum } )
//!                  | [NOT] BETWEEN sum AND sum
//!                  | [NOT] (LIKE | ILIKE) sum ]
//! sum       := product { (+ | -) product }
//! product   := unary { (* | / | %) unary }
//! unary     := - unary | atom
//! atom      := number | 'string' | TRUE | FALSE | NULL | TIMESTAMP 'rfc3339'
//!            | column | `column` | "column" | function ( [or { , or }] )
//!            | CAST ( or AS type ) | ( or )
//! cmp       := = | == | != | <> | < | <= | > | >=
//! ```

use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use super::expr::{ArithOp, CmpOp, Expr, Func, Lit};
use super::{check_string, Limits, MAX_FILTER_SQL_LEN, PARSE_DEPTH_GUARD};
use crate::error::{Error, Result};
use crate::types::value::parse_rfc3339_micros;

/// Parses a SQL filter into a tree (columns are resolved and types checked by the caller).
pub(crate) fn parse(text: &str) -> Result<Expr> {
    if text.len() > MAX_FILTER_SQL_LEN {
        return Err(Error::invalid_filter(format!(
            "the filter is {} bytes long; at most {MAX_FILTER_SQL_LEN} are accepted",
            text.len()
        )));
    }
    let tokens = Tokenizer::new(&GenericDialect {}, text)
        .tokenize()
        .map_err(|e| Error::invalid_filter(format!("invalid filter {}: {e}", shown(text))))?;
    let tokens: Vec<Token> = tokens.into_iter().filter(|t| !matches!(t, Token::Whitespace(_))).collect();
    let mut p = Parser { text, tokens, pos: 0, limits: Limits::default() };
    let expr = p.or(0)?;
    match p.peek() {
        Token::EOF => Ok(expr),
        t => Err(p.error(format!("unexpected {} after a complete expression", describe(t)))),
    }
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    limits: Limits,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).unwrap_or(&Token::EOF)
    }

    fn peek_at(&self, ahead: usize) -> &Token {
        self.tokens.get(self.pos + ahead).unwrap_or(&Token::EOF)
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn error(&self, why: impl std::fmt::Display) -> Error {
        Error::invalid_filter(format!("invalid filter {}: {why}", shown(self.text)))
    }

    /// True (and consumed) when the next token is the unquoted keyword `kw`.
    fn eat_keyword(&mut self, kw: &str) -> bool {
        if is_keyword(self.peek(), kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<()> {
        if self.eat_keyword(kw) {
            Ok(())
        } else {
            Err(self.error(format!("expected {kw}, found {}", describe(self.peek()))))
        }
    }

    fn expect(&mut self, want: &Token, what: &str) -> Result<()> {
        if self.peek() == want {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected {what}, found {}", describe(self.peek()))))
        }
    }

    /// Entering a nested construct. This bounds the parser's recursion; the tree's own depth
    /// limit is checked on the result.
    fn deeper(&self, depth: usize) -> Result<usize> {
        if depth >= PARSE_DEPTH_GUARD {
            return Err(self.error(format!("it is nested more than {} levels deep", super::MAX_FILTER_DEPTH)));
        }
        Ok(depth + 1)
    }

    fn node(&mut self) -> Result<()> {
        self.limits.node().map_err(|why| self.error(why))
    }

    fn or(&mut self, depth: usize) -> Result<Expr> {
        let first = self.and(depth)?;
        if !is_keyword(self.peek(), "OR") {
            return Ok(first);
        }
        let mut parts = vec![first];
        while self.eat_keyword("OR") {
            parts.push(self.and(self.deeper(depth)?)?);
        }
        self.node()?;
        Ok(Expr::any(parts))
    }

    fn and(&mut self, depth: usize) -> Result<Expr> {
        let first = self.not(depth)?;
        if !is_keyword(self.peek(), "AND") {
            return Ok(first);
        }
        let mut parts = vec![first];
        while self.eat_keyword("AND") {
            parts.push(self.not(self.deeper(depth)?)?);
        }
        self.node()?;
        Ok(Expr::all(parts))
    }

    fn not(&mut self, depth: usize) -> Result<Expr> {
        if self.eat_keyword("NOT") {
            let inner = self.not(self.deeper(depth)?)?;
            self.node()?;
            return Ok(Expr::not(inner));
        }
        self.predicate(depth)
    }

    fn predicate(&mut self, depth: usize) -> Result<Expr> {
        let left = self.sum(depth)?;
        let inner = self.deeper(depth)?;
        if let Some(op) = cmp_op(self.peek()) {
            self.pos += 1;
            let right = self.sum(inner)?;
            self.node()?;
            let e = Expr::cmp(left, op, right);
            if cmp_op(self.peek()).is_some() {
                return Err(self.error("comparisons do not chain: write `a < b AND b < c`"));
            }
            return Ok(e);
        }
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            self.node()?;
            let e = Box::new(left);
            return Ok(match self.next() {
                t if is_keyword(&t, "NULL") => Expr::IsNull { expr: e, negated },
                t if is_keyword(&t, "TRUE") => Expr::IsBool { expr: e, value: true, negated },
                t if is_keyword(&t, "FALSE") => Expr::IsBool { expr: e, value: false, negated },
                t => return Err(self.error(format!("expected NULL, TRUE or FALSE after IS, found {}", describe(&t)))),
            });
        }
        // `NOT` here belongs to IN, BETWEEN or LIKE (`a NOT IN (…)`).
        let negated = is_keyword(self.peek(), "NOT")
            && ["IN", "BETWEEN", "LIKE", "ILIKE"].iter().any(|k| is_keyword(self.peek_at(1), k));
        if negated {
            self.pos += 1;
        }
        if self.eat_keyword("IN") {
            self.expect(&Token::LParen, "( after IN")?;
            let mut list = Vec::new();
            loop {
                list.push(self.sum(inner)?);
                self.node()?;
                if self.peek() == &Token::Comma {
                    self.pos += 1;
                    continue;
                }
                break;
            }
            self.expect(&Token::RParen, ") or , in the IN list")?;
            self.node()?;
            return Ok(Expr::in_list(left, list, negated));
        }
        if self.eat_keyword("BETWEEN") {
            let low = self.sum(inner)?;
            self.expect_keyword("AND")?;
            let high = self.sum(inner)?;
            self.node()?;
            return Ok(Expr::Between { expr: Box::new(left), low: Box::new(low), high: Box::new(high), negated });
        }
        for (kw, case_insensitive) in [("LIKE", false), ("ILIKE", true)] {
            if self.eat_keyword(kw) {
                let pattern = self.sum(inner)?;
                self.node()?;
                return Ok(Expr::Like { expr: Box::new(left), pattern: Box::new(pattern), negated, case_insensitive });
            }
        }
        debug_assert!(!negated, "NOT was consumed only before IN, BETWEEN or LIKE");
        Ok(left)
    }

    fn sum(&mut self, depth: usize) -> Result<Expr> {
        self.arith_chain(depth, Self::product, |t| match t {
            Token::Plus => Some(ArithOp::Add),
            Token::Minus => Some(ArithOp::Sub),
            _ => None,
        })
    }

    fn product(&mut self, depth: usize) -> Result<Expr> {
        self.arith_chain(depth, Self::unary, |t| match t {
            Token::Mul => Some(ArithOp::Mul),
            Token::Div => Some(ArithOp::Div),
            Token::Mod => Some(ArithOp::Mod),
            _ => None,
        })
    }

    /// `term { op term }`, left-associative, for the operators `op_of` recognises.
    fn arith_chain(
        &mut self,
        depth: usize,
        term: fn(&mut Self, usize) -> Result<Expr>,
        op_of: fn(&Token) -> Option<ArithOp>,
    ) -> Result<Expr> {
        let mut left = term(self, depth)?;
        let mut d = depth;
        while let Some(op) = op_of(self.peek()) {
            self.pos += 1;
            // A chain of n terms is a tree n deep: each term counts as a level.
            d = self.deeper(d)?;
            let right = term(self, d)?;
            self.node()?;
            left = Expr::Arith { left: Box::new(left), op, right: Box::new(right) };
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr> {
        if self.peek() == &Token::Minus {
            self.pos += 1;
            // A minus before a number is part of the literal (so i64::MIN can be written).
            if let Token::Number(n, _) = self.peek().clone() {
                self.pos += 1;
                self.node()?;
                return self.number(&format!("-{n}"));
            }
            let inner = self.unary(self.deeper(depth)?)?;
            self.node()?;
            return Ok(Expr::neg(inner));
        }
        if self.peek() == &Token::Plus {
            self.pos += 1;
            return self.unary(self.deeper(depth)?);
        }
        self.atom(depth)
    }

    fn atom(&mut self, depth: usize) -> Result<Expr> {
        self.node()?;
        match self.next() {
            Token::Number(n, _) => self.number(&n),
            Token::SingleQuotedString(s) => {
                check_string(&s).map_err(|why| self.error(why))?;
                Ok(Expr::Lit(Lit::Str(s)))
            }
            Token::LParen => {
                let inner = self.or(self.deeper(depth)?)?;
                self.expect(&Token::RParen, ")")?;
                Ok(inner)
            }
            Token::Word(w) if w.quote_style.is_some() => {
                if w.quote_style == Some('"') || w.quote_style == Some('`') {
                    Ok(Expr::Column(w.value))
                } else {
                    Err(self.error(format!("unexpected quoted word {:?}", w.value)))
                }
            }
            Token::Word(w) => {
                let upper = w.value.to_ascii_uppercase();
                match upper.as_str() {
                    "TRUE" => Ok(Expr::bool(true)),
                    "FALSE" => Ok(Expr::bool(false)),
                    "NULL" => Ok(Expr::Lit(Lit::Null)),
                    "TIMESTAMP" if matches!(self.peek(), Token::SingleQuotedString(_)) => {
                        let Token::SingleQuotedString(s) = self.next() else { unreachable!("peeked a string") };
                        self.timestamp(&s)
                    }
                    "CAST" if self.peek() == &Token::LParen => self.cast(depth),
                    _ if self.peek() == &Token::LParen => self.call(&w.value, depth),
                    "AND" | "OR" | "NOT" | "IS" | "IN" | "BETWEEN" | "LIKE" | "ILIKE" | "SELECT" | "FROM" | "WHERE"
                    | "CASE" | "EXISTS" => Err(self.error(format!("unexpected keyword {}", w.value))),
                    _ => Ok(Expr::Column(w.value)),
                }
            }
            t => Err(self.error(format!("unexpected {}", describe(&t)))),
        }
    }

    fn number(&self, text: &str) -> Result<Expr> {
        let is_float = text.contains(['.', 'e', 'E']);
        if !is_float {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Expr::Lit(Lit::Int(i)));
            }
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Expr::Lit(Lit::Float(f))),
            _ => Err(self.error(format!("{text} is not a finite number"))),
        }
    }

    fn timestamp(&self, text: &str) -> Result<Expr> {
        let us = parse_rfc3339_micros(text).map_err(|e| self.error(e.to_string()))?;
        Ok(Expr::Lit(Lit::Timestamp(us)))
    }

    /// `CAST(x AS type)`: to DOUBLE/FLOAT, BIGINT/INT/INTEGER, VARCHAR/STRING/TEXT, BOOLEAN or
    /// TIMESTAMP, on literals only (a cast of a column is rarely what a filter needs and would let
    /// a filter reach conversions whose errors surface only while Lance scans).
    fn cast(&mut self, depth: usize) -> Result<Expr> {
        self.expect(&Token::LParen, "(")?;
        let inner = self.or(self.deeper(depth)?)?;
        self.expect_keyword("AS")?;
        let ty = match self.next() {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
            t => return Err(self.error(format!("expected a type name, found {}", describe(&t)))),
        };
        self.expect(&Token::RParen, ") after the type")?;
        let Expr::Lit(lit) = inner else {
            return Err(self.error("CAST applies to literal values only"));
        };
        let fail = |lit: &Lit| self.error(format!("cannot cast {lit:?} to {ty}"));
        Ok(Expr::Lit(match (ty.as_str(), lit) {
            (_, Lit::Null) => Lit::Null,
            ("DOUBLE" | "FLOAT" | "REAL", Lit::Int(i)) => Lit::Float(i as f64),
            ("DOUBLE" | "FLOAT" | "REAL", Lit::Float(f)) => Lit::Float(f),
            ("BIGINT" | "INT" | "INTEGER", Lit::Int(i)) => Lit::Int(i),
            ("VARCHAR" | "STRING" | "TEXT", Lit::Str(s)) => Lit::Str(s),
            ("BOOLEAN" | "BOOL", Lit::Bool(b)) => Lit::Bool(b),
            ("TIMESTAMP", Lit::Str(s)) => return self.timestamp(&s),
            ("TIMESTAMP", Lit::Timestamp(t)) => Lit::Timestamp(t),
            (_, lit) => return Err(fail(&lit)),
        }))
    }

    fn call(&mut self, name: &str, depth: usize) -> Result<Expr> {
        self.expect(&Token::LParen, "(")?;
        // The engine writes timestamps as `arrow_cast('…', 'Timestamp(µs, "UTC")')`: read that
        // exact form back (and only that form) as a timestamp literal.
        if name.eq_ignore_ascii_case("arrow_cast") {
            if let (Token::SingleQuotedString(v), Token::Comma, Token::SingleQuotedString(t), Token::RParen) =
                (self.peek().clone(), self.peek_at(1).clone(), self.peek_at(2).clone(), self.peek_at(3).clone())
            {
                if t == "Timestamp(µs, \"UTC\")" {
                    self.pos += 4;
                    return self.timestamp(&v);
                }
            }
            return Err(self.error("arrow_cast is not allowed in filters (write TIMESTAMP '…' for a time)"));
        }
        let func = Func::from_name(name).ok_or_else(|| {
            self.error(format!("function {name}() is not allowed in filters; allowed: {}", Func::NAMES))
        })?;
        let inner = self.deeper(depth)?;
        let mut args = Vec::new();
        if self.peek() != &Token::RParen {
            loop {
                args.push(self.or(inner)?);
                if self.peek() == &Token::Comma {
                    self.pos += 1;
                    continue;
                }
                break;
            }
        }
        self.expect(&Token::RParen, ") or , in the argument list")?;
        if args.len() != func.arity() {
            return Err(self.error(format!("{}() takes {} argument(s), got {}", func.name(), func.arity(), args.len())));
        }
        Ok(Expr::call(func, args))
    }
}

fn is_keyword(t: &Token, kw: &str) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
}

fn cmp_op(t: &Token) -> Option<CmpOp> {
    Some(match t {
        Token::Eq | Token::DoubleEq => CmpOp::Eq,
        Token::Neq => CmpOp::NotEq,
        Token::Lt => CmpOp::Lt,
        Token::LtEq => CmpOp::LtEq,
        Token::Gt => CmpOp::Gt,
        Token::GtEq => CmpOp::GtEq,
        _ => return None,
    })
}

fn describe(t: &Token) -> String {
    match t {
        Token::EOF => "the end of the filter".into(),
        Token::Whitespace(Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_)) => "a comment".into(),
        t => {
            let s = t.to_string();
            let s: String = s.chars().take(40).collect();
            format!("{s:?}")
        }
    }
}

/// The filter text for an error message, shortened.
fn shown(text: &str) -> String {
    const SHOWN: usize = 200;
    if text.chars().count() <= SHOWN {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(SHOWN).collect();
        format!("{head:?}…")
    }
}
