//! Recurring topics among the questions that went wrong (rated down or flagged as
//! hallucinated): their embeddings are clustered hierarchically (kodama, average linkage on
//! cosine distance) and cut where clusters stop being similar.

use std::collections::BTreeMap;

use cairn_ingest::embed::{cosine, EmbedError, Embedder};
use serde::Serialize;

use crate::answer_log::LoggedAnswer;

/// Questions closer than this (cosine distance, 1 − similarity) on average share a topic.
const MAX_DISTANCE: f32 = 0.45;
const EXAMPLES: usize = 5;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Topic {
    pub size: usize,
    /// The question most similar to the others of its topic.
    pub representative_question: String,
    pub answer_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Insights {
    /// Answers considered: rated down or hallucinated.
    pub answers: usize,
    /// Largest first; a question alike to no other is a topic of size 1.
    pub topics: Vec<Topic>,
}

pub fn topics(embedder: &dyn Embedder, answers: &[LoggedAnswer]) -> Result<Insights, EmbedError> {
    let questions: Vec<String> = answers.iter().map(|a| a.question.clone()).collect();
    let vectors = if questions.is_empty() {
        Vec::new()
    } else {
        embedder.embed(&questions)?
    };
    let groups = cluster(&vectors);
    let mut topics: Vec<Topic> = groups
        .into_iter()
        .map(|members| {
            let representative = medoid(&members, &vectors);
            Topic {
                size: members.len(),
                representative_question: questions[representative].clone(),
                answer_ids: members
                    .iter()
                    .take(EXAMPLES)
                    .map(|&i| answers[i].answer_id().to_owned())
                    .collect(),
            }
        })
        .collect();
    topics.sort_by_key(|t| std::cmp::Reverse(t.size));
    Ok(Insights {
        answers: answers.len(),
        topics,
    })
}

/// Groups of indices, by average-linkage clustering cut at [`MAX_DISTANCE`].
fn cluster(vectors: &[Vec<f32>]) -> Vec<Vec<usize>> {
    let n = vectors.len();
    if n < 2 {
        return (0..n).map(|i| vec![i]).collect();
    }
    // The condensed (upper triangle) distance matrix kodama expects.
    let mut distances = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            distances.push(1.0 - cosine(&vectors[i], &vectors[j]));
        }
    }
    let dendrogram = kodama::linkage(&mut distances, n, kodama::Method::Average);
    // Replay the merges below the cut; cluster ids n.. are the results of steps 0...
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut alive: Vec<bool> = vec![true; n];
    for step in dendrogram.steps() {
        if step.dissimilarity > MAX_DISTANCE {
            // Steps come in order of dissimilarity: the next are all above the cut. Keep
            // the ids consistent anyway by stopping here.
            break;
        }
        let merged: Vec<usize> = [step.cluster1, step.cluster2]
            .iter()
            .flat_map(|&c| std::mem::take(&mut members[c]))
            .collect();
        alive[step.cluster1] = false;
        alive[step.cluster2] = false;
        members.push(merged);
        alive.push(true);
    }
    members
        .into_iter()
        .zip(alive)
        .filter(|(m, alive)| *alive && !m.is_empty())
        .map(|(mut m, _)| {
            m.sort_unstable();
            m
        })
        .collect()
}

/// The member with the highest total similarity to the others.
fn medoid(members: &[usize], vectors: &[Vec<f32>]) -> usize {
    let total = |i: usize| -> f32 {
        members
            .iter()
            .map(|&j| cosine(&vectors[i], &vectors[j]))
            .sum()
    };
    let scores: BTreeMap<usize, f32> = members.iter().map(|&i| (i, total(i))).collect();
    scores
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(members[0], |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_vectors_group_and_far_ones_stay_apart() {
        let v = |x: f32, y: f32| {
            let n = (x * x + y * y).sqrt();
            vec![x / n, y / n]
        };
        let vectors = [v(1.0, 0.0), v(0.95, 0.05), v(0.0, 1.0), v(0.97, 0.03)];
        let mut groups = cluster(&vectors);
        groups.sort();
        assert_eq!(groups, [vec![0, 1, 3], vec![2]]);
    }
}
