/* Generated from rust/node by napi-derive (node/scripts/typegen.mjs): do not edit. */
/** A token that cancels the long call it is armed for (`index.js` makes one per `signal`). */
export declare class CancelToken {
  constructor()
  /** Asks the call to stop at its next safe point (any time, idempotent). */
  cancel(): void
  get cancelled(): boolean
}

/** A collection of (id, vector, document, metadata) records. */
export declare class Collection {
  get name(): string
  get dim(): number
  get metric(): string
  /** Every metadata key seen so far and its storage type. */
  metadataSchema(): Array<MetadataField>
  /**
   * Adds records; an id the collection already holds is a `DuplicateIdError`. `vectors` is
   * one flat `Float32Array` of `ids.length × dim` values (read in place: do not modify it
   * until the Promise settles) or one `Float32Array` per record.
   */
  add(ids: Array<string>, vectors: Float32Array | Array<Float32Array>, documents?: Array<string | undefined | null> | undefined | null, metadata?: Array<Record<string, unknown> | null> | null): Promise<void>
  /** Adds records, replacing those whose id exists. */
  upsert(ids: Array<string>, vectors: Float32Array | Array<Float32Array>, documents?: Array<string | undefined | null> | undefined | null, metadata?: Array<Record<string, unknown> | null> | null): Promise<void>
  /**
   * Writes records as Lance data files without committing them (the engine's
   * `Collection::stage`; a read-only database is enough) and resolves to the part, a string
   * for `commitStaged` in the writer, in this process or another. Nothing is visible before.
   */
  stage(ids: Array<string>, vectors: Float32Array | Array<Float32Array>, documents?: Array<string | undefined | null> | undefined | null, metadata?: Array<Record<string, unknown> | null> | null): Promise<string>
  /**
   * Commits parts from `stage` as one Lance commit (all their records visible at once, or
   * none); resolves to how many records were added.
   */
  commitStaged(parts: Array<string>): Promise<number>
  /** Records by id and/or filter, `limit`/`offset` paging. */
  get(opts?: GetOptions | undefined | null): Promise<Rows>
  /** Deletes the records matching `ids` and/or `filter`; resolves to how many were deleted. */
  delete(opts: DeleteOptions): Promise<number>
  /** The number of records (matching `filter`). */
  count(filter?: string | Record<string, unknown> | null): Promise<number>
  /**
   * The `k` nearest records to `query` (read in place: do not modify it until the Promise
   * settles).
   */
  search(query: Float32Array, opts?: SearchOptions | undefined | null): Promise<SearchHits>
  /**
   * Many queries in one engine batch (a flat `Float32Array` of `n × dim` values, or one per
   * query); one result per query, in order.
   */
  searchBatch(queries: Float32Array | Array<Float32Array>, opts?: SearchOptions | undefined | null): Promise<SearchHits[]>
  /**
   * The records whose document best matches `query` by BM25, best first (records without a
   * document never match).
   */
  textSearch(query: string, opts?: TextSearchOptions | undefined | null): Promise<TextHits>
  /**
   * The best records by `vector` (nearest neighbours) and `text` (BM25), fused by the engine
   * (`vector` is read in place: do not modify it until the Promise settles).
   */
  hybridSearch(vector: Float32Array, text: string, opts?: HybridSearchOptions | undefined | null): Promise<HybridHits>
  /** Builds an index (replacing any); options left out take the kind's defaults. */
  createIndex(opts?: IndexOptionsArg | undefined | null): Promise<void>
  /** Removes the index, if any. */
  dropIndex(): Promise<void>
  /** The index's kind and parameters, or null without one. */
  indexParams(): Promise<IndexInfo | null>
  /** Compacts the collection now. */
  optimize(): Promise<void>
  /** The text tokenizer's name ("simple", "icu", "ngram:2-3", …). */
  get textTokenizer(): string
  /**
   * Sets the tokenizer of text and hybrid search ("simple", "icu", "ngram" or
   * "ngram:MIN-MAX"), kept with the collection; the full-text index is rebuilt with it on the
   * next text search.
   */
  setTextTokenizer(tokenizer: string): Promise<void>
  /** The collection's table, buffer, mirror, caches and indexes: the engine's JSON. */
  stats(): Promise<Record<string, any>>
}

/**
 * An open database directory. Close it with `close()` (or `await using`): that flushes
 * buffered writes and releases the writer lock. Handles from it stop working once it is closed.
 */
