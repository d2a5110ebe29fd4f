//! Datasets: import, read, list, and items added from the answer log (feedback → regression set).

use super::{AppError, Cairn};
use crate::eval::dataset::{self, Dataset, Format, Item};
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
        let items = dataset::parse(&text, format)?;
        self.save_dataset(name, items).await
    }

    async fn save_dataset(&self, name: &str, items: Vec<Item>) -> Result<Dataset, AppError> {
        let (evals, name) = (self.evals.clone(), name.to_owned());
        Ok(crate::blocking::run(move || evals.save_dataset(&name, &items)).await??)
    }

    /// The newest version, or the one asked for.
    pub async fn dataset(&self, name: &str, version: Option<&str>) -> Result<Dataset, AppError> {
        let (evals, key, v) = (
            self.evals.clone(),
            name.to_owned(),
            version.map(str::to_owned),
        );
        crate::blocking::run(move || evals.dataset(&key, v.as_deref()))
            .await??
            .ok_or_else(|| AppError::DatasetNotFound(name.to_owned()))
    }

    pub async fn datasets(&self) -> Result<Vec<DatasetSummary>, AppError> {
        let evals = self.evals.clone();
        Ok(crate::blocking::run(move || evals.datasets()).await??)
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
        let mut items = match self.dataset(name, None).await {
            Ok(d) => d.items,
            Err(AppError::DatasetNotFound(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        let item = Item {
            id: answer_id.to_owned(),
            question: logged.question.clone(),
            expected_sources: expected_sources.unwrap_or_else(|| logged.answer.sources()),
            reference_answer: corrected,
            keywords: Vec::new(),
            answerable: answerable.unwrap_or(true),
        };
        let line = items.len() + 1;
        let item = dataset::checked(item, line)?;
        items.retain(|i| i.id != item.id);
        items.push(item);
        self.save_dataset(name, items).await
    }
}
