//! `Graph`: the binding of [`agentdb_engine::Graph`], a temporal knowledge graph (entities and
//! bi-temporal facts; reads as of a time, over an interval and as known at a time; neighbours,
//! shortest path, entity search, the facts a text mentions). Times are JS times (ms since the
//! epoch, fractional ms keep the engine's microseconds); every rule is the engine's.

use agentdb_engine::serde_json::Value as J;
use agentdb_engine::{
    Entity as EngineEntity, Fact as EngineFact, FactCorrection, FactObject, FactQuery, Graph as EngineGraph, GraphDirection,
    NewEntity, NewFact, Result,
};
use napi::bindgen_prelude::{Float32Array, Unknown};
use napi_derive::napi;

use crate::conversion::{micros_to_ms, ms_to_micros, opt_usize, to_json};
use crate::task::{self, Promise};

/// An entity to add. Left out: a new id, no type, no aliases, no embedding, empty metadata.
#[napi(object)]
pub struct NewEntityArg<'a> {
    pub id: Option<String>,
    pub name: String,
    #[napi(js_name = "type")]
    pub type_: Option<String>,
    pub aliases: Option<Vec<String>>,
    /// Of the graph's dimension.
    pub embedding: Option<Float32Array>,
    #[napi(ts_type = "Record<string, unknown> | null")]
    pub metadata: Option<Unknown<'a>>,
}

/// A fact to add: `subject predicate object`, the object an entity (`entity`: its id) or a
/// value (`literal`), exactly one of them (as in Python's `add_facts`).
#[napi(object)]
pub struct NewFactArg {
    pub subject: String,
    pub predicate: String,
    pub entity: Option<String>,
    pub literal: Option<String>,
    /// Valid from (ms since the epoch); left out: the moment it is recorded.
    pub valid_from: Option<f64>,
    /// Valid until (exclusive); left out: open.
    pub valid_to: Option<f64>,
    /// Ids of the memories it was taken from.
    pub sources: Option<Vec<String>>,
    /// In [0, 1]; left out: 1.
    pub confidence: Option<f64>,
}

/// What `correct` changes in a fact; fields left out stay as they are.
#[napi(object)]
pub struct FactChange {
    /// A new object: an entity id, or a literal.
    pub entity: Option<String>,
    pub literal: Option<String>,
    pub valid_from: Option<f64>,
    pub valid_to: Option<f64>,
    /// Reopen the fact's validity (no end).
    pub reopen: Option<bool>,
    pub sources: Option<Vec<String>>,
    pub confidence: Option<f64>,
}

/// `[from, to)`; `to` left out: unbounded.
#[napi(object)]
pub struct Interval {
    pub from: f64,
    pub to: Option<f64>,
}

/// Which facts a read selects; left out: valid now, as currently believed, every predicate,
/// both directions.
#[napi(object)]
pub struct FactQueryArg {
    /// Valid at this time (ms since the epoch).
    pub as_of: Option<f64>,
    /// Valid at some time of the interval (excludes `asOf`).
    pub during: Option<Interval>,
    /// As believed at this time (transaction time).
    pub known_at: Option<f64>,
    pub predicates: Option<Vec<String>>,
    /// "out", "in" or "both".
    pub direction: Option<String>,
}

/// Options of `shortestPath`: a fact query and at most `maxHops` hops.
#[napi(object)]
pub struct PathOptions {
    pub max_hops: Option<f64>,
    pub as_of: Option<f64>,
    pub during: Option<Interval>,
    pub known_at: Option<f64>,
    pub predicates: Option<Vec<String>>,
    pub direction: Option<String>,
}

/// Options of `searchEntities`: by name/alias/text words, by embedding, or both.
#[napi(object)]
pub struct EntitySearch {
    pub text: Option<String>,
    pub vector: Option<Float32Array>,
    pub k: Option<f64>,
    #[napi(js_name = "type")]
    pub type_: Option<String>,
}

/// Options of `factsForText`.
#[napi(object)]
pub struct FactsForTextOptions {
    pub as_of: Option<f64>,
    pub limit: Option<f64>,
}

#[napi(object, object_from_js = false)]
pub struct Entity {
    pub id: String,
    pub name: String,
    #[napi(js_name = "type")]
    pub type_: Option<String>,
    pub aliases: Vec<String>,
    pub embedding: Option<Float32Array>,
    #[napi(ts_type = "Record<string, unknown>")]
    pub metadata: J,
    /// When this version was recorded (ms since the epoch).
    pub recorded_at: f64,
}

