//! The audit walk, shared by both backends: each backend loads checkpoints, projections and
//! series counters, then streams every event (ordered by case and version) into [`Verifier`].
//!
//! What it proves, for each case: versions run 1..n without gaps, each row's hash matches its
//! content, each row chains to its predecessor, the events decode, and the stored projection is
//! exactly what replaying the events yields. Across cases: every checkpoint chains to the one
//! before, still matches the heads it recorded and the number of events it covered; every case
//! number ever allocated still exists. See `docs/adr/0002-hash-chains-and-checkpoints.md`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use hejie_domain::case::{CaseNumber, CaseState, EventBody};

use crate::chain::{EventRow, GENESIS, checkpoint_hash};
use crate::sql::CaseRow;

/// One thing that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Global position of the offending event, when the problem is about one.
    pub seq: Option<i64>,
    pub case_id: Option<String>,
    pub case_number: Option<String>,
    pub version: Option<i64>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(n) = &self.case_number {
            write!(f, "case {n} ")?;
        }
        if let Some(c) = &self.case_id {
            write!(f, "({c}) ")?;
        }
        if let Some(v) = self.version {
            write!(f, "event v{v} ")?;
        }
        if let Some(s) = self.seq {
            write!(f, "[seq {s}] ")?;
        }
        f.write_str(&self.message)
    }
}

/// The result of an audit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditReport {
    pub cases: u64,
    pub events: u64,
    pub checkpoints: u64,
    /// The newest checkpoint's hash: publish or print it to anchor the log outside the database.
    pub latest_checkpoint: Option<String>,
    /// Events appended after the newest checkpoint (not yet covered by one).
    pub uncheckpointed_events: u64,
    /// Problems in log order: the first is the first bad event.
    pub problems: Vec<Problem>,
}

impl AuditReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A checkpoint row as stored.
#[derive(Debug, Clone)]
pub struct CheckpointRow {
    pub id: i64,
    pub created_at: i64,
    pub max_seq: i64,
    pub events: i64,
    pub heads: i64,
    pub prev_hash: String,
    pub hash: String,
}

/// Streaming verifier. Feed it every event row ordered by `(case_id, version)`.
#[derive(Debug)]
pub struct Verifier {
    problems: Vec<Problem>,
    /// Heads recorded in checkpoints that the walk must find: (case, version) → (checkpoint, hash).
    wanted_heads: HashMap<(String, i64), Vec<(i64, String)>>,
    projections: HashMap<String, CaseRow>,
    checkpoints: Vec<CheckpointRow>,
    series: BTreeMap<String, i64>,
    numbers: BTreeMap<String, BTreeSet<u64>>,
    seqs: Vec<i64>,
    current: Option<Stream>,
    cases: u64,
    events: u64,
}

#[derive(Debug)]
struct Stream {
    case_id: String,
    number: Option<String>,
    next_version: i64,
    prev_hash: String,
    broken: bool,
    state: CaseState,
}

impl Verifier {
    pub fn new(
        checkpoints: Vec<CheckpointRow>,
        checkpoint_heads: Vec<(i64, String, i64, String)>,
        projections: Vec<CaseRow>,
        series: Vec<(String, i64)>,
    ) -> Self {
        let mut wanted_heads: HashMap<(String, i64), Vec<(i64, String)>> = HashMap::new();
        let mut by_checkpoint: BTreeMap<i64, Vec<(String, i64, String)>> = BTreeMap::new();
        for (cp, case_id, version, hash) in checkpoint_heads {
            wanted_heads
                .entry((case_id.clone(), version))
                .or_default()
                .push((cp, hash.clone()));
            by_checkpoint
                .entry(cp)
                .or_default()
                .push((case_id, version, hash));
        }
        let mut problems = Vec::new();
        let mut prev = GENESIS.to_owned();
        for cp in &checkpoints {
            let heads = by_checkpoint.remove(&cp.id).unwrap_or_default();
            let problem = |m: String| Problem {
                seq: None,
                case_id: None,
                case_number: None,
                version: None,
                message: m,
            };
            if cp.prev_hash != prev {
                problems.push(problem(format!(
                    "checkpoint #{} does not chain to the checkpoint before it",
                    cp.id
                )));
            }
            if i64::try_from(heads.len()).ok() != Some(cp.heads) {
                problems.push(problem(format!(
                    "checkpoint #{} lists {} heads but recorded {}",
                    cp.id,
                    heads.len(),
                    cp.heads
                )));
            }
            match checkpoint_hash(
                cp.id,
                cp.created_at,
                cp.max_seq,
                cp.events,
                &cp.prev_hash,
                &heads,
            ) {
                Ok(h) if h == cp.hash => {}
                _ => problems.push(problem(format!(
                    "checkpoint #{} hash does not match its content",
                    cp.id
                ))),
            }
            prev = cp.hash.clone();
        }
        for cp in by_checkpoint.keys() {
            problems.push(Problem {
                seq: None,
                case_id: None,
                case_number: None,
                version: None,
                message: format!("heads recorded for checkpoint #{cp}, which is missing"),
            });
        }
        Self {
            problems,
            wanted_heads,
            projections: projections.into_iter().map(|p| (p.id.clone(), p)).collect(),
            checkpoints,
            series: series.into_iter().collect(),
            numbers: BTreeMap::new(),
            seqs: Vec::new(),
            current: None,
            cases: 0,
            events: 0,
        }
    }