export declare class Database {
  /**
   * Backs the database up into directory `dest` as a new point (a consistent copy taken
   * while writes go on).
   */
  backup(dest: string, opts?: BackupOptions | undefined | null): Promise<BackupPoint>
  /**
   * Checks every table's files, versions and indexes and the log; with `repair`, rebuilds
   * what can be rebuilt. A problem is reported, not thrown.
   */
  verify(opts?: VerifyOptions | undefined | null): Promise<VerifyReport>
  /** The database directory, absolute. */
  get path(): string
  get readOnly(): boolean
  /** The sync mode ("always", "batch", "off"); null when read-only. */
  get sync(): string | null
  /** Whether `close()` was called. */
  get closed(): boolean
  /** Flushes buffered writes and closes the database and every handle from it. Idempotent. */
  close(): Promise<void>
  /** Where the tables are: the object-store URI, or the database directory. */
  get uri(): string
  /** Brings a read-only database to the writer's latest commit now. */
  refresh(): Promise<void>
  /** Writes buffered writes to Lance and trims the log. */
  flush(): Promise<void>
  /** Compacts the open collections and the engine's own tables now. */
  optimize(): Promise<void>
  /** Creates collection `name` of `dim`-dimensional vectors (`metric`: "cosine", "l2" or "dot"). */
  createCollection(name: string, dim: number, metric?: string | undefined | null): Promise<Collection>
  /** Opens existing collection `name` (`CollectionNotFoundError` otherwise). */
  getCollection(name: string): Promise<Collection>
  /** Opens collection `name`, creating it when missing; an existing one must match `dim`. */
  getOrCreateCollection(name: string, dim: number, metric?: string | undefined | null): Promise<Collection>
  listCollections(): Promise<string[]>
  dropCollection(name: string): Promise<void>
  /** Opens memory store `name`, creating it when it does not exist (then `dim` is required). */
  memory(name: string, opts?: MemoryOpenOptions | undefined | null): Promise<Memory>
  listMemories(): Promise<string[]>
  dropMemory(name: string): Promise<void>
  /**
   * Opens knowledge graph `name`, creating it when it does not exist; `dim` fixes the
   * dimension of its entities' embeddings when it is created (left out: no embeddings).
   */
  graph(name: string, dim?: number | undefined | null): Promise<Graph>
  listGraphs(): Promise<string[]>
  dropGraph(name: string): Promise<void>
  /** The agent state of this database (versioned key/values, checkpoints). */
  state(): Promise<State>
  /** Opens RAG store `name`, creating it (for `dim`-d embeddings) when it does not exist. */
  rag(name: string, dim: number, metric?: string | undefined | null): Promise<Rag>
  /** Opens existing RAG store `name`. */
  openRag(name: string): Promise<Rag>
  listRags(): Promise<string[]>
  dropRag(name: string): Promise<void>
  /**
   * Every table of the database (rows, fragments, versions, bytes), the open collections'
   * buffers, mirrors and indexes, the log, open handles: the engine's `DbStats` JSON.
   */
  stats(): Promise<Record<string, any>>
  /**
   * Whether the database can serve (status "ok", "degraded" or "closed", its background
   * threads, its last storage error): the engine's `Health` JSON. No disk access; works on a
   * closed database too.
   */
  health(): Promise<Record<string, any>>
  /** The metrics in the Prometheus text exposition format (every name starts `agentdb_`). */
  metricsText(): Promise<string>
  /** Whether metrics are recorded (on by default; `AGENTDB_METRICS=off` opens with them off). */
  get metricsEnabled(): boolean
  /** Turns metrics recording on or off for this database; the counters keep what they had. */
  setMetricsEnabled(on: boolean): void
  /** Writes store `name` to the file `path` (JSONL, or Parquet when it ends `.parquet`). */
  exportStore(name: string, path: string, opts?: ExportOptions | undefined | null, progress?: (done: number, total: number) => void): Promise<TransferReport>
  /** Creates a store from a file `exportStore` wrote; the store must not exist yet. */
  importStore(path: string, opts?: ImportOptions | undefined | null, progress?: (done: number, total: number) => void): Promise<TransferReport>
  /** Creates a collection from table `table` of the LanceDB database at `uri`. */
  importLanceTable(uri: string, table: string, opts?: LanceImportOptions | undefined | null, progress?: (done: number, total: number) => void): Promise<TransferReport>
  /**
   * Creates collection `opts.name` (default: the same name) from collection `collection` of
   * the Chroma `PersistentClient` directory `dir`, read by the engine from Chroma's own files.
   */
  importChroma(dir: string, collection: string, opts?: ImportOptions | undefined | null, progress?: (done: number, total: number) => void): Promise<TransferReport>
  /** The kind of store `name` is ("collection", "memory", "rag" or "state"). */
  storeKind(name: string): Promise<string>
}