/// One version of a fact.
#[napi(object, object_from_js = false)]
pub struct Fact {
    pub id: String,
    /// 1 as first recorded, one more per change.
    pub version: u32,
    pub subject: String,
    pub predicate: String,
    /// An entity id when `objectIsEntity`, else the literal.
    pub object: String,
    pub object_is_entity: bool,
    /// Valid time `[validFrom, validTo)` (ms since the epoch; `validTo` null: open).
    pub valid_from: f64,
    pub valid_to: Option<f64>,
    /// Transaction time: when this version was recorded, and when a later one replaced it.
    pub recorded_at: f64,
    pub superseded_at: Option<f64>,
    /// The ids of the memories it was taken from.
    pub sources: Vec<String>,
    pub confidence: f64,
}

#[napi(object, object_from_js = false)]
pub struct Neighbor {
    pub entity: String,
    pub hops: u32,
}

#[napi(object, object_from_js = false)]
pub struct EntityHit {
    pub entity: Entity,
    pub score: f64,
}

#[napi(object, object_from_js = false)]
pub struct GraphCounts {
    pub entities: f64,
    pub facts: f64,
}

#[napi(object, object_from_js = false)]
pub struct Predicate {
    pub predicate: String,
    pub single_valued: bool,
}

/// A knowledge graph (from `db.graph(name)`).
#[napi]
pub struct Graph {
    pub(crate) inner: EngineGraph,
}

impl Graph {
    pub fn new(inner: EngineGraph) -> Self {
        Graph { inner }
    }
}

pub(crate) fn entity_out(e: EngineEntity) -> Entity {
    Entity {
        embedding: e.embedding.map(|v| Float32Array::new(v.to_vec())),
        metadata: J::Object(e.metadata),
        id: e.id,
        name: e.name,
        type_: e.type_,
        aliases: e.aliases,
        recorded_at: micros_to_ms(e.recorded_at),
    }
}

pub(crate) fn fact_out(f: EngineFact) -> Fact {
    let (object, object_is_entity) = match f.object {
        FactObject::Entity(id) => (id, true),
        FactObject::Literal(v) => (v, false),
    };
    Fact {
        id: f.id,
        version: f.version,
        subject: f.subject,
        predicate: f.predicate,
        object,
        object_is_entity,
        valid_from: micros_to_ms(f.valid_from),
        valid_to: f.valid_to.map(micros_to_ms),
        recorded_at: micros_to_ms(f.recorded_at),
        superseded_at: f.superseded_at.map(micros_to_ms),
        sources: f.sources,
        confidence: f.confidence,
    }
}

pub(crate) fn facts_out(v: Vec<EngineFact>) -> Vec<Fact> {
    v.into_iter().map(fact_out).collect()
}

fn time(v: Option<f64>, what: &str) -> Result<Option<i64>> {
    v.map(|ms| ms_to_micros(ms, what)).transpose()
}

/// The object of a fact: an entity id or a literal, exactly one of them.
fn object(entity: Option<String>, literal: Option<String>, what: &str) -> Result<Option<FactObject>> {
    match (entity, literal) {
        (Some(_), Some(_)) => Err(agentdb_engine::Error::new(agentdb_engine::ErrorKind::InvalidArgument, format!("{what}: give entity or literal, not both"))),
        (Some(e), None) => Ok(Some(FactObject::Entity(e))),
        (None, Some(l)) => Ok(Some(FactObject::Literal(l))),
        (None, None) => Ok(None),
    }
}

fn query(
    as_of: Option<f64>,
    during: Option<Interval>,
    known_at: Option<f64>,
    predicates: Option<Vec<String>>,
    direction: Option<String>,
) -> Result<(FactQuery, GraphDirection)> {
    let during = match during {
        Some(i) => Some((ms_to_micros(i.from, "during.from")?, time(i.to, "during.to")?)),
        None => None,
    };
    let q = FactQuery { as_of: time(as_of, "asOf")?, during, known_at: time(known_at, "knownAt")?, predicates };
    let d = direction.as_deref().map_or(Ok(GraphDirection::default()), GraphDirection::parse)?;
    Ok((q, d))
}

fn query_arg(q: Option<FactQueryArg>) -> Result<(FactQuery, GraphDirection)> {
    match q {
        Some(q) => query(q.as_of, q.during, q.known_at, q.predicates, q.direction),
        None => Ok((FactQuery::default(), GraphDirection::default())),
    }
}

