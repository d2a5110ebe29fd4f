//! Answering: prompt templates, the extractive answerer, citations and the answer flow.

pub mod answer;
pub mod citations;
pub mod extractive;
pub mod intent;
pub mod prompt;