/** A knowledge graph (from `db.graph(name)`). */
export declare class Graph {
  get name(): string
  /** The dimension of the entities' embeddings (null: none). */
  dim(): Promise<number | null>
  /** Adds entities (an entity with an existing id replaces it); resolves to their ids. */
  addEntities(items: Array<NewEntityArg>): Promise<string[]>
  /** The entity `id`, or null. */
  entity(id: string): Promise<Entity | null>
  /** How many entities and facts (current versions). */
  counts(): Promise<GraphCounts>
  /**
   * Declares whether `predicate` is single-valued (a new fact on it closes the validity of
   * the one it contradicts).
   */
  declarePredicate(predicate: string, singleValued: boolean): Promise<void>
  predicates(): Promise<Predicate[]>
  /** Adds facts; resolves to their ids. */
  addFacts(items: Array<NewFactArg>): Promise<string[]>
  /**
   * Ends the fact's validity at `at` (default: now), keeping the old version; resolves to the
   * new version.
   */
  invalidate(factId: string, at?: number | undefined | null): Promise<Fact>
  /** Records a corrected version of a fact (the old one stays in its history). */
  correct(factId: string, change: FactChange): Promise<Fact>
  /** The fact `id` (as believed at `knownAt`, default the latest version), or null. */
  fact(factId: string, knownAt?: number | undefined | null): Promise<Fact | null>
  /** Every version of a fact, oldest first. */
  factHistory(factId: string): Promise<Fact[]>
  /** The facts about `entity` that `query` selects (default: valid now, both directions). */
  facts(entity: string, query?: FactQueryArg | undefined | null): Promise<Fact[]>
  /** The entities within `hops` facts of `entity` (following the facts `query` selects). */
  neighbors(entity: string, hops: number, query?: FactQueryArg | undefined | null): Promise<Neighbor[]>
  /**
   * The facts of a shortest path from `from` to `to` (null: none within `maxHops`, default
   * the engine's maximum).
   */
  shortestPath(from: string, to: string, opts?: PathOptions | undefined | null): Promise<Fact[] | null>
  /** The entities whose name or an alias is `name`, ignoring case. */
  findEntities(name: string): Promise<Entity[]>
  /** The best entities for a text (name, aliases, words) and/or an embedding, best first. */
  searchEntities(search: EntitySearch): Promise<EntityHit[]>
  /**
   * The facts about the entities `text` mentions (names or aliases as whole words, ignoring
   * case), valid at `asOf` (default now), each with its source memory ids.
   */
  factsForText(text: string, opts?: FactsForTextOptions | undefined | null): Promise<Fact[]>
  /** The entities `text` mentions, in order of first mention. */
  mentionedEntities(text: string): Promise<Entity[]>
  /** Writes what is buffered to storage now (the database's flusher does it in the background). */
  flush(): Promise<void>
}

/** A memory store (`db.memory(name, { dim })`). */
export declare class Memory {
  get name(): string
  get dim(): number
  get metric(): string
  /**
   * Stores memories with their embeddings (`vectors`: one flat `Float32Array` of
   * `items.length × dim` values, or one per item); resolves to their ids.
   */
  remember(items: Array<NewMemoryArg>, vectors: Float32Array | Array<Float32Array>): Promise<string[]>
  /**
   * The best memories for `query` (or, with null, by recency and importance alone), best
   * first.
   */
  recall(query?: Float32Array | undefined | null, opts?: RecallOptionsArg | undefined | null): Promise<MemoryHit[]>
  /**
   * `recall` with a knowledge graph: the same hits, and `graph`'s facts about the entities
   * the query text (`queryText`, required) names, valid at the recall's time (`now`, default
   * now), at most `factsLimit` (default the engine's), each with its provenance (`sources`:
   * the memories it was taken from; validity; confidence).
   */
  recallWithGraph(graph: Graph, query?: Float32Array | undefined | null, opts?: RecallOptionsArg | undefined | null, factsLimit?: number | undefined | null): Promise<GraphRecall>
  /** The memories of `ids` found (with their vectors), in the order given. */
  get(ids: Array<string>): Promise<MemoryRecord[]>
  /** How many memories match (`ids` is not used here). */
  count(query?: MemoryQuery | undefined | null): Promise<number>
  /** Changes one memory. */
  update(id: string, change: MemoryChange): Promise<void>
  /** Deletes the memories matching `query` (ids and/or filters); resolves to how many. */
  forget(query: MemoryQuery): Promise<number>
  /**
   * Merges near-duplicates, prunes decayed memories and enforces a capacity (each step only
   * when its option is given).
   */
  consolidate(opts?: ConsolidateOptionsArg | undefined | null): Promise<Consolidation>
  flush(): Promise<void>
  /** The memory store's table, buffered memories and consolidation: the engine's JSON. */
  stats(): Promise<Record<string, any>>
  /** The text tokenizer's name ("simple", "icu", "ngram:2-3", …). */
  get textTokenizer(): string
  /** Sets the tokenizer text recall uses ("simple", "icu", "ngram" or "ngram:MIN-MAX"). */
  setTextTokenizer(tokenizer: string): Promise<void>
}