#[napi]
impl Graph {
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_owned()
    }

    /// The dimension of the entities' embeddings (null: none).
    #[napi(strict, ts_return_type = "Promise<number | null>")]
    pub fn dim(&self) -> Promise<Option<u32>> {
        let g = self.inner.clone();
        task::run(move || Ok(g.dim()?.map(|d| d as u32)))
    }

    /// Adds entities (an entity with an existing id replaces it); resolves to their ids.
    #[napi(strict, ts_return_type = "Promise<string[]>")]
    pub fn add_entities(&self, items: Vec<NewEntityArg<'_>>) -> Promise<Vec<String>> {
        let g = self.inner.clone();
        let args = items
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                Ok(NewEntity {
                    id: e.id,
                    name: e.name,
                    type_: e.type_,
                    aliases: e.aliases.unwrap_or_default(),
                    embedding: e.embedding.map(|v| v.to_vec()),
                    metadata: e.metadata.map(|m| to_json(m, &format!("items[{i}].metadata"))).transpose()?,
                })
            })
            .collect::<Result<Vec<_>>>();
        task::with(args, move |items| g.add_entities(&items))
    }

    /// The entity `id`, or null.
    #[napi(strict, ts_return_type = "Promise<Entity | null>")]
    pub fn entity(&self, id: String) -> Promise<Option<Entity>> {
        let g = self.inner.clone();
        task::run(move || Ok(g.entity(&id)?.map(entity_out)))
    }

    /// How many entities and facts (current versions).
    #[napi(strict, ts_return_type = "Promise<GraphCounts>")]
    pub fn counts(&self) -> Promise<GraphCounts> {
        let g = self.inner.clone();
        task::run(move || {
            let (entities, facts) = g.counts()?;
            Ok(GraphCounts { entities: entities as f64, facts: facts as f64 })
        })
    }

    /// Declares whether `predicate` is single-valued (a new fact on it closes the validity of
    /// the one it contradicts).
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn declare_predicate(&self, predicate: String, single_valued: bool) -> Promise<()> {
        let g = self.inner.clone();
        task::run(move || g.declare_predicate(&predicate, single_valued))
    }

    #[napi(strict, ts_return_type = "Promise<Predicate[]>")]
    pub fn predicates(&self) -> Promise<Vec<Predicate>> {
        let g = self.inner.clone();
        task::run(move || Ok(g.predicates()?.into_iter().map(|(predicate, single_valued)| Predicate { predicate, single_valued }).collect()))
    }

    /// Adds facts; resolves to their ids.
    #[napi(strict, ts_return_type = "Promise<string[]>")]
    pub fn add_facts(&self, items: Vec<NewFactArg>) -> Promise<Vec<String>> {
        let g = self.inner.clone();
        let args = items
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let what = format!("items[{i}]");
                Ok(NewFact {
                    object: object(f.entity, f.literal, &what)?
                        .ok_or_else(|| agentdb_engine::Error::new(agentdb_engine::ErrorKind::InvalidArgument, format!("{what}: give an entity or a literal")))?,
                    subject: f.subject,
                    predicate: f.predicate,
                    valid_from: time(f.valid_from, "validFrom")?,
                    valid_to: time(f.valid_to, "validTo")?,
                    sources: f.sources.unwrap_or_default(),
                    confidence: f.confidence,
                })
            })
            .collect::<Result<Vec<_>>>();
        task::with(args, move |items| g.add_facts(&items))
    }

    /// Ends the fact's validity at `at` (default: now), keeping the old version; resolves to the
    /// new version.
    #[napi(strict, ts_return_type = "Promise<Fact>")]
    pub fn invalidate(&self, fact_id: String, at: Option<f64>) -> Promise<Fact> {
        let g = self.inner.clone();
        task::with(time(at, "at"), move |at| Ok(fact_out(g.invalidate(&fact_id, at)?)))
    }

    /// Records a corrected version of a fact (the old one stays in its history).
    #[napi(strict, ts_return_type = "Promise<Fact>")]
    pub fn correct(&self, fact_id: String, change: FactChange) -> Promise<Fact> {
        let g = self.inner.clone();
        let args = (|| {
            let valid_to = match (change.reopen.unwrap_or(false), change.valid_to) {
                (true, Some(_)) => return Err(agentdb_engine::Error::new(agentdb_engine::ErrorKind::InvalidArgument, "give validTo or reopen, not both")),
                (true, None) => Some(None),
                (false, v) => time(v, "validTo")?.map(Some),
            };
            Ok(FactCorrection {
                object: object(change.entity, change.literal, "change")?,
                valid_from: time(change.valid_from, "validFrom")?,
                valid_to,
                sources: change.sources,
                confidence: change.confidence,
            })
        })();
        task::with(args, move |c| Ok(fact_out(g.correct(&fact_id, &c)?)))
    }

    /// The fact `id` (as believed at `knownAt`, default the latest version), or null.
    #[napi(strict, ts_return_type = "Promise<Fact | null>")]
    pub fn fact(&self, fact_id: String, known_at: Option<f64>) -> Promise<Option<Fact>> {
        let g = self.inner.clone();
        task::with(time(known_at, "knownAt"), move |k| Ok(g.fact(&fact_id, k)?.map(fact_out)))
    }

    /// Every version of a fact, oldest first.
    #[napi(strict, ts_return_type = "Promise<Fact[]>")]
    pub fn fact_history(&self, fact_id: String) -> Promise<Vec<Fact>> {
        let g = self.inner.clone();
        task::run(move || Ok(facts_out(g.fact_history(&fact_id)?)))
    }

    /// The facts about `entity` that `query` selects (default: valid now, both directions).
    #[napi(strict, ts_return_type = "Promise<Fact[]>")]
    pub fn facts(&self, entity: String, query: Option<FactQueryArg>) -> Promise<Vec<Fact>> {
        let g = self.inner.clone();
        task::with(query_arg(query), move |(q, d)| Ok(facts_out(g.facts(&entity, &q, d)?)))
    }

    /// The entities within `hops` facts of `entity` (following the facts `query` selects).
    #[napi(strict, ts_return_type = "Promise<Neighbor[]>")]
    pub fn neighbors(&self, entity: String, hops: f64, query: Option<FactQueryArg>) -> Promise<Vec<Neighbor>> {
        let g = self.inner.clone();
        let args = crate::conversion::non_negative("hops", hops).and_then(|h| Ok((h, query_arg(query)?)));
        task::with(args, move |(hops, (q, d))| {
            Ok(g.neighbors(&entity, hops, &q, d)?.into_iter().map(|n| Neighbor { entity: n.entity, hops: n.hops as u32 }).collect())
        })
    }

    /// The facts of a shortest path from `from` to `to` (null: none within `maxHops`, default
    /// the engine's maximum).
    #[napi(strict, ts_return_type = "Promise<Fact[] | null>")]
    pub fn shortest_path(&self, from: String, to: String, opts: Option<PathOptions>) -> Promise<Option<Vec<Fact>>> {
        let g = self.inner.clone();
        let args = (|| match opts {
            Some(o) => Ok((opt_usize("maxHops", o.max_hops)?, query(o.as_of, o.during, o.known_at, o.predicates, o.direction)?)),
            None => Ok((None, (FactQuery::default(), GraphDirection::default()))),
        })();
        task::with(args, move |(hops, (q, d))| {
            let hops = hops.unwrap_or(agentdb_engine::GRAPH_MAX_HOPS);
            Ok(g.shortest_path(&from, &to, hops, &q, d)?.map(facts_out))
        })
    }

    /// The entities whose name or an alias is `name`, ignoring case.
    #[napi(strict, ts_return_type = "Promise<Entity[]>")]
    pub fn find_entities(&self, name: String) -> Promise<Vec<Entity>> {
        let g = self.inner.clone();
        task::run(move || Ok(g.find_entities(&name)?.into_iter().map(entity_out).collect()))
    }

    /// The best entities for a text (name, aliases, words) and/or an embedding, best first.
    #[napi(strict, ts_return_type = "Promise<EntityHit[]>")]
    pub fn search_entities(&self, search: EntitySearch) -> Promise<Vec<EntityHit>> {
        let g = self.inner.clone();
        let k = opt_usize("k", search.k).map(|k| k.unwrap_or(agentdb_engine::GRAPH_DEFAULT_ENTITY_K));
        let vector = search.vector.map(|v| v.to_vec());
        let (text, type_) = (search.text, search.type_);
        task::with(k, move |k| {
            let hits = g.search_entities(text.as_deref(), vector.as_deref(), k, type_.as_deref())?;
            Ok(hits.into_iter().map(|h| EntityHit { entity: entity_out(h.entity), score: h.score }).collect())
        })
    }

    /// The facts about the entities `text` mentions (names or aliases as whole words, ignoring
    /// case), valid at `asOf` (default now), each with its source memory ids.
    #[napi(strict, ts_return_type = "Promise<Fact[]>")]
    pub fn facts_for_text(&self, text: String, opts: Option<FactsForTextOptions>) -> Promise<Vec<Fact>> {
        let g = self.inner.clone();
        let args = (|| {
            let (as_of, limit) = opts.map_or((None, None), |o| (o.as_of, o.limit));
            Ok((time(as_of, "asOf")?, opt_usize("limit", limit)?.unwrap_or(agentdb_engine::GRAPH_DEFAULT_FACTS_LIMIT)))
        })();
        task::with(args, move |(as_of, limit)| Ok(facts_out(g.facts_for_text(&text, as_of, limit)?)))
    }

    /// The entities `text` mentions, in order of first mention.
    #[napi(strict, ts_return_type = "Promise<Entity[]>")]
    pub fn mentioned_entities(&self, text: String) -> Promise<Vec<Entity>> {
        let g = self.inner.clone();
        task::run(move || Ok(g.mentioned_entities(&text)?.into_iter().map(entity_out).collect()))
    }

    /// Writes what is buffered to storage now (the database's flusher does it in the background).
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn flush(&self) -> Promise<()> {
        let g = self.inner.clone();
        task::run(move || g.flush())
    }
}