    pub fn feed(&mut self, row: EventRow) {
        self.events += 1;
        self.seqs.push(row.seq);
        if self.current.as_ref().map(|s| s.case_id.as_str()) != Some(row.case_id.as_str()) {
            self.finish_stream();
            self.cases += 1;
            self.current = Some(Stream {
                case_id: row.case_id.clone(),
                number: None,
                next_version: 1,
                prev_hash: GENESIS.to_owned(),
                broken: false,
                state: CaseState::default(),
            });
        }
        if let Some(wanted) = self
            .wanted_heads
            .remove(&(row.case_id.clone(), row.version))
        {
            for (cp, hash) in wanted {
                if hash != row.hash {
                    self.problems.push(self.problem(
                        &row,
                        format!("differs from the head recorded in checkpoint #{cp}"),
                    ));
                }
            }
        }
        let Some(stream) = self.current.as_mut() else {
            return;
        };
        if stream.broken {
            return;
        }
        let mut fail = None;
        if row.version != stream.next_version {
            fail = Some(if row.version > stream.next_version {
                format!(
                    "event v{} is missing (next stored event is v{})",
                    stream.next_version, row.version
                )
            } else {
                "duplicate version".to_owned()
            });
        } else if row.prev_hash != stream.prev_hash {
            fail = Some("does not chain to the event before it (prev_hash differs)".to_owned());
        } else {
            match row.computed_hash() {
                Ok(h) if h == row.hash => {}
                Ok(_) => fail = Some("content does not match its hash (edited)".to_owned()),
                Err(e) => fail = Some(format!("cannot be encoded: {e}")),
            }
        }
        if fail.is_none() {
            match row.decode() {
                Ok(stored) => {
                    if let EventBody::Registered { number, .. } = &stored.event.body {
                        stream.number = Some(number.to_string());
                    } else if row.version == 1 {
                        fail = Some("first event of a case is not its registration".to_owned());
                    }
                    stream.state.apply(&stored.event);
                }
                Err(e) => fail = Some(format!("cannot be decoded: {e}")),
            }
        }
        match fail {
            Some(message) => {
                stream.broken = true;
                let p = self.problem(&row, message);
                self.problems.push(p);
            }
            None => {
                let stream = self.current.as_mut();
                if let Some(s) = stream {
                    s.next_version += 1;
                    s.prev_hash = row.hash;
                }
            }
        }
    }

    fn problem(&self, row: &EventRow, message: String) -> Problem {
        Problem {
            seq: Some(row.seq),
            case_id: Some(row.case_id.clone()),
            case_number: self.current.as_ref().and_then(|s| s.number.clone()),
            version: Some(row.version),
            message,
        }
    }

    fn finish_stream(&mut self) {
        let Some(s) = self.current.take() else {
            return;
        };
        if let Some(number) = s.number.as_deref().and_then(|n| CaseNumber::parse(n).ok()) {
            self.numbers
                .entry(number.series().to_owned())
                .or_default()
                .insert(number.sequence());
        }
        let problem = |m: String| Problem {
            seq: None,
            case_id: Some(s.case_id.clone()),
            case_number: s.number.clone(),
            version: None,
            message: m,
        };
        match self.projections.remove(&s.case_id) {
            None => self
                .problems
                .push(problem("has events but no current-state row".to_owned())),
            Some(stored) if !s.broken => {
                let expected = s
                    .state
                    .case()
                    .map(|c| CaseRow::from_case(c, s.state.version(), &s.prev_hash));
                if expected.as_ref() != Some(&stored) {
                    let detail = if stored.version != s.state.version() as i64 {
                        format!(
                            "current-state row is at version {} but the log has {} events",
                            stored.version,
                            s.state.version()
                        )
                    } else {
                        "current-state row differs from what its events produce".to_owned()
                    };
                    self.problems.push(problem(detail));
                }
            }
            Some(_) => {}
        }
    }

    pub fn finish(mut self) -> AuditReport {
        self.finish_stream();
        for (id, row) in std::mem::take(&mut self.projections) {
            self.problems.push(Problem {
                seq: None,
                case_id: Some(id),
                case_number: Some(row.number),
                version: None,
                message: "current-state row exists but the case's events are gone".to_owned(),
            });
        }
        for ((case_id, version), cps) in std::mem::take(&mut self.wanted_heads) {
            for (cp, _) in cps {
                self.problems.push(Problem {
                    seq: None,
                    case_id: Some(case_id.clone()),
                    case_number: None,
                    version: Some(version),
                    message: format!("event recorded in checkpoint #{cp} is missing"),
                });
            }
        }
        self.seqs.sort_unstable();
        for cp in &self.checkpoints {
            let covered = self.seqs.partition_point(|s| *s <= cp.max_seq) as i64;
            if covered != cp.events {
                self.problems.push(Problem {
                    seq: None,
                    case_id: None,
                    case_number: None,
                    version: None,
                    message: format!(
                        "checkpoint #{} covered {} events; {} of them remain",
                        cp.id, cp.events, covered
                    ),
                });
            }
        }
        for (series, next) in &self.series {
            let have = self.numbers.get(series);
            for n in 1..u64::try_from(*next).unwrap_or(1) {
                if !have.is_some_and(|h| h.contains(&n)) {
                    self.problems.push(Problem {
                        seq: None,
                        case_id: None,
                        case_number: Some(format!("{series}-{n:05}")),
                        version: None,
                        message: "case number was allocated but the case is gone".to_owned(),
                    });
                }
            }
        }
        // Problems tied to an event come first, in log order; the rest keep their order.
        self.problems
            .sort_by_key(|p| (p.seq.is_none(), p.seq.unwrap_or(0)));
        let last = self.checkpoints.last();
        let covered = last.map_or(0, |cp| self.seqs.partition_point(|s| *s <= cp.max_seq));
        AuditReport {
            cases: self.cases,
            events: self.events,
            checkpoints: self.checkpoints.len() as u64,
            latest_checkpoint: last.map(|c| c.hash.clone()),
            uncheckpointed_events: (self.seqs.len() - covered) as u64,
            problems: self.problems,
        }
    }
}