/** A RAG store (`db.rag(name, dim)`). */
export declare class Rag {
  /** The RAG store's documents, chunks and tables: the engine's JSON. */
  stats(): Promise<Record<string, any>>
  /** The text tokenizer's name ("simple", "icu", "ngram:2-3", …). */
  get textTokenizer(): string
  /** Sets the tokenizer of the full-text index ("simple", "icu", "ngram" or "ngram:MIN-MAX"). */
  setTextTokenizer(tokenizer: string): Promise<void>
  get name(): string
  get dim(): number
  get metric(): string
  /**
   * Chunks, embeds (with `embed`) and stores documents; unchanged ones are skipped. Resolves
   * to one report per document, in order.
   */
  ingest(docs: DocumentArg[], embed: (texts: string[]) => Float32Array[] | Float32Array | Promise<Float32Array[] | Float32Array>, opts?: IngestOptions | undefined | null): Promise<IngestReport[]>
  /** The best chunks for a query text and/or vector. */
  search(opts: RagSearchOptions): Promise<RagSearchHit[]>
  /** The best chunks packed into a token budget, each passage under a citation header. */
  context(opts: RagSearchOptions): Promise<RagContext>
  /** Deletes documents (all their chunks); resolves to how many chunks were deleted. */
  delete(docIds: Array<string>): Promise<number>
  /** The number of chunks (matching `filter`). */
  count(filter?: string | Record<string, unknown> | null): Promise<number>
}

/** The agent state of a database (`db.state()`). */
export declare class State {
  /**
   * The agent state's tables (the stores of kind "state" in `Database.stats()`), as the
   * engine's JSON.
   */
  stats(): Promise<Array<Record<string, any>>>
  /** Writes `value` (any JSON-shaped value) under `key`; resolves to the new version number. */
  put(agentId: string, sessionId: string, key: string, value: unknown, ttlSeconds?: number | undefined | null): Promise<number>
  /** Writes every key of `values` in one commit; resolves to their versions. */
  putMany(agentId: string, sessionId: string, values: Record<string, unknown>, ttlSeconds?: number | undefined | null): Promise<number[]>
  /**
   * The latest version of `key`, or the one given by `version` or current `at` a time; null
   * when there is none.
   */
  get(agentId: string, sessionId: string, key: string, opts?: GetStateOptions | undefined | null): Promise<StateVersion | null>
  /** Versions of `key`, newest first. */
  history(agentId: string, sessionId: string, key: string, opts?: HistoryOptions | undefined | null): Promise<StateVersion[]>
  /** Deletes `key` (a new, deleted version); resolves to that version. */
  delete(agentId: string, sessionId: string, key: string): Promise<number>
  /** Every live key of the session and its value, now or `at` a time (ms since the epoch). */
  snapshot(agentId: string, sessionId: string, at?: number | undefined | null): Promise<Record<string, unknown>>
  keys(agentId: string, sessionId: string, at?: number | undefined | null): Promise<string[]>
  sessions(agentId: string): Promise<string[]>
  /** Removes an agent's state (one session, or all); resolves to the rows removed. */
  purge(agentId: string, sessionId?: string | undefined | null): Promise<number>
  /** Removes expired keys now; resolves to how many. */
  sweep(): Promise<number>
  flush(): Promise<void>
  /** Stores a checkpoint (its bytes as given). */
  putCheckpoint(threadId: string, namespace: string, checkpointId: string, checkpoint: Uint8Array, opts?: PutCheckpointOptions | undefined | null): Promise<void>
  /** Checkpoint `checkpointId` of the thread and namespace, or its latest; null when none. */
  getCheckpoint(threadId: string, namespace: string, checkpointId?: string | undefined | null): Promise<Checkpoint | null>
  /** Checkpoints, newest first. */
  listCheckpoints(opts?: ListCheckpointsOptions | undefined | null): Promise<Checkpoint[]>
  /** Stores a task's pending writes for a checkpoint. */
  putWrites(threadId: string, namespace: string, checkpointId: string, taskId: string, writes: Array<WriteArg>, taskPath?: string | undefined | null): Promise<void>
  getWrites(threadId: string, namespace: string, checkpointId: string): Promise<PendingWrite[]>
  /** Deletes a thread's checkpoints and writes. */
  deleteThread(threadId: string): Promise<void>
}

/** A damaged file of a backup point: its stored path and what is wrong. */
export interface BackupFileProblem {
  file: string
  detail: string
}

export interface BackupOptions {
  /** Copy only the files earlier points of `dest` do not have (default false). */
  incremental?: boolean
}

/** One point of a backup directory. */
export interface BackupPoint {
  /** 1, 2, 3… in the order taken: what `restore(…, { at })` names. */
  seq: number
  /** When the backup began (its consistency point), microseconds since the epoch. */
  timeMicros: number
  incremental: boolean
  /** Each table's Lance version in the point. */
  tables: Record<string, number>
  /** Files the point names (shared with earlier points or copied by it). */
  files: number
  /** Bytes of every file of the point (what a restore writes). */
  totalBytes: number
  /** What this point copied (the rest it shares with earlier points). */
  copiedFiles: number
  copiedBytes: number
}

export interface Checkpoint {
  threadId: string
  namespace: string
  checkpointId: string
  parentId?: string
  type: string
  checkpoint: Buffer
  metadata: Record<string, unknown>
  /** Milliseconds since the epoch. */
  createdAt: number
}

/**
 * Opens (creating if needed) the database in directory `path`, or on an object store at a URI
 * (`s3://bucket/prefix`, with `storageOptions`).
 */
export declare function connect(path: string, opts?: ConnectOptions | undefined | null): Promise<Database>

