//! Typed background jobs. Each kind is a payload type implementing [`BackgroundJob`]: its name,
//! registered once in [`REGISTRY`], and an idempotent `run` against the application. The lease
//! runner ([`super::scheduler::tick`]) knows no job: it hands each claimed row to [`run`], which
//! parses the payload into its type and runs it.

use std::future::Future;
use std::pin::Pin;

use hejie_domain::case::CaseId;
use hejie_domain::timestamp::Timestamp;
use hejie_store::StoreError;
use hejie_store::work::Job;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::state::AppState;

/// Why a job did not complete. Every kind is retried by the runner except a lost lease or a
/// conflict, where another node has the job.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("job kind {kind}: the payload does not parse: {source}")]
    Payload {
        kind: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("unknown job kind {0}")]
    Unknown(String),
    /// The job could not do its work (the case it names is gone, a text could not be sent, …).
    #[error("{0}")]
    Failed(String),
}

impl JobError {
    /// Another node holds the job now (its lease was taken over, or the case moved on).
    pub fn is_lost(&self) -> bool {
        matches!(
            self,
            JobError::Store(StoreError::LeaseLost | StoreError::Conflict { .. })
        )
    }
}

/// One kind of background job: its payload, and what running it does.
pub trait BackgroundJob: DeserializeOwned + Send + Sync + 'static {
    /// The kind stored with each job row.
    const KIND: &'static str;

    /// Does the job's work as of `now` and completes `job` (its lease) in the same transaction,
    /// so a job that ran once takes effect once however often it is claimed.
    fn run(
        self,
        state: &AppState,
        job: &Job,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), JobError>> + Send;
}

type Running<'a> = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>>;
type Runner = for<'a> fn(&'a AppState, &'a Job, Timestamp) -> Running<'a>;

fn runner<'a, T: BackgroundJob>(state: &'a AppState, job: &'a Job, now: Timestamp) -> Running<'a> {
    Box::pin(async move {
        let payload: T =
            serde_json::from_str(&job.payload).map_err(|source| JobError::Payload {
                kind: job.kind.clone(),
                source,
            })?;
        payload.run(state, job, now).await
    })
}

/// Every kind of job this application runs, by name.
const REGISTRY: &[(&str, Runner)] = &[
    (CheckCase::KIND, runner::<CheckCase>),
    (Notify::KIND, runner::<Notify>),
    (Sweep::KIND, runner::<Sweep>),
    (WarningScan::KIND, runner::<WarningScan>),
    (MonthlyReports::KIND, runner::<MonthlyReports>),
    (
        crate::court::FilingDelivery::KIND,
        runner::<crate::court::FilingDelivery>,
    ),
    (
        crate::court::ConfirmationDelivery::KIND,
        runner::<crate::court::ConfirmationDelivery>,
    ),
    (
        crate::sessions::PartySms::KIND,
        runner::<crate::sessions::PartySms>,
    ),
];

/// The kinds [`run`] knows.
pub fn kinds() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|(kind, _)| *kind)
}

/// Runs one claimed job by its kind.
pub async fn run(state: &AppState, job: &Job, now: Timestamp) -> Result<(), JobError> {
    let Some((_, run)) = REGISTRY.iter().find(|(kind, _)| *kind == job.kind) else {
        return Err(JobError::Unknown(job.kind.clone()));
    };
    run(state, job, now).await
}

/// The time-limit check of one case: reminders, overdue marks and automatic escalation.
#[derive(Debug, Deserialize)]
pub struct CheckCase {
    pub case: uuid::Uuid,
}

impl BackgroundJob for CheckCase {
    const KIND: &'static str = super::CASE_JOB;

    async fn run(self, state: &AppState, job: &Job, now: Timestamp) -> Result<(), JobError> {
        Ok(super::scheduler::check_case(state, job, CaseId(self.case), now).await?)
    }
}

/// A notification to one user, in the application and by SMS if asked.
#[derive(Debug, Deserialize)]
pub struct Notify {
    pub recipient: uuid::Uuid,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub sms: bool,
}

impl BackgroundJob for Notify {
    const KIND: &'static str = "notify";

    async fn run(self, state: &AppState, job: &Job, now: Timestamp) -> Result<(), JobError> {
        Ok(super::scheduler::notify(state, job, self, now).await?)
    }
}

/// One of the server's own periodic jobs: an empty payload, and a function that does the
/// period's work and schedules the next run (`scheduler::run_again`).
macro_rules! periodic_job {
    ($(#[$doc:meta])* $name:ident, $kind:path, $run:path) => {
        $(#[$doc])*
        #[derive(Debug, Deserialize)]
        pub struct $name {}

        impl BackgroundJob for $name {
            const KIND: &'static str = $kind;

            async fn run(self, state: &AppState, job: &Job, now: Timestamp) -> Result<(), JobError> {
                Ok($run(state, job, now).await?)
            }
        }
    };
}

periodic_job!(
    /// The daily job that creates the period's 排查 tasks.
    Sweep,
    super::sweeps::SWEEP_JOB,
    super::sweeps::run
);
periodic_job!(
    /// The daily early-warning scan.
    WarningScan,
    crate::warnings::WARNING_JOB,
    crate::warnings::run
);
periodic_job!(
    /// The monthly job that makes last month's 研判预警专报 of every area.
    MonthlyReports,
    crate::report::MONTHLY_JOB,
    crate::report::run
);
