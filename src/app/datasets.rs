//! Datasets: import, read, list, and items added from the answer log (feedback → regression set).

use super::{AppError, Cairn};
use crate::eval::dataset::{self, Dataset, DatasetError, Format, Item};
use crate::eval::store::DatasetSummary;

impl Cairn {
    /// Parses a whole file and stores it as the newest version of `name`; a bad row stores
    /// nothing.
    pub async fn import_dataset(
        &self,
        name: &str,
        text: String,
        format: Format,
    ) -> Result<Dataset, AppError> {
        dataset::check_name(name)?;
        let name = name.to_owned();
        // Parsing a large file is CPU work: off the async workers, with the write.
        let saved = self
            .stored(move |evals| {
                Ok(match dataset::parse(&text, format) {
                    Ok(items) => Ok(evals.save_dataset(&name, &items)?),
                    Err(e) => Err(e),
                })
            })
            .await?;
        Ok(saved?)
    }

    /// The newest version, or the one asked for.
    pub async fn dataset(&self, name: &str, version: Option<&str>) -> Result<Dataset, AppError> {
        let (key, v) = (name.to_owned(), version.map(str::to_owned));
        self.stored(move |evals| evals.dataset(&key, v.as_deref()))
            .await?
            .ok_or_else(|| AppError::DatasetNotFound(name.to_owned()))
    }

    pub async fn datasets(&self) -> Result<Vec<DatasetSummary>, AppError> {
        self.stored(|evals| evals.datasets()).await
    }

    /// Adds a logged answer's question to dataset `name` (created when missing), as a new
    /// version. The item expects `expected_sources` when given, else the sources the answer
    /// cited; `corrected` becomes its reference answer. An answer already in the dataset is
    /// replaced, so adding it again updates it.
    pub async fn add_from_answer(
        &self,
        name: &str,
        answer_id: &str,
        expected_sources: Option<Vec<String>>,
        corrected: Option<String>,
        answerable: Option<bool>,
    ) -> Result<Dataset, AppError> {
        dataset::check_name(name)?;
        let logged = self.logged_answer(answer_id).await?;
        let item = Item {
            id: answer_id.to_owned(),
            question: logged.question.clone(),
            expected_sources: expected_sources.unwrap_or_else(|| logged.answer.sources()),
            reference_answer: corrected,
            keywords: Vec::new(),
            answerable: answerable.unwrap_or(true),
        };
        let name = name.to_owned();
        let updated = self
            .stored(move |evals| {
                evals.update_dataset(&name, |mut items| {
                    let item = dataset::checked(item, items.len() + 1)?;
                    items.retain(|i| i.id != item.id);
                    items.push(item);
                    if items.len() > dataset::MAX_ITEMS {
                        return Err(DatasetError::TooLarge(items.len()));
                    }
                    Ok(items)
                })
            })
            .await?;
        Ok(updated?)
    }
}