/** How to open a database; each option left out takes the engine's default. */
export interface ConnectOptions {
  /** When a write is durable: "always", "batch" or "off". */
  sync?: string
  /** Open without the writer lock; every write then fails with `ReadOnlyError`. */
  readOnly?: boolean
  /** The most memory one collection's search payload cache may take, in bytes (0: off). */
  payloadCacheBytes?: number
  /**
   * For an object-store URI (`s3://bucket/prefix`): the store's client settings
   * (`endpoint`, `region`, `access_key_id`, `secret_access_key`, `allow_http`, ...).
   */
  storageOptions?: Record<string, string>
  /** For a URI: the local directory of the writer's log (default: under the cache root). */
  walDir?: string
  /** For a URI: seconds the writer's lease lasts without renewal (default 30, at least 3). */
  leaseTtl?: number
  /** For a URI opened read-only: the most seconds its reads lag the writer (default 1; 0: none). */
  readConsistencyInterval?: number
}

export interface ConsolidateOptionsArg {
  agentId?: string
  minScore?: number
  capacity?: number
  dedupThreshold?: number
  weights?: RecallWeightsArg
  now?: number
}

export interface Consolidation {
  /** `[kept, removed]` pairs: `removed` was merged into `kept`. */
  merged: Array<Array<string>>
  pruned: Array<string>
  evicted: Array<string>
}

/** Which records `delete` removes: by id, by filter, or both (records matching both). */
export interface DeleteOptions {
  ids?: Array<string>
  filter?: string | Record<string, unknown> | null
}

export interface DocumentArg {
  id: string
  text: string
  source?: string
  /** "plain" or "markdown" (engine default when left out). */
  format?: string
  metadata?: Record<string, unknown> | null
}

/** The engine's version (the workspace version). */
export declare function engineVersion(): string

export interface Entity {
  id: string
  name: string
  type?: string
  aliases: Array<string>
  embedding?: Float32Array
  metadata: Record<string, unknown>
  /** When this version was recorded (ms since the epoch). */
  recordedAt: number
}

export interface EntityHit {
  entity: Entity
  score: number
}

/** Options of `searchEntities`: by name/alias/text words, by embedding, or both. */
export interface EntitySearch {
  text?: string
  vector?: Float32Array
  k?: number
  type?: string
}

/**
 * The engine's error codes, in the order of their numbers (`errors.js` has a class for each,
 * checked by the tests).
 */
export declare function errorCodes(): Array<string>

export interface ExportOptions {
  /** "collection", "memory", "rag" or "state": needed only when two kinds share the name. */
  kind?: string
}

/** One version of a fact. */
export interface Fact {
  id: string
  /** 1 as first recorded, one more per change. */
  version: number
  subject: string
  predicate: string
  /** An entity id when `objectIsEntity`, else the literal. */
  object: string
  objectIsEntity: boolean
  /** Valid time `[validFrom, validTo)` (ms since the epoch; `validTo` null: open). */
  validFrom: number
  validTo?: number
  /** Transaction time: when this version was recorded, and when a later one replaced it. */
  recordedAt: number
  supersededAt?: number
  /** The ids of the memories it was taken from. */
  sources: Array<string>
  confidence: number
}

/** What `correct` changes in a fact; fields left out stay as they are. */
export interface FactChange {
  /** A new object: an entity id, or a literal. */
  entity?: string
  literal?: string
  validFrom?: number
  validTo?: number
  /** Reopen the fact's validity (no end). */
  reopen?: boolean
  sources?: Array<string>
  confidence?: number
}

/**
 * Which facts a read selects; left out: valid now, as currently believed, every predicate,
 * both directions.
 */
export interface FactQueryArg {
  /** Valid at this time (ms since the epoch). */
  asOf?: number
  /** Valid at some time of the interval (excludes `asOf`). */
  during?: Interval
  /** As believed at this time (transaction time). */
  knownAt?: number
  predicates?: Array<string>
  /** "out", "in" or "both". */
  direction?: string
}

/** Options of `factsForText`. */
export interface FactsForTextOptions {
  asOf?: number
  limit?: number
}

/** Options of `get`. */
export interface GetOptions {
  ids?: Array<string>
  filter?: string | Record<string, unknown> | null
  limit?: number
  offset?: number
}

/** Which version `get` reads: the latest, a version number, or the one current at a time. */
export interface GetStateOptions {
  version?: number
  /** Milliseconds since the epoch. */
  at?: number
}

export interface GraphCounts {
  entities: number
  facts: number
}

/** What `recallWithGraph` resolves to: the hits and the graph's facts about the query. */
export interface GraphRecall {
  hits: Array<MemoryHit>
  facts: Array<Fact>
}

export interface HistoryOptions {
  limit?: number
  offset?: number
}

/**
 * A hybrid search's hits, best first: the fused score, and each side's 1-based rank and raw
 * score (null where that side did not return the record).
 */
