//! My queue (我的待办) and the supervision board (督办看板): open cases with their clocks read
//! at one instant, most urgent first.

use hejie_domain::case::{ClockKind, Status, urgency_key};
use hejie_domain::clock::Reading;
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::{Role, User};
use hejie_store::work::{WorkFilter, WorkItem};

use super::Flow;
use crate::error::AppError;
use crate::state::AppState;

/// One line of a queue: the case, its most urgent clock and what it says.
#[derive(Debug, Clone)]
pub struct QueueEntry {
    pub item: WorkItem,
    /// The most urgent running clock, if any.
    pub clock: Option<(ClockKind, Reading)>,
    /// The same in words: "剩余2个工作日3小时", "已超期5小时", "已暂停", "未设时限".
    pub countdown: String,
    pub overdue: bool,
    /// The latest supervision of the current stage: who, note, new deadline (words).
    pub supervision: Option<(String, String, String)>,
    /// A closed case whose follow-up is due.
    pub follow_up: bool,
}

pub fn entry(flow: &Flow, item: WorkItem, now: Timestamp) -> QueueEntry {
    let clock = item.clocks.most_urgent(&flow.calendar, now);
    let follow_up = !item.summary.status.is_open();
    let countdown = match (&clock, follow_up) {
        (_, true) => item.follow_up_due.map_or_else(
            || "回访".to_owned(),
            |d| format!("回访期限 {}", super::short_time(d)),
        ),
        (Some((_, r)), false) => r.describe(&flow.calendar),
        (None, false) => "未设时限".to_owned(),
    };
    let overdue = clock.as_ref().is_some_and(|(_, r)| r.overdue && !r.paused)
        || (follow_up && item.follow_up_due.is_some_and(|d| d < now));
    let supervision = item.clocks.latest_supervision().map(|s| {
        let deadline = item
            .clocks
            .read(ClockKind::Resolve, &flow.calendar, now)
            .and_then(|r| r.deadline)
            .map_or_else(|| "已暂停".to_owned(), super::short_time);
        (s.by.name.clone(), s.note.clone(), deadline)
    });
    QueueEntry {
        item,
        clock,
        countdown,
        overdue,
        supervision,
        follow_up,
    }
}

/// Sorts most urgent first: overdue, then the nearest deadline, then paused or untimed.
pub fn sort(entries: &mut [QueueEntry]) {
    entries.sort_by_key(|e| {
        let key = e.clock.as_ref().map_or((3, 0), |(_, r)| urgency_key(r));
        let follow = if e.follow_up {
            e.item.follow_up_due.map_or(i64::MAX, |d| d.micros())
        } else {
            0
        };
        (
            if e.follow_up { (4, follow) } else { key },
            e.item.summary.registered_at,
        )
    });
}

/// The user's queue: open cases their organisation holds (or, with no organisation, that are
/// theirs by jurisdiction), plus closed cases of theirs whose follow-up is due.
pub async fn queue_for(
    state: &AppState,
    user: &User,
    now: Timestamp,
) -> Result<Vec<QueueEntry>, AppError> {
    if matches!(user.role, Role::Resident | Role::System) {
        return Err(hejie_domain::authz::Denied::Role.into());
    }
    let flow = state.flow();
    let (held_by, within) = match user.organisation {
        Some(o) => (vec![o.to_string()], None),
        None => (Vec::new(), Some(user.jurisdiction.clone())),
    };
    let mut items = state
        .store
        .work_items(&WorkFilter {
            held_by: held_by.clone(),
            within: within.clone(),
            overdue_only: false,
            follow_up_due_before: None,
            limit: 20_000,
        })
        .await?;
    items.extend(
        state
            .store
            .work_items(&WorkFilter {
                held_by,
                within,
                overdue_only: false,
                follow_up_due_before: Some(now.plus_seconds(86_400 * 3)),
                limit: 1_000,
            })
            .await?,
    );
    let mut entries: Vec<QueueEntry> = items.into_iter().map(|i| entry(&flow, i, now)).collect();
    sort(&mut entries);
    Ok(entries)
}

/// A division's row on the supervision board.
#[derive(Debug, Clone)]
pub struct BoardRow {
    pub division: DivisionCode,
    pub division_name: String,
    pub overdue: usize,
}

/// The supervision board: overdue cases within the user's jurisdiction, longest overdue first,
/// and their count per division one level below the user's.
pub async fn board_for(
    state: &AppState,
    user: &User,
    now: Timestamp,
) -> Result<(Vec<BoardRow>, Vec<QueueEntry>), AppError> {
    if !hejie_domain::authz::role_may(
        user.role,
        hejie_domain::authz::Action::Command(hejie_domain::CommandName::Supervise),
    ) {
        return Err(hejie_domain::authz::Denied::Role.into());
    }
    let flow = state.flow();
    let items = state
        .store
        .work_items(&WorkFilter {
            held_by: Vec::new(),
            within: Some(user.jurisdiction.clone()),
            overdue_only: true,
            follow_up_due_before: None,
            limit: 5_000,
        })
        .await?;
    let mut entries: Vec<QueueEntry> = items
        .into_iter()
        .filter(|i| i.summary.status != Status::Closed)
        .map(|i| entry(&flow, i, now))
        .collect();
    entries.sort_by_key(|e| e.item.overdue_since);
    let reference = state.reference();
    let below = user.jurisdiction.level().child();
    let mut rows: Vec<BoardRow> = Vec::new();
    for e in &entries {
        let d = below
            .and_then(|l| e.item.summary.division.ancestor_at(l))
            .unwrap_or_else(|| e.item.summary.division.clone());
        match rows.iter_mut().find(|r| r.division == d) {
            Some(r) => r.overdue += 1,
            None => rows.push(BoardRow {
                division_name: reference.full_name(&d),
                division: d,
                overdue: 1,
            }),
        }
    }
    rows.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.division.cmp(&b.division)));
    Ok((rows, entries))
}

/// "3天5小时" since an instant, for "overdue for how long".
pub fn since_text(since: Option<Timestamp>, now: Timestamp) -> String {
    let Some(s) = since else {
        return String::new();
    };
    let mins = (now.micros() - s.micros()).max(0) / 60_000_000;
    let (d, h, m) = (mins / 1440, mins % 1440 / 60, mins % 60);
    match (d, h) {
        (0, 0) => format!("{m}分钟"),
        (0, _) => format!("{h}小时{m}分"),
        _ => format!("{d}天{h}小时"),
    }
}
