//! Engine errors → JS errors (binding side of `node/errors.js`).
//!
//! The classes (`AgentDBError` and one subclass per engine kind) are defined once, in JS, so
//! users see one hierarchy with `instanceof` and `code`. At load, `index.js` hands this module
//! a factory `(code, message) => AgentDBError`; an engine error becomes the factory's object, so
//! a rejected Promise carries the class of its [`ErrorKind`] and `code` = [`ErrorKind::name`].

use agentdb_engine::{Error, ErrorKind};
use napi::bindgen_prelude::{FnArgs, Function, FunctionRef, Unknown};
use napi::{Env, Status};
use napi_derive::napi;

type Factory = FunctionRef<FnArgs<(String, String)>, Unknown<'static>>;

/// Per JS environment (the main thread and each worker thread load the addon on their own).
struct Errors {
    factory: Factory,
}

/// The engine's error codes, in the order of their numbers (`errors.js` has a class for each,
/// checked by the tests).
#[napi]
pub fn error_codes() -> Vec<&'static str> {
    ErrorKind::ALL.iter().map(|k| k.name()).collect()
}

/// Installs the factory that builds the JS error of an engine error (called once by `index.js`,
/// which does not export it; so it is left out of the declarations).
#[napi(skip_typescript)]
pub fn set_error_factory(env: Env, factory: Function<FnArgs<(String, String)>, Unknown<'static>>) -> napi::Result<()> {
    let factory = factory.create_ref()?;
    env.set_instance_data(Errors { factory }, (), |_| {})
}

/// The JS error for `e`, built on the JS thread by the factory from `errors.js`. Without one
/// (the addon loaded on its own) a plain Error whose message starts with the code.
pub fn to_js(env: &Env, e: Error) -> napi::Error {
    let code = e.kind().name().to_owned();
    let built = env.get_instance_data::<Errors>().ok().flatten().and_then(|errors| {
        let f = errors.factory.borrow_back(env).ok()?;
        f.call((code.clone(), e.message().to_owned()).into()).ok()
    });
    match built {
        Some(obj) => napi::Error::from(obj),
        None => napi::Error::new(Status::GenericFailure, format!("{code}: {}", e.message())),
    }
}

/// An engine error of `kind` raised by the binding itself (a JS value of the wrong shape).
pub fn invalid(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind, message)
}