export interface HybridHits {
  ids: Array<string>
  scores: Float32Array
  documents: Array<string | undefined | null>
  metadata: Array<Record<string, unknown>>
  vectorRanks: Array<number | null>
  distances: Array<number | null>
  textRanks: Array<number | null>
  bm25Scores: Array<number | null>
}

/** Options of `hybridSearch`; each left out takes the engine's default. */
export interface HybridSearchOptions {
  /** How many hits (engine default when left out). */
  k?: number
  /** Applied to both sides before ranking (SQL text or a dict filter). */
  filter?: string | Record<string, unknown> | null
  /** "rrf" (reciprocal-rank fusion) or "linear" (weighted sum of min-max normalised scores). */
  method?: string
  /** Weight of the vector ranking (≥ 0). */
  vectorWeight?: number
  /** Weight of the BM25 ranking (≥ 0). */
  textWeight?: number
  /** RRF's rank constant (≥ 0). */
  rrfK?: number
  /** Records each side contributes before fusion. */
  candidates?: number
}

export interface ImportOptions {
  /** The name to create the store under (default: the name in the file). */
  name?: string
}

/** The index's kind and parameters (the kind's own keys set). */
export interface IndexInfo {
  kind: string
  m?: number
  efConstruction?: number
  quantization?: string
  partitions?: number
  subVectors?: number
}

/** Options of `createIndex`; each left out takes the kind's default. */
export interface IndexOptionsArg {
  /** "hnsw" or "ivf_pq". */
  kind?: string
  m?: number
  efConstruction?: number
  /**
   * HNSW vector encoding: "none", "int8", "rabitq" (1 bit per dimension), "rabitq2",
   * "rabitq4" or "rabitq8".
   */
  quantization?: string
  partitions?: number
  subVectors?: number
}

export interface IngestOptions {
  /** Chunk size, in `unit`s. */
  size?: number
  overlap?: number
  /** "tokens" or "chars". */
  unit?: string
  /** Re-ingest documents whose text is unchanged. */
  force?: boolean
}

export interface IngestReport {
  docId: string
  /** "added", "replaced" or "unchanged". */
  status: string
  chunks: number
}

/** `[from, to)`; `to` left out: unbounded. */
export interface Interval {
  from: number
  to?: number
}

export interface LanceImportOptions {
  /** The collection to create (default: the table's name). */
  name?: string
  /** Column names (defaults: the engine's, LanceDB's usual `id`, `vector`, `text`). */
  idColumn?: string
  vectorColumn?: string
  textColumn?: string
  /** The columns that become metadata (default: every other column). */
  metadataColumns?: Array<string>
  /** "cosine", "l2" or "dot" (engine default when left out). */
  metric?: string
}

export declare function limits(): Limits

/** The engine's limits, for callers that check sizes up front (the engine checks them anyway). */
export interface Limits {
  maxDim: number
  maxK: number
  maxNameLen: number
  maxIdLen: number
  maxMetadataKeyLen: number
  maxValueDepth: number
}

/** The points of the backup directory `src`, oldest first. */
export declare function listBackups(src: string): Promise<BackupPoint[]>

export interface ListCheckpointsOptions {
  threadId?: string
  namespace?: string
  /** Only checkpoints before this id. */
  before?: string
  limit?: number
  /** Only checkpoints whose metadata holds these key/values. */
  metadata?: Record<string, unknown> | null
}

/** A change to one memory; fields left out stay as they are. */
export interface MemoryChange {
  text?: string
  /** Remove the text. */
  clearText?: boolean
  importance?: number
  metadata?: Record<string, unknown> | null
  vector?: Float32Array
}

export interface MemoryHit {
  record: MemoryRecord
  score: number
  similarity?: number
  /** The BM25 score, when the text ranking found this memory. */
  textScore?: number
  recency: number
}

/** Options of `Database.memory()`. */
export interface MemoryOpenOptions {
  /** The vector dimension: required to create the store; must match an existing one. */
  dim?: number
  /** "cosine", "l2" or "dot" (engine default when left out). */
  metric?: string
}

/** Which memories: every condition given must hold. */
export interface MemoryQuery {
  ids?: Array<string>
  agentId?: string
  sessionId?: string
  kinds?: Array<string>
  /** Formed at or after (ms since the epoch). */
  since?: number
  /** Formed before (ms since the epoch). */
  until?: number
  /** A collection filter over the memory columns (SQL text or a dict). */
  filter?: string | Record<string, unknown> | null
}

export interface MemoryRecord {
  id: string
  text?: string
  agentId: string
  sessionId?: string
  kind: string
  importance: number
  /** Milliseconds since the epoch. */
  createdAt: number
  lastAccessed: number
  accessCount: number
  metadata: Record<string, unknown>
  /** Set by `get`; null in recall hits. */
  vector?: Float32Array
}

/** One metadata key and its storage type. */
export interface MetadataField {
  key: string
  type: string
}

export interface Neighbor {
  entity: string
  hops: number
}

