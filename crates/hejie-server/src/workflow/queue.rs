//! My queue (我的待办) and the supervision board (督办看板): open cases with their clocks read
//! at one instant, most urgent first. The store sorts (see `WorkStore::work_items`), so a page of
//! a long queue reads only its own rows.

use hejie_domain::case::{ClockKind, Status};
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
    /// When the case became overdue: the deadline of its overdue clock (not when the scheduler
    /// marked it, which may be later). `None` unless overdue and running.
    pub overdue_since: Option<Timestamp>,
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
    let overdue_since = clock
        .as_ref()
        .filter(|(_, r)| r.overdue && !r.paused)
        .and_then(|(_, r)| r.deadline);
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
        overdue_since,
        supervision,
        follow_up,
    }
}

/// How many cases a page of the queue shows.
pub const PAGE_SIZE: u32 = 50;

/// One page of a user's queue and the counts over all of it.
#[derive(Debug, Clone)]
pub struct QueuePage {
    /// Most urgent first: overdue, the nearest deadline, paused, untimed, then follow-ups due.
    pub entries: Vec<QueueEntry>,
    /// From 1; a page past the end is the last page.
    pub page: u32,
    /// At least 1.
    pub pages: u32,
    /// Open cases and follow-ups due, on every page.
    pub total: u64,
    /// Open cases marked overdue, on every page.
    pub overdue: u64,
    pub follow_ups: u64,
}

/// The user's queue, page `page` (from 1): open cases their organisation holds (or, with no
/// organisation, that are theirs by jurisdiction), then closed cases of theirs whose follow-up
/// is due within three days.
pub async fn queue_for(
    state: &AppState,
    user: &User,
    now: Timestamp,
    page: u32,
) -> Result<QueuePage, AppError> {
    if matches!(user.role, Role::Resident | Role::System) {
        return Err(hejie_domain::authz::Denied::Role.into());
    }
    let flow = state.flow();
    let (held_by, within) = match user.organisation {
        Some(o) => (vec![o.to_string()], None),
        None => (Vec::new(), Some(user.jurisdiction.clone())),
    };
    let open = WorkFilter {
        held_by,
        within,
        ..WorkFilter::default()
    };
    let follow = WorkFilter {
        follow_up_due_before: Some(now.plus_seconds(86_400 * 3)),
        ..open.clone()
    };
    let open_total = state.store.work_count(&open).await?;
    let follow_ups = state.store.work_count(&follow).await?;
    let overdue = state
        .store
        .work_count(&WorkFilter {
            overdue_only: true,
            ..open.clone()
        })
        .await?;
    let total = open_total + follow_ups;
    let pages = u32::try_from(total.div_ceil(u64::from(PAGE_SIZE)))
        .unwrap_or(u32::MAX)
        .max(1);
    let page = page.clamp(1, pages);
    // The open cases come first, the follow-ups after them: a page may hold the end of one list
    // and the start of the other.
    let offset = u64::from(page - 1) * u64::from(PAGE_SIZE);
    let mut items = Vec::new();
    if offset < open_total {
        items = state
            .store
            .work_items(&WorkFilter {
                limit: PAGE_SIZE,
                offset: u32::try_from(offset).unwrap_or(u32::MAX),
                ..open
            })
            .await?;
    }
    let room = PAGE_SIZE.saturating_sub(u32::try_from(items.len()).unwrap_or(PAGE_SIZE));
    if room > 0 && follow_ups > 0 {
        let skip = offset.saturating_sub(open_total);
        items.extend(
            state
                .store
                .work_items(&WorkFilter {
                    limit: room,
                    offset: u32::try_from(skip).unwrap_or(u32::MAX),
                    ..follow
                })
                .await?,
        );
    }
    Ok(QueuePage {
        entries: items.into_iter().map(|i| entry(&flow, i, now)).collect(),
        page,
        pages,
        total,
        overdue,
        follow_ups,
    })
}

/// A division's row on the supervision board.
#[derive(Debug, Clone)]
pub struct BoardRow {
    pub division: DivisionCode,
    pub division_name: String,
    pub overdue: usize,
}

/// The supervision board: overdue cases within the user's jurisdiction, longest overdue first
/// (the earliest deadline first, as the store sorts), and their count per division one level
/// below the user's.
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
            limit: 5_000,
            ..WorkFilter::default()
        })
        .await?;
    let entries: Vec<QueueEntry> = items
        .into_iter()
        .filter(|i| i.summary.status != Status::Closed)
        .map(|i| entry(&flow, i, now))
        .collect();
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

/// "3天5小时" since an instant, for "overdue for how long" (counted from the deadline, see
/// [`QueueEntry::overdue_since`]).
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
