//! The services built on a database (memory stores, the agent state) register themselves here, so
//! the database closes them without knowing what they are: the layers above it depend on it, never
//! the other way round.

use std::any::Any;
use std::sync::Arc;

/// A part of the engine built on a database that has work to do when the database closes.
pub(crate) trait Service: Any + Send + Sync {
    /// First, while the database still accepts writes (a memory store stops its background
    /// thread and writes its pending access statistics).
    fn stop(&self) {}
    /// Once the database's background threads have stopped, before its last flush (the agent
    /// state stops its sweeper).
    fn finish(&self) {}
}

/// The registered services, by key, in registration order (the order they are closed in).
#[derive(Default)]
pub(crate) struct Services {
    entries: Vec<Entry>,
}

struct Entry {
    key: String,
    service: Arc<dyn Service>,
    /// The same object, to hand it back typed.
    any: Arc<dyn Any + Send + Sync>,
}

impl Services {
    /// The service registered under `key`, if it is a `T`.
    pub(crate) fn get<T: Service>(&self, key: &str) -> Option<Arc<T>> {
        let entry = self.entries.iter().find(|e| e.key == key)?;
        entry.any.clone().downcast::<T>().ok()
    }

    /// Registers `service` under `key`, replacing what was there.
    pub(crate) fn insert<T: Service>(&mut self, key: &str, service: Arc<T>) {
        self.remove(key);
        self.entries.push(Entry { key: key.to_owned(), service: service.clone(), any: service });
    }

    /// Unregisters the service under `key`, returning it.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Arc<dyn Service>> {
        let at = self.entries.iter().position(|e| e.key == key)?;
        Some(self.entries.remove(at).service)
    }

    /// The keys of every registered service, in registration order (for stats and health).
    pub(crate) fn keys(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.key.clone()).collect()
    }

    /// Unregisters every service (the database closes), in registration order.
    pub(crate) fn take_all(&mut self) -> Vec<Arc<dyn Service>> {
        std::mem::take(&mut self.entries).into_iter().map(|e| e.service).collect()
    }
}