/** An entity to add. Left out: a new id, no type, no aliases, no embedding, empty metadata. */
export interface NewEntityArg {
  id?: string
  name: string
  type?: string
  aliases?: Array<string>
  /** Of the graph's dimension. */
  embedding?: Float32Array
  metadata?: Record<string, unknown> | null
}

/**
 * A fact to add: `subject predicate object`, the object an entity (`entity`: its id) or a
 * value (`literal`), exactly one of them (as in Python's `add_facts`).
 */
export interface NewFactArg {
  subject: string
  predicate: string
  entity?: string
  literal?: string
  /** Valid from (ms since the epoch); left out: the moment it is recorded. */
  validFrom?: number
  /** Valid until (exclusive); left out: open. */
  validTo?: number
  /** Ids of the memories it was taken from. */
  sources?: Array<string>
  /** In [0, 1]; left out: 1. */
  confidence?: number
}

/**
 * A memory to store. Left out: the engine's defaults (a generated id, kind "episodic",
 * importance 0.5, formed now).
 */
export interface NewMemoryArg {
  agentId: string
  id?: string
  text?: string
  sessionId?: string
  kind?: string
  importance?: number
  metadata?: Record<string, unknown> | null
  /** When the memory was formed, ms since the epoch. */
  createdAt?: number
}

/** Options of `shortestPath`: a fact query and at most `maxHops` hops. */
export interface PathOptions {
  maxHops?: number
  asOf?: number
  during?: Interval
  knownAt?: number
  predicates?: Array<string>
  direction?: string
}

export interface PendingWrite {
  taskId: string
  idx: number
  channel: string
  type: string
  value: Buffer
  taskPath: string
}

export interface Predicate {
  predicate: string
  singleValued: boolean
}

/** One problem `verify` found. */
export interface Problem {
  /** One of `problemKinds()`'s keys ("damaged_file", "missing_file", …). */
  kind: string
  /** The table (collection, or the engine's own table) or "wal". */
  store: string
  /** The file, relative to the database directory. */
  file: string
  detail: string
  /** Whether `verify({ repair: true })` can rebuild it. */
  repairable: boolean
  /** Whether this run repaired it. */
  repaired: boolean
}

/** What each problem kind of `verify` means, by kind. */
export declare function problemKinds(): Record<string, string>

/**
 * Keeps the newest `keep` points of the backup directory `dest`; removes the older ones and
 * the files only they named.
 */
export declare function pruneBackups(dest: string, keep: number): Promise<PruneReport>

/** What `pruneBackups` removed. */
export interface PruneReport {
  /** The sequence numbers of the points removed, oldest first. */
  removedPoints: Array<number>
  /** Copied files no remaining point names, deleted. */
  removedFiles: number
  freedBytes: number
}

export interface PutCheckpointOptions {
  parentId?: string
  metadata?: Record<string, unknown> | null
  type?: string
}

export interface RagCitation {
  number: number
  docId: string
  source: string
  heading: string
  positions: Array<number>
  charStart: number
  charEnd: number
}

export interface RagContext {
  text: string
  tokens: number
  citations: Array<RagCitation>
}

export interface RagSearchHit {
  id: string
  docId: string
  source: string
  position: number
  charStart: number
  charEnd: number
  heading: string
  text: string
  score: number
  vectorRank?: number
  distance?: number
  textRank?: number
  bm25?: number
  metadata: Record<string, unknown>
}

/** How a search runs; each option left out takes the engine's default. */
export interface RagSearchOptions {
  /** Query text (for the BM25 side). */
  text?: string
  /** Query embedding (for the vector side). */
  vector?: Float32Array
  k?: number
  /** "hybrid", "vector" or "text". */
  mode?: string
  vectorWeight?: number
  textWeight?: number
  rrfK?: number
  candidates?: number
  mmrLambda?: number
  filter?: string | Record<string, unknown> | null
  /** `context` only: the token budget. */
  maxTokens?: number
  /** `context` only: passages in document order rather than by score. */
  documentOrder?: boolean
}

export interface RecallOptionsArg {
  k?: number
  agentId?: string
  sessionId?: string
  kinds?: Array<string>
  since?: number
  until?: number
  filter?: string | Record<string, unknown> | null
  weights?: RecallWeightsArg
  /** Update the access statistics of the memories returned. */
  touch?: boolean
  /** The time recency is measured at (ms since the epoch). */
  now?: number
  candidates?: number
  exact?: boolean
  /** The query's text, for text and hybrid recall (BM25 over the memory texts). */
  queryText?: string
  /** "vector", "text" or "hybrid" (default: hybrid with a vector, a text and stored texts). */
  search?: string
}

/** Recall weights; each left out takes the engine's default. */
export interface RecallWeightsArg {
  /** "relevance" or "linear". */
  mode?: string
  similarity?: number
  recency?: number
  importance?: number
  halfLifeSecs?: number
  adjust?: number
  /** The text (BM25) ranking's weight in text and hybrid recall. */
  text?: number
  /** How hybrid recall fuses the rankings: "linear" or "rrf". */
  fusion?: string
  /** RRF's rank constant. */
  rrfK?: number
}

