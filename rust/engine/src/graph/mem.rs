//! The in-memory form of one knowledge graph, rebuilt on open from the stored operations: the
//! entities (latest version), every version of every fact, and the indexes reads use (facts per
//! entity, entities per lowercased name or alias, mention phrases per first word).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use super::{Direction, Entity, Fact, FactObject, FactQuery, Neighbor};

#[derive(Debug, Default)]
pub(crate) struct GraphData {
    pub dim: Option<usize>,
    pub single_valued: BTreeMap<String, bool>,
    pub entities: BTreeMap<String, Entity>,
    /// Every version of every fact, oldest first. A fact id is one shared `Arc<str>` here and in
    /// `by_entity` (one allocation per fact instead of three: on open, with 500k facts, the
    /// allocations and their frees were most of the time).
    pub facts: BTreeMap<Arc<str>, Vec<Fact>>,
    /// The facts (any version) naming an entity as subject (`.0`) or object (`.1`).
    pub by_entity: HashMap<String, (BTreeSet<Arc<str>>, BTreeSet<Arc<str>>)>,
    /// Entities by lowercased name and alias.
    pub names: HashMap<String, BTreeSet<String>>,
    /// Mention phrases (the word tokens of a name or alias) by their first token, for
    /// [`GraphData::mentioned`].
    pub phrases: HashMap<String, BTreeSet<(Vec<String>, String)>>,
    /// Per entity, the words of its name, aliases and type (what text search matches).
    pub words: HashMap<String, std::collections::HashSet<String>>,
    /// The inverse: the entities per word, so a text-only entity search scores only the
    /// entities sharing a word with the query instead of scanning them all.
    pub by_word: HashMap<String, BTreeSet<String>>,
    /// The embeddings again, one `dim`-float row per entity that has one, contiguous: a vector
    /// entity search is then one SIMD kernel call over the matrix (~1 ms for 100k 16-d rows)
    /// instead of a walk over the entity map with a scalar cosine per entity (~27 ms). It costs
    /// a second copy of the embeddings (`Entity::embedding` is what reads return).
    pub emb: Vec<f32>,
    /// The entity of each row of `emb`.
    pub emb_ids: Vec<String>,
    /// The row of each entity in `emb`.
    pub emb_row: HashMap<String, usize>,
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// The words of a text, lowercased: runs of letters and digits; each CJK character (Chinese,
/// kana, Hangul) is a word of its own, since those scripts do not separate words with spaces —
/// so a name matches inside a sentence there, and only as whole words elsewhere.
pub(crate) fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if is_cjk(c) {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            out.push(c.to_lowercase().collect());
        } else if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The value at `k`, inserted empty first if absent. Unlike `entry`, it allocates an owned key
/// only for a new one: opening a graph indexes every entity and fact again, mostly under keys
/// that exist already.
fn slot<'a, V: Default>(m: &'a mut HashMap<String, V>, k: &str) -> &'a mut V {
    if !m.contains_key(k) {
        m.insert(k.to_owned(), V::default());
    }
    m.get_mut(k).expect("inserted above")
}

fn labels(e: &Entity) -> impl Iterator<Item = &String> {
    std::iter::once(&e.name).chain(e.aliases.iter())
}

/// Whether a fact version is valid at `at` (its validity is the half-open `[from, to)`).
pub(crate) fn valid_at(f: &Fact, at: i64) -> bool {
    f.valid_from <= at && f.valid_to.is_none_or(|t| at < t)
}

/// Whether a fact version's validity overlaps `[from, to)` (`to: None`: unbounded).
pub(crate) fn overlaps(f: &Fact, from: i64, to: Option<i64>) -> bool {
    to.is_none_or(|t| f.valid_from < t) && f.valid_to.is_none_or(|vt| vt > from) && f.valid_to != Some(f.valid_from)
}

