//! Versioned prompt templates: TOML files with `version`, `system` and `user`. The built-in
//! ones ship in the binary; `prompts_dir` in the settings adds or overrides templates by name.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::llm::{Message, Role};
use crate::retrieve::Hit;
use crate::text::delimit;

/// Templates compiled into cairn, by name.
const BUILT_IN: &[(&str, &str)] = &[
    ("support-v1", include_str!("../../prompts/support-v1.toml")),
    ("support-v2", include_str!("../../prompts/support-v2.toml")),
];

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PromptTemplate {
    pub version: String,
    pub system: String,
    pub user: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("prompt template {name}: {message}")]
    Invalid { name: String, message: String },
}

/// Every template available, by name.
#[derive(Debug, Clone, Default)]
pub struct Prompts(BTreeMap<String, PromptTemplate>);

impl Prompts {
    /// The built-in templates plus any `*.toml` in `dir`.
    pub fn load(dir: Option<&Path>) -> Result<Self, PromptError> {
        let mut all = BTreeMap::new();
        for (name, text) in BUILT_IN {
            all.insert((*name).to_owned(), parse(name, text)?);
        }
        if let Some(dir) = dir {
            let entries = std::fs::read_dir(dir)
                .map_err(|e| invalid(&dir.display().to_string(), &e.to_string()))?;
            for path in entries.filter_map(Result::ok).map(|e| e.path()) {
                if path.extension().is_some_and(|e| e == "toml") {
                    let name = path
                        .file_stem()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned();
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| invalid(&name, &e.to_string()))?;
                    all.insert(name.clone(), parse(&name, &text)?);
                }
            }
        }
        Ok(Self(all))
    }

    pub fn get(&self, name: &str) -> Option<&PromptTemplate> {
        self.0.get(name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

fn parse(name: &str, text: &str) -> Result<PromptTemplate, PromptError> {
    let template: PromptTemplate =
        toml::from_str(text).map_err(|e| invalid(name, &e.to_string()))?;
    for placeholder in ["{context}", "{question}"] {
        if !template.user.contains(placeholder) {
            return Err(invalid(
                name,
                &format!("`user` lacks the {placeholder} placeholder"),
            ));
        }
    }
    Ok(template)
}

fn invalid(name: &str, message: &str) -> PromptError {
    PromptError::Invalid {
        name: name.to_owned(),
        message: message.to_owned(),
    }
}

impl PromptTemplate {
    /// The chat messages for `question` over numbered, delimited context passages `[1]..[k]`.
    pub fn messages(&self, question: &str, hits: &[Hit]) -> Vec<Message> {
        let context = hits
            .iter()
            .enumerate()
            .map(|(i, h)| context_block(i + 1, h))
            .collect::<Vec<_>>()
            .join("\n\n");
        // One pass: a passage or question containing "{question}" stays text.
        let user = delimit::fill(&self.user, &[("context", &context), ("question", question)]);
        vec![
            Message {
                role: Role::System,
                content: self.system.clone(),
            },
            Message {
                role: Role::User,
                content: user,
            },
        ]
    }
}

fn context_block(n: usize, hit: &Hit) -> String {
    let p = &hit.chunk.payload;
    let place = std::iter::once(p.source.as_str())
        .chain(p.heading.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" > ");
    delimit::block(n, &place, &p.text)
}