/** Sets the process-wide search counters to zero. */
export declare function resetSearchCounters(): void

/**
 * Restores a point of the backup directory `src` (the latest unless `at`) into the new
 * directory `path`.
 */
export declare function restore(src: string, path: string, opts?: RestoreOptions | undefined | null): Promise<BackupPoint>

export interface RestoreOptions {
  /** The point to restore (its `seq`); the latest when left out. */
  at?: number
}

/** Records read by `get`. */
export interface Rows {
  ids: Array<string>
  /** Row-major, `ids.length × dim` values. */
  vectors: Float32Array
  dim: number
  documents: Array<string | undefined | null>
  metadata: Array<Record<string, unknown>>
  /** Milliseconds since the epoch, per record. */
  createdAt: Array<number>
  updatedAt: Array<number>
}

/** The process-wide search counters now. */
export declare function searchCounters(): SearchCounters

/**
 * What searches did since the last `resetSearchCounters()`. Counts are JS numbers: exact up to
 * 2^53, which no counter reaches in practice.
 */
export interface SearchCounters {
  /** Searches that walked a graph (exact scans are not counted). */
  searches: number
  /** Nodes whose links were read. */
  expansions: number
  /** float32 / int8 distances computed during the walk. */
  distances: number
  /** RaBitQ estimates computed during the walk. */
  codesScored: number
  /** Exact float32 distances computed after a quantized walk. */
  reranks: number
  /** RaBitQ candidates not re-ranked because their error bound could not beat the k-th. */
  rerankSkipped: number
  /** Bytes of links, vectors, codes and re-ranked rows read (each read counted once). */
  bytes: number
  /** Filtered searches whose filter was evaluated in storage into a set of rows. */
  filtersEvaluated: number
  /** Filtered searches that reused the rows of the same filter (no write in between). */
  filtersReused: number
}

/** One search's neighbours, nearest first. */
export interface SearchHits {
  ids: Array<string>
  distances: Float32Array
  documents: Array<string | undefined | null>
  metadata: Array<Record<string, unknown>>
}

/** Options of `search` and `searchBatch`; each left out takes the engine's default. */
export interface SearchOptions {
  /** How many neighbours (engine default when left out). */
  k?: number
  /** SQL text (`"lang = 'en'"`) or a dict filter (`{ lang: "en", year: { $gte: 2020 } }`). */
  filter?: string | Record<string, unknown> | null
  /** HNSW search breadth. */
  ef?: number
  /** Scan every vector instead of the index. */
  exact?: boolean
  /** Threads of a batch search. */
  threads?: number
  /** Return ids and distances only. */
  idsOnly?: boolean
  /** Which payload to return: any of "documents", "metadata". */
  include?: Array<string>
  /** IVF-PQ partitions probed. */
  nprobes?: number
  /** IVF-PQ re-ranking factor. */
  refineFactor?: number
}

/**
 * Sends the engine's log records of level `maxLevel` ("error", "warn", "info" (default),
 * "debug", "trace") and more severe to `callback(level, target, message)`, called on the JS
 * thread; `null` (or "off") stops logging. A later call replaces the callback.
 */
export declare function setLogCallback(callback: ((level: string, target: string, message: string) => void) | null, maxLevel?: string): void

/** One version of a key. */
export interface StateVersion {
  version: number
  /** The value; null for a deletion. */
  value: unknown
  /** Milliseconds since the epoch. */
  writtenAt: number
  deleted: boolean
  expiresAt?: number
}

/** The kinds of store `exportStore` takes. */
export declare function storeKinds(): Array<string>

/** A text search's hits, best first: BM25 scores, larger is better. */
export interface TextHits {
  ids: Array<string>
  scores: Float32Array
  documents: Array<string | undefined | null>
  metadata: Array<Record<string, unknown>>
}

/** Options of `textSearch`; each left out takes the engine's default. */
export interface TextSearchOptions {
  /** How many hits (engine default when left out). */
  k?: number
  /** Applied before ranking (SQL text or a dict filter). */
  filter?: string | Record<string, unknown> | null
}

/** What an export or import moved. */
export interface TransferReport {
  /** "collection", "memory", "rag" or "state". */
  kind: string
  /** The store's name (for an import: the name it was created under). */
  name: string
  records: number
}

/**
 * The files of point `at` (the latest when left out) of the backup `src` that fail their
 * recorded size or SHA-256; empty when the point is intact.
 */
export declare function verifyBackup(src: string, at?: number | undefined | null): Promise<BackupFileProblem[]>

export interface VerifyOptions {
  /** Rebuild what can be rebuilt (indexes, mirrors); default false. */
  repair?: boolean
}

/** What `verify` checked and found. */
export interface VerifyReport {
  problems: Array<Problem>
  tables: number
  versions: number
  files: number
  rows: number
  walSegments: number
  walRecords: number
  indexFiles: number
}

/** A pending write to store. */
export interface WriteArg {
  idx: number
  channel: string
  type: string
  value: Uint8Array
}
