//! The embedded store at scale, driven by `bench/scale.py`: loads N synthetic points (clustered
//! 384-dimensional unit vectors, the size all-MiniLM-L6-v2 makes, with payloads shaped like
//! real chunks), builds the HNSW index, and measures search latency (no embedding) and
//! recall@10 against exact search. Prints one JSON object.
//!
//! usage: scale load --points N [--queries Q] [--noise 0.6] --dir DIR; scale measure --dir DIR [--ef 100,128,...]

use std::time::Instant;

use cairn_ingest::domain::{
    ChunkPayload, CollectionName, EmbeddedChunk, QueryVector, SparseVector,
};
use cairn_ingest::store::{EdgeStore, SourceFilter, VectorStore, DEFAULT_HNSW_EF};

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
    /// Per-dimension standard deviation of the noise around a centre.
    spread: f32,
}

impl Points {
    /// `noise`: the norm of a point's offset from its unit centre. At 0.6 neighbours sit at
    /// cosine 0.7-0.9, as related passages do under all-MiniLM-L6-v2; at 2.4 the points are
    /// close to uniform on the sphere, the hardest case for any approximate index.
    fn new(seed: u64, noise: f32) -> Self {
        let mut rng = Rng(seed);
        let centres = (0..CLUSTERS)
            .map(|_| unit((0..DIM).map(|_| rng.normal()).collect()))
            .collect();
        Self {
            rng: Rng(seed ^ 0xABCD),
            centres,
            spread: noise / (DIM as f32).sqrt(),
        }
    }

    fn next(&mut self) -> Vec<f32> {
        let c = (self.rng.next() % CLUSTERS as u64) as usize;
        let spread = self.spread;
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
        sparse: {
            let terms: std::collections::BTreeSet<u32> =
                (0..12).map(|_| (rng.next() % 30_000) as u32).collect();
            SparseVector {
                values: vec![1.0; terms.len()],
                indices: terms.into_iter().collect(),
            }
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
            parts: None,
        },
    }
}

/// A line of /proc/self/status in MB: `VmRSS` (all resident memory), `RssAnon` (the heap)
/// or `RssFile` (mapped files, which the kernel can drop and read again).
fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn rss_mb() -> f64 {
    status_mb("VmRSS")
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

/// The share of the exact top-`K` that each search found, averaged over the searches.
fn recall(found: &[Vec<uuid::Uuid>], truth: &[Vec<uuid::Uuid>]) -> f64 {
    let hits: usize = found
        .iter()
        .zip(truth)
        .map(|(f, t)| f.iter().filter(|id| t.contains(id)).count())
        .sum();
    hits as f64 / (K * found.len().max(1)) as f64
}

/// What the load step leaves for the measure step: the queries, their exact neighbours, and
/// what loading cost.
#[derive(serde::Serialize, serde::Deserialize)]
struct Loaded {
    points: usize,
    load_seconds: f64,
    optimize_seconds: f64,
    plain_ms: Vec<f64>,
    plain_recall: f64,
    queries: Vec<Vec<f32>>,
    truth: Vec<Vec<uuid::Uuid>>,
}

async fn load(
    dir: &std::path::Path,
    points: usize,
    queries_n: usize,
    noise: f32,
) -> anyhow::Result<Loaded> {
    let name = CollectionName::parse("scale")?;
    let store = EdgeStore::new(dir)?;
    store.delete_collection(&name).await?;
    store.create_collection(&name, DIM).await?;
    let mut gen = Points::new(7, noise);
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
    let truth: Vec<Vec<uuid::Uuid>> = queries
        .iter()
        .map(|q| exact(&vectors, q).into_iter().map(id_of).collect())
        .collect();
    drop(vectors);
    // Every search scans every vector until the index is built.
    let plain_n = queries_n.min(50);
    let (plain_ms, plain_found) = latencies(&store, &name, &queries[..plain_n]).await;
    let plain_recall = recall(&plain_found, &truth);
    let optimizing = Instant::now();
    store.optimize(&name).await?;
    Ok(Loaded {
        points,
        load_seconds,
        optimize_seconds: optimizing.elapsed().as_secs_f64(),
        plain_ms,
        plain_recall,
        queries,
        truth,
    })
}

/// A fresh process's view of the loaded store: open, warm up, then for each HNSW beam width
/// in `efs`, search latency and recall.
async fn measure(
    dir: &std::path::Path,
    loaded: &Loaded,
    efs: &[usize],
) -> anyhow::Result<serde_json::Value> {
    let name = CollectionName::parse("scale")?;
    let before_open = rss_mb();
    let store = EdgeStore::new(dir)?;
    let queries = &loaded.queries;
    let _ = latencies(&store, &name, &queries[..queries.len().min(10)]).await;
    let mut by_ef = Vec::new();
    for &ef in efs {
        store.set_hnsw_ef(ef);
        let (indexed, found) = latencies(&store, &name, queries).await;
        by_ef.push(serde_json::json!({
            "hnsw_ef": ef,
            "search_ms": {"p50": percentile(&indexed, 50.0), "p99": percentile(&indexed, 99.0)},
            "recall_at_10": recall(&found, &loaded.truth),
        }));
    }
    let rss = rss_mb();
    let disk = disk_mb(&dir.join("collections/scale"));
    let points = loaded.points;
    Ok(serde_json::json!({
        "points": points,
        "load_seconds": loaded.load_seconds,
        "upsert_per_second": points as f64 / loaded.load_seconds,
        "optimize_seconds": loaded.optimize_seconds,
        "search_ms_plain": {"p50": percentile(&loaded.plain_ms, 50.0), "p99": percentile(&loaded.plain_ms, 99.0)},
        "recall_at_10_plain": loaded.plain_recall,
        "by_ef": by_ef,
        "disk_mb": disk,
        "disk_bytes_per_point": disk * 1e6 / points as f64,
        "rss_mb_store_open": rss - before_open,
        "rss_mb_process": rss,
        "rss_mb_anon": status_mb("RssAnon"),
        "rss_mb_file": status_mb("RssFile"),
    }))
}

/// `scale load --points N --queries Q --dir DIR`, then `scale measure --dir DIR [--ef 100,128,...]` in a new
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
            let noise: f32 = arg("--noise").unwrap_or_else(|| "0.6".into()).parse()?;
            let loaded = load(&dir, points, queries, noise).await?;
            std::fs::write(&state, serde_json::to_vec(&loaded)?)?;
        }
        Some("measure") => {
            let loaded: Loaded = serde_json::from_slice(&std::fs::read(&state)?)?;
            let efs = arg("--ef").unwrap_or_else(|| DEFAULT_HNSW_EF.to_string());
            let efs = efs
                .split(',')
                .map(str::parse)
                .collect::<Result<Vec<usize>, _>>()?;
            println!("{}", measure(&dir, &loaded, &efs).await?);
        }
        _ => anyhow::bail!(
            "usage: scale load|measure --dir DIR [--points N] [--queries Q] [--noise 0.6]"
        ),
    }
    Ok(())
}
