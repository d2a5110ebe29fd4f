//! all-MiniLM-L6-v2 (or any BERT-style model) through fastembed and a dynamically loaded
//! ONNX Runtime, from files on disk: nothing is downloaded at run time.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use fastembed::{
    InitOptionsUserDefined, OutputKey, Pooling, TextEmbedding, TokenizerFiles,
    UserDefinedEmbeddingModel,
};

use super::{normalize, EmbedError, Embedded, Embedder};

/// The files a model directory must hold.
const MODEL_FILES: [&str; 5] = [
    "model.onnx",
    "tokenizer.json",
    "config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
];

/// The model's longest input in tokens; longer passages are truncated by the model.
pub const MAX_LENGTH: usize = 256;

/// Inputs per ONNX Runtime call: bounds memory, since fastembed keeps a whole call's output.
const BATCH: usize = 32;

/// Which model output holds the token states to pool: the one output of an exported BERT, or
/// the names other exports use (fastembed's own order for text models).
const OUTPUTS: &[OutputKey] = &[
    OutputKey::OnlyOne,
    OutputKey::ByName("text_embeds"),
    OutputKey::ByName("last_hidden_state"),
    OutputKey::ByName("sentence_embedding"),
];

/// Where the model and the runtime live.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub model_dir: PathBuf,
    pub ort_lib: PathBuf,
}

impl ModelFiles {
    /// Checks that every file exists, with a message that says how to get it.
    pub fn check(&self) -> Result<(), EmbedError> {
        let hint = "run scripts/fetch-models.sh (it fetches them from PyPI), or set \
                    CAIRN_MODEL_DIR / CAIRN_ORT_LIB to where they are";
        if !self.ort_lib.is_file() {
            return Err(EmbedError::Setup(format!(
                "ONNX Runtime library not found at {}: {hint}",
                self.ort_lib.display()
            )));
        }
        for name in MODEL_FILES {
            let path = self.model_dir.join(name);
            if !path.is_file() {
                return Err(EmbedError::Setup(format!(
                    "embedding model file {} not found: {hint}",
                    path.display()
                )));
            }
        }
        Ok(())
    }

    /// The tokenizer the model uses, for sizing chunks in the model's own tokens.
    pub fn tokenizer(&self) -> Result<tokenizers::Tokenizer, EmbedError> {
        let path = self.model_dir.join("tokenizer.json");
        let mut tokenizer = tokenizers::Tokenizer::from_file(&path).map_err(|e| {
            EmbedError::Setup(format!("cannot read tokenizer {}: {e}", path.display()))
        })?;
        // The file configures truncation and padding for the model; for counting tokens
        // both must be off or long texts would be under-counted.
        tokenizer
            .with_truncation(None)
            .map_err(|e| EmbedError::Setup(e.to_string()))?;
        tokenizer.with_padding(None);
        Ok(tokenizer)
    }
}

/// The fastembed implementation of [`Embedder`].
pub struct FastEmbedder {
    // fastembed's `embed` takes `&mut self`; one call at a time uses every core anyway.
    // None once released: the next call loads it again from `files`.
    model: Mutex<Option<TextEmbedding>>,
    files: ModelFiles,
    model_id: String,
    dimension: usize,
}

impl FastEmbedder {
    /// Loads the runtime and the model; fails with a set-up message when a file is missing.
    #[tracing::instrument(skip_all, fields(model_dir = %files.model_dir.display()))]
    pub fn load(files: &ModelFiles) -> Result<Self, EmbedError> {
        files.check()?;
        init_runtime(&files.ort_lib)?;
        let mut model = open(files)?;
        let probe = model
            .embed(["dimension probe"], None)
            .map_err(|e| EmbedError::Setup(format!("the embedding model does not run: {e}")))?;
        let dimension = probe.first().map_or(0, Vec::len);
        let model_id = model_id(&files.model_dir);
        Ok(Self {
            model: Mutex::new(Some(model)),
            files: files.clone(),
            model_id,
            dimension,
        })
    }
}

/// The model in an ONNX Runtime session.
fn open(files: &ModelFiles) -> Result<TextEmbedding, EmbedError> {
    let read = |name: &str| read_file(&files.model_dir.join(name));
    let tokenizer_files = TokenizerFiles {
        tokenizer_file: read("tokenizer.json")?,
        config_file: read("config.json")?,
        special_tokens_map_file: read("special_tokens_map.json")?,
        tokenizer_config_file: read("tokenizer_config.json")?,
    };
    // Without with_pooling fastembed would use CLS pooling, which is wrong for MiniLM.
    let user_model = UserDefinedEmbeddingModel::new(read("model.onnx")?, tokenizer_files)
        .with_pooling(Pooling::Mean);
    let options = InitOptionsUserDefined::new().with_max_length(MAX_LENGTH);
    TextEmbedding::try_new_from_user_defined(user_model, options)
        .map_err(|e| EmbedError::Setup(format!("cannot load the embedding model: {e}")))
}

