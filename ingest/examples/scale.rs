//! The embedded store at scale, driven by `bench/scale.py`: loads N synthetic points (clustered
//! 384-dimensional unit vectors, the size all-MiniLM-L6-v2 makes, with payloads shaped like
//! real chunks), builds the HNSW index, and measures search latency (no embedding) and
//! recall@10 against exact search. Prints one JSON object.
//!
//! usage: scale --points N [--queries Q] --dir DIR

use std::time::Instant;

use cairn_ingest::domain::{
    ChunkPayload, CollectionName, EmbeddedChunk, QueryVector, SparseVector,
};
use cairn_ingest::store::{EdgeStore, SourceFilter, VectorStore};

const DIM: usize = 384;
const CLUSTERS: usize = 2000;
const BATCH: usize = 512;
const K: usize = 10;

/// splitmix64: a small, reproducible generator for benchmark data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// A standard normal sample (Box–Muller).
    fn normal(&mut self) -> f32 {
        let (u, v) = (self.uniform().max(1e-7), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

/// Points near one of `CLUSTERS` random centres, as embeddings of texts on many topics are.
struct Points {
    rng: Rng,
    centres: Vec<Vec<f32>>,
}

impl Points {
    fn new(seed: u64) -> Self {
        let mut rng = Rng(seed);
        let centres = (0..CLUSTERS)
            .map(|_| unit((0..DIM).map(|_| rng.normal()).collect()))
            .collect();
        Self {
            rng: Rng(seed ^ 0xABCD),
            centres,
        }
    }

    fn next(&mut self) -> Vec<f32> {
        let c = (self.rng.next() % CLUSTERS as u64) as usize;
        let spread = 0.6 / (DIM as f32).sqrt() * 4.0;
        let v = (0..DIM)
            .map(|d| self.centres[c][d] + spread * self.rng.normal())
            .collect();
        unit(v)
    }
}

const WORDS: &[&str] = &[
    "the",
    "server",
    "returns",
    "a",
    "list",
    "of",
    "files",
    "when",
    "you",
    "configure",
    "option",
    "backup",
    "repository",
    "password",
    "reset",
    "account",
    "invoice",
    "plan",
    "team",
    "export",
    "import",
    "collection",
    "error",
    "timeout",
    "retry",
    "version",
];

/// Point `i`'s source file and chunk index: 40 chunks a page, 100 pages a section.
fn place(i: usize) -> (String, u32) {
    (
        format!("docs/section-{}/page-{}.md", i / 4000, i / 40),
        (i % 40) as u32,
    )
}

fn id_of(i: usize) -> uuid::Uuid {
    let (source, index) = place(i);
    cairn_ingest::sync::chunk_id(&source, "h", index)
}

fn chunk(i: usize, vector: Vec<f32>, rng: &mut Rng) -> EmbeddedChunk {
    let text: Vec<&str> = (0..90)
        .map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize])
        .collect();
    let (source, index) = place(i);
    EmbeddedChunk {
        id: id_of(i),
        vector,
        sparse: SparseVector {
            indices: (0..12)
                .map(|_| (rng.next() % 30_000) as u32)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
            values: vec![1.0; 12],
        },
        payload: ChunkPayload {
            text: text.join(" "),
            document_id: cairn_ingest::sync::document_id(&source).to_string(),
            source,
            title: format!("Page {}", i / 40),
            heading: vec!["Guide".into(), format!("Section {}", i / 4000)],
            chunk_index: index,
            chunk_count: 40,
            content_hash: format!("{i:016x}"),
            doc_hash: "h".into(),
            ingested_at: "2026-12-02T00:00:00Z".into(),
        },
    }
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn disk_mb(dir: &std::path::Path) -> f64 {
    walk(dir) as f64 / 1e6
}

fn walk(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => walk(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// The ids of the `K` nearest stored vectors by exact cosine (all are unit length).
fn exact(vectors: &[Vec<f32>], query: &[f32]) -> Vec<usize> {
    let mut scored: Vec<(f32, usize)> = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| (v.iter().zip(query).map(|(a, b)| a * b).sum(), i))
        .collect();
    scored.select_nth_unstable_by(K, |a, b| b.0.total_cmp(&a.0));
    scored.truncate(K);
    scored.iter().map(|s| s.1).collect()
}

async fn latencies(
    store: &EdgeStore,
    name: &CollectionName,
    queries: &[Vec<f32>],
) -> (Vec<f64>, Vec<Vec<uuid::Uuid>>) {
    let mut times = Vec::new();
    let mut found = Vec::new();
    for q in queries {
        let started = Instant::now();
        let hits = store
            .search(
                name,
                &QueryVector::Dense(q.clone()),
                K,
                &SourceFilter::default(),
            )
            .await
            .expect("search");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        found.push(hits.iter().map(|h| h.id).collect());
    }
    times.sort_by(f64::total_cmp);
    (times, found)
}

/// What the load step leaves for the measure step: the queries, their exact neighbours, and
/// what loading cost.
#[derive(serde::Serialize, serde::Deserialize)]
struct Loaded {
    points: usize,
    load_seconds: f64,
    optimize_seconds: f64,
    plain_ms: Vec<f64>,
    queries: Vec<Vec<f32>>,
    truth: Vec<Vec<uuid::Uuid>>,
}

async fn load(dir: &std::path::Path, points: usize, queries_n: usize) -> anyhow::Result<Loaded> {
    let name = CollectionName::parse("scale")?;
    let store = EdgeStore::new(dir)?;
    store.delete_collection(&name).await?;
    store.create_collection(&name, DIM).await?;
    let mut gen = Points::new(7);
    let mut payload_rng = Rng(11);
    let mut vectors = Vec::with_capacity(points);
    let loading = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..points {
        let v = gen.next();
        vectors.push(v.clone());
        batch.push(chunk(i, v, &mut payload_rng));
        if batch.len() == BATCH || i + 1 == points {
            store.upsert(&name, std::mem::take(&mut batch)).await?;
        }
    }
    store.flush(&name).await?;
    let load_seconds = loading.elapsed().as_secs_f64();
    let queries: Vec<Vec<f32>> = (0..queries_n).map(|_| gen.next()).collect();
    let truth = queries
        .iter()
        .map(|q| exact(&vectors, q).into_iter().map(id_of).collect())
        .collect();
    drop(vectors);
    // Every search scans every vector until the index is built.
    let (plain_ms, _) = latencies(&store, &name, &queries[..queries_n.min(50)]).await;
    let optimizing = Instant::now();
    store.optimize(&name).await?;
    Ok(Loaded {
        points,
        load_seconds,
        optimize_seconds: optimizing.elapsed().as_secs_f64(),
        plain_ms,
        queries,
        truth,
    })
}

/// A fresh process's view of the loaded store: open, warm up, measure.
async fn measure(dir: &std::path::Path, loaded: &Loaded) -> anyhow::Result<serde_json::Value> {
    let name = CollectionName::parse("scale")?;
    let before_open = rss_mb();
    let store = EdgeStore::new(dir)?;
    let queries = &loaded.queries;
    let _ = latencies(&store, &name, &queries[..queries.len().min(10)]).await;
    let (indexed, found) = latencies(&store, &name, queries).await;
    let recall = found
        .iter()
        .zip(&loaded.truth)
        .map(|(f, t)| f.iter().filter(|id| t.contains(id)).count() as f64 / K as f64)
        .sum::<f64>()
        / queries.len() as f64;
    let rss = rss_mb();
    let disk = disk_mb(&dir.join("collections/scale"));
    let points = loaded.points;
    Ok(serde_json::json!({
        "points": points,
        "load_seconds": loaded.load_seconds,
        "upsert_per_second": points as f64 / loaded.load_seconds,
        "optimize_seconds": loaded.optimize_seconds,
        "search_ms_plain": {"p50": percentile(&loaded.plain_ms, 50.0), "p99": percentile(&loaded.plain_ms, 99.0)},
        "search_ms": {"p50": percentile(&indexed, 50.0), "p99": percentile(&indexed, 99.0)},
        "recall_at_10": recall,
        "disk_mb": disk,
        "disk_bytes_per_point": disk * 1e6 / points as f64,
        "rss_mb_store_open": rss - before_open,
        "rss_mb_process": rss,
    }))
}

/// `scale load --points N --queries Q --dir DIR`, then `scale measure --dir DIR` in a new
/// process (so its memory is the open store's, not the loader's).
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let dir = std::path::PathBuf::from(arg("--dir").ok_or_else(|| anyhow::anyhow!("--dir DIR"))?);
    let state = dir.join("loaded.json");
    match args.get(1).map(String::as_str) {
        Some("load") => {
            let points: usize = arg("--points").unwrap_or_else(|| "100000".into()).parse()?;
            let queries: usize = arg("--queries").unwrap_or_else(|| "200".into()).parse()?;
            let loaded = load(&dir, points, queries).await?;
            std::fs::write(&state, serde_json::to_vec(&loaded)?)?;
        }
        Some("measure") => {
            let loaded: Loaded = serde_json::from_slice(&std::fs::read(&state)?)?;
            println!("{}", measure(&dir, &loaded).await?);
        }
        _ => anyhow::bail!("usage: scale load|measure --dir DIR [--points N] [--queries Q]"),
    }
    Ok(())
}
