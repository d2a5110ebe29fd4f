//! A fresh PostgreSQL database per test, on the throwaway server scripts/test.sh starts
//! (`CAIRN_TEST_POSTGRES_URL`). Tests that need it are `#[ignore]`d and have `postgres` in
//! their name: test.sh runs them when the server is up and leaves them out (reported as
//! skipped) when PostgreSQL could not be installed.

/// Creates an empty database and returns its URL.
pub fn fresh_database() -> String {
    let admin = std::env::var("CAIRN_TEST_POSTGRES_URL")
        .expect("skipped: no PostgreSQL server (scripts/test.sh starts one)");
    let name = format!("cairn_test_{}", uuid::Uuid::new_v4().simple());
    let create = format!("CREATE DATABASE {name}");
    let url = admin.clone();
    // The sync client runs a runtime of its own: off the test's async thread.
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client.batch_execute(&create).unwrap();
    })
    .join()
    .unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    format!("{base}/{name}")
}

/// Runs one SQL query on `url` and returns the first column of every row, as text.
pub fn query_texts(url: &str, sql: &str) -> Vec<String> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client
            .query(&sql, &[])
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect()
    })
    .join()
    .unwrap()
}

/// The CA file that signed the test server's certificate (which names `localhost` only).
pub fn test_ca() -> String {
    std::env::var("CAIRN_TEST_POSTGRES_CA")
        .expect("skipped: the PostgreSQL test server has no TLS (scripts/test.sh sets it up)")
}

/// Whether the connections named `application_name` are encrypted (there must be one).
pub fn connections_encrypted(application_name: &str) -> bool {
    let admin = std::env::var("CAIRN_TEST_POSTGRES_URL").unwrap();
    let ssl = query_texts(
        &admin,
        &format!(
            "SELECT s.ssl::TEXT FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = '{application_name}'"
        ),
    );
    assert!(!ssl.is_empty(), "no connection named {application_name}");
    ssl.iter().all(|s| s == "true")
}