impl Embedder for FastEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(self.embed_counted(texts)?.vectors)
    }

    fn embed_counted(&self, texts: &[String]) -> Result<Embedded, EmbedError> {
        self.embed_parts(texts, &[])
    }

    /// Texts go to the model in order of length, so a batch pads its short texts to a length
    /// close to theirs rather than to the longest text of the call. A text with spans is also
    /// tokenized here, for the characters of each token (fastembed keeps them to itself).
    #[tracing::instrument(skip_all, fields(texts = texts.len()))]
    fn embed_parts(
        &self,
        texts: &[String],
        spans: &[Vec<Range<usize>>],
    ) -> Result<Embedded, EmbedError> {
        let mut guard = self
            .model
            .lock()
            .map_err(|_| EmbedError::Inference("model lock poisoned".into()))?;
        let model = match &mut *guard {
            Some(model) => model,
            empty => empty.insert(open(&self.files)?),
        };
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let inference = |e: fastembed::Error| EmbedError::Inference(e.to_string());
        let mut vectors = vec![Vec::new(); texts.len()];
        let mut parts = vec![Vec::new(); if spans.is_empty() { 0 } else { texts.len() }];
        let mut tokens = 0;
        for batch in order.chunks(BATCH) {
            let inputs: Vec<&str> = batch.iter().map(|&i| texts[i].as_str()).collect();
            let wanted = |i: usize| spans.get(i).is_some_and(|s| !s.is_empty());
            let offsets: Vec<Vec<(usize, usize)>> = if batch.iter().any(|&i| wanted(i)) {
                let encodings = model
                    .tokenizer
                    .encode_batch(inputs.clone(), true)
                    .map_err(|e| EmbedError::Inference(e.to_string()))?;
                encodings.iter().map(|e| e.get_offsets().to_vec()).collect()
            } else {
                Vec::new()
            };
            for output in model
                .transform(&inputs, Some(BATCH))
                .map_err(inference)?
                .into_raw()
            {
                tokens += output.attention_mask_array.iter().sum::<i64>() as usize;
                let pooled = output
                    .select_and_pool_output(&OUTPUTS, Some(Pooling::Mean))
                    .map_err(inference)?;
                for (&i, row) in batch.iter().zip(pooled.rows()) {
                    let mut v = row.to_vec();
                    normalize(&mut v);
                    vectors[i] = v;
                }
                if offsets.is_empty() {
                    continue;
                }
                let states = output.select_output(&OUTPUTS).map_err(inference)?;
                let states = states.as_standard_layout();
                let (&[_, length, width], Some(flat)) = (states.shape(), states.as_slice()) else {
                    return Err(EmbedError::Inference(format!(
                        "token states of shape {:?}, not [texts, tokens, dimension]",
                        states.shape()
                    )));
                };
                for (j, &i) in batch.iter().enumerate().filter(|&(_, &i)| wanted(i)) {
                    let state = |t: usize| {
                        let at = (j * length + t) * width;
                        flat.get(at..at + width)
                    };
                    parts[i] = spans[i]
                        .iter()
                        .map(|span| crate::parts::pool(state, &offsets[j], span))
                        .collect();
                }
            }
        }
        if vectors.iter().any(Vec::is_empty) {
            return Err(EmbedError::Inference(
                "the model returned fewer vectors than texts".into(),
            ));
        }
        Ok(Embedded {
            vectors,
            tokens: Some(tokens),
            parts,
        })
    }

    fn release(&self) {
        if let Ok(mut model) = self.model.lock() {
            *model = None;
        }
    }
}

/// ONNX Runtime is loaded once per process; later calls reuse the first result.
fn init_runtime(lib: &Path) -> Result<(), EmbedError> {
    static INIT: OnceLock<Result<(), String>> = OnceLock::new();
    INIT.get_or_init(|| {
        // ort panics on a missing library instead of erroring, so check the path first.
        if !lib.is_file() {
            return Err(format!(
                "ONNX Runtime library not found at {}",
                lib.display()
            ));
        }
        // init_from loads the library; the environment itself is created by fastembed.
        ort::init_from(lib)
            .map(drop)
            .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", lib.display()))
    })
    .clone()
    .map_err(EmbedError::Setup)
}

fn read_file(path: &Path) -> Result<Vec<u8>, EmbedError> {
    std::fs::read(path)
        .map_err(|e| EmbedError::Setup(format!("cannot read {}: {e}", path.display())))
}

/// Names the model after its directory, e.g. `all-MiniLM-L6-v2`.
fn model_id(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "embedding-model".into())
}
