//! Loopback ports for the servers tests start as child processes.

use std::fs::File;
use std::hash::{BuildHasher, RandomState};

/// A loopback port kept for one child server (Qdrant, `cairn serve`, llama-server,
/// chromedriver) for as long as its test runs, restarts included.
///
/// Tests run in parallel processes, and a port found free is free again until the child
/// binds it, so two children could pick the same one (Qdrant then even serves HTTP without
/// gRPC). Each port is claimed with a lock file that every test process honours, and picked
/// below the kernel's ephemeral range, where `bind(0)` elsewhere never lands.
pub struct Port {
    pub number: u16,
    _claim: File,
}

impl Port {
    pub fn reserve() -> Self {
        let dir = std::env::temp_dir().join("cairn-test-ports");
        std::fs::create_dir_all(&dir).unwrap();
        let seed = RandomState::new().hash_one(std::process::id());
        for attempt in 0..1000u64 {
            let number = 20_000 + ((seed.wrapping_add(attempt * 7919)) % 12_000) as u16;
            let claim = File::create(dir.join(format!("{number}.lock"))).unwrap();
            if claim.try_lock().is_err() {
                continue;
            }
            if std::net::TcpListener::bind(("127.0.0.1", number)).is_ok() {
                return Self {
                    number,
                    _claim: claim,
                };
            }
        }
        panic!("no free loopback port between 20000 and 32000");
    }
}