impl GraphData {
    pub fn put_entity(&mut self, e: Entity) {
        if let Some(old) = self.entities.remove(&e.id) {
            self.unindex(&old);
        }
        for l in labels(&e) {
            self.names.entry(l.to_lowercase()).or_default().insert(e.id.clone());
            let t = tokens(l);
            if let Some(first) = t.first() {
                slot(&mut self.phrases, first).insert((t.clone(), e.id.clone()));
            }
        }
        let words: std::collections::HashSet<String> = labels(&e).chain(e.type_.iter()).flat_map(|x| tokens(x)).collect();
        for w in &words {
            slot(&mut self.by_word, w).insert(e.id.clone());
        }
        self.words.insert(e.id.clone(), words);
        self.put_embedding(&e);
        self.entities.insert(e.id.clone(), e);
    }

    /// Keeps `emb` in step with the entity's latest version: its row overwritten, added, or
    /// removed (the last row moved into its place) when the new version has no embedding.
    fn put_embedding(&mut self, e: &Entity) {
        let row = self.emb_row.get(&e.id).copied();
        let v = match (&e.embedding, self.dim) {
            // Writes check the length against the graph's dimension; a row of another length
            // would misalign every row after it, so it is never stored.
            (Some(v), Some(d)) if v.len() == d => Some(v),
            _ => None,
        };
        match (v, row) {
            (Some(v), Some(r)) => self.emb[r * v.len()..(r + 1) * v.len()].copy_from_slice(v),
            (Some(v), None) => {
                self.emb_row.insert(e.id.clone(), self.emb_ids.len());
                self.emb_ids.push(e.id.clone());
                self.emb.extend_from_slice(v);
            }
            (None, Some(r)) => {
                let d = self.dim.unwrap_or(0);
                let last = self.emb_ids.len() - 1;
                if r != last {
                    self.emb.copy_within(last * d..(last + 1) * d, r * d);
                    let moved = self.emb_ids[last].clone();
                    self.emb_row.insert(moved, r);
                }
                self.emb_ids.swap_remove(r);
                self.emb.truncate(last * d);
                self.emb_row.remove(&e.id);
            }
            (None, None) => {}
        }
    }

    fn unindex(&mut self, e: &Entity) {
        for w in self.words.remove(&e.id).unwrap_or_default() {
            if let Some(s) = self.by_word.get_mut(&w) {
                s.remove(&e.id);
                if s.is_empty() {
                    self.by_word.remove(&w);
                }
            }
        }
        for l in labels(e) {
            let key = l.to_lowercase();
            if let Some(s) = self.names.get_mut(&key) {
                s.remove(&e.id);
                if s.is_empty() {
                    self.names.remove(&key);
                }
            }
            let t = tokens(l);
            if let Some(first) = t.first() {
                if let Some(s) = self.phrases.get_mut(first) {
                    s.remove(&(t.clone(), e.id.clone()));
                    if s.is_empty() {
                        self.phrases.remove(first);
                    }
                }
            }
        }
    }

    pub fn put_fact(&mut self, f: Fact) {
        let key: Arc<str> = match self.facts.get_key_value(f.id.as_str()) {
            Some((k, _)) => k.clone(),
            None => Arc::from(f.id.as_str()),
        };
        slot(&mut self.by_entity, &f.subject).0.insert(key.clone());
        if let FactObject::Entity(o) = &f.object {
            slot(&mut self.by_entity, o).1.insert(key.clone());
        }
        match self.facts.get_mut(f.id.as_str()) {
            Some(versions) => {
                if let Some(prev) = versions.last_mut() {
                    prev.superseded_at = Some(f.recorded_at);
                }
                versions.push(f);
            }
            None => {
                self.facts.insert(key, vec![f]);
            }
        }
    }

