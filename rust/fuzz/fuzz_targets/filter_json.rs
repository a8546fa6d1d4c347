#![no_main]
agentdb_fuzz::fuzz_target!(agentdb_engine::fuzz::filter_json);
