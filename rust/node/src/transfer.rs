//! Export and import of stores: the engine's JSONL and Parquet files (a path ending `.parquet`
//! is Parquet; the engine decides), and LanceDB tables as collections. Mirrors
//! `rust/python/src/transfer.rs`.
//!
//! Progress: an optional JS function `(done, total) => void`. The engine reports from the worker
//! thread; each report is a call on the JS thread through a threadsafe function, and the worker
//! waits for it to return, so every report reaches JS before the Promise settles. A throwing
//! function does not stop the transfer and its exception is dropped (Python only prints it); a
//! Promise it returns is not awaited.

use std::path::Path;
use std::sync::mpsc;

use agentdb_engine::{Error, ErrorKind, LanceImport, Result, StoreKind, TransferReport as EngineReport};
use napi::bindgen_prelude::{FnArgs, Function, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use crate::database::{parse_metric, Database};
use crate::task::{self, Promise};

type ProgressFn = ThreadsafeFunction<FnArgs<(f64, f64)>, Unknown<'static>, FnArgs<(f64, f64)>, napi::Status, false>;

/// What an export or import moved.
#[napi(object)]
pub struct TransferReport {
    /// "collection", "memory", "rag" or "state".
    pub kind: String,
    /// The store's name (for an import: the name it was created under).
    pub name: String,
    pub records: f64,
}

fn report_out(r: EngineReport) -> TransferReport {
    TransferReport { kind: r.kind.as_str().to_owned(), name: r.name, records: r.records as f64 }
}

#[napi(object)]
pub struct ExportOptions {
    /// "collection", "memory", "rag" or "state": needed only when two kinds share the name.
    pub kind: Option<String>,
}

#[napi(object)]
pub struct ImportOptions {
    /// The name to create the store under (default: the name in the file).
    pub name: Option<String>,
}

#[napi(object)]
pub struct LanceImportOptions {
    /// The collection to create (default: the table's name).
    pub name: Option<String>,
    /// Column names (defaults: the engine's, LanceDB's usual `id`, `vector`, `text`).
    pub id_column: Option<String>,
    pub vector_column: Option<String>,
    pub text_column: Option<String>,
    /// The columns that become metadata (default: every other column).
    pub metadata_columns: Option<Vec<String>>,
    /// "cosine", "l2" or "dot" (engine default when left out).
    pub metric: Option<String>,
}

fn progress_arg(f: Option<Function<'_, FnArgs<(f64, f64)>, Unknown<'static>>>) -> Result<Option<ProgressFn>> {
    f.map(|f| {
        f.build_threadsafe_function::<FnArgs<(f64, f64)>>()
            .callee_handled::<false>()
            .build()
            .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("progress: {}", e.reason)))
    })
    .transpose()
}

/// Reports `(done, total)` to the JS function and waits until it has run.
fn report(f: &Option<ProgressFn>, done: u64, total: u64) {
    let Some(f) = f else { return };
    let (tx, rx) = mpsc::sync_channel::<()>(1);
    let status = f.call_with_return_value((done as f64, total as f64).into(), ThreadsafeFunctionCallMode::Blocking, move |_ret, _env| {
        // Its result (or exception) is ignored: progress never changes the transfer.
        let _ = tx.send(());
        Ok(())
    });
    if status == napi::Status::Ok {
        let _ = rx.recv();
    }
}

#[napi]
impl Database {
    /// Writes store `name` to the file `path` (JSONL, or Parquet when it ends `.parquet`).
    #[napi(strict, ts_return_type = "Promise<TransferReport>")]
    pub fn export_store(
        &self,
        name: String,
        path: String,
        opts: Option<ExportOptions>,
        #[napi(ts_arg_type = "(done: number, total: number) => void")] progress: Option<Function<'_, FnArgs<(f64, f64)>, Unknown<'static>>>,
    ) -> Promise<TransferReport> {
        let db = self.inner.clone();
        let args = (|| {
            let kind = opts.and_then(|o| o.kind).map(|k| k.parse::<StoreKind>()).transpose()?;
            Ok((kind, progress_arg(progress)?))
        })();
        task::with(args, move |(kind, f)| {
            let mut cb = |done, total| report(&f, done, total);
            Ok(report_out(db.export_store(&name, kind, Path::new(&path), &mut cb)?))
        })
    }

    /// Creates a store from a file `exportStore` wrote; the store must not exist yet.
    #[napi(strict, ts_return_type = "Promise<TransferReport>")]
    pub fn import_store(
        &self,
        path: String,
        opts: Option<ImportOptions>,
        #[napi(ts_arg_type = "(done: number, total: number) => void")] progress: Option<Function<'_, FnArgs<(f64, f64)>, Unknown<'static>>>,
    ) -> Promise<TransferReport> {
        let db = self.inner.clone();
        let name = opts.and_then(|o| o.name);
        task::with(progress_arg(progress), move |f| {
            let mut cb = |done, total| report(&f, done, total);
            Ok(report_out(db.import_store(Path::new(&path), name.as_deref(), &mut cb)?))
        })
    }

    /// Creates a collection from table `table` of the LanceDB database at `uri`.
    #[napi(strict, ts_return_type = "Promise<TransferReport>")]
    pub fn import_lance_table(
        &self,
        uri: String,
        table: String,
        opts: Option<LanceImportOptions>,
        #[napi(ts_arg_type = "(done: number, total: number) => void")] progress: Option<Function<'_, FnArgs<(f64, f64)>, Unknown<'static>>>,
    ) -> Promise<TransferReport> {
        let db = self.inner.clone();
        let args = (|| {
            let mut o = LanceImport::new(&uri, &table);
            if let Some(a) = opts {
                o.name = a.name;
                if let Some(c) = a.id_column {
                    o.id_column = c;
                }
                if let Some(c) = a.vector_column {
                    o.vector_column = c;
                }
                o.text_column = a.text_column;
                o.metadata_columns = a.metadata_columns;
                o.metric = parse_metric(a.metric.as_deref())?;
            }
            Ok((o, progress_arg(progress)?))
        })();
        task::with(args, move |(o, f)| {
            let mut cb = |done, total| report(&f, done, total);
            Ok(report_out(db.import_lance_table(&o, &mut cb)?))
        })
    }

    /// Creates collection `opts.name` (default: the same name) from collection `collection` of
    /// the Chroma `PersistentClient` directory `dir`, read by the engine from Chroma's own files.
    #[napi(strict, ts_return_type = "Promise<TransferReport>")]
    pub fn import_chroma(
        &self,
        dir: String,
        collection: String,
        opts: Option<ImportOptions>,
        #[napi(ts_arg_type = "(done: number, total: number) => void")] progress: Option<Function<'_, FnArgs<(f64, f64)>, Unknown<'static>>>,
    ) -> Promise<TransferReport> {
        let db = self.inner.clone();
        let name = opts.and_then(|o| o.name);
        task::with(progress_arg(progress), move |f| {
            let mut cb = |done, total| report(&f, done, total);
            Ok(report_out(db.import_chroma(Path::new(&dir), &collection, name.as_deref(), &mut cb)?))
        })
    }

    /// The kind of store `name` is ("collection", "memory", "rag" or "state").
    #[napi(strict, ts_return_type = "Promise<string>")]
    pub fn store_kind(&self, name: String) -> Promise<String> {
        let db = self.inner.clone();
        task::run(move || Ok(db.store_kind(&name)?.as_str().to_owned()))
    }
}

/// The kinds of store `exportStore` takes.
#[napi]
pub fn store_kinds() -> Vec<&'static str> {
    StoreKind::ALL.map(StoreKind::as_str).to_vec()
}