    /// The version of a fact believed at transaction time `known_at` (`None`: the latest).
    pub fn version_at<'a>(&'a self, id: &str, known_at: Option<i64>) -> Option<&'a Fact> {
        let versions = self.facts.get(id)?;
        match known_at {
            None => versions.last(),
            Some(t) => versions.iter().rev().find(|v| v.recorded_at <= t),
        }
    }

    /// Whether a believed fact version passes the query's valid-time and predicate filters.
    pub fn matches(&self, f: &Fact, q: &FactQuery, now: i64) -> bool {
        if let Some(p) = &q.predicates {
            if !p.iter().any(|p| *p == f.predicate) {
                return false;
            }
        }
        match (q.during, q.as_of) {
            (Some((from, to)), _) => overlaps(f, from, to),
            (None, at) => valid_at(f, at.unwrap_or(now)),
        }
    }

    /// The believed versions of the facts naming `entity` (per `dir`) that the query selects,
    /// by reference, in fact-id order.
    fn selected<'a: 'b, 'b>(&'a self, entity: &'b str, q: &'b FactQuery, dir: Direction, now: i64) -> impl Iterator<Item = &'a Fact> + 'b {
        let (out, inc) = match self.by_entity.get(entity) {
            Some((o, i)) => (Some(o), Some(i)),
            None => (None, None),
        };
        let ids: Box<dyn Iterator<Item = &'a Arc<str>> + 'a> = match (dir, out, inc) {
            (_, None, _) | (_, _, None) => Box::new(std::iter::empty()),
            (Direction::Out, Some(o), _) => Box::new(o.iter()),
            (Direction::In, _, Some(i)) => Box::new(i.iter()),
            (Direction::Both, Some(o), Some(i)) => Box::new(o.union(i)),
        };
        ids.filter_map(move |id| self.version_at(id, q.known_at)).filter(move |f| {
            // A version recorded before a correction made the fact name this entity is not about it.
            let names = f.subject == entity || matches!(&f.object, FactObject::Entity(o) if o == entity);
            names && self.matches(f, q, now)
        })
    }

    /// The facts about an entity (as subject, or as object) that the query selects, believed at
    /// its `known_at`, ordered by valid_from then id.
    pub fn facts_of(&self, entity: &str, q: &FactQuery, dir: Direction, now: i64) -> Vec<Fact> {
        let mut facts: Vec<Fact> = self.selected(entity, q, dir, now).cloned().collect();
        facts.sort_by(|a, b| (a.valid_from, &a.id).cmp(&(b.valid_from, &b.id)));
        facts
    }

    /// The entities one selected entity-to-entity fact away, with the fact, in a fixed order (by
    /// entity, then fact id), borrowed: traversals clone only the facts of the path they return.
    fn steps<'a>(&'a self, entity: &str, q: &FactQuery, dir: Direction, now: i64) -> Vec<(&'a str, &'a Fact)> {
        let mut out: Vec<(&str, &Fact)> = Vec::new();
        for f in self.selected(entity, q, dir, now) {
            let FactObject::Entity(o) = &f.object else { continue };
            if f.subject == entity && dir != Direction::In {
                out.push((o.as_str(), f));
            }
            if o == entity && dir != Direction::Out && f.subject != *o {
                out.push((f.subject.as_str(), f));
            }
        }
        out.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
        out
    }

    /// Breadth-first: every entity within `hops` steps of `start` (not `start` itself), with its
    /// distance, nearest first then by id.
    pub fn neighbors(&self, start: &str, hops: usize, q: &FactQuery, dir: Direction, now: i64) -> Vec<Neighbor> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        seen.insert(start.to_owned(), 0);
        let mut queue = VecDeque::from([start.to_owned()]);
        let mut out = Vec::new();
        while let Some(e) = queue.pop_front() {
            let d = seen[&e];
            if d == hops {
                continue;
            }
            for (next, _) in self.steps(&e, q, dir, now) {
                if !seen.contains_key(next) {
                    seen.insert(next.to_owned(), d + 1);
                    out.push(Neighbor { entity: next.to_owned(), hops: d + 1 });
                    queue.push_back(next.to_owned());
                }
            }
        }
        out.sort_by(|a, b| (a.hops, &a.entity).cmp(&(b.hops, &b.entity)));
        out
    }

    /// A shortest chain of facts from `from` to `to` within `max_hops`, or `None`.
    ///
    /// Breadth-first from both ends (the search from `to` follows the facts the other way),
    /// one whole level at a time, always the side with the smaller frontier: a random graph of
    /// degree `d` is then searched to depth `h/2` from each end (about `2·d^(h/2)` entities)
    /// instead of to depth `h` from one (`d^h`); on 10k entities of degree ~20 that took a
    /// path query from hundreds of milliseconds to about one. When a level reaches entities the
    /// other side has seen, the one whose two distances add up least (then the smallest id) joins
    /// the halves: every entity seen so far has its exact distance from its side, and no shorter
    /// chain can exist, or the two searches would have met at an earlier level.
    pub fn shortest_path(&self, from: &str, to: &str, max_hops: usize, q: &FactQuery, dir: Direction, now: i64) -> Option<Vec<Fact>> {
        if from == to {
            return Some(Vec::new());
        }
        let back_dir = match dir {
            Direction::Out => Direction::In,
            Direction::In => Direction::Out,
            Direction::Both => Direction::Both,
        };
        // Per side: entity → (distance, the entity and fact it was reached by).
        type Seen<'a> = HashMap<&'a str, (usize, Option<(&'a str, &'a Fact)>)>;
        let mut seen: [Seen<'_>; 2] = [HashMap::from([(from, (0, None))]), HashMap::from([(to, (0, None))])];
        let mut frontier: [Vec<&str>; 2] = [vec![from], vec![to]];
        let mut depth = [0usize, 0usize];
        while !frontier[0].is_empty() && !frontier[1].is_empty() && depth[0] + depth[1] < max_hops {
            let side = if frontier[1].len() < frontier[0].len() { 1 } else { 0 };
            let d = if side == 0 { dir } else { back_dir };
            let mut next_level: Vec<&str> = Vec::new();
            for &e in &frontier[side] {
                for (next, fact) in self.steps(e, q, d, now) {
                    if !seen[side].contains_key(next) {
                        seen[side].insert(next, (depth[side] + 1, Some((e, fact))));
                        next_level.push(next);
                    }
                }
            }
            depth[side] += 1;
            let other = &seen[1 - side];
            let meet = next_level.iter().filter_map(|n| other.get(n).map(|(od, _)| (*od, *n))).min();
            if let Some((_, m)) = meet {
                // from … m, then m … to.
                let mut path = Vec::new();
                let mut at = m;
                while let Some((_, Some((p, f)))) = seen[0].get(at) {
                    path.push((*f).clone());
                    at = *p;
                }
                path.reverse();
                let mut at = m;
                while let Some((_, Some((p, f)))) = seen[1].get(at) {
                    path.push((*f).clone());
                    at = *p;
                }
                return Some(path);
            }
            frontier[side] = next_level;
        }
        None
    }

    /// The entities a text mentions (a name or alias as whole words), in order of first mention,
    /// each once. A longer phrase at a position wins over a shorter one starting there.
    pub fn mentioned(&self, text: &str) -> Vec<String> {
        let words = tokens(text);
        let mut out: Vec<String> = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let mut best: Vec<&(Vec<String>, String)> = Vec::new();
            if let Some(cands) = self.phrases.get(&words[i]) {
                for c in cands.iter().filter(|(phrase, _)| words[i..].starts_with(phrase)) {
                    match best.first() {
                        Some(b) if b.0.len() > c.0.len() => {}
                        Some(b) if b.0.len() == c.0.len() => best.push(c),
                        _ => best = vec![c],
                    }
                }
            }
            for (_, id) in &best {
                if !out.contains(id) {
                    out.push(id.clone());
                }
            }
            let step = best.first().map_or(1, |b| b.0.len());
            i += step;
        }
        out
    }
}
