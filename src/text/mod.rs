//! Text analysis shared by answering (`rag`) and the groundedness check (`ground`): sentences,
//! citation markers, stopwords, content words and names. It depends on nothing else in cairn.

pub mod markers;
pub mod sentences;
pub mod words;
